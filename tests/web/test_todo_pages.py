"""Issue 22: 我的待办 at any size. The to-do is read a page at a time from streams in the to-do order
(``data/complaints.py``); the pages together must be exactly the whole to-do — every case some kind
of work brings to the user on which the transition table offers a step, in ``todo_order`` — for
every role, page size and page. The page and the API (``GET /api/v1/complaint/todo``) agree;
bad page numbers answer 400 and change nothing."""
import re
from datetime import date, datetime

import pytest
from sqlalchemy import or_, select

from app.data import complaints as reads
from app.domain import transitions as t
from app.extensions import db
from app.models.complaint import Complaint
from app.security import roles as r
from app.services import complaints as svc
from tests.conftest import present

NOW = datetime(2026, 12, 1, 10, 0)
TODAY = date(2026, 12, 1)


@pytest.fixture
def busy(users, org, make_complaint, built_once):
    """The eighty cases below, built once per test process (``built_once``)."""
    return built_once("busy", lambda: _busy(users, org, make_complaint))


def _busy(users, org, make_complaint):
    """Eighty cases in every state a to-do shows, against 甲一分社 and 乙一分社, received over two
    months (so some are overdue), some union-level, some with an extension requested, replied,
    ruled, closed and followed up or not, appealed."""
    office, counter, head = users[r.DISCIPLINE_OFFICE], users[r.COUNTER_STAFF], users[r.BRANCH_HEAD]
    clerk = counter.staff_records[0]
    made = []
    for n in range(80):
        kind = n % 8
        day = 1 + n % 28
        month = 10 if n % 3 == 0 else 11
        if kind == 2:  # an extension is asked for before the deadline
            day, month = 20 + n % 8, 11
        case = make_complaint(office, received_at=f"2026-{month}-{day:02d}T{9 + n // 60:02d}:{n % 60:02d}:00",
                              branch_id=(org["a1"] if n % 4 else org["b1"]).id, now=datetime(2026, 11, 30, 9, 0))
        made.append(case)
        if kind == 0:
            continue  # registered
        level = {"level": "union"} if kind == 7 else {"level": "branch"}
        if kind != 7 and case.branch_id == org["a1"].id:
            level["handler_id"] = clerk.id
        svc.apply(office, case.id, "accept", level, now=NOW)
        if case.branch_id != org["a1"].id or kind == 7:
            continue  # 乙一分社's and union-level cases wait for their handling
        if kind == 2:
            svc.apply(counter, case.id, "request_extension", {
                "reason": "需调取监控。", "customer_informed_at": "2026-12-01T09:30:00", "customer_informed_by": "phone",
                "report": "延期报告。", "requested_due_date": "2026-12-14"}, now=NOW)
        if kind in (3, 4, 5, 6):
            svc.apply(counter, case.id, "reply", {"method": "phone", "content": "已向客户解释并致歉。"}, now=NOW)
        if kind in (4, 5):
            svc.apply(users[r.COMMITTEE], case.id, "rule", {
                "result": "responsible", "category": "18.2", "verified": True, "staff_ids": [clerk.id],
                "basis": "柜员服务态度生硬,经核实属实。", "members": present(users[r.COMMITTEE])}, now=NOW)
        if kind in (5, 6):
            svc.apply(counter, case.id, "close", {}, now=NOW)
        if kind == 6 and n % 16 == 6:
            svc.apply(head, case.id, "follow_up", {"visited_at": "2026-12-01", "method": "phone", "satisfied": True}, now=NOW)
    return made


def _reference(user):
    """The whole to-do by definition: the cases in scope that some kind of work brings to the user
    (one condition over all of them, no streams, no limits) on which the table offers a step,
    sorted by ``todo_order``."""
    actor = svc.actor_for(user)
    conditions = [work.condition(actor, TODAY) for work in reads._works_of(actor)]
    if not conditions:
        return []
    rows = db.session.execute(svc.scoped_select(user).where(or_(*conditions))).scalars().all()
    kept = [c for c in rows if t.available(c, actor, TODAY)]
    return [c.id for c in sorted(kept, key=lambda c: reads.todo_order(c, TODAY))]


@pytest.mark.parametrize("role", [r.DISCIPLINE_OFFICE, r.BRANCH_HEAD, r.COUNTER_STAFF, r.COMMITTEE])
def test_the_pages_together_are_exactly_the_whole_to_do(app, users, busy, role):
    user = users[role]
    expected = _reference(user)
    assert expected, role
    for page_size in (3, 7, 25):
        seen, page = [], 0
        while True:
            result = reads.todo(user, TODAY, 2, page, page_size)
            assert len(result.items) <= page_size
            seen += [item.complaint.id for item in result.items]
            assert result.has_next == (len(seen) < len(expected)), (role, page_size, page)
            if not result.has_next:
                break
            page += 1
        assert seen == expected, (role, page_size)


