"""系统管理员: a new branch, a staff member in it and a login with a role — then that login works
and sees its own unit as its data scope."""
import re

from playwright.sync_api import expect

from .helpers import flash, select2, settle, submit

NEW_BRANCH = "城关信用社东门分社"
NEW_STAFF = "钱立新"
NEW_USER = "e2e_dongmen"
NEW_PASSWORD = "Dongmen@2026"


def open_add_form(page, base):
    """The list page, then its 添加新记录 button (FAB returns to the list after saving)."""
    page.goto(f"{base}/list/")
    settle(page)
    with page.expect_navigation():
        page.locator(f'a.btn[href="{base}/add"]').click()
    settle(page)


def test_admin_creates_branch_staff_and_user(login):
    page = login("demo_admin")
    expect(page.locator(".navbar")).to_contain_text("组织机构")

    # 组织机构 → 添加: a branch under 城关信用社.
    open_add_form(page, "/orgunitview")
    expect(page.locator("label[for=name]")).to_contain_text("名称")
    page.fill("#name", NEW_BRANCH)
    page.fill("#code", "CG-04")
    page.select_option("#kind", label="营业网点")
    select2(page, "parent", "城关信用社")
    submit(page, page.get_by_role("button", name="保存"))
    expect(flash(page)).to_contain_text("记录已添加")
    row = page.locator("table tr", has_text=NEW_BRANCH)
    expect(row).to_contain_text("CG-04")
    expect(row).to_contain_text("营业网点")
    expect(row).to_contain_text("城关信用社")

    # 用户权限 → 用户 → 添加用户: a login with the CounterStaff role, no staff record yet (姓 then 名).
    open_add_form(page, "/users")
    page.fill("#last_name", "钱")
    page.fill("#first_name", "立新")
    page.fill("#username", NEW_USER)
    page.fill("#email", f"{NEW_USER}@demo.invalid")
    select2(page, "roles", "临柜人员")
    page.fill("#password", NEW_PASSWORD)
    page.fill("#conf_password", NEW_PASSWORD)
    submit(page, page.get_by_role("button", name="保存"))
    expect(flash(page)).to_contain_text("记录已添加")
    expect(page.locator("table tr", has_text=NEW_USER)).to_contain_text("临柜人员")

    # 组织机构 → 员工: the staff member in the new branch, linked to that login.
    open_add_form(page, "/staffview")
    page.fill("#name", NEW_STAFF)
    page.fill("#employee_no", "CG0401")
    select2(page, "unit", NEW_BRANCH)
    page.select_option("#position", label="临柜人员")
    select2(page, "user", "立新")
    submit(page, page.get_by_role("button", name="保存"))
    expect(flash(page)).to_contain_text("记录已添加")
    row = page.locator("table tr", has_text=NEW_STAFF)
    expect(row).to_contain_text("CG0401")
    expect(row).to_contain_text(NEW_BRANCH)
    expect(row).to_contain_text("临柜人员")

    # The new login works and sees its own branch as its scope; it may register complaints there.
    # A counter clerk lands on 我的待办, which says who it is and what it sees.
    clerk = login(NEW_USER, NEW_PASSWORD)
    expect(clerk.locator("body")).to_contain_text("我的待办")
    expect(clerk.locator(".who-am-i")).to_contain_text(f"{NEW_STAFF} · {NEW_BRANCH} · 临柜人员")
    expect(clerk.locator(".who-am-i")).to_contain_text("本机构及其下辖,共 1 个机构")
    clerk.goto("/complaints/add")
    settle(clerk)
    branches = clerk.locator("#branch_id option").all_inner_texts()
    assert [b for b in branches if b != "—"] == [NEW_BRANCH]
    expect(clerk).to_have_title(re.compile("客户投诉管理系统"))
