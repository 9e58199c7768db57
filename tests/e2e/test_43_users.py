"""系统管理员 manages a login (issue 20 item 4): one form creates the login and its staff record
(姓 then 名, the role, unit and position chosen from lists) and returns to the list; the
administrator requires a new password, and at the next login the user is taken to the
own-password form and can do nothing else until it has chosen one; once deactivated, the user is
told that the account is disabled. The delete confirmation and the date picker speak Chinese.

Screenshots (``make screenshots``: docs/screenshots/; otherwise test-artifacts/e2e/screens/):
30-admin-user-form.png, 31-admin-user-list.png, 32-user-must-change-password.png,
33-deactivated-login.png, 34-delete-dialog.png, 35-date-picker.png.
"""
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import Session, do_login
from .helpers import ARTIFACTS, ROOT, flash, select2, settle, submit

OUT = Path(os.environ.get("E2E_SCREENSHOT_DIR") or ARTIFACTS / "screens")
if not OUT.is_absolute():
    OUT = ROOT / OUT

USERNAME = "e2e_lidong"
FIRST_PASSWORD = "Lidong@2026"
OWN_PASSWORD = "Lidong#Own2027"
FULL_NAME = "钱立冬"
BRANCH = "城关信用社南街分社"


def shoot(page, name):
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def user_row(page):
    return page.locator("table tr", has_text=USERNAME)


def open_edit_form(page):
    page.goto("/users/list/")
    settle(page)
    with page.expect_navigation():
        user_row(page).locator('a[href*="/users/edit/"]').click()
    settle(page)


@pytest.mark.incremental
class TestUserManagement:
    def test_admin_creates_a_login_with_its_staff_record(self, login):
        page = login("demo_admin")
        page.goto("/users/list/")
        settle(page)
        with page.expect_navigation():
            page.locator('a.btn[href="/users/add"]').click()
        settle(page)
        labels = page.locator("table label, table th, table td").all_inner_texts()
        assert labels.index(next(t for t in labels if t.strip().startswith("姓"))) < \
            labels.index(next(t for t in labels if t.strip().startswith("名")))
        page.fill("#last_name", "钱")
        page.fill("#first_name", "立冬")
        page.fill("#username", USERNAME)
        page.fill("#email", f"{USERNAME}@demo.invalid")
        page.fill("#password", FIRST_PASSWORD)
        page.fill("#conf_password", FIRST_PASSWORD)
        select2(page, "roles", "临柜人员")
        select2(page, "staff_mode", "新建员工档案")
        page.fill("#employee_no", "CG0299")
        select2(page, "staff_unit", BRANCH)
        select2(page, "staff_position", "临柜人员")
        expect(page.locator("body")).not_to_contain_text("Select a State")
        shoot(page, "30-admin-user-form")
        submit(page, page.get_by_role("button", name="保存"))
        assert page.url.endswith("/users/list/")
        expect(flash(page)).to_be_visible()
        row = user_row(page)
        expect(row).to_contain_text(FULL_NAME)
        expect(row).to_contain_text("临柜人员")
        expect(row).to_contain_text(f"{FULL_NAME} · {BRANCH} · 临柜人员(CG0299)")
        expect(page.locator("table.table-bordered")).not_to_contain_text("True")
        expect(page.locator("table.table-bordered")).not_to_contain_text("[")

    def test_admin_requires_a_new_password(self, login):
        page = login("demo_admin")
        open_edit_form(page)
        expect(page.locator("#staff_mode")).to_have_value("existing")
        page.check("#must_change_password")
        submit(page, page.get_by_role("button", name="保存"))
        assert page.url.endswith("/users/list/")
        expect(user_row(page).locator("td").last).to_have_text("是")
        shoot(page, "31-admin-user-list")

    def test_the_user_must_change_the_password_first(self, login):
        page = login(USERNAME, FIRST_PASSWORD)
        assert page.url.endswith("/resetmypassword/form")
        expect(flash(page, "warning")).to_contain_text("管理员要求您修改密码")
        shoot(page, "32-user-must-change-password")
        page.goto("/todo/")
        settle(page)
        assert page.url.endswith("/resetmypassword/form")  # nothing else until it is done
        page.fill("#current_password", FIRST_PASSWORD)
        page.fill("#password", OWN_PASSWORD)
        page.fill("#conf_password", OWN_PASSWORD)
        submit(page, page.get_by_role("button", name="保存"))
        page.goto("/todo/")
        settle(page)
        assert page.url.endswith("/todo/")
        expect(page.locator(".who-am-i")).to_contain_text(f"{FULL_NAME} · {BRANCH} · 临柜人员")

    def test_a_deactivated_user_is_told_the_account_is_disabled(self, login, browser, live_server):
        admin = login("demo_admin")
        open_edit_form(admin)
        admin.uncheck("#active")
        submit(admin, admin.get_by_role("button", name="保存"))
        expect(user_row(admin)).to_contain_text("否")
        session = Session(browser, live_server)
        try:
            page = do_login(session.new_page(), USERNAME, OWN_PASSWORD)
            assert "/login" in page.url
            expect(page.locator(".alert")).to_contain_text("该账户已停用,请联系管理员。")
            shoot(page, "33-deactivated-login")
            page = do_login(page, USERNAME, "Wrong#Pass2026")
            expect(page.locator(".alert")).to_contain_text("用户名或密码错误")
            expect(page.locator(".alert")).not_to_contain_text("停用")
            assert not session.problems, session.problems
        finally:
            session.context.close()


def test_the_delete_dialog_and_the_date_picker_speak_chinese(login):
    page = login("demo_admin")
    page.goto("/users/list/")
    settle(page)
    page.locator('[id^="btn-delete-/users/delete/"]').first.click()
    dialog = page.locator("#modal-confirm")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("请确认")
    expect(dialog.locator("button[data-dismiss=modal]")).to_have_text("取消")
    expect(dialog.locator("#modal-confirm-ok")).to_have_text("确认")
    shoot(page, "34-delete-dialog")
    dialog.locator("button[data-dismiss=modal]").click()
    expect(dialog).to_be_hidden()

    page.goto("/workdayview/add")
    settle(page)
    page.locator("#date").click()
    picker = page.locator(".datepicker-days")
    expect(picker).to_be_visible()
    expect(picker.locator("th.dow").first).to_have_text("一")  # Monday first, in Chinese
    expect(picker.locator("th.datepicker-switch")).to_contain_text("年")
    shoot(page, "35-date-picker")
