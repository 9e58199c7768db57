"""Forms that help the clerk, each step by the role that does it.

临柜人员 registers a complaint the way a busy clerk does — the facts left blank, a phone number one
digit short, an ID number with a wrong check digit, "acting for another person" ticked without a
name: each mistake is said beside its field in Chinese, everything typed is still there, and once
corrected the complaint is saved; the form said the expected deadlines before. The staff select
follows the branch. 纪检监察室 accepts it: the handler list follows the unit chosen and never offers
the staff member complained about. 网点负责人 is offered branch level only, and transfers only inside
the county; the discipline office may send a case up. 纪检监察室 rejects another complaint: the
explanation is too short, then the step is summed up for confirmation, taken back to the form with
the values, and confirmed. 网点负责人 replies and closes the case after confirming its summary.

Screenshots of the form with its messages and of a confirmation go to docs/screenshots/ with
``make screenshots`` (E2E_SCREENSHOT_DIR).
"""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from .helpers import (case_id, confirm, confirm_summary, confirm_with_summary, field, field_errors, flash,
                      local_now, open_transition, reply, settle, status, submit, timeline)
from .test_30_language_and_refusals import register
from .test_90_screenshots import OUT

BRANCH = "城关信用社南街分社"
NOTE = re.compile(r"^预计处理时限:网点权限 \d{4}-\d{2}-\d{2}.*,联社权限 \d{4}-\d{2}-\d{2}.*,受理后确定。$")


def visible_options(select):
    """The labels of the options a user can pick in ``select`` (the script hides the others)."""
    return select.evaluate("el => Array.from(el.options).filter(o => o.value && !o.hidden).map(o => o.text.trim())")


def shoot(page, name):
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


