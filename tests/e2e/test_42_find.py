"""A customer calls back: the discipline office finds the earlier case.

纪检监察室 registers the second call of the demo customer of DEMO-004 (the number typed
138-0000-0004), sees the earlier case in 同一来电号码的其他投诉, and finds both cases from the
list's search box by the number typed with spaces, and the earlier one by part of its case
number. 责任认定小组, who sees complainants masked, is offered no search by phone or name: its
box searches case numbers and texts, and the same caller's cases are listed without the number.

Screenshots (``make screenshots``: docs/screenshots/; otherwise test-artifacts/e2e/screens/):
19-discipline-search-by-phone.png and 20-discipline-same-caller.png.
"""
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .helpers import ARTIFACTS, ROOT, case_id, field, flash, local_now, settle, submit

OUT = Path(os.environ.get("E2E_SCREENSHOT_DIR") or ARTIFACTS / "screens")
if not OUT.is_absolute():
    OUT = ROOT / OUT

TYPED_ON_REGISTRATION = "138-0000-0004"  # DEMO-004's customer (13800000004)
TYPED_IN_SEARCH = "138 0000 0004"
BRANCH = "城关信用社南街分社"


def search(page, term):
    page.goto("/complaints/list/")
    settle(page)
    page.fill("#complaint-search", term)
    submit(page, page.locator("form.complaint-search button[type=submit]"))


def listed_numbers(page):
    return re.findall(r"TS\d{8}-\d{4}", page.locator("table.table").last.inner_text())


def shoot(page, name, locator=None):
    OUT.mkdir(parents=True, exist_ok=True)
    if locator is not None:
        locator.scroll_into_view_if_needed()
    page.screenshot(path=str(OUT / f"{name}.png"))


@pytest.mark.incremental
class TestCallBack:
    story = {}

    def test_01_discipline_registers_the_second_call_and_sees_the_first(self, login):
        page = login("demo_discipline")
        page.goto("/complaints/add")
        settle(page)
        page.select_option("#channel", label="客户服务热线")
        page.fill("#received_at", local_now().strftime("%Y-%m-%dT%H:%M"))
        page.fill("#complainant_name", "演示客户4")
        page.fill("#complainant_phone", TYPED_ON_REGISTRATION)
        page.select_option("#branch_id", label=BRANCH)
        page.select_option("#category", label="业务差错")
        page.fill("#facts", "客户再次来电:转账录错一事承诺的利息补偿至今未到账。")
        submit(page, page.get_by_role("button", name="保存"))
        expect(flash(page)).to_contain_text(re.compile(r"投诉 TS\d{8}-\d{4} 已登记"))
        self.story["id"] = case_id(page)
        self.story["number"] = re.search(r"TS\d{8}-\d{4}", flash(page).inner_text()).group(0)
        expect(field(page, "联系电话")).to_have_text("13800000004")  # stored in its normal form

        panel = page.locator(".panel", has_text="同一来电号码的其他投诉")
        rows = panel.locator("table.same-caller tr").all()[1:]
        assert len(rows) == 1, [row.inner_text() for row in rows]
        earlier = rows[0].locator("a").inner_text().strip()
        assert re.fullmatch(r"TS\d{8}-\d{4}", earlier)
        self.story["earlier"] = earlier
        expect(panel).not_to_contain_text("13800000004")
        expect(rows[0]).to_contain_text("已办结")  # DEMO-004 was replied and closed
        shoot(page, "20-discipline-same-caller", panel)

    def test_02_discipline_finds_both_by_the_phone_typed_with_spaces(self, login):
        page = login("demo_discipline")
        search(page, TYPED_IN_SEARCH)
        expect(page.locator("#complaint-search")).to_have_attribute("placeholder", "搜索:案件编号/电话/姓名/内容")
        numbers = listed_numbers(page)
        assert sorted(numbers) == sorted([self.story["number"], self.story["earlier"]]), numbers
        table = page.locator("table.table").last
        expect(table).to_contain_text("138****0004")  # the list identifies the customer, masked
        expect(table).not_to_contain_text("13800000004")
        shoot(page, "19-discipline-search-by-phone")

    def test_03_discipline_finds_the_earlier_case_by_part_of_its_number(self, login):
        page = login("demo_discipline")
        part = self.story["earlier"][6:]  # e.g. 1115-0001: month, day and the day's counter
        search(page, part)
        assert self.story["earlier"] in listed_numbers(page)
        assert all(part in number for number in listed_numbers(page))
        with page.expect_navigation():
            page.locator(f"table.table a[href$='/complaints/show/{self.story['id']}'], "
                         f"table.table tr:has-text('{self.story['earlier']}') a[href*='/complaints/show/']").first.click()
        settle(page)
        expect(page.locator(".panel", has_text="同一来电号码的其他投诉")).to_contain_text(self.story["number"])

    def test_04_the_committee_is_offered_no_identity_search(self, login):
        page = login("demo_committee")
        page.goto("/complaints/list/")
        settle(page)
        expect(page.locator("#complaint-search")).to_have_attribute("placeholder", "搜索:案件编号/内容")
        page.locator("#accordion1 a.accordion-toggle").click()  # FAB's filters, folded under 搜索
        page.locator("#accordion1_href.collapse.in").wait_for(state="visible")
        page.get_by_role("button", name="添加过滤条件").click()
        menu = page.locator("#filter_form .dropdown-menu")
        expect(menu).to_contain_text("投诉编号")
        expect(menu).not_to_contain_text("联系电话")
        expect(menu).not_to_contain_text("投诉人")
        search(page, TYPED_IN_SEARCH)
        assert listed_numbers(page) == []
        # the same caller's cases are still linked on the case page, never the number
        page.goto(f"/complaints/show/{self.story['id']}")
        settle(page)
        panel = page.locator(".panel", has_text="同一来电号码的其他投诉")
        expect(panel).to_contain_text(self.story["earlier"])
        expect(page.locator("body")).not_to_contain_text("13800000004")
        expect(field(page, "联系电话")).to_have_text("138****0004")
