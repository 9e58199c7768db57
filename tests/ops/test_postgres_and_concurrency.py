"""Concurrency and backend differences (SQLite file in WAL mode, or PostgreSQL).

Twenty parallel HTTP requests against a live server on loopback (one thread per request,
each with its own session and connection): exactly one transition wins and the others get
409 with one timeline event; concurrent registrations get distinct consecutive numbers
(including the first registration of the day, which creates the counter row); a repeated
external reference creates one complaint however many clients send it at once.
Input that PostgreSQL refuses where SQLite stores or ignores it (an amount beyond
NUMERIC(12, 2), an id beyond INTEGER) is answered 400/404 on both, never 500.
"""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.complaint import Complaint, ComplaintEvent, NumberCounter
from app import clock
from app.services import totals
from tests.conftest import PASSWORD
from tests.ops.conftest import parallel
from tests.services.test_monthly import assert_months_are_recounts

CLIENTS = 20
BODY = {
    "channel": "phone",
    "complainant_name": "王五",
    "complainant_phone": "13912345678",
    "category": "attitude",
    "facts": "柜员拒绝办理业务。",
}


def _register(live_server, token, org, **extra):
    status, body = live_server.request("POST", "/api/v1/complaint/", dict(BODY, branch_id=org["a1"].id, **extra), token)
    assert status == 201, body
    return body["id"]


def test_wal_mode_and_busy_timeout_on_sqlite_files(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


@pytest.mark.slow
def test_twenty_parallel_transitions_on_one_case_one_wins(app, users, org, live_server):
    office = live_server.token("discipline", PASSWORD)
    head = live_server.token("branchhead", PASSWORD)
    counter = live_server.token("counter", PASSWORD)
    case_id = _register(live_server, counter, org)

    # No "version" in the bodies: the database's compare-and-set alone must decide.
    tokens = [office if i % 2 else head for i in range(CLIENTS)]
    results = parallel(CLIENTS, lambda i: live_server.request(
        "POST", f"/api/v1/complaint/{case_id}/transitions/accept", {"level": "branch"}, tokens[i]))

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [409] * (CLIENTS - 1), [(s, b) for s, b in results if s not in (200, 409)]
    for status, body in results:
        if status == 409:
            assert isinstance(body, dict) and body.get("message"), body
    db.session.expire_all()
    complaint = db.session.get(Complaint, case_id)
    assert complaint.status == "processing" and complaint.version == 2
    names = db.session.execute(
        select(ComplaintEvent.name).where(ComplaintEvent.complaint_id == case_id).order_by(ComplaintEvent.id)
    ).scalars().all()
    assert names == ["register", "accept"]


@pytest.mark.slow
def test_twenty_parallel_edits_with_the_same_version_one_wins(app, users, org, live_server):
    counter = live_server.token("counter", PASSWORD)
    case_id = _register(live_server, counter, org)

    results = parallel(CLIENTS, lambda i: live_server.request(
        "PUT", f"/api/v1/complaint/{case_id}", {"version": 1, "facts": f"补充说明第{i}版。"}, counter))

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [409] * (CLIENTS - 1), results
    db.session.expire_all()
    assert db.session.get(Complaint, case_id).version == 2
    edits = db.session.execute(
        select(func.count()).select_from(ComplaintEvent)
        .where(ComplaintEvent.complaint_id == case_id, ComplaintEvent.name == "edit")
    ).scalar()
    assert edits == 1


@pytest.mark.slow
def test_twenty_parallel_registrations_get_distinct_consecutive_numbers(app, users, org, live_server):
    tokens = [live_server.token(name, PASSWORD) for name in ("counter", "branchhead", "discipline")]
    day = clock.now().strftime("%Y%m%d")
    assert db.session.get(NumberCounter, day) is None  # the burst includes the first of the day
    branch_id = org["a1"].id

    results = parallel(CLIENTS, lambda i: live_server.request(
        "POST", "/api/v1/complaint/", dict(BODY, branch_id=branch_id, facts=f"第{i}位客户投诉。"), tokens[i % 3]))

    assert [status for status, _ in results] == [201] * CLIENTS, results
    numbers = sorted(body["result"]["number"] for _, body in results)
    assert numbers == [f"TS{day}-{n:04d}" for n in range(1, CLIENTS + 1)]
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Complaint)).scalar() == CLIENTS
    assert totals.total() == CLIENTS  # the kept total moved with every commit, none lost
    assert_months_are_recounts()  # and so did the kept report month, one writer at a time
    # all twenty came from one number: every case is marked as sharing it (reports/repeats.py)
    assert db.session.execute(select(func.count()).select_from(Complaint)
                              .where(Complaint.phone_shared.is_(True))).scalar() == CLIENTS
    assert db.session.get(NumberCounter, day).last == CLIENTS
    registered = db.session.execute(
        select(func.count()).select_from(ComplaintEvent).where(ComplaintEvent.name == "register")
    ).scalar()
    assert registered == CLIENTS


