"""Issue 23: the header's bell (unread count, latest unread), 我的通知, opening one (read, then the
case — only while the user may still see it), mark all read; one's own only; masked names."""
import re
from datetime import datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.notification import Notification
from app.security import roles as r
from app.services import complaints as svc
from tests.conftest import count_queries, csrf_token

NOW = datetime(2026, 12, 1, 10, 0)


def _assigned_to_counter(users, make_complaint, registered_by=r.COUNTER_STAFF):
    complaint = make_complaint(users[registered_by])
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept",
              {"level": "branch", "handler_id": users[r.COUNTER_STAFF].staff_records[0].id}, now=NOW)
    return complaint


def _badge(html):
    found = re.search(r'class="badge notification-badge"[^>]*>([^<]+)<', html)
    return found.group(1) if found else None


def _note_id(complaint):
    return db.session.execute(select(Notification.id).where(Notification.complaint_id == complaint.id)).scalar_one()


def test_the_bell_counts_unread_and_lists_the_latest(client, users, login, make_complaint):
    first = _assigned_to_counter(users, make_complaint)
    second = _assigned_to_counter(users, make_complaint)
    login("counter")
    html = client.get("/todo/").get_data(as_text=True)
    assert _badge(html) == "2" and "通知:2 条未读" in html
    menu = html[html.index("notification-dropdown"):html.index("全部通知")]
    assert menu.index(second.number) < menu.index(first.number) and "案件交办" in menu
    assert "张" not in menu  # no complainant name in the header
    # another user sees no badge of someone else's notifications
    client.post("/logout/", data={"csrf_token": csrf_token(client, "/todo/")})
    login("branchhead")
    assert _badge(client.get("/todo/").get_data(as_text=True)) is None


def _unread_for(user, complaint, how_many):
    db.session.add_all([Notification(recipient_id=user.id, kind="assigned", complaint_id=complaint.id, created_at=NOW)
                        for _ in range(how_many)])
    db.session.commit()


@pytest.mark.parametrize("unread, badge, said", [
    (99, "99", "通知:99 条未读"),
    (100, "99+", "通知:超过 99 条未读"),
    (250, "99+", "通知:超过 99 条未读"),
])
def test_the_bell_stops_counting_at_the_cap(client, users, login, make_complaint, unread, badge, said):
    """The header's count stops at HEADER_COUNT_CAP (99+): a user with thousands of unread
    reminders pays no more per page; 我的通知 still gives the exact figures."""
    complaint = make_complaint(users[r.COUNTER_STAFF])
    _unread_for(users[r.COUNTER_STAFF], complaint, unread)
    login("counter")
    html = client.get("/todo/").get_data(as_text=True)
    assert _badge(html) == badge and said in html
    assert f"未读 {unread} 条" in client.get("/notifications/").get_data(as_text=True)


def test_the_list_shows_number_kind_branch_and_the_masked_name(client, users, login, make_complaint):
    complaint = _assigned_to_counter(users, make_complaint)
    login("counter")
    html = client.get("/notifications/").get_data(as_text=True)
    assert "我的通知" in html and complaint.number in html and "案件交办" in html and "甲一分社" in html
    assert "张**" in html and "张三丰" not in html and "13812345678" not in html
    assert complaint.due_date.isoformat() in html and "未读" in html


def test_opening_marks_read_and_goes_to_the_case(client, users, login, make_complaint):
    complaint = _assigned_to_counter(users, make_complaint)
    login("counter")
    token = csrf_token(client, "/notifications/")
    response = client.post(f"/notifications/open/{_note_id(complaint)}", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/complaints/show/{complaint.id}")
    db.session.expire_all()
    assert db.session.get(Notification, _note_id(complaint)).read_at is not None
    assert _badge(client.get("/todo/").get_data(as_text=True)) is None


def test_opening_a_case_no_longer_in_scope_says_so(client, users, login, make_complaint, org):
    """Registered by the office, given to the clerk, then transferred away: the clerk no longer
    sees it; the notification opens to a message, not the case."""
    complaint = _assigned_to_counter(users, make_complaint, registered_by=r.DISCIPLINE_OFFICE)
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "transfer", {"to_unit_id": org["office"].id, "reason": "上报联社"},
              now=NOW)
    login("counter")
    html = client.get("/notifications/").get_data(as_text=True)
    assert complaint.number in html and "已不在您的查看范围内" in html and "张*" not in html
    token = csrf_token(client, "/notifications/")
    response = client.post(f"/notifications/open/{_note_id(complaint)}", data={"csrf_token": token},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "已不在您可查看的范围内" in page and "我的通知" in page
    assert client.get(f"/complaints/show/{complaint.id}").status_code == 404


def test_one_cannot_open_anothers_notification_nor_open_by_get(client, users, login, make_complaint):
    complaint = _assigned_to_counter(users, make_complaint)
    login("branchhead")
    token = csrf_token(client, "/notifications/")
    assert client.post(f"/notifications/open/{_note_id(complaint)}", data={"csrf_token": token}).status_code == 404
    assert client.get(f"/notifications/open/{_note_id(complaint)}").status_code == 405
    assert client.post("/notifications/open/999999", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/notifications/open/{_note_id(complaint)}", data={}).status_code == 400  # no CSRF token
    db.session.expire_all()
    assert db.session.get(Notification, _note_id(complaint)).read_at is None


def test_mark_all_read(client, users, login, make_complaint):
    for _ in range(3):
        _assigned_to_counter(users, make_complaint)
    login("counter")
    token = csrf_token(client, "/notifications/")
    html = client.post("/notifications/read-all", data={"csrf_token": token}, follow_redirects=True).get_data(as_text=True)
    assert "已将 3 条通知标为已读" in html and _badge(html) is None
    db.session.expire_all()
    assert all(row.read_at is not None for row in db.session.execute(select(Notification)).scalars())
    assert "只看未读" in client.get("/notifications/").get_data(as_text=True)
    assert "暂无通知" in client.get("/notifications/?unread=1").get_data(as_text=True)


def test_every_role_opens_its_list_and_the_bell_costs_one_statement(client, users, login, make_complaint):
    """Every built-in role holds its own notifications; the header adds one statement to a page."""
    from app.data import notifications as reads

    _assigned_to_counter(users, make_complaint)
    for username in ("admin", "discipline", "committee", "reruling", "branchhead", "counter", "leader"):
        with client.session_transaction() as session:
            session.clear()
        login(username)
        assert client.get("/notifications/").status_code == 200, username
    client.get("/todo/")
    with count_queries() as with_bell:
        client.get("/todo/")
    real = reads.header
    reads.header = lambda user: None
    try:
        with count_queries() as without:
            client.get("/todo/")
    finally:
        reads.header = real
    assert with_bell.count == without.count + 1
