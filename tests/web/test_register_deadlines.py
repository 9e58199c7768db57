"""The register form says what the deadline will be (§12): for each level, N working days after the
day of receipt by the work calendar — today, or the time of receipt entered — fixed on acceptance;
a date in a year whose calendar is not published is marked provisional and says why."""
import re
from html import unescape

import pytest

from app.services import calendar as calendar_service
from tests.conftest import csrf_token


def note(html):
    found = re.search(r'<p class="help-block field-note" id="received_at-note"[^>]*>(.*?)</p>', html, re.S)
    return unescape(found.group(1)).strip() if found else None


@pytest.fixture
def published(app, users):
    calendar_service.set_year_published(2026, True)
    calendar_service.set_year_published(2027, True)


@pytest.mark.parametrize("username", ["counter", "branchhead", "discipline"])
def test_the_form_says_both_deadlines_from_today(client, login, clock, published, username):
    clock["now"] = clock["now"].replace(month=12, day=1)  # Tuesday 2026-12-01
    login(username)
    html = client.get("/complaints/add").get_data(as_text=True)
    assert note(html) == "预计处理时限:网点权限 2026-12-15,联社权限 2026-12-29,受理后确定。"
    assert 'data-deadlines-url="/complaints/deadlines"' in html


def test_a_provisional_deadline_says_why(client, users, login, clock):
    clock["now"] = clock["now"].replace(month=12, day=1)
    login("counter")
    text = note(client.get("/complaints/add").get_data(as_text=True))
    assert text == ("预计处理时限:网点权限 2026-12-15(临时:2026年工作日历尚未发布,发布后重新计算),"
                    "联社权限 2026-12-29(临时:2026年工作日历尚未发布,发布后重新计算),受理后确定。")


def test_the_time_of_receipt_entered_moves_the_deadlines(client, login, clock, published, org):
    login("counter")
    answer = client.get("/complaints/deadlines?received_at=2026-11-20T15:30")
    assert answer.status_code == 200
    assert answer.get_json() == {"text": "预计处理时限:网点权限 2026-12-04,联社权限 2026-12-18,受理后确定。"}
    # a refused registration keeps the time entered, and its note
    token = csrf_token(client, "/complaints/add")
    html = client.post("/complaints/add", data={"csrf_token": token, "received_at": "2026-11-20T15:30",
                                                "branch_id": str(org["a1"].id)}).get_data(as_text=True)
    assert note(html) == "预计处理时限:网点权限 2026-12-04,联社权限 2026-12-18,受理后确定。"


@pytest.mark.parametrize("value", ["", "garbage", "9999-12-31T23:59", "0001-01-01", "2026-02-30T10:00"])
def test_an_unusable_time_gives_todays_deadlines(client, login, clock, published, value):
    login("counter")
    today = client.get("/complaints/deadlines").get_json()
    answer = client.get(f"/complaints/deadlines?received_at={value}")
    assert answer.status_code == 200 and answer.get_json() == today


@pytest.mark.parametrize("username, status", [("committee", 403), ("leader", 403), ("counter", 200)])
def test_only_those_who_register_ask_for_it(client, users, login, username, status):
    login(username)
    assert client.get("/complaints/deadlines").status_code == status
