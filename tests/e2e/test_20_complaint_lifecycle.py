"""One complaint's life in the browser, each step by the role that does it (issue 10).

临柜人员 registers a phone complaint about a fee → 纪检监察室 accepts it (§4 checklist) →
网点负责人 transfers it to himself and asks for an extension → 纪检监察室 approves → 网点负责人
replies by letter and prints the reply → 责任认定小组 rules §18(四) against the counter clerk (sees
the complainant masked) → the clerk asks for a re-ruling → 上一级责任认定部门 decides (final) →
纪检监察室 records the customer's appeal and decides it → 联社领导 opens the dashboard and downloads
the Excel workbook.

The steps are ordered (class ``incremental``): a failed step skips the ones after it.
"""
import re
from datetime import date, timedelta
from io import BytesIO

import pytest
from playwright.sync_api import expect

from .helpers import (case_id, confirm, confirm_summary, confirm_with_summary, field, field_errors, flash,
                      local_now, open_transition, reply, settle, status, submit, timeline, working_day_on_or_after)

COMPLAINANT = "张伟"
PHONE = "13812345678"
ID_NUMBER = "330102199001011234"
ADDRESS = "演示县城关镇人民路1号3幢"
BRANCH = "城关信用社南街分社"
FACTS = "客户来电称:在南街分社办理跨行转账时被多收手续费50元,柜员未作解释。"


def choose_article(form, value, article):
    """Tick the radio button of a §18/§19 category and check its Chinese label."""
    radio = f'input[name="category"][value="{value}"]'
    form.locator(radio).check()
    expect(form.locator("label", has=form.page.locator(radio))).to_contain_text(article)


