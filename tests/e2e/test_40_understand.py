"""Understanding a case and the assessment in the browser, each by the role that does it.

临柜人员 registers a complaint and prints the 受理登记表 for the customer to sign → 纪检监察室 accepts
→ the clerk hands it to the branch head, who asks for more time → 纪检监察室 approves, then reads
the story in 处理记录 (from → to, the deadline old → new) and prints the case record → the branch
head replies by letter, greeting the customer by name → 责任认定小组 reads the reply and its
printout with the name masked → 联社领导 reads the assessment with ranks on a 390 px phone and at
200 % zoom.

Screenshots (as test_90): docs/screenshots/ with ``make screenshots``, else test-artifacts/e2e/screens/.
"""
import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .helpers import (ARTIFACTS, ROOT, CaseStory, accept_at_branch_level, case_id, confirm, field, flash, local_now,
                      open_transition, settle, submit, timeline, working_day_on_or_after)

OUT = Path(os.environ.get("E2E_SCREENSHOT_DIR") or ARTIFACTS / "screens")
if not OUT.is_absolute():
    OUT = ROOT / OUT

COMPLAINANT = "王建国"
MASKED = "王**"
PHONE = "13912340000"
BRANCH = "城关信用社南街分社"
CLERK, HEAD = "杨雪", "马卫东"
DEMO_BRANCHES = ("城关信用社营业部", "城关信用社南街分社", "城关信用社北关分社", "东乡信用社营业部", "东乡信用社桥头分社",
                 "西岭信用社营业部", "西岭信用社石门分社")


A4 = {"width": 794, "height": 1123}  # an A4 page at 96 dpi: how a printout is laid out


def shot(page, name, full_page=True):
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full_page)


def printed(page):
    """The page as the browser prints it: print styles on an A4-wide page."""
    page.set_viewport_size(A4)
    page.emulate_media(media="print")


def story_line(page, event, label):
    """The text beside ``label`` in the last 处理记录 entry of kind ``event``."""
    row = page.locator(f'table.timeline tr[data-event="{event}"]').last
    return row.locator(f'.story-line[data-label="{label}"] .story-text')


def no_page_scroll(page):
    """The page itself never scrolls sideways (a wide table scrolls inside its own box)."""
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"the page is {width} px wide in a {inner} px window"