@pytest.mark.slow
def test_twenty_parallel_registrations_with_one_external_ref_create_one(app, users, org, live_server):
    counter = live_server.token("counter", PASSWORD)
    body = dict(BODY, branch_id=org["a1"].id, external_ref="HOTLINE-2026-0001")

    results = parallel(CLIENTS, lambda i: live_server.request("POST", "/api/v1/complaint/", body, counter))

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * (CLIENTS - 1) + [201], results
    assert len({body["id"] for _, body in results}) == 1
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Complaint)).scalar() == 1
    assert totals.total() == 1  # the losers' additions were rolled back with their cases
    day = clock.now().strftime("%Y%m%d")
    assert db.session.get(NumberCounter, day).last == 1  # the losers' numbers were rolled back


# --- input PostgreSQL refuses and SQLite would take ------------------------------------------

@pytest.mark.parametrize("extra, field", [
    ({"disputed_fee": "10000000000.00"}, "disputed_fee"),
    ({"branch_id": 2**31}, "branch_id"),
    ({"branch_id": 10**20}, "branch_id"),
    ({"respondent_staff_id": 2**31}, "respondent_staff_id"),
])
def test_out_of_range_values_are_400_on_every_database(client, users, api, org, extra, field):
    body = dict(BODY, branch_id=org["a1"].id)
    body.update(extra)
    response = client.post("/api/v1/complaint/", headers=api("counter"), json=body)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert field in response.get_json()["message"]
    assert db.session.execute(select(func.count()).select_from(Complaint)).scalar() == 0


def test_out_of_range_complaint_ids_are_404_on_every_database(client, users, api):
    office = api("discipline")
    for pk in (2**31, 2**40):
        assert client.get(f"/api/v1/complaint/{pk}", headers=office).status_code == 404
        response = client.post(f"/api/v1/complaint/{pk}/transitions/accept", headers=office, json={"level": "branch"})
        assert response.status_code == 404


def test_two_writers_giving_cases_one_number_both_mark_them(app, users, org, make_complaint):
    """Two transactions give two cases (of different branches and months) the same new number
    at once: the second waits for the first's lock on that number, then sees its case, so both
    cases are marked as sharing it (reports/repeats.py). Without the lock each would count only
    its own case and neither would be marked."""
    import threading

    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has one writer at a time")
    from app.models.complaint import Complaint

    first = make_complaint(users["DisciplineOffice"], branch_id=org["a1"].id, complainant_phone="13000000001",
                           received_at="2026-10-05T09:00:00").id
    second = make_complaint(users["DisciplineOffice"], branch_id=org["b1"].id, complainant_phone="13000000002",
                            received_at="2026-11-05T09:00:00").id
    db.session.remove()
    paused, go = threading.Event(), threading.Event()

    def pause(session):  # registered after the application's own listeners: runs after its mark
        if session.info.get("pause"):
            paused.set()
            go.wait(10)

    def commit_in_app(session):
        """A thread of the application commits in its context (the identity's cipher is the app's)."""
        def run():
            with app.app_context():
                session.commit()
        return run

    event.listen(Session, "before_commit", pause)
    writer_a, writer_b = Session(db.engine), Session(db.engine)
    try:
        writer_a.info["pause"] = True
        writer_a.get(Complaint, first).complainant_phone = "13999999999"
        thread_a = threading.Thread(target=commit_in_app(writer_a))
        thread_a.start()
        assert paused.wait(10)  # A counted its own case only, and holds the number's lock
        writer_b.get(Complaint, second).complainant_phone = "13999999999"
        thread_b = threading.Thread(target=commit_in_app(writer_b))
        thread_b.start()
        thread_b.join(1.0)
        assert thread_b.is_alive()  # B waits for A
        go.set()
        thread_a.join(10)
        thread_b.join(10)
    finally:
        go.set()
        event.remove(Session, "before_commit", pause)
        writer_a.close()
        writer_b.close()
    marked = db.session.execute(select(Complaint.id).where(Complaint.phone_shared.is_(True))).scalars().all()
    assert sorted(marked) == sorted([first, second])