def test_the_streams_read_again_deeper_when_the_table_turns_candidates_down(app, users, busy, monkeypatch):
    """Most candidates refused by the transition table: the page is still full and exact."""
    user = users[r.DISCIPLINE_OFFICE]
    real = t.available
    refused = {case.id for n, case in enumerate(busy) if n % 5}
    monkeypatch.setattr(t, "available", lambda c, actor, today: [] if c.id in refused else real(c, actor, today))
    expected = _reference(user)
    result = reads.todo(user, TODAY, 2, 0, 4)
    assert [item.complaint.id for item in result.items] == expected[:4]
    assert result.has_next == (len(expected) > 4)


def _numbers(html):
    return re.findall(r'<a href="/complaints/show/\d+">([^<]+)</a>', html)


def test_the_page_shows_25_cases_and_a_pager_and_the_api_agrees(client, login, api, users, busy):
    login("discipline")
    first = client.get("/todo/").get_data(as_text=True)
    numbers = _numbers(first)
    assert len(numbers) == 25
    assert "下一页" in first and "第 1 页" in first and "上一页" not in first
    second = client.get("/todo/?page=1").get_data(as_text=True)
    assert "上一页" in second and "第 2 页" in second
    assert not set(numbers) & set(_numbers(second))
    by_id = {case.id: case.number for case in busy}
    expected = [by_id[i] for i in _reference(users[r.DISCIPLINE_OFFICE])]
    assert numbers + _numbers(second) == expected[:len(numbers) + len(_numbers(second))]

    headers = api("discipline")
    answer = client.get("/api/v1/complaint/todo?page=0&page_size=25", headers=headers)
    assert answer.status_code == 200
    body = answer.get_json()
    assert [row["complaint"]["number"] for row in body["result"]] == numbers
    assert body["has_next"] is True and body["page"] == 0 and body["page_size"] == 25
    assert all(row["actions"] for row in body["result"])
    assert all("*" in (row["complaint"].get("complainant_phone") or "*") for row in body["result"])  # masked


def test_a_bad_page_answers_400_on_the_page(client, login, users):
    login("discipline")
    for query in ("page=-1", "page=x", "page=40", "page=1.5"):
        assert client.get(f"/todo/?{query}").status_code == 400, query
    assert client.get("/todo/?page=39").status_code == 200  # the deepest page: empty here, says so


def test_a_bad_page_answers_400_in_chinese_in_the_api(client, api, users):
    headers = api("discipline")
    for query, field in (("page=x", "page"), ("page_size=0", "page_size"), ("page_size=101", "page_size"),
                         ("page=39&page_size=26", "page"), ("page=-1", "page")):
        answer = client.get(f"/api/v1/complaint/todo?{query}", headers=headers)
        assert answer.status_code == 400, query
        message = answer.get_json()["message"][field][0]
        assert re.search(r"[\u4e00-\u9fff]", message), message


def test_a_role_without_work_has_an_empty_to_do_and_the_api_needs_a_login(client, api, users):
    answer = client.get("/api/v1/complaint/todo", headers=api("leader"))
    assert answer.status_code in (200, 403)
    if answer.status_code == 200:
        assert answer.get_json()["result"] == []
    assert client.get("/api/v1/complaint/todo").status_code == 401


def test_the_to_do_never_shows_a_case_outside_the_scope(app, users, busy, org):
    head = users[r.BRANCH_HEAD]  # 甲一分社
    ids = [item.complaint.id for page in range(3) for item in reads.todo(head, TODAY, 2, page, 25).items]
    branches = set(db.session.execute(select(Complaint.branch_id, Complaint.handling_unit_id)
                                      .where(Complaint.id.in_(ids))).all())
    assert ids and all(org["b1"].id not in pair for pair in branches)


# The big tables: a to-do statement may search them only through an index (never scan them).
BIG_TABLES = ("complaint", "complaint_event", "ruling", "ruling_staff", "ruling_member", "reminder", "pii_access")


@pytest.mark.parametrize("role", [r.DISCIPLINE_OFFICE, r.BRANCH_HEAD, r.COUNTER_STAFF, r.COMMITTEE])
def test_the_to_do_reads_the_big_tables_only_through_indexes(app, users, busy, role):
    """Issue 22: the page's statements, as SQLite plans them, search the complaint table and its
    neighbours by index (ix_complaint_open_late, ix_complaint_handler_status_due,
    ix_complaint_status_level_due, ix_complaint_followup, the scope's branch and handling-unit
    indexes, …): none is a full scan, so a page costs the same at a million cases."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plan wording checked is SQLite's (EXPLAIN QUERY PLAN)")
    from sqlalchemy import event

    seen = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        page = reads.todo(users[role], TODAY, 3, 0, 25)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert page.items, "the fixture gives every role some work"
    scans = []
    with db.engine.connect() as connection:
        for statement, parameters in seen:
            for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all():
                step = row[-1]
                if re.match(rf"SCAN ({'|'.join(BIG_TABLES)})\b", step):
                    scans.append((step, statement[:200]))
    assert not scans, scans