@pytest.mark.incremental
class TestFormsThatHelp:
    story = {}

    def open_case(self, page, key="id"):
        page.goto(f"/complaints/show/{self.story[key]}")
        settle(page)
        return page

    def test_01_clerk_mistakes_are_said_beside_each_field_and_corrected(self, login):
        page = login("demo_counter")
        page.goto("/complaints/add")
        settle(page)
        note = page.locator("#received_at-note")
        expect(note).to_have_text(NOTE)
        today_note = note.inner_text()
        received = local_now() - timedelta(days=20)
        page.fill("#received_at", received.strftime("%Y-%m-%dT%H:%M"))
        page.locator("#received_at").dispatch_event("change")
        expect(note).not_to_have_text(today_note)
        expect(note).to_have_text(NOTE)

        page.select_option("#channel", label="客户直接电话")
        page.fill("#complainant_name", "周敏")
        page.fill("#complainant_phone", "1391234567")  # one digit short
        page.fill("#complainant_id_number", "330102199001011235")  # wrong check digit
        page.locator('input[name="is_delegate"]').check()  # … without naming the principal
        # the staff complained about follows the branch: none before one is chosen
        assert visible_options(page.locator("#respondent_staff_id")) == []
        page.select_option("#branch_id", label=BRANCH)
        assert set(visible_options(page.locator("#respondent_staff_id"))) == {
            f"马卫东 · {BRANCH}", f"杨雪 · {BRANCH}", f"黄磊 · {BRANCH}"}
        page.select_option("#respondent_staff_id", label=f"黄磊 · {BRANCH}")
        page.select_option("#category", label="服务态度")
        page.fill("#facts", "   ")  # blank: the browser lets it through, the server does not
        submit(page, page.get_by_role("button", name="保存"))

        expect(page).to_have_url(re.compile(r"/complaints/add$"))
        form = page.locator("form.complaint-form")
        expect(form.locator(".form-errors-note")).to_have_text("未保存:请按提示更正下面标出的内容。")
        expect(field_errors(form, "complainant_phone")).to_have_text(
            "电话号码格式不正确:手机号码为11位数字,以13至19开头;固定电话为以0开头的区号加7至8位号码(例如0571-87654321)。")
        expect(field_errors(form, "complainant_id_number")).to_have_text("校验码(最后一位)不符,请对照身份证核对号码。")
        expect(field_errors(form, "facts")).to_have_text("此项必须填写。")
        expect(field_errors(form, "principal_name")).to_have_text("请填写委托人姓名(第四条第三项)。")
        expect(form.locator(".has-error")).to_have_count(4)
        # everything typed is still there, and the note follows the time entered
        expect(page.locator("#complainant_name")).to_have_value("周敏")
        expect(page.locator("#complainant_phone")).to_have_value("1391234567")
        expect(page.locator("#complainant_id_number")).to_have_value("330102199001011235")
        expect(page.locator("#received_at")).to_have_value(received.strftime("%Y-%m-%dT%H:%M"))
        expect(page.locator('input[name="is_delegate"]')).to_be_checked()
        expect(page.locator("#respondent_staff_id")).to_have_value(re.compile(r"^\d+$"))
        expect(note).not_to_have_text(today_note)
        shoot(page, "16-register-errors-beside-fields")

        page.fill("#complainant_phone", "139 1234 5678")
        page.fill("#complainant_id_number", "330102199001011234")
        page.fill("#principal_name", "周大年")
        page.fill("#facts", "客户称柜员黄磊办理存折挂失时态度生硬,拒绝解释所需材料。")
        submit(page, page.get_by_role("button", name="保存"))
        expect(flash(page)).to_contain_text(re.compile(r"投诉 TS\d{8}-\d{4} 已登记"))
        self.story["id"] = case_id(page)
        expect(field(page, "联系电话")).to_have_text("13912345678")  # a mobile number kept as its digits
        expect(field(page, "被投诉员工")).to_have_text("黄磊")

    def test_02_office_accepts_with_the_handler_list_following_the_unit(self, login):
        page = self.open_case(login("demo_discipline"))
        form = open_transition(page, "accept")
        handler = form.locator("#accept-handler_id")
        # before a unit is chosen: the branch complained about (the default), never the respondent
        assert set(visible_options(handler)) == {f"马卫东 · {BRANCH}", f"杨雪 · {BRANCH}"}
        form.locator("#accept-handling_unit_id").select_option(label="联社纪检监察室")
        assert set(visible_options(handler)) == {"李秀英 · 联社纪检监察室", "王海涛 · 联社纪检监察室"}
        form.locator("#accept-handling_unit_id").select_option(label=BRANCH)
        handler.select_option(label=f"杨雪 · {BRANCH}")
        form.locator("#accept-level").select_option(label="网点权限(10个工作日)")
        for item in ("service_standard", "direct_interest", "clear_respondent", "specific_facts"):
            form.locator(f'input[name="eligibility.{item}"]').check()
        confirm(page, form)
        expect(flash(page)).to_have_text(re.compile("受理:已完成。"))
        expect(field(page, "承办人")).to_have_text("杨雪")
        # the office may send a case beyond the county
        form = open_transition(page, "transfer")
        units = visible_options(form.locator("#transfer-to_unit_id"))
        assert "演示市农村信用社联合社" in units and "联社纪检监察室" in units

    def test_03_branch_head_is_offered_what_it_may_do(self, login):
        page = login("demo_branchhead")
        # a complaint it registers itself: branch level is the only level offered
        self.story["other"] = register(page, "意见簿记录:午间仅开一个窗口,排队四十分钟。")
        form = open_transition(page, "accept")
        assert visible_options(form.locator("#accept-level")) == ["网点权限(10个工作日)"]

        # the case complained about 黄磊: transfers stay in the county and never go to him
        page = self.open_case(page)
        form = open_transition(page, "transfer")
        units = visible_options(form.locator("#transfer-to_unit_id"))
        assert "演示市农村信用社联合社" not in units
        assert {BRANCH, "演示县农村信用合作联社", "联社纪检监察室"} <= set(units)
        form.locator("#transfer-to_unit_id").select_option(label=BRANCH)
        assert set(visible_options(form.locator("#transfer-to_staff_id"))) == {f"马卫东 · {BRANCH}", f"杨雪 · {BRANCH}"}
        form.locator("#transfer-to_unit_id").select_option(label="联社纪检监察室")
        assert visible_options(form.locator("#transfer-to_staff_id")) == []  # the union assigns its own handler

    def test_04_office_rejects_after_confirming_the_summary(self, login):
        page = self.open_case(login("demo_discipline"), "other")
        form = open_transition(page, "reject")
        expect(form.locator(".confirm-first")).to_contain_text("确认后才保存")
        form.locator("#reject-reason").select_option(label="不符合第四条受理条件")
        form.locator("#reject-note").fill("不予受理。")
        confirm(page, form)
        form = open_transition(page, "reject")
        expect(field_errors(form, "note")).to_have_text("至少应填写10个字(现有5个字)。")
        expect(form.locator("#reject-note")).to_have_value("不予受理。")
        expect(form.locator("#reject-reason")).to_have_value("ineligible")
        form.scroll_into_view_if_needed()
        page.screenshot(path=str(OUT / "18-case-action-refused.png"))

        form.locator("#reject-note").fill("属服务效率建议,不涉及具体业务差错,转网点改进,不予受理。")
        confirm(page, form)
        summary = page.locator(".confirm-summary")
        expect(summary).to_contain_text("已登记 → 不予受理")
        expect(summary).to_contain_text("不符合第四条受理条件")
        expect(summary).to_contain_text("属服务效率建议,不涉及具体业务差错,转网点改进,不予受理。")
        expect(page.locator(".confirm-warning")).to_contain_text("不予受理后,该投诉即告终结")
        shoot(page, "17-confirm-reject")
        # nothing written yet (read in a second tab: the summary stays as it is)
        tab = page.session.new_page()
        assert [row[0] for row in timeline(self.open_case(tab, "other"))] == ["已登记"]
        tab.close()

        # back to the form: everything as entered
        submit(page, page.locator("button.confirm-back"))
        form = page.locator("#form-reject.collapse.in form")
        expect(form.locator("#reject-note")).to_have_value("属服务效率建议,不涉及具体业务差错,转网点改进,不予受理。")
        expect(status(page)).to_have_text("已登记")
        confirm(page, form)
        confirm_summary(page)
        expect(flash(page)).to_have_text(re.compile("不予受理:已完成。"))
        expect(status(page)).to_have_text("不予受理")

    def test_05_branch_head_replies_and_closes_after_confirming(self, login):
        page = self.open_case(login("demo_branchhead"))
        reply(page, "电话回复", "已约谈柜员黄磊并向客户致歉,挂失材料已一次性告知。")
        expect(status(page)).to_have_text("已反馈")
        form = open_transition(page, "close")
        form.locator("#close-note").fill("客户表示接受。")
        confirm_with_summary(page, form, "已反馈 → 已办结")
        expect(flash(page)).to_have_text(re.compile("办结:已完成。"))
        expect(status(page)).to_have_text("已办结")
