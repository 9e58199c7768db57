"""The same caller linked (data/search.py): the case page lists the other cases of its phone
number in the viewer's scope, masked viewers included and never shown the number; the
dashboard's repeat complainants open exactly the cases they count; statements per case page.

The calls are those of tests/web/test_find.py (the caller 138 0013 8000: c1, c2, c3, c4).
"""
import re

import pytest

from app.security import roles as r
from tests.web.test_find import LIST, REPEATS, _count, _grow, calls, logout, shown  # noqa: F401
from tests.web.test_statement_counts import CASE_PAGE_CEILING


# --- the case page: the same caller's other complaints -------------------------------------------

@pytest.mark.parametrize("username, expected", [
    ("discipline", ["c2", "c3", "c4"]), ("branchhead", ["c2", "c4"]), ("counter", ["c2"]),
    ("committee", ["c2", "c3", "c4"]), ("leader", ["c2", "c3", "c4"])])
def test_the_case_page_lists_the_callers_other_cases_in_scope(client, users, login, calls, username, expected):
    login(username)
    html = client.get(f"/complaints/show/{calls['c1'].id}").get_data(as_text=True)
    panel = html[html.index("同一来电号码的其他投诉"):]
    assert shown(panel, {k: v for k, v in calls.items() if k != "c1"}) == expected
    assert "13800138000" not in panel
    if username in ("committee", "leader"):
        assert "13800138000" not in html  # masked viewers: linked, never revealed


def test_a_case_without_a_repeat_costs_no_statement_and_says_so(client, users, login, calls):
    login("discipline")
    html = client.get(f"/complaints/show/{calls['c5'].id}").get_data(as_text=True)
    assert "没有您可查看的同一号码的其他投诉" in html


def test_a_long_list_links_to_all_the_callers_cases(client, users, login, calls, make_complaint):
    from app.data import search

    for _ in range(search.SAME_CALLER_LIMIT):
        make_complaint(users[r.COUNTER_STAFF], complainant_phone="13800138000")
    login("committee")
    html = client.get(f"/complaints/show/{calls['c1'].id}").get_data(as_text=True)
    link = re.search(r'href="([^"]*_flt_0_phone_shared=\d+[^"]*)"', html).group(1).replace("&amp;", "&")
    listing = client.get(link + "&psize_ComplaintView=100").get_data(as_text=True)
    assert shown(listing, calls) == ["c1", "c2", "c3", "c4"]


# --- the dashboard's repeat complainants --------------------------------------------------------

@pytest.mark.parametrize("username, complaints", [("discipline", 4), ("leader", 4), ("branchhead", 3)])
def test_the_repeat_figure_opens_exactly_its_cases(client, users, login, calls, username, complaints):
    login(username)
    html = client.get("/reports/dashboard?start=2026-12-01&end=2026-12-31").get_data(as_text=True)
    card = html[html.index('id="fig-repeat"'):]
    assert re.search(r'class="figure-note">[^<]*?(\d+)', card).group(1) == str(complaints)
    link = re.search(r'class="figure-link" href="([^"]+)"', card).group(1).replace("&amp;", "&")
    listing = client.get(link).get_data(as_text=True)
    expected = {4: ["c1", "c2", "c3", "c4"], 3: ["c1", "c2", "c4"]}[complaints]
    assert shown(listing, calls) == expected
    assert "13800138000" not in listing


def test_repeat_callers_of_another_period_or_unit_are_not_listed(client, users, login, calls, org):
    login("discipline")
    assert shown(client.get(LIST, query_string={REPEATS: "2026-01-01..2026-11-30"}).get_data(as_text=True), calls) == []
    html = client.get(LIST, query_string={REPEATS: f"2026-12-01..2026-12-31@{org['b1'].id}"}).get_data(as_text=True)
    assert shown(html, calls) == []  # one call in B1 only: no repeat there
    html = client.get(LIST, query_string={REPEATS: f"2026-12-01..2026-12-31@{org['coop_a'].id}"}).get_data(as_text=True)
    assert shown(html, calls) == ["c1", "c2", "c4"]
    logout(client)
    login("branchhead")  # a unit outside the scope: nothing
    html = client.get(LIST, query_string={REPEATS: f"2026-12-01..2026-12-31@{org['b1'].id}"}).get_data(as_text=True)
    assert shown(html, calls) == []



@pytest.mark.parametrize("username", ["discipline", "branchhead", "committee", "counter"])
def test_the_case_page_with_the_callers_other_cases_does_not_grow(client, users, login, calls, make_complaint, org,
                                                                  username):
    login(username)
    url = f"/complaints/show/{calls['c1'].id}"
    few = _count(client, url)
    _grow(users, make_complaint, org, 20)
    assert _count(client, url) == few <= CASE_PAGE_CEILING[username]
