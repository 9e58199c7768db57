"""系统管理员 builds a custom role from capabilities and gives it to a new login (issue 20):
"分社主任" — 登记投诉 and 受理/转办/反馈/办结 within its own unit, identity shown — and that user does
exactly those tasks: registers a complaint of its branch, accepts and answers it as a branch head
would, is not offered rejection (§8, the discipline office's), and reaches no statistics, no
ruling queue and no administration. The settings page is shown to the administrator.

Screenshots (``make screenshots``: docs/screenshots/; otherwise test-artifacts/e2e/screens/):
36-admin-custom-role-form.png, 37-admin-custom-role.png, 38-admin-roles.png, 39-admin-settings.png,
40-custom-role-user-case.png.
"""
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .helpers import (
    ARTIFACTS, ROOT, accept_at_branch_level, case_id, field, flash, local_now, open_transition, reply, select2,
    settle, status, submit,
)

OUT = Path(os.environ.get("E2E_SCREENSHOT_DIR") or ARTIFACTS / "screens")
if not OUT.is_absolute():
    OUT = ROOT / OUT

ROLE = "分社主任"
USERNAME = "e2e_fenshe"
PASSWORD = "Fenshe@2026x"
BRANCH = "城关信用社南街分社"
COMPLAINANT = "柳青"
PHONE = "13905790123"


def shoot(page, name, full_page=True):
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full_page)


@pytest.mark.incremental
class TestCustomRole:
    def test_admin_builds_the_role_from_capabilities(self, login):
        page = login("demo_admin")
        page.goto("/role-admin/")
        settle(page)
        expect(page.locator("body")).to_contain_text("临柜人员")  # the built-in roles, by their Chinese names
        with page.expect_navigation():
            page.locator("a.btn", has_text="新建自定义角色").click()
        settle(page)
        page.fill("#name", ROLE)
        page.fill("#description", "分社负责人:登记并办理本分社的投诉")
        page.locator('input[name="capabilities"][value="register"]').check()
        page.locator('input[name="capabilities"][value="handle"]').check()
        page.locator('input[name="shows_identity"]').check()
        page.locator('input[name="scope"][value="unit"]').check()
        form = page.locator("#role-form")
        expect(form).to_contain_text("受理/转办/反馈/办结")
        expect(form).to_contain_text("查看投诉人身份")
        assert not re.search(r"\bcan_[a-z_]+|menu_access", form.inner_text())
        shoot(page, "36-admin-custom-role-form")
        submit(page, page.get_by_role("button", name="保存"))
        expect(flash(page)).to_contain_text("角色已保存")
        body = page.locator("body")
        expect(body).to_contain_text(ROLE)
        expect(body).to_contain_text("本单位及下级单位")
        expect(page.locator("tr", has_text="受理/转办/反馈/办结")).to_contain_text("是")
        expect(page.locator("tr", has_text="审批延期")).not_to_contain_text("是")
        shoot(page, "37-admin-custom-role")
        page.goto("/role-admin/")
        settle(page)
        expect(page.locator("a", has_text=ROLE)).to_be_visible()
        shoot(page, "38-admin-roles")

    def test_admin_gives_it_to_a_new_login(self, login):
        page = login("demo_admin")
        page.goto("/users/add")
        settle(page)
        page.fill("#last_name", "柯")
        page.fill("#first_name", "文远")
        page.fill("#username", USERNAME)
        page.fill("#email", f"{USERNAME}@demo.invalid")
        page.fill("#password", PASSWORD)
        page.fill("#conf_password", PASSWORD)
        select2(page, "roles", ROLE)
        select2(page, "staff_mode", "新建员工档案")
        page.fill("#employee_no", "CG0388")
        select2(page, "staff_unit", BRANCH)
        select2(page, "staff_position", "其他")
        submit(page, page.get_by_role("button", name="保存"))
        assert page.url.endswith("/users/list/")
        expect(page.locator("table tr", has_text=USERNAME)).to_contain_text(ROLE)

    def test_the_settings_page_names_the_appeal_bodies_from_the_tree(self, login):
        page = login("demo_admin")
        page.goto("/settings/")
        settle(page)
        body = page.locator("body")
        expect(body).to_contain_text("复议")
        assert not re.search(r"APPEAL_BODY|RERULING_WINDOW|[A-Z]{3,}_[A-Z_]+", body.inner_text())
        shoot(page, "39-admin-settings")

    def test_the_user_does_exactly_the_tasks_of_the_role(self, login):
        page = login(USERNAME, PASSWORD)
        menu = page.locator(".navbar").inner_text()
        assert "投诉管理" in menu
        assert "统计分析" not in menu and "组织机构" not in menu
        for path in ("/reports/dashboard", "/role-admin/", "/settings/", "/users/list/"):
            response = page.goto(path)
            settle(page)
            assert response.status == 403 or not page.url.rstrip("/").endswith(path.rstrip("/")), path

        page.goto("/complaints/add")
        settle(page)
        received = local_now() - timedelta(hours=1)
        page.select_option("#channel", label="客户直接电话")
        page.fill("#received_at", received.strftime("%Y-%m-%dT%H:%M"))
        page.fill("#complainant_name", COMPLAINANT)
        page.fill("#complainant_phone", PHONE)
        page.select_option("#branch_id", label=BRANCH)
        page.select_option("#category", label="服务态度")
        page.fill("#facts", "客户反映分社柜员办理挂失时态度冷淡,未解释所需材料。")
        submit(page, page.get_by_role("button", name="保存"))
        expect(flash(page)).to_contain_text(re.compile(r"投诉 TS\d{8}-\d{4} 已登记"))
        assert case_id(page)
        expect(field(page, "投诉人")).to_have_text(COMPLAINANT)  # identity shown: the role's flag
        expect(page.locator('[data-transition="accept"]')).to_be_visible()
        expect(page.locator('[data-transition="reject"]')).to_have_count(0)

        accept_at_branch_level(page)
        expect(status(page)).to_have_text("处理中")
        reply(page, "电话回复", "已向客户致歉并说明挂失所需材料,客户表示理解。")
        expect(status(page)).to_have_text("已反馈")
        expect(page.locator('[data-transition="rule"]')).to_have_count(0)
        expect(page.locator('[data-transition="close"]')).to_be_visible()
        shoot(page, "40-custom-role-user-case")
        assert open_transition(page, "close")
