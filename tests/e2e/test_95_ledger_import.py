"""The discipline office imports the complaint ledger kept before the system (issue 23) in the browser:
the errors example is refused with every bad row named, the example ledger's columns are mapped,
previewed and imported, and an imported case tells where it came from.

Runs after the screenshots of the main pages (file name): its 21 cases are not in theirs. Its own
screenshots (``make screenshots`` → docs/screenshots/): the mapping page, the preview with errors,
the result.
"""
import os
from pathlib import Path

from playwright.sync_api import expect

from .helpers import ARTIFACTS, ROOT, settle, submit

OUT = Path(os.environ.get("E2E_SCREENSHOT_DIR") or ARTIFACTS / "screens")
if not OUT.is_absolute():
    OUT = ROOT / OUT
DOCS = ROOT / "docs"


def _upload(page, name):
    page.goto("/ledger/")
    settle(page)
    page.set_input_files("#file", str(DOCS / name))
    submit(page, page.locator("#ledger-upload button[type=submit]"))


def _quarter_total(page, quarter):
    """The number of complaints of ``quarter`` in the quarterly regulatory report (dimension A's total)."""
    page.goto(f"/reports/regulatory?quarter={quarter}")
    settle(page)
    expect(page.locator("body")).not_to_contain_text("系统内部错误")
    return int(page.locator('#dimension-A tr[data-code="total"] .num').inner_text())


def test_discipline_office_imports_the_example_ledger(login):
    page = login("demo_discipline")
    OUT.mkdir(parents=True, exist_ok=True)
    # The report of the first quarter of 2025 before the import (the ledger has four cases in it).
    before = _quarter_total(page, "2025-Q1")
    page.locator(".navbar a.dropdown-toggle", has_text="投诉管理").click()
    with page.expect_navigation():
        page.locator(".navbar .dropdown-menu a", has_text="导入投诉台账").click()
    settle(page)
    expect(page.locator("h1, .panel-title").first).to_contain_text("导入投诉台账")

    # A ledger with mistakes: nothing is imported, every bad row is named.
    _upload(page, "ledger-example-errors.csv")
    submit(page, page.locator("#ledger-mapping button[type=submit]"))
    errors = page.locator("#ledger-errors")
    expect(errors).to_contain_text("共 14 行中有 12 行不能导入,整份台账未写入任何数据")
    expect(errors).to_contain_text("第 6 行“被投诉网点”:组织机构中没有网点“城南分社”")
    expect(page.locator("#ledger-confirm button.btn-primary")).to_have_count(0)
    page.screenshot(path=str(OUT / "49-ledger-preview-errors.png"), full_page=True)

    # The example ledger: its columns mapped by their headers.
    _upload(page, "ledger-example.xlsx")
    expect(page.locator("#ledger-columns")).to_contain_text("身份证号")
    expect(page.locator("#map-1")).to_have_value("received_at")
    page.screenshot(path=str(OUT / "50-ledger-mapping.png"), full_page=True)
    submit(page, page.locator("#ledger-mapping button[type=submit]"))
    expect(page.locator("#ledger-ready")).to_contain_text("将新建投诉 21 件")
    submit(page, page.locator("#ledger-confirm button.btn-primary"))
    expect(page.locator("#ledger-done")).to_contain_text("新建投诉 21 件")
    page.screenshot(path=str(OUT / "51-ledger-imported.png"), full_page=True)

    # An imported case: its timeline ends with the import, row and file named.
    with page.expect_navigation():
        page.locator("#ledger-preview a", has_text="TS20250106-0001").click()
    settle(page)
    expect(page.locator("body")).to_contain_text("导入自投诉登记台账 ledger-example.xlsx,工作表“2025-2026年”第 3 行")
    expect(page.locator("body")).not_to_contain_text("系统内部错误")

    # The quarterly regulatory report counts the imported cases under the codes registration suggested
    # (营业现场; unconfirmed until a handler confirms them).
    assert _quarter_total(page, "2025-Q1") == before + 4
    expect(page.locator("#regulatory-notes")).to_contain_text("尚未确认")
    expect(page.locator('#dimension-A tr[data-code="A0101"]')).to_contain_text("营业现场")
    page.screenshot(path=str(OUT / "56-ledger-quarterly-report.png"), full_page=True)
