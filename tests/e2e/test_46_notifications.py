"""Issue 23: the person who must act sees it in the page header — the bell with the unread count,
its menu, 我的通知, opening one (read, then the case), mark all read. Screenshots of the bell and the
list (``make screenshots`` keeps them in docs/screenshots/)."""
import os
import re
from pathlib import Path

from playwright.sync_api import expect

from .helpers import ARTIFACTS, ROOT, settle, submit

OUT = Path(os.environ.get("E2E_SCREENSHOT_DIR") or ARTIFACTS / "screens")
if not OUT.is_absolute():
    OUT = ROOT / OUT


def test_the_clerk_sees_the_case_given_to_it_in_the_header(login):
    """The demo's accepted case is with 杨雪 (demo_counter): the bell counts it, the menu names its
    kind and number, the list shows the branch and the complainant masked; opening it marks it
    read and opens the case; 全部标为已读 empties the bell."""
    page = login("demo_counter")
    page.goto("/todo/")
    settle(page)
    badge = page.locator("#notification-bell .notification-badge")
    expect(badge).to_have_text(re.compile(r"^[1-9]\d*$"))
    page.locator("#notification-bell").click()
    menu = page.locator(".notification-dropdown")
    expect(menu).to_be_visible()
    expect(menu).to_contain_text("案件交办")
    page.mouse.move(600, 600)  # no tooltip over the menu
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / "52-notification-bell.png"))

    with page.expect_navigation():
        menu.get_by_text("全部通知").click()
    settle(page)
    table = page.locator("table.notifications")
    expect(page.locator("body")).to_contain_text("我的通知")
    first = table.locator("tr.notification-unread").first
    expect(first).to_contain_text("案件交办")
    # the complainant's name masked, as in every list: one character and stars
    expect(first.locator("td").nth(4)).to_have_text(re.compile(r"^\S\*+$"))
    page.screenshot(path=str(OUT / "53-notification-list.png"), full_page=True)

    number = first.locator("button").inner_text().strip()
    submit(page, first.locator("button"))
    assert re.search(r"/complaints/show/\d+$", page.url), page.url
    expect(page.locator("body")).to_contain_text(number)

    page.goto("/notifications/")
    settle(page)
    # the page's own button (the bell's menu, closed, has one too)
    read_all = page.locator(".notification-tools form.notification-read-all button")
    if read_all.count():
        submit(page, read_all)
        expect(page.locator(".alert-success")).to_contain_text("标为已读")
    expect(page.locator("#notification-bell .notification-badge")).to_have_count(0)
    expect(page.locator("table.notifications tr.notification-unread")).to_have_count(0)
