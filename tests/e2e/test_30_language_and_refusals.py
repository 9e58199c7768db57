"""The language menu (English and back), and refused actions that must say why, in Chinese."""
import re

from playwright.sync_api import expect

from .helpers import (case_id, confirm, flash, form_errors, open_transition, settle, status,
                      submit, timeline)

BRANCH = "城关信用社南街分社"


def switch_language(page, name):
    """FAB's language menu: the flag drop-down in the navbar, then the language's entry."""
    page.locator(".navbar a.dropdown-toggle", has=page.locator("i.flag")).click()
    with page.expect_navigation():
        page.locator(".navbar .dropdown-menu a", has_text=name).click()
    settle(page)


def test_language_switch_to_english_and_back(login):
    page = login("demo_counter")
    menus = page.locator(".navbar-nav > li > a.dropdown-toggle")
    expect(menus.filter(has_text="投诉管理")).to_have_count(1)
    expect(page.locator("body")).to_contain_text("我的待办")  # a counter clerk lands on its work

    switch_language(page, "English")
    expect(menus.filter(has_text="Complaints")).to_have_count(1)
    expect(menus.filter(has_text="投诉管理")).to_have_count(0)
    expect(page.locator("body")).to_contain_text("My to-do")
    expect(page.locator(".who-am-i")).to_contain_text("Data scope")

    switch_language(page, "简体中文")
    expect(menus.filter(has_text="投诉管理")).to_have_count(1)
    expect(menus.filter(has_text="Complaints")).to_have_count(0)
    expect(page.locator("body")).to_contain_text("我的待办")
    # The choice sticks to the session: the next page is Chinese as well.
    page.goto("/")
    settle(page)
    expect(page.locator(".who-am-i")).to_contain_text("数据范围")


def register(page, facts):
    """Register a complaint about the branch as the logged-in user; returns the case id."""
    page.goto("/complaints/add")
    settle(page)
    page.select_option("#channel", label="意见簿")
    page.fill("#complainant_name", "李娜")
    page.fill("#complainant_phone", "13900001111")
    page.select_option("#branch_id", label=BRANCH)
    page.select_option("#category", label="服务态度")
    page.fill("#facts", facts)
    submit(page, page.get_by_role("button", name="保存"))
    expect(flash(page)).to_contain_text("已登记")
    return case_id(page)


def test_missing_required_field_is_refused_by_the_form(login):
    page = login("demo_branchhead")
    page.goto("/complaints/add")
    settle(page)
    page.select_option("#channel", label="意见簿")
    page.fill("#complainant_name", "李娜")
    page.select_option("#branch_id", label=BRANCH)
    page.select_option("#category", label="服务态度")
    # 投诉事实 left empty: the browser keeps the form and points at the field.
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(r"/complaints/add$"))
    assert page.locator("#facts").evaluate("el => el.validity.valueMissing") is True
    assert page.locator("#facts").evaluate("el => el.validationMessage")
    expect(page.locator("label[for=facts] .text-danger")).to_have_text("*")
    expect(page.locator("#complainant_name")).to_have_value("李娜")  # nothing typed is lost


def test_stale_form_is_refused_with_chinese_message(login):
    """The branch head's acceptance form was opened before the discipline office edited the
    case: the acceptance is refused ("已被他人修改"), nothing changes, a reload lets it through."""
    head = login("demo_branchhead")
    pk = register(head, "意见簿记录:客户称柜员办理业务时态度生硬,不予解释。")
    form = open_transition(head, "accept")
    form.locator("#accept-level").select_option(label="网点权限(10个工作日)")
    for item in ("service_standard", "direct_interest", "clear_respondent", "specific_facts"):
        form.locator(f'input[name="eligibility.{item}"]').check()

    office = login("demo_discipline")
    office.goto(f"/complaints/show/{pk}")
    settle(office)
    with office.expect_navigation():
        office.locator("a.btn", has_text="编辑").click()
    settle(office)
    office.fill("#customer_request", "要求网点负责人当面致歉。")
    submit(office, office.get_by_role("button", name="保存"))
    expect(flash(office)).to_have_text(re.compile("已保存。"))

    confirm(head, form)
    form = open_transition(head, "accept")
    expect(form_errors(form)).to_contain_text("该投诉已被他人修改,请刷新后重试。")
    expect(status(head)).to_have_text("已登记")
    assert [row[0] for row in timeline(head)] == ["已登记", "已编辑"]
    expect(head.locator("body")).to_contain_text("要求网点负责人当面致歉。")

    # The page now shows the case as it is, the form as it was filled in: sent again, it goes through.
    expect(form.locator('input[name="eligibility.specific_facts"]')).to_be_checked()
    confirm(head, form)
    expect(flash(head)).to_have_text(re.compile("受理:已完成。"))
    expect(status(head)).to_have_text("处理中")
