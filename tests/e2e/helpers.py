"""Page helpers shared by the end-to-end scenarios (no fixtures here: see conftest.py)."""
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"  # failure screenshots and the server log (CI artefacts)

DEMO_PASSWORD = "Demo@12345"
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def local_now() -> datetime:
    """The union's local time (the server's clock), naive, to the minute."""
    return datetime.now(LOCAL_ZONE).replace(tzinfo=None, second=0, microsecond=0)


# --- page helpers ---------------------------------------------------------------------------------

def settle(page):
    page.wait_for_load_state("networkidle")


def submit(page, button):
    """Click a submit button and wait for the next page to load completely."""
    with page.expect_navigation():
        button.click()
    settle(page)


def open_transition(page, name):
    """Unfold the form of transition ``name`` on the case page (a form refused a moment ago, or
    opened from a to-do badge, is open already); returns the form locator."""
    if not page.locator(f"#form-{name}.collapse.in").count():
        page.locator(f'[data-transition="{name}"]').click()
    # Bootstrap's collapse: "collapsing" while it unfolds, "collapse in" when done.
    page.locator(f"#form-{name}.collapse.in").wait_for(state="visible")
    form = page.locator(f"#form-{name} form")
    form.wait_for(state="visible")
    return form


def confirm(page, form):
    submit(page, form.locator("button[type=submit]"))


def reply(page, method, content):
    """Reply to the customer from the case page (反馈客户), by ``method`` (its Chinese label)."""
    form = open_transition(page, "reply")
    form.locator("#reply-method").select_option(label=method)
    form.locator("#reply-content").fill(content)
    confirm(page, form)


def confirm_summary(page):
    """On the summary of a step that cannot be undone, confirm it (the form was sent already)."""
    page.locator(".confirm-summary").wait_for(state="visible")
    submit(page, page.locator("button.confirm-apply"))


def confirm_with_summary(page, form, statuses):
    """Send ``form`` of a step that cannot be undone, check its summary says ``statuses`` ("已反馈 →
    已办结") and confirm it."""
    confirm(page, form)
    expect(page.locator(".confirm-status")).to_contain_text(statuses)
    confirm_summary(page)


def field_errors(form, name):
    """The messages shown beside field ``name`` of ``form`` (a locator)."""
    return form.locator(f'[data-field="{name}"] .field-error')


def form_errors(form):
    """The messages above ``form``'s fields (not tied to one field)."""
    return form.locator(".form-errors")


def flash(page, kind="success"):
    return page.locator(f".alert-{kind}")


def select2(page, select_id, text):
    """Choose ``text`` in FAB's select2 widget for <select id=select_id> the way a user does."""
    page.locator(f"#{select_id} + .select2-container").click()
    search = page.locator(".select2-container--open .select2-search__field")
    if search.count():
        search.fill(text)
    page.locator(".select2-container--open .select2-results__option", has_text=text).first.click()


def timeline(page):
    """The rows of the 处理记录 table: (action, by, status) of each entry."""
    rows = page.locator("table.timeline tr").all()[1:]
    return [tuple(cell.inner_text().strip() for cell in row.locator("td").all()[1:4]) for row in rows]


def working_day_on_or_after(day):
    """The first official working day from ``day`` (Monday–Friday where the year is unknown)."""
    import chinese_calendar

    while True:
        try:
            if chinese_calendar.is_workday(day):
                return day
        except NotImplementedError:
            if day.weekday() < 5:
                return day
        day += timedelta(days=1)


def accept_at_branch_level(page):
    """Accept the open case at branch level with the §4 checklist ticked ((一), (三)–(五))."""
    form = open_transition(page, "accept")
    form.locator("#accept-level").select_option(label="网点权限(10个工作日)")
    for item in ("service_standard", "direct_interest", "clear_respondent", "specific_facts"):
        form.locator(f'input[name="eligibility.{item}"]').check()
    confirm(page, form)


class CaseStory:
    """Ordered browser steps about one case: ``story`` carries what a step passes on (one dict per
    subclass), ``open_case`` opens the case page."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.story = {}

    def open_case(self, page):
        page.goto(f"/complaints/show/{self.story['id']}")
        settle(page)
        return page


def case_id(page):
    match = re.search(r"/complaints/show/(\d+)", page.url)
    assert match, f"not a case page: {page.url}"
    return int(match.group(1))


def status(page):
    """The status label at the top of the case page."""
    return page.locator("span.label.label-primary").first


def field(page, label):
    """The value cell beside the header ``label`` in the case page's field table."""
    return page.locator(
        f"xpath=//table[contains(@class,'complaint-fields')]//th[normalize-space()='{label}']/following-sibling::td[1]"
    )
