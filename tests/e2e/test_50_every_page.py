"""Every page each role reaches, checked as that role sees it (issue 19, "Must show"):

- axe-core (axe-playwright-python) finds no serious or critical violation of WCAG 2.1 A/AA;
- at 200 % zoom — the 1366 px screen of a branch office laid out 683 CSS px wide — the page never
  scrolls sideways (a wide table scrolls inside its own box) and its menu is still reachable;
- a non-admin role meets no English: no word of Latin letters on the page apart from the few a
  Chinese user reads as such (Excel, the case-number prefix, user names).

The pages are the role's own menu (every link of the navigation bar, so a page added to a menu is
checked the day it is added), its landing page, one case page it can open and the register form
where it may register. Downloads (the Excel export) and the language switch are not pages.
Screenshots at 200 % zoom: ``zoom200-<user>-<n>.png`` in test-artifacts/e2e/screens/.
"""
import re
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe

from .helpers import ARTIFACTS, settle

SCREENS = ARTIFACTS / "screens"
ROLES = ["demo_admin", "demo_counter", "demo_discipline", "demo_branchhead", "demo_committee", "demo_reruling",
         "demo_leader"]
NOT_PAGES = re.compile(r"^/(logout|lang/|api/|swagger|static/)|/export|/download|/attachment")
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "resultTypes": ["violations"]}
BLOCKING = ("serious", "critical")
ZOOM_200 = {"width": 683, "height": 450}  # 1366 × 900 at 200 %
DESKTOP = {"width": 1366, "height": 900}
# Latin words a Chinese user reads as such on these pages.
# (GBK: the national encoding's name, as the ledger import names it.)
LATIN_ALLOWED = re.compile(r"^(Excel|xlsx|PDF|TS\d*|demo_\w+|OK|ID|CSV|GBK|English|\d+px)$", re.I)
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_]{2,}\w*")
# Data written in Latin letters by design, not English: e-mail addresses, unit codes (LS-BGS) and
# the login names the e2e scenarios create (e2e_dongmen).
LATIN_DATA = re.compile(r"\S+@\S+|\b[A-Z0-9]+(?:-[A-Z0-9]+)+\b|\be2e_\w+")

_axe = Axe()


def menu_pages(page) -> list:
    """The paths of the navigation bar's links (menus and their dropdowns), in order."""
    hrefs = page.eval_on_selector_all(".navbar a[href]", "links => links.map(a => a.getAttribute('href'))")
    paths = []
    for href in hrefs:
        path = urlsplit(href).path if href else ""
        if not path.startswith("/") or NOT_PAGES.search(path) or path in paths:
            continue
        paths.append(path + (("?" + urlsplit(href).query) if urlsplit(href).query else ""))
    return paths


def pages_of(page) -> list:
    """Landing page, menu pages, a case page and the register form (where the role has them)."""
    pages = [urlsplit(page.url).path] + menu_pages(page)
    page.goto("/complaints/list/")
    settle(page)
    case = page.locator("table a[href*='/complaints/show/']").first
    if case.count():
        pages.append(urlsplit(case.get_attribute("href")).path)
    if page.locator("a[href$='/complaints/add']").count():
        pages.append("/complaints/add")
    seen = []
    for path in pages:
        if path not in seen:
            seen.append(path)
    return seen


def serious_violations(page) -> list:
    results = _axe.run(page, options=AXE_OPTIONS)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = "; ".join(", ".join(node["target"]) for node in violation["nodes"][:5])
            found.append(f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])} nodes): "
                         f"{violation['help']} — {targets}")
    return found


def english_words(page) -> list:
    text = LATIN_DATA.sub(" ", page.locator("body").inner_text())
    return sorted({word for word in LATIN_WORD.findall(text) if not LATIN_ALLOWED.match(word)})


WIDEST = """() => {
  const inner = window.innerWidth, found = [];
  const clipped = el => {  // inside a box that scrolls or clips sideways: does not widen the page
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(up).overflowX)) return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll('*')) {
    if (clipped(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.right > inner + 1 && !(el.parentElement && el.parentElement.getBoundingClientRect().right > inner + 1)) {
      found.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                 (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
                 ' (' + Math.round(box.right) + ' px)');
    }
  }
  return found.slice(0, 5);
}"""


def sideways_overflow(page):
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width <= inner:
        return None
    return f"{width} px wide in a {inner} px window; outermost too wide: {page.evaluate(WIDEST)}"


@pytest.mark.parametrize("user", ROLES)
def test_every_page_of_the_role_is_accessible_readable_at_200_percent_and_chinese(login, user):
    page = login(user)
    paths = pages_of(page)
    assert len(paths) >= 3, paths
    problems = []
    SCREENS.mkdir(parents=True, exist_ok=True)
    for n, path in enumerate(paths):
        page.set_viewport_size(DESKTOP)
        response = page.goto(path)
        settle(page)
        if response is None or response.status != 200:
            problems.append(f"{path}: answered {response.status if response else 'nothing'}")
            continue
        problems += [f"{path}: axe {v}" for v in serious_violations(page)]
        if user != "demo_admin":
            words = english_words(page)
            if words:
                problems.append(f"{path}: English on the page: {words[:15]}")
        page.set_viewport_size(ZOOM_200)
        settle(page)
        # Let the page's own resize handling (Chart.js follows its box on the next frames) run.
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        overflow = sideways_overflow(page)
        if overflow:
            problems.append(f"{path}: at 200 % zoom the page scrolls sideways ({overflow})")
        toggle = page.locator(".navbar-toggle")
        if not toggle.is_visible() and not page.locator(".navbar-nav").first.is_visible():
            problems.append(f"{path}: at 200 % zoom the menu cannot be reached")
        page.screenshot(path=str(SCREENS / f"zoom200-{user}-{n}.png"))
    assert not problems, f"{user}: {len(paths)} pages checked: {paths}\n" + "\n".join(problems)
