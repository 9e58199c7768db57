"""The responsibility-ruling committee as a record of its own (issue 21), done in the browser by
each person in turn:

1. the discipline office opens 责任认定小组, sees the committee's roster and adds 陈志远 as a member;
2. the office registers a complaint about counter clerk 杨雪, accepts it and answers the customer;
3. committee member 赵丽华 records the ruling: ticking only herself is refused beside the field as
   not a quorum (the mistake a busy member makes), then she ticks 孙明 and 陈志远 and it is recorded;
   the case page and the printed notice name who sat, by role;
4. 杨雪 finds the ruling under 责任认定记录 → 我的责任认定 and asks for a re-ruling;
5. the higher body's 周建国 decides it, ticking himself as the member present; the decision is final.

Screenshots (``make screenshots``: docs/screenshots/; otherwise test-artifacts/e2e/screens/):
41-committee-roster.png, 42-ruling-not-a-quorum.png, 43-ruling-who-sat.png, 44-rulings-list.png,
45-reruling-decided.png.
"""
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .helpers import (
    ARTIFACTS, ROOT, CaseStory, accept_at_branch_level, case_id, confirm, confirm_summary, field_errors, flash,
    local_now, open_transition, reply, settle, submit,
)

OUT = Path(os.environ.get("E2E_SCREENSHOT_DIR") or ARTIFACTS / "screens")
if not OUT.is_absolute():
    OUT = ROOT / OUT

COMMITTEE = "演示县农村信用合作联社客户投诉责任认定小组"


def choose(scope, select, text):
    """Select the option of ``select`` whose label contains ``text``."""
    value = scope.locator(f"{select} option", has_text=text).first.get_attribute("value")
    scope.locator(select).select_option(value=value)


def shoot(page, name, full_page=True):
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full_page)


@pytest.mark.incremental
class TestCommittee(CaseStory):
    def test_01_office_adds_a_member_to_the_committee(self, login):
        page = login("demo_discipline")
        page.goto("/rulingbodyview/list/")
        settle(page)
        row = page.locator("table tr", has_text=COMMITTEE)
        expect(row).to_contain_text("责任认定小组")
        with page.expect_navigation():
            row.locator("a[href*='/rulingbodyview/show/']").first.click()
        settle(page)
        expect(page.locator("body")).to_contain_text("赵丽华")
        expect(page.locator("body")).to_contain_text("组长")
        body_id = re.search(r"/show/(\d+)", page.url).group(1)
        page.goto(f"/bodymemberview/add?_flt_0_body={body_id}")
        settle(page)
        choose(page, "#staff_id", "陈志远")
        page.select_option("#role", label="成员")
        page.click("#term_from")  # typed as a user types it: the date picker keeps what it parsed
        page.keyboard.type((local_now().date() - timedelta(days=30)).isoformat())
        page.keyboard.press("Enter")
        submit(page, page.get_by_role("button", name="保存"))
        expect(flash(page)).to_be_visible()
        page.goto("/rulingbodyview/list/")
        settle(page)
        with page.expect_navigation():
            page.locator("table tr", has_text=COMMITTEE).locator("a[href*='/rulingbodyview/show/']").first.click()
        settle(page)
        page.get_by_role("link", name="责任认定小组成员").click()
        roster = page.locator(".tab-pane.active")
        expect(roster).to_contain_text("陈志远")
        expect(roster).to_contain_text("赵丽华")
        shoot(page, "41-committee-roster")

    def test_02_office_registers_accepts_and_answers(self, login):
        page = login("demo_discipline")
        page.goto("/complaints/add")
        settle(page)
        page.select_option("#channel", label="客户直接电话")
        page.fill("#received_at", (local_now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
        page.fill("#complainant_name", "宋立")
        page.fill("#complainant_phone", "13905790456")
        page.select_option("#branch_id", label="城关信用社南街分社")
        choose(page, "#respondent_staff_id", "杨雪")
        page.select_option("#category", label="服务态度")
        page.fill("#facts", "客户反映柜员杨雪办理转账时态度生硬,未解释手续费标准。")
        submit(page, page.get_by_role("button", name="保存"))
        self.story["id"] = case_id(page)
        accept_at_branch_level(page)
        reply(page, "电话回复", "已向客户致歉并解释手续费标准,客户表示理解。")

    def test_03_a_member_records_the_ruling_choosing_who_sat(self, login):
        page = self.open_case(login("demo_committee"))
        form = open_transition(page, "rule")
        form.locator("#rule-result").select_option(label="责任投诉")
        form.locator('input[name="category"][value="18.2"]').check()
        form.locator('input[name="verified"]').check()
        form.locator("#rule-staff_ids").select_option(label="杨雪 (CG0202)")
        form.locator("#rule-basis").fill("柜员杨雪服务态度生硬,未履行告知义务,经核实属实。")
        form.get_by_label("赵丽华(组长)").check()
        confirm(page, form)
        form = page.locator("#form-rule")
        errors = field_errors(form, "members")
        expect(errors.first).to_contain_text("未达法定人数")
        expect(form.get_by_label("赵丽华(组长)")).to_be_checked()  # what was ticked is kept
        expect(form.locator("#rule-basis")).to_have_value(re.compile("服务态度生硬"))
        shoot(page, "42-ruling-not-a-quorum")
        form.get_by_label("孙明(副组长)").check()
        form.get_by_label("陈志远(成员)").check()
        confirm(page, form)
        expect(flash(page)).to_have_text(re.compile("责任认定:已完成。"))
        ruling = page.locator("table.rulings tr").nth(1)
        expect(ruling).to_contain_text("赵丽华(组长)、孙明(副组长)、陈志远(成员)")
        shoot(page, "43-ruling-who-sat")
        page.goto(f"/complaints/print_ruling/{self.story['id']}")
        settle(page)
        expect(page.locator("body")).to_contain_text("赵丽华(组长)、孙明(副组长)、陈志远(成员)")

    def test_04_the_clerk_finds_her_ruling_and_asks_for_a_re_ruling(self, login):
        page = login("demo_counter")
        page.goto("/rulings/list/")
        settle(page)
        with page.expect_navigation():
            page.get_by_role("link", name="我的责任认定").click()
        settle(page)
        row = page.locator("tr", has=page.locator(f"a[href$='/complaints/show/{self.story['id']}']"))
        expect(row).to_contain_text("责任投诉")
        expect(row).to_contain_text("赵丽华(组长)")
        shoot(page, "44-rulings-list")
        page = self.open_case(page)
        form = open_transition(page, "request_reruling")
        form.locator("#request_reruling-reason").fill("当日客户情绪激动,本人已按规定解释手续费,申请重新认定。")
        confirm(page, form)
        expect(flash(page)).to_have_text(re.compile("申请重新认定:已完成。"))

    def test_05_the_higher_body_decides(self, login):
        page = self.open_case(login("demo_reruling"))
        form = open_transition(page, "decide_reruling")
        form.locator("#decide_reruling-result").select_option(label="非责任投诉")
        form.locator('input[name="category"][value="19.4"]').check()
        form.locator("#decide_reruling-basis").fill("经复核,柜员已按规定解释,系客户误会所致,改为非责任投诉。")
        form.get_by_label("周建国(组长)").check()
        confirm(page, form)
        confirm_summary(page)
        expect(flash(page)).to_have_text(re.compile("重新认定:已完成。"))
        rows = page.locator("table.rulings tr")
        expect(rows.nth(2)).to_contain_text("周建国(组长)")
        expect(page.locator(".panel", has_text="有效认定结果").locator(".label-success")).to_have_text("最终")
        shoot(page, "45-reruling-decided")
