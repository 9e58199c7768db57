"""Each role's main page renders in Chinese, without errors; a screenshot of it is kept.

``make screenshots`` writes them to docs/screenshots/ (committed, referenced from the README);
a plain ``make e2e`` writes them to test-artifacts/e2e/screens/ so the run changes no tracked file.
Runs last (file name), so the pages show the cases the other scenarios created.
"""
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .helpers import ARTIFACTS, ROOT, open_transition, settle

OUT = Path(os.environ.get("E2E_SCREENSHOT_DIR") or ARTIFACTS / "screens")
if not OUT.is_absolute():
    OUT = ROOT / OUT

# (file, user, path, text the page must show)
MAIN_PAGES = [
    ("1-admin-org-units", "demo_admin", "/orgunitview/list/", "演示县农村信用合作联社"),
    ("2-counter-todo", "demo_counter", "/todo/", "我的待办"),
    ("3-discipline-dashboard", "demo_discipline", "/", "李秀英"),
    ("4-branchhead-todo", "demo_branchhead", "/todo/", "我的待办"),
    ("5-committee-rulings-queue", "demo_committee", "/queues/rulings", "待责任认定"),
    ("6-reruling-cases", "demo_reruling", "/complaints/list/", "记录数目"),
    ("7-leader-dashboard", "demo_leader", "/", "陈志远"),
]


@pytest.mark.parametrize("name, user, path, text", MAIN_PAGES, ids=[p[0] for p in MAIN_PAGES])
def test_main_page_of_each_role(login, name, user, path, text):
    page = login(user)
    page.goto(path)
    settle(page)
    expect(page.locator("body")).to_contain_text(text)
    expect(page.locator(".navbar")).to_contain_text("客户投诉管理系统")
    expect(page.locator("body")).not_to_contain_text("系统内部错误")
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"))


def test_case_page_as_committee_is_masked(login):
    """The committee's view of a case: complainant masked, the ruling form on the right."""
    page = login("demo_committee")
    page.goto("/queues/rulings")
    settle(page)
    with page.expect_navigation():
        page.locator("table a[href*='/complaints/show/']").first.click()
    settle(page)
    complainant = page.locator(
        "xpath=//table[contains(@class,'complaint-fields')]//th[normalize-space()='投诉人']/following-sibling::td[1]")
    expect(complainant).to_have_text(re.compile(r"^\S\*+$"))
    open_transition(page, "rule")
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / "8-committee-case-masked.png"))
