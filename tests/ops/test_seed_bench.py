"""``flask --app run seed-bench --complaints N`` (bench/plugin/seed.py, bench mode only): bulk bench
data that the application itself would have produced — on SQLite and PostgreSQL.

- Counts add up, and a second run adds to the first (ids, numbers and timelines continue).
- Every status of the state machine appears; each case's fields are what its status implies;
  its timeline is a valid walk of the transition table ending in its status.
- Numbers are unique, in the application's format, and a real registration afterwards gets
  the next number of the day (counters bumped) and the next id (PostgreSQL sequences moved).
- Due dates are working days of the calendar, computed as the services compute them.
- Rulings name existing staff of the branch complained about; re-rulings are final.
- The forked generator gives the same data as the in-process one (same seed, same "now").
"""
import random
import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import OrgUnit, Staff
from app.models.complaint import Complaint, ComplaintEvent, NumberCounter
from app.models.ruling import Ruling, RulingStaff
from app.services import complaints as svc
from app.services import totals
from app.services.calendar import load_calendar
from app.domain import calendar as cal
from app.domain import states as s
from app.domain import transitions as t
from bench.plugin import seed as bench_seed

NOW = datetime(2026, 11, 27, 16, 30, 0)
NUMBER = re.compile(r"^TS(\d{8})-(\d{4,})$")
# Which status each step leaves the case in (None: unchanged), besides the transition table.
TARGETS = {tr.name: tr.target for tr in t.TRANSITIONS}
SOURCES = {tr.name: tr.sources for tr in t.TRANSITIONS}


@pytest.fixture
def app(bench_app):
    """``seed-bench`` exists in bench mode only. The appeal and re-ruling bodies are the bench
    county's: the suite's own (the test county's) are superiors of no bench branch, and a decision
    without one gets no appeal."""
    bench_app.config.update(bench_seed.BENCH_COUNTY_BODIES)
    return bench_app