@pytest.mark.incremental
class TestComplaintLifecycle:
    story = {}

    def open_case(self, page):
        page.goto(f"/complaints/show/{self.story['id']}")
        settle(page)
        expect(page.locator(".panel-title, .panel-heading").first).to_contain_text(self.story["number"])
        return page

    def test_01_counter_registers_phone_complaint(self, login):
        page = login("demo_counter")
        # 投诉管理 → 登记投诉, through the menu as a user does.
        page.locator(".navbar a.dropdown-toggle", has_text="投诉管理").click()
        with page.expect_navigation():
            page.locator(".navbar .dropdown-menu a", has_text="登记投诉").click()
        settle(page)
        expect(page.locator(".panel-heading").first).to_contain_text("登记投诉")
        expect(page.locator("label[for=channel]")).to_contain_text("投诉渠道")

        received = local_now() - timedelta(hours=2)
        self.story["received"] = received
        page.select_option("#channel", label="客户直接电话")
        page.fill("#received_at", received.strftime("%Y-%m-%dT%H:%M"))
        page.fill("#complainant_name", COMPLAINANT)
        page.fill("#complainant_phone", PHONE)
        page.fill("#complainant_id_number", ID_NUMBER)
        page.fill("#complainant_address", ADDRESS)
        page.select_option("#branch_id", label=BRANCH)
        page.select_option("#category", label="服务收费")
        page.fill("#disputed_fee", "50.00")
        page.fill("#facts", FACTS)
        page.fill("#customer_request", "退还多收的手续费50元。")
        submit(page, page.get_by_role("button", name="保存"))

        expect(flash(page)).to_contain_text(re.compile(r"投诉 TS\d{8}-\d{4} 已登记"))
        self.story["id"] = case_id(page)
        self.story["number"] = re.search(r"TS\d{8}-\d{4}", flash(page).inner_text()).group(0)
        expect(status(page)).to_have_text("已登记")
        expect(field(page, "投诉渠道")).to_have_text("客户直接电话")
        expect(field(page, "受理时间")).to_have_text(received.strftime("%Y-%m-%d %H:%M"))
        expect(field(page, "投诉人")).to_have_text(COMPLAINANT)  # the registering handler sees it in full
        expect(field(page, "联系电话")).to_have_text(PHONE)
        expect(field(page, "被投诉网点")).to_have_text(BRANCH)
        expect(field(page, "投诉类别")).to_have_text("服务收费")
        expect(field(page, "争议费用(元)")).to_have_text("50.00")
        expect(field(page, "承办人")).to_have_text("杨雪")
        assert [row[0] for row in timeline(page)] == ["已登记"]
        expect(page.locator("table.timeline")).to_contain_text("杨雪")

    def test_02_discipline_office_accepts_with_checklist(self, login):
        page = self.open_case(login("demo_discipline"))
        expect(field(page, "投诉人")).to_have_text(COMPLAINANT)
        expect(field(page, "身份证号")).to_have_text(ID_NUMBER)

        # Without the §4 checklist the acceptance is refused, in Chinese, beside the checklist; the form
        # stays open with the level kept, and nothing changes.
        form = open_transition(page, "accept")
        expect(form).to_contain_text("第四条受理条件")
        form.locator("#accept-level").select_option(label="网点权限(10个工作日)")
        confirm(page, form)
        form = open_transition(page, "accept")
        expect(field_errors(form, "eligibility")).to_have_text("该投诉不符合第四条受理条件,请作不予受理处理。")
        expect(form.locator("#accept-level")).to_have_value("branch")
        expect(status(page)).to_have_text("已登记")

        for item in ("fee_dispute", "direct_interest", "clear_respondent", "specific_facts"):
            form.locator(f'input[name="eligibility.{item}"]').check()
        form.locator("#accept-note").fill("资费争议,事实具体,予以受理。")
        confirm(page, form)

        expect(flash(page)).to_have_text(re.compile("受理:已完成。"))
        expect(status(page)).to_have_text("处理中")
        expect(page.locator("span.label-default").first).to_have_text("网点权限(10个工作日)")
        expect(field(page, "承办单位")).to_have_text(BRANCH)
        expect(field(page, "承办人")).to_have_text("杨雪")
        due = field(page, "处理时限").inner_text().strip()
        assert re.match(r"\d{4}-\d{2}-\d{2}", due), due
        self.story["due"] = due[:10]
        last = timeline(page)[-1]
        assert last[0] == "已受理" and last[1].startswith("李秀英") and last[2] == "已登记 → 处理中", last

    def test_03_branch_head_transfers_and_requests_extension(self, login):
        page = self.open_case(login("demo_branchhead"))
        expect(field(page, "投诉人")).to_have_text(COMPLAINANT)  # head of the handling branch

        form = open_transition(page, "transfer")
        form.locator("#transfer-to_unit_id").select_option(label=BRANCH)
        form.locator("#transfer-to_staff_id").select_option(label=f"马卫东 · {BRANCH}")
        form.locator("#transfer-reason").fill("涉及手续费差错,由网点负责人亲自承办。")
        confirm(page, form)
        expect(flash(page)).to_have_text(re.compile("转办:已完成。"))
        expect(field(page, "承办人")).to_have_text("马卫东")
        assert timeline(page)[-1][0] == "已转办"

        informed = max(local_now() - timedelta(minutes=30), self.story["received"])
        # §13: a working day after the deadline, at most 10 working days beyond it.
        requested = working_day_on_or_after(date.fromisoformat(self.story["due"]) + timedelta(days=7))
        self.story["requested_due"] = requested.isoformat()
        form = open_transition(page, "request_extension")
        expect(form).to_contain_text("告知客户时间")
        form.locator("#request_extension-reason").fill("需调取转账系统日志并与上级清算中心核对。")
        form.locator("#request_extension-customer_informed_at").fill(informed.strftime("%Y-%m-%dT%H:%M"))
        form.locator("#request_extension-customer_informed_by").select_option(label="电话回复")
        form.locator("#request_extension-report").fill("已书面报告联社纪检监察室,申请延长处理时限。")
        form.locator("#request_extension-requested_due_date").fill(self.story["requested_due"])
        confirm(page, form)
        expect(flash(page)).to_have_text(re.compile("申请延期:已完成。"))
        expect(page.locator("span.label-info")).to_have_text("延期: 已申请")
        assert timeline(page)[-1][0] == "已申请延期"
        # The reply waits for the decision: no second request while one is pending.
        expect(page.locator('[data-transition="request_extension"]')).to_have_count(0)

    def test_04_discipline_office_approves_extension(self, login):
        # From 我的待办: the badge opens the decision's form, with the request beside it.
        page = login("demo_discipline")
        page.goto("/todo/")
        settle(page)
        row = page.locator("table.todo tr", has_text=self.story["number"])
        with page.expect_navigation():
            row.locator('a.todo-action[data-transition="decide_extension"]').click()
        settle(page)
        assert case_id(page) == self.story["id"]
        form = page.locator("#form-decide_extension.collapse.in form")
        form.wait_for(state="visible")
        facts = page.locator('#form-decide_extension dl[data-facts="decide_extension"]')
        for text in (self.story["requested_due"], "需调取转账系统日志并与上级清算中心核对。",
                     "已书面报告联社纪检监察室,申请延长处理时限。", "电话回复"):
            expect(facts).to_contain_text(text)
        form.locator("#decide_extension-approved").select_option(label="批准")
        form.locator("#decide_extension-note").fill("情况属实,同意延期。")
        confirm(page, form)
        expect(flash(page)).to_have_text(re.compile("审批延期:已完成。"))
        expect(page.locator("span.label-info")).to_have_text("延期: 已批准")
        expect(field(page, "处理时限")).to_contain_text(self.story["requested_due"])
        assert timeline(page)[-1][0] == "延期已审批"

    def test_05_branch_head_replies_by_letter_and_prints(self, login):
        page = self.open_case(login("demo_branchhead"))
        reply(page, "书面回复", "经核实,系柜员操作失误多收手续费50元,已全额退还并向您致歉。")
        expect(flash(page)).to_have_text(re.compile("反馈客户:已完成。"))
        expect(status(page)).to_have_text("已反馈")
        expect(field(page, "反馈时间")).to_contain_text("书面回复")
        expect(field(page, "反馈时间")).to_contain_text("作出处理决定的单位: 城关信用社南街分社")
        # §14: a letter's 15 days run from the day the customer receives it.
        expect(field(page, "复议申请截止")).to_contain_text("待记录客户签收日期后确定")
        expect(field(page, "反馈内容")).to_contain_text("已全额退还")
        last = timeline(page)[-1]
        assert last[0] == "已反馈客户" and last[2] == "处理中 → 已反馈", last

        with page.expect_navigation():
            page.get_by_role("link", name="打印书面回复").click()
        settle(page)
        assert re.search(rf"/complaints/print_reply/{self.story['id']}$", page.url), page.url
        expect(page.locator("h1")).to_have_text("客户投诉书面答复")
        expect(page.locator("body")).to_contain_text(f"投诉编号:{self.story['number']}")
        expect(page.locator("body")).to_contain_text(f"{COMPLAINANT}:")
        expect(page.locator("body")).to_contain_text(f"对{BRANCH}的投诉我们已收悉")
        expect(page.locator(".content")).to_contain_text("已全额退还")
        expect(page.locator(".notice")).to_contain_text("自收到本答复函之日起15日内")
        expect(page.locator(".notice")).to_contain_text("联社纪检监察室")

        # The receipt comes back signed: the branch head records the day, and the window is known.
        self.open_case(page)
        form = open_transition(page, "record_receipt")
        form.locator("#record_receipt-customer_received_on").fill(local_now().date().isoformat())
        confirm(page, form)
        expect(flash(page)).to_have_text(re.compile("记录客户签收:已完成。"))
        appeal_due = field(page, "复议申请截止").inner_text().strip()
        assert re.match(r"\d{4}-\d{2}-\d{2} \(含当日\)", appeal_due), appeal_due
        expect(field(page, "复议申请截止")).to_contain_text(f"客户签收日期: {local_now().date().isoformat()}")
        assert timeline(page)[-1][0] == "已记录客户签收"

    def test_06_committee_rules_fee_dispute_and_sees_identity_masked(self, login):
        page = self.open_case(login("demo_committee"))
        expect(field(page, "投诉人")).to_have_text("张*")
        expect(field(page, "联系电话")).to_have_text("138****5678")
        expect(field(page, "身份证号")).to_have_text("3301**********1234")
        expect(field(page, "地址")).to_have_text(re.compile(r"^演示县城关镇"))
        body = page.locator("body").inner_text()
        for secret in (COMPLAINANT, PHONE, ID_NUMBER, ADDRESS):
            assert secret not in body, f"{secret} shown to the committee"

        form = open_transition(page, "rule")
        form.locator("#rule-result").select_option(label="责任投诉")
        choose_article(form, "18.4", "第十八条(四)")
        form.locator('input[name="verified"]').check()
        expect(form.locator("label", has=page.locator('input[name="verified"]'))).to_contain_text("经核实情况属实")
        form.locator("#rule-staff_ids").select_option(label="杨雪 (CG0202)")
        form.locator("#rule-fee_borne").fill("30.00")
        form.locator("#rule-basis").fill("柜员杨雪操作错误导致多收手续费,经核实属实。")
        # Who sat, from the committee's roster (issue 21): the recorder (the chair) and the deputy.
        form.get_by_label("赵丽华(组长)").check()
        form.get_by_label("孙明(副组长)").check()
        confirm(page, form)
        expect(flash(page)).to_have_text(re.compile("责任认定:已完成。"))
        ruling = page.locator("table.rulings tr").nth(1)
        expect(ruling).to_contain_text("责任投诉")
        expect(ruling).to_contain_text("第十八条(四)")
        expect(ruling).to_contain_text("杨雪")
        expect(ruling).to_contain_text("30.00")
        expect(ruling).to_contain_text("赵丽华(组长)、孙明(副组长)")
        expect(page.get_by_text(re.compile(r"可在\d{4}-\d{2}-\d{2}前申请重新认定"))).to_be_visible()
        assert timeline(page)[-1][0] == "已作出责任认定"

    def test_07_ruled_counter_clerk_requests_reruling(self, login):
        page = self.open_case(login("demo_counter"))
        # No longer the handler: the clerk held responsible sees the complainant masked.
        expect(field(page, "投诉人")).to_have_text("张*")
        form = open_transition(page, "request_reruling")
        form.locator("#request_reruling-reason").fill("手续费系系统自动扣收,并非本人操作错误,申请重新认定。")
        confirm(page, form)
        expect(flash(page)).to_have_text(re.compile("申请重新认定:已完成。"))
        expect(page.locator(".panel", has_text="有效认定结果")).to_contain_text("重新认定: 已申请")
        assert timeline(page)[-1][0] == "已申请重新认定"

    def test_08_higher_body_decides_reruling(self, login):
        page = login("demo_reruling")
        page.goto("/queues/rerulings")
        settle(page)
        expect(page.locator("body")).to_contain_text(self.story["number"])
        page = self.open_case(page)
        expect(field(page, "投诉人")).to_have_text("张*")
        form = open_transition(page, "decide_reruling")
        form.locator("#decide_reruling-result").select_option(label="责任投诉")
        choose_article(form, "18.4", "第十八条(四)")
        form.locator("#decide_reruling-fee_borne").fill("20.00")
        form.locator("#decide_reruling-basis").fill("系统参数设置与柜员操作共同所致,减轻责任人承担资费。")
        form.get_by_label("周建国(组长)").check()
        confirm(page, form)
        # Final (§17): summed up and confirmed before it is written.
        expect(page.locator(".confirm-summary")).to_contain_text("20.00")
        expect(page.locator(".confirm-warning")).to_contain_text("此操作不可撤销。")
        confirm_summary(page)
        expect(flash(page)).to_have_text(re.compile("重新认定:已完成。"))
        panel = page.locator(".panel", has_text="有效认定结果")
        expect(panel.locator(".label-success")).to_have_text("最终")
        expect(panel).to_contain_text("已决定(最终)")
        rows = panel.locator("table.rulings tr")
        expect(rows).to_have_count(3)
        expect(rows.nth(2)).to_contain_text("重新认定")
        expect(rows.nth(2)).to_contain_text("20.00")
        assert timeline(page)[-1][0] == "已重新认定(最终)"

    def test_09_discipline_office_records_and_decides_appeal(self, login):
        page = self.open_case(login("demo_discipline"))
        form = open_transition(page, "appeal")
        form.locator("#appeal-applied_at").fill(local_now().date().isoformat())
        form.locator("#appeal-content").fill("客户要求赔偿往返交通费用。")
        confirm(page, form)
        expect(flash(page)).to_have_text(re.compile("登记复议申请:已完成。"))
        expect(status(page)).to_have_text("复议中")
        # The appeal panel (处理记录 names the date of the application too).
        appeal = page.locator(".panel", has=page.locator("td.appeal-decision-due"))
        expect(appeal).to_contain_text("联社纪检监察室")
        expect(appeal).to_contain_text("客户要求赔偿往返交通费用。")
        last = timeline(page)[-1]
        assert last[0] == "已登记复议申请" and last[2] == "已反馈 → 复议中", last

        form = open_transition(page, "decide_appeal")
        form.locator("#decide_appeal-decision").select_option(label="维持原决定")
        form.locator("#decide_appeal-content").fill("已退还多收费用,交通费用不予赔偿,维持原处理决定。")
        confirm_with_summary(page, form, "复议中 → 已反馈")
        expect(flash(page)).to_have_text(re.compile("作出复议决定:已完成。"))
        expect(status(page)).to_have_text("已反馈")
        expect(page.locator(".panel", has=page.locator("td.appeal-decision-due"))).to_contain_text("维持原决定")
        last = timeline(page)[-1]
        assert last[0] == "已作出复议决定" and last[2] == "复议中 → 已反馈", last
        # The whole story, in order, in 处理记录.
        assert [row[0] for row in timeline(page)] == [
            "已登记", "已受理", "已转办", "已申请延期", "延期已审批", "已反馈客户", "已记录客户签收", "已作出责任认定",
            "已申请重新认定", "已重新认定(最终)", "已登记复议申请", "已作出复议决定",
        ]

    def test_10_leadership_dashboard_and_excel_export(self, login, live_server):
        page = login("demo_leader")
        if page.locator("#dashboard").count() == 0:
            response = page.request.get(f"{live_server}/reports/dashboard")
            if response.status == 404:
                pytest.skip("no dashboard yet: /reports/dashboard does not exist (issue 7)")
            page.goto("/reports/dashboard")
            settle(page)
        expect(page.locator("#dashboard")).to_be_visible()
        heading = page.locator("#dashboard h2").inner_text()
        assert re.search(r"[\u4e00-\u9fff]", heading), f"dashboard heading not in Chinese: {heading!r}"
        expect(page.locator("#fig-received .figure-value")).to_have_text(re.compile(r"^\d+$"))
        assert int(page.locator("#fig-received .figure-value").inner_text()) >= 1
        expect(page.locator("#fig-appeals .figure-value")).to_have_text(re.compile(r"^[1-9]\d*$"))

        export = page.locator("#export-button")
        if export.count() == 0:
            pytest.skip("the dashboard has no Excel export button for Leadership yet (issue 7)")
        with page.expect_download() as info:
            export.click()
        download = info.value
        assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
        from openpyxl import load_workbook

        workbook = load_workbook(BytesIO(open(download.path(), "rb").read()), read_only=True)
        assert workbook.sheetnames, "empty workbook"
        cells = [str(value) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
                 for value in row if value is not None]
        assert self.story["number"] in cells or any(self.story["number"] in value for value in cells)
        assert COMPLAINANT not in " ".join(cells) and PHONE not in " ".join(cells)

        # Leadership reads the case, masked, with nothing to do on it.
        page = self.open_case(page)
        expect(field(page, "投诉人")).to_have_text("张*")
        expect(page.get_by_text("当前没有您可办理的事项。")).to_be_visible()
