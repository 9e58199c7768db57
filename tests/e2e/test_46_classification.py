"""JR/T 0169 in the browser (issue 23): the discipline office opens a case of the demo county (its codes
suggested at registration), corrects them on 确认分类 — a code refused first, in Chinese beside its
field — and finds the case counted under the new codes in the quarterly regulatory report, whose
workbook it downloads. Screenshots 46–48 (the case page with its classification, the form, the report)."""
import os
import re
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import expect

from .helpers import ARTIFACTS, ROOT, field_errors, flash, settle, submit

OUT = Path(os.environ.get("E2E_SCREENSHOT_DIR") or ARTIFACTS / "screens")
if not OUT.is_absolute():
    OUT = ROOT / OUT


def _quarter_of(case_received: str) -> str:
    year, month = int(case_received[:4]), int(case_received[5:7])
    return f"{year}-Q{(month - 1) // 3 + 1}"


def test_the_office_corrects_a_classification_and_reports_it(login, tmp_path):
    page = login("demo_discipline")
    page.goto("/complaints/list/?_flt_0_status=processing")
    settle(page)
    with page.expect_navigation():
        page.locator("table a[href*='/complaints/show/']").first.click()
    settle(page)
    cell = page.locator("#classification")
    expect(cell).to_contain_text("业务办理渠道(A):A0101 营业现场")
    expect(cell).to_contain_text("登记时建议,尚未确认")
    received = page.locator(
        "xpath=//table[contains(@class,'complaint-fields')]//th[normalize-space()='受理时间']/following-sibling::td[1]"
    ).inner_text().strip()

    with page.expect_navigation():
        page.locator('[data-transition="classify"]').click()
    settle(page)
    form = page.locator("#classify-form")
    expect(form.locator("#classify-channel_code")).to_have_value("A0101")  # the suggestion, chosen
    form.locator("#classify-channel_code").select_option("A010303")
    form.locator("#classify-business_code").select_option("B03")
    form.locator("#classify-reason_code").select_option("C02")
    # A code offered a moment ago and ended since is refused beside its field, the choices kept.
    page.evaluate("""() => { const o = document.createElement('option'); o.value = 'A0103'; o.text = 'A0103';
                             document.querySelector('#classify-channel_code').add(o); }""")
    form.locator("#classify-channel_code").select_option("A0103")
    submit(page, form.locator("button[type=submit]"))
    form = page.locator("#classify-form")
    expect(field_errors(form, "channel_code")).to_contain_text("A0103 下设细分代码,请选择最细一级的代码。")
    expect(form.locator("#classify-business_code")).to_have_value("B03")
    OUT.mkdir(parents=True, exist_ok=True)
    form.locator("#classify-channel_code").select_option("A010303")
    page.screenshot(path=str(OUT / "47-classify-form.png"), full_page=True)
    submit(page, form.locator("button[type=submit]"))

    expect(flash(page)).to_contain_text("确认分类")
    cell = page.locator("#classification")
    expect(cell).to_contain_text("A010303 移动客户端")
    expect(cell).to_contain_text("B03 银行卡类")
    expect(cell).to_contain_text("分类已确认")
    expect(page.locator('tr[data-event="classify"]')).to_contain_text("A0101 营业现场 → A010303 移动客户端")
    cell.scroll_into_view_if_needed()
    page.screenshot(path=str(OUT / "46-case-classification.png"), full_page=True)

    quarter = _quarter_of(received)
    page.goto(f"/reports/regulatory?quarter={quarter}")
    settle(page)
    expect(page.locator("h2")).to_contain_text("监管季度报表")
    expect(page.locator("body")).not_to_contain_text("系统内部错误")
    row = page.locator('#dimension-A tr[data-code="A010303"]')
    expect(row).to_contain_text("移动客户端")
    assert int(row.locator("td").nth(2).inner_text()) >= 1 and int(row.locator("td").nth(3).inner_text()) >= 1
    expect(page.locator("#cube-table")).to_contain_text("小计")
    expect(page.locator("#regulatory-notes")).to_contain_text("尚未确认")
    page.screenshot(path=str(OUT / "48-quarterly-report.png"), full_page=True)

    with page.expect_download() as download:
        page.locator("#export-button").click()
    path = tmp_path / "report.xlsx"
    download.value.save_as(path)
    assert re.search(rf"{quarter}\.xlsx$", download.value.suggested_filename)
    cube = list(load_workbook(path).worksheets[1].iter_rows(values_only=True))
    assert any(row[0] == "A010303" and row[2] == "B03" and row[4] == "C02" for row in cube)

    # A bad quarter: the message beside the field, nothing else.
    page.goto("/reports/regulatory?quarter=2026-Q9")
    settle(page)
    expect(page.locator("#quarter-error")).to_contain_text("请按“年份-Q季度”填写季度")