def _run(app, *args):
    result = app.test_cli_runner().invoke(args=["seed-bench", "--now", NOW.isoformat(), *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def _bench_cases():
    return db.session.execute(select(Complaint).where(Complaint.external_ref.like("BENCH-%"))
                              .order_by(Complaint.id)).scalars().all()


def check_consistency(now=NOW):
    """Every invariant a bench case must satisfy; returns the status counts."""
    db.session.expire_all()
    calendar = load_calendar()
    cases = _bench_cases()
    events = defaultdict(list)
    for event in db.session.execute(select(ComplaintEvent).order_by(ComplaintEvent.id)).scalars():
        events[event.complaint_id].append(event)
    rulings = defaultdict(list)
    for ruling in db.session.execute(select(Ruling).order_by(Ruling.id)).scalars():
        rulings[ruling.complaint_id].append(ruling)
    staff_unit = dict(db.session.execute(select(Staff.id, Staff.unit_id)).all())
    units = {u.id: u for u in db.session.execute(select(OrgUnit)).scalars()}
    links = defaultdict(set)
    for link in db.session.execute(select(RulingStaff)).scalars():
        links[link.ruling_id].add(link.staff_id)
        assert link.staff_id in staff_unit
    counters = dict(db.session.execute(select(NumberCounter.day, NumberCounter.last)).all())

    ids = {c.id for c in cases}
    assert set(events) >= ids and not set(events) - set(db.session.execute(select(Complaint.id)).scalars())
    numbers = Counter()
    for c in cases:
        day, seq = NUMBER.match(c.number).groups()
        assert counters[day] >= int(seq), c.number
        numbers[c.number] += 1
        assert c.received_at <= c.created_at <= now and c.number[2:10] == c.created_at.strftime("%Y%m%d")
        assert c.received_at.microsecond == c.created_at.microsecond == 0  # as the services store times
        assert units[c.branch_id].kind == "branch"
        if c.respondent_staff_id is not None:
            assert staff_unit[c.respondent_staff_id] == c.branch_id
            assert c.handler_id != c.respondent_staff_id

        # The timeline: a walk of the transition table from "register" to the current status.
        timeline = events[c.id]
        assert timeline[0].name == "register" and timeline[0].to_status == s.REGISTERED
        assert c.version == len(timeline)
        status = s.REGISTERED
        for previous, event in zip(timeline, timeline[1:]):
            assert previous.at <= event.at <= now and event.at.microsecond == 0
            assert event.from_status == status and status in SOURCES[event.name], (c.number, event.name, status)
            status = TARGETS[event.name] or status
            assert event.to_status == status
        assert status == c.status, c.number
        names = [e.name for e in timeline]

        # Fields as the status implies.
        if c.status in (s.REGISTERED, s.REJECTED):
            assert c.level is None and c.due_date is None and c.replied_at is None and c.eligibility is None
        else:
            assert c.level in s.LEVELS and c.due_date is not None and c.eligibility is not None
            assert calendar.is_workday(c.due_date), (c.number, c.due_date)
            if c.extension_status == s.EXT_APPROVED:
                assert c.due_date == c.extension_requested_due and not c.due_date_provisional
            else:
                expected = cal.handling_deadline(calendar, c.received_at.date(), c.level)
                assert (c.due_date, c.due_date_provisional) == (expected.date, expected.provisional), c.number
            assert c.deadline_days == cal.handling_days(c.level)
            if c.extension_status != s.EXT_NONE:
                assert "request_extension" in names
                assert ("decide_extension" in names) == (c.extension_status != s.EXT_REQUESTED)
        if c.status == s.PROCESSING:
            assert c.replied_at is None and c.closed_at is None
        if c.status in (s.REPLIED, s.APPEALED, s.CLOSED):
            assert c.received_at <= c.replied_at and c.reply_method in s.REPLY_METHODS and c.reply_content
            # §14: the window runs from the reply day, or from the day a letter was received, which
            # the handler records after the reply (record_receipt). The notice is written with the
            # reply: a call's or visit's names the last day, a letter's no date.
            if c.reply_method == "letter":
                assert ("record_receipt" in names) == (c.reply_received_on is not None)
                assert c.reply_received_on is None or c.reply_received_on >= c.replied_at.date()
                start = c.reply_received_on
                assert "收到本答复函之日起15日内" in c.appeal_notice and "含当日" not in c.appeal_notice
            else:
                assert c.reply_received_on is None and "record_receipt" not in names
                start = c.replied_at.date()
                assert c.appeal_due_date.isoformat() in c.appeal_notice and "含当日" in c.appeal_notice
            assert c.appeal_due_date == (cal.appeal_window_end(calendar, start).date if start else None)
            assert c.replied_by_unit_id is not None
        else:
            assert c.appeal_notice is None and c.appeal_due_date is None
        if c.status == s.CLOSED:
            assert c.closed_at is not None and c.closed_at >= c.replied_at
        if c.followed_up_at is not None:
            assert c.status == s.CLOSED and c.followed_up_at >= c.closed_at.date()
            assert c.follow_up_satisfied is not None
        if c.appeal_applied_on is not None:
            assert c.replied_at.date() <= c.appeal_applied_on <= c.appeal_due_date
            assert c.appeal_unit_id not in (None, c.replied_by_unit_id)
            decision_due = cal.appeal_decision_deadline(calendar, c.appeal_applied_on)
            assert (c.appeal_decision_due, c.appeal_decision_due_provisional) == decision_due
            assert (c.appeal_decision is None) == (c.status == s.APPEALED)
        else:
            assert c.status != s.APPEALED and c.appeal_decision is None

        # Rulings (§17–§19).
        case_rulings = rulings.get(c.id, [])
        if c.ruling_result is None:
            assert case_rulings == [] and c.reruling_status == s.RERULING_NONE
            continue
        first = case_rulings[0]
        assert first.kind == "ruling" and first.category in s.RULING_CATEGORIES[first.result]
        assert c.ruled_on == first.ruled_on and c.reruling_deadline is not None
        if first.result == s.RESPONSIBLE:
            assert first.verified and links[first.id]
            assert all(staff_unit[member] == c.branch_id for member in links[first.id])
        else:
            assert not links[first.id]
        if first.fee_borne is not None:
            assert first.category == s.FEE_CATEGORY and first.fee_borne <= c.disputed_fee
        effective = case_rulings[-1]
        assert (c.ruling_result, c.ruling_category) == (effective.result, effective.category)
        assert c.ruling_final == (c.reruling_status == s.RERULING_DECIDED) == (len(case_rulings) == 2)
        if c.reruling_status != s.RERULING_NONE:
            assert first.result == s.RESPONSIBLE and c.reruling_requested_at.date() <= c.reruling_deadline
            assert c.reruling_unit_id is not None
        if len(case_rulings) == 2:
            assert effective.kind == "reruling"
            assert links[effective.id] == (links[first.id] if effective.result == s.RESPONSIBLE else set())
    assert all(count == 1 for count in numbers.values())
    return Counter(c.status for c in cases)


def test_seed_bench_adds_consistent_cases_and_a_second_run_adds_more(app, users):
    output = _run(app, "--complaints", "1500", "--seed", "7", "--batch-size", "600")
    assert "Added 1,500 complaints" in output and "Added the bench organisation" in output
    assert db.session.execute(select(func.count()).select_from(OrgUnit).where(OrgUnit.code.like("BENCH-%"))).scalar() > 60
    statuses = check_consistency()
    assert set(statuses) == set(s.STATUSES), statuses
    assert sum(statuses.values()) == 1500
    assert statuses[s.CLOSED] > 0.8 * 1500
    branches = db.session.execute(select(func.count(func.distinct(Complaint.branch_id)))).scalar()
    assert branches >= 50
    years = {c.received_at.year for c in _bench_cases()}
    assert len(years) >= 10
    assert db.session.execute(select(func.count()).select_from(Ruling).where(Ruling.kind == "reruling")).scalar() > 0
    before_events = db.session.execute(select(func.count()).select_from(ComplaintEvent)).scalar()
    assert 3 * 1500 < before_events < 6 * 1500

    # A second run adds to the first: the organisation is reused, ids and numbers continue.
    output = _run(app, "--complaints", "300", "--seed", "7")
    assert "Added 300 complaints" in output and "Added the bench organisation" not in output
    assert sum(check_consistency().values()) == 1800
    db.session.expire_all()
    assert totals.total() == 1800  # the kept total moved with every batch
    assert db.session.execute(select(func.count()).select_from(ComplaintEvent)).scalar() > before_events

    # A real registration afterwards: the next number of that day and a fresh id.
    busiest = db.session.execute(
        select(NumberCounter.day, NumberCounter.last).order_by(NumberCounter.last.desc(), NumberCounter.day)
    ).first()
    counter_user = app.appbuilder.sm.find_user(username="counter")
    a1 = db.session.execute(select(OrgUnit).where(OrgUnit.code == "A1")).scalar_one()
    at = datetime.strptime(busiest.day, "%Y%m%d").replace(hour=18)
    complaint, created = svc.register(counter_user, {
        "channel": "phone", "complainant_name": "张三", "branch_id": a1.id, "category": "attitude",
        "facts": "柜员态度恶劣。", "received_at": at.isoformat()}, now=at)
    assert created and complaint.number == f"TS{busiest.day}-{busiest.last + 1:04d}"
    assert complaint.id == db.session.execute(select(func.max(Complaint.id))).scalar()
    assert totals.total() == 1801
    event_id = db.session.execute(select(func.max(ComplaintEvent.id)).where(ComplaintEvent.complaint_id == complaint.id)).scalar()
    assert event_id == db.session.execute(select(func.max(ComplaintEvent.id))).scalar()


def test_seed_bench_due_dates_follow_the_calendar_and_open_cases_are_recent(app):
    output = _run(app, "--complaints", "800", "--seed", "3")
    assert "filled it from the chinesecalendar package" in output
    check_consistency()
    calendar = load_calendar()
    cases = _bench_cases()
    # Holidays matter: a case received just before the National Day week is due after it.
    assert any(calendar.overrides.get(day) is False
               for c in cases if c.due_date
               for day in (c.received_at.date() + timedelta(days=k) for k in range(1, (c.due_date - c.received_at.date()).days)))
    old = [c for c in cases if c.received_at < NOW - timedelta(days=400)]
    assert sum(c.status in s.OPEN_STATUSES for c in old) < 0.05 * len(old)
    overdue = [c for c in cases if c.status == s.PROCESSING and c.due_date < NOW.date()]
    on_time = [c for c in cases if c.status == s.PROCESSING and c.due_date >= NOW.date()]
    assert overdue and on_time


def test_parallel_generation_gives_the_same_data(app):
    """The forked generator and the in-process one produce identical rows."""
    bench_seed.seed(400, seed=5, batch_size=100, now=NOW, parallel=True)
    db.session.remove()
    first = [(c.number, c.status, c.received_at, c.facts, c.due_date) for c in _bench_cases()]
    check_consistency()
    # Same inputs again, in process: compare with what the child generated.
    rng = random.Random("bench:5:0")  # seed 5, no complaint before
    org = bench_seed.load_org(rng)
    generator = bench_seed.Generator(org, bench_seed.Deadlines(load_calendar()), NOW, rng,
                                     bench_seed.appeal_notices(org), {}, app.config["RERULING_WINDOW_DAYS"], 0)
    again = []
    for cid in range(1, 401):
        row = generator.complaint(cid)[0]
        again.append((row["number"], row["status"], row["received_at"], row["facts"], row["due_date"]))
    assert again == first


def test_seed_bench_refuses_bad_arguments(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-bench"]).exit_code != 0
    assert runner.invoke(args=["seed-bench", "--complaints", "0"]).exit_code != 0
    assert runner.invoke(args=["seed-bench", "--complaints", "5", "--now", "yesterday"]).exit_code != 0
    with pytest.raises(ValueError):
        bench_seed.seed(-1)