@pytest.mark.incremental
class TestUnderstand(CaseStory):
    def test_01_counter_registers_and_prints_the_intake_form(self, login):
        page = login("demo_counter")
        page.goto("/complaints/add")
        settle(page)
        received = local_now() - timedelta(hours=1)
        page.select_option("#channel", label="客户直接电话")
        page.fill("#received_at", received.strftime("%Y-%m-%dT%H:%M"))
        page.fill("#complainant_name", COMPLAINANT)
        page.fill("#complainant_phone", PHONE)
        page.fill("#complainant_id_number", "330102197501011231")
        page.fill("#complainant_address", "演示县城关镇人民路8号")
        page.select_option("#branch_id", label=BRANCH)
        page.select_option("#category", label="服务效率")
        page.fill("#facts", f"{COMPLAINANT}称在南街分社排队办理转账等候一个多小时,无人解释。")
        page.fill("#customer_request", "要求网点说明原因并改进。")
        submit(page, page.get_by_role("button", name="保存"))
        expect(flash(page)).to_contain_text("已登记")
        self.story["id"] = case_id(page)
        self.story["number"] = re.search(r"TS\d{8}-\d{4}", flash(page).inner_text()).group(0)

        with page.expect_navigation():
            page.get_by_role("link", name="打印受理登记表").click()
        settle(page)
        expect(page.locator("h1")).to_have_text("客户投诉受理登记表")
        form = page.locator("table.form-table")
        for text in (self.story["number"], COMPLAINANT, PHONE, BRANCH, "服务效率", "要求网点说明原因并改进。"):
            expect(page.locator("body")).to_contain_text(text)
        expect(form).to_contain_text("客户直接电话")
        expect(page.locator("table.signatures")).to_contain_text("投诉人签字")
        expect(page.locator("table.signatures")).to_contain_text("受理人签字")
        expect(page.locator(".print-toolbar")).to_be_visible()
        # On paper: the form alone, no toolbar (no menu: the page has none).
        printed(page)
        expect(page.locator(".print-toolbar")).to_be_hidden()
        assert page.locator(".navbar").count() == 0
        shot(page, "9-counter-intake-form")

    def test_02_discipline_office_accepts(self, login):
        page = self.open_case(login("demo_discipline"))
        accept_at_branch_level(page)
        expect(flash(page)).to_have_text(re.compile("受理:已完成。"))
        self.story["due"] = field(page, "处理时限").inner_text().strip()[:10]
        expect(story_line(page, "accept", "处理时限")).to_have_text(self.story["due"])

    def test_03_clerk_hands_over_and_branch_head_asks_for_more_time(self, login):
        page = self.open_case(login("demo_counter"))
        form = open_transition(page, "transfer")
        form.locator("#transfer-to_unit_id").select_option(label=BRANCH)
        form.locator("#transfer-to_staff_id").select_option(label=f"{HEAD} · {BRANCH}")
        form.locator("#transfer-reason").fill(f"{COMPLAINANT}要求由网点负责人当面说明。")
        confirm(page, form)
        expect(flash(page)).to_have_text(re.compile("转办:已完成。"))

        page = self.open_case(login("demo_branchhead"))
        requested = working_day_on_or_after(date.fromisoformat(self.story["due"]) + timedelta(days=5))
        self.story["requested"] = requested.isoformat()
        informed = local_now() - timedelta(minutes=20)
        self.story["informed"] = informed.strftime("%Y-%m-%d %H:%M")
        form = open_transition(page, "request_extension")
        for name, value in (("reason", "需调取叫号系统记录核实等候时长。"),
                            ("customer_informed_at", informed.strftime("%Y-%m-%dT%H:%M")),
                            ("report", "已书面报告联社纪检监察室。"), ("requested_due_date", self.story["requested"])):
            form.locator(f"#request_extension-{name}").fill(value)
        form.locator("#request_extension-customer_informed_by").select_option(label="电话回复")
        confirm(page, form)
        expect(flash(page)).to_have_text(re.compile("申请延期:已完成。"))

    def test_04_discipline_office_approves_and_reads_the_story(self, login):
        page = self.open_case(login("demo_discipline"))
        form = open_transition(page, "decide_extension")
        form.locator("#decide_extension-approved").select_option(label="批准")
        confirm(page, form)
        expect(flash(page)).to_have_text(re.compile("审批延期:已完成。"))

        # 处理记录 tells who handed the case to whom, and how the deadline moved.
        assert [row[0] for row in timeline(page)] == ["已登记", "已受理", "已转办", "已申请延期", "延期已审批"]
        expect(story_line(page, "transfer", "转出")).to_have_text(f"{BRANCH} · {CLERK}")
        expect(story_line(page, "transfer", "转至")).to_have_text(f"{BRANCH} · {HEAD}")
        expect(story_line(page, "transfer", "原因")).to_have_text(f"{COMPLAINANT}要求由网点负责人当面说明。")
        expect(story_line(page, "request_extension", "申请延至")).to_have_text(self.story["requested"])
        expect(story_line(page, "request_extension", "告知客户时间")).to_have_text(self.story["informed"])
        expect(story_line(page, "request_extension", "告知客户方式")).to_have_text("电话回复")
        expect(story_line(page, "decide_extension", "决定")).to_have_text("已批准")
        expect(story_line(page, "decide_extension", "处理时限")).to_have_text(
            f"{self.story['due']} → {self.story['requested']}")
        page.locator("table.timeline").scroll_into_view_if_needed()
        shot(page, "10-discipline-case-story")

        # The extension report (§13) prints from here.
        with page.expect_navigation():
            page.get_by_role("link", name="打印延期申请报告").click()
        settle(page)
        expect(page.locator("h1")).to_have_text("客户投诉延期处理申请报告")
        expect(page.locator("td.requested")).to_have_text(self.story["requested"])
        expect(page.locator("td.decision")).to_contain_text("已批准")

        # The case record: the case page printed, without menu, buttons or forms.
        page = self.open_case(page)
        printed(page)
        for hidden in (".navbar", ".case-actions", ".case-prints", "form"):
            expect(page.locator(hidden).first).to_be_hidden()
        expect(page.locator("table.timeline")).to_be_visible()
        expect(page.locator("table.complaint-fields")).to_contain_text(COMPLAINANT)
        shot(page, "11-discipline-case-record-print")

    def test_05_branch_head_replies_greeting_the_customer(self, login):
        page = self.open_case(login("demo_branchhead"))
        form = open_transition(page, "reply")
        form.locator("#reply-method").select_option(label="书面回复")
        form.locator("#reply-content").fill(
            f"{COMPLAINANT}先生:您好!经核实,当日午间仅开一个窗口,已调整排班,并已向{COMPLAINANT}先生当面致歉。")
        confirm(page, form)
        expect(flash(page)).to_have_text(re.compile("反馈客户:已完成。"))
        with page.expect_navigation():
            page.get_by_role("link", name="打印书面回复").click()
        settle(page)
        # One greeting, at the head of the letter, in the replier's words.
        expect(page.locator("p.greeting")).to_have_text(f"{COMPLAINANT}先生:您好!")
        assert page.locator("body").inner_text().count("您好") == 1
        expect(page.locator(".content")).to_have_text(re.compile(r"^经核实"))

    def test_06_committee_reads_the_reply_with_the_name_masked(self, login):
        page = self.open_case(login("demo_committee"))
        expect(field(page, "投诉人")).to_have_text(MASKED)
        expect(field(page, "反馈内容")).to_contain_text(f"{MASKED}先生:您好!")
        expect(field(page, "反馈内容")).to_contain_text(f"已向{MASKED}先生当面致歉")
        expect(story_line(page, "transfer", "原因")).to_have_text(f"{MASKED}要求由网点负责人当面说明。")
        assert COMPLAINANT not in page.locator("body").inner_text()
        field(page, "反馈内容").scroll_into_view_if_needed()
        shot(page, "12-committee-reply-masked", full_page=False)
        with page.expect_navigation():
            page.get_by_role("link", name="打印书面回复").click()
        settle(page)
        expect(page.locator("p.greeting")).to_have_text(f"{MASKED}先生:您好!")
        assert COMPLAINANT not in page.locator("body").inner_text()

    def test_07_leadership_reads_the_assessment_with_ranks_on_a_phone(self, login):
        page = login("demo_leader")
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto("/reports/assessment")
        settle(page)
        rows = page.locator("#branch-assessment tbody tr[data-rank]")
        # Every branch of the demo county, ranked (and one the administrator's scenario added, when it
        # ran first); one without complaints has nothing deducted.
        names = set(page.locator("#branch-assessment tbody tr[data-rank] td:nth-child(2)").all_inner_texts())
        assert set(DEMO_BRANCHES) <= names and rows.count() == len(names), names
        ranks = [int(rank) for rank in rows.evaluate_all("rows => rows.map(r => r.dataset.rank)")]
        assert ranks[0] == 1 and ranks == sorted(ranks), ranks
        points = [float(p) for p in page.locator("#branch-assessment tbody tr[data-rank] td.points").all_inner_texts()]
        assert points == sorted(points, reverse=True) and 0.0 in points, points
        no_page_scroll(page)
        box = page.locator("#branch-assessment").locator("xpath=..")
        assert box.evaluate("el => el.classList.contains('table-responsive') && el.scrollWidth > el.clientWidth")
        expect(page.locator("#branch-assessment th").first).to_have_text("名次")
        # Scrolled sideways, rank and branch stay in view beside the figures.
        page.locator("#branch-assessment").scroll_into_view_if_needed()
        box.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
        rank = page.locator("#branch-assessment tbody tr[data-rank] td.rank").first
        assert rank.bounding_box()["x"] >= 0 and rank.is_visible()
        box.evaluate("el => { el.scrollLeft = 0; }")
        shot(page, "13-leader-assessment-390px", full_page=False)

        # 200 % zoom on the 1366 px screen lays the page out 683 CSS px wide.
        page.set_viewport_size({"width": 683, "height": 450})
        page.goto("/reports/assessment")
        settle(page)
        no_page_scroll(page)
        expect(page.locator("#branch-assessment tbody tr[data-rank]").first).to_be_visible()
        page.locator("#branch-assessment").scroll_into_view_if_needed()
        shot(page, "14-leader-assessment-zoom200", full_page=False)
        for width, height in ((683, 450), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            page.goto("/reports/dashboard")
            settle(page)
            no_page_scroll(page)
        page.locator("#branch-table").scroll_into_view_if_needed()
        shot(page, "15-leader-dashboard-390px", full_page=False)
