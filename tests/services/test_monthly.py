"""Report counts kept per month and branch (reports/monthly.py).

The kept rows must always equal a recount from the cases, whatever changed them, and the
reports must give the same figures from them as counted case by case, for every period shape
(whole months, partial months at either end, no whole month) and unit.
"""
import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models.complaint import Complaint, ComplaintMonth, ComplaintMonthState
from app.models.ruling import Ruling
from app.reports import figures, monthly, statistics
from app.reports.period import parse_period
from app.security import roles as r
from tests import report_data as rd

TODAY = rd.TODAY.date()


def kept():
    """The kept rows as {(month, branch): named figures}, rows without cases left out."""
    db.session.expire_all()
    out = {}
    for row in db.session.execute(select(ComplaintMonth)).scalars():
        figures = monthly.decoded(row)
        if figures["counts"] or figures["fees"] or figures["reply_days"][0] or figures["staff"]:
            out[(row.month, row.branch_id)] = figures
    return out


def recounted():
    """What a rebuild from the cases gives (rolled back afterwards)."""
    with db.session.begin_nested() as savepoint:
        monthly.rebuild()
        rows = kept()
        savepoint.rollback()
    return rows


def assert_months_are_recounts():
    assert kept() == recounted()


def summary(user, args, built=True, monkeypatch=None):
    period = parse_period(user, args, TODAY)
    if not built:
        monkeypatch.setattr(monthly, "is_built", lambda: False)
    try:
        return statistics.summary(user, period, TODAY)
    finally:
        if not built:
            monkeypatch.undo()


@pytest.fixture
def cases(users, factory, org, make_complaint):
    return rd.build(users, factory, org, make_complaint)


def test_every_change_through_the_services_keeps_the_months_equal_to_a_recount(app, cases):
    rows = kept()
    assert rows, "the data set's cases are counted in the kept months"
    assert_months_are_recounts()
    november = {key: value for key, value in rows.items() if key[0] == date(2026, 11, 1)}
    assert sum(row["counts"]["received"] for row in november.values()) == rd.ALL["received"]
    # c2's fee (90) under the effective ruling is kept with its month and branch.
    c2 = cases["c2"]
    assert rows[(date(2026, 11, 1), c2.branch_id)]["fees"] == Decimal("90.00")
    assert sum(row["reply_days"][0] for row in november.values()) == rd.ALL["replied"]
    assert any(row["staff"] for row in november.values())


@pytest.mark.parametrize("args", [
    rd.PERIOD,                                           # one whole month
    {"start": "2026-10-01", "end": "2026-12-31"},       # whole months only
    {"start": "2026-10-20", "end": "2026-11-30"},       # partial month first
    {"start": "2026-11-01", "end": "2026-11-17"},       # partial month last
    {"start": "2026-10-16", "end": "2026-12-15"},       # partial months at both ends
    {"start": "2026-11-03", "end": "2026-11-20"},       # no whole month: counted case by case
])
@pytest.mark.parametrize("role", [r.DISCIPLINE_OFFICE, r.BRANCH_HEAD])
def test_kept_months_and_case_by_case_give_the_same_figures(app, users, cases, monkeypatch, args, role):
    user = users[role]
    assert summary(user, args) == summary(user, args, built=False, monkeypatch=monkeypatch)


def test_whole_months_are_read_from_the_kept_rows(app, users, cases):
    """Proof that the months are what the reports read: a kept row altered behind the
    application's back shows in the figures of a period covering its month."""
    user = users[r.DISCIPLINE_OFFICE]
    month, branch_id = date(2026, 11, 1), cases["c1"].branch_id
    row = db.session.get(ComplaintMonth, (month, branch_id))
    counts = json.loads(row.counts)
    assert figures.COUNT_NAMES[0] == "received"
    counts[0] += 1000
    db.session.execute(update(ComplaintMonth).where(ComplaintMonth.month == month, ComplaintMonth.branch_id == branch_id)
                       .values(counts=json.dumps(counts)))
    db.session.commit()
    assert summary(user, rd.PERIOD)["received"] == rd.ALL["received"] + 1000
    # a period ending inside November counts November case by case
    assert summary(user, {"start": "2026-11-01", "end": "2026-11-29"})["received"] < 1000


def test_unit_filter_reads_the_units_months_only(app, users, cases, org, monkeypatch):
    user = users[r.DISCIPLINE_OFFICE]
    for unit in ("a1", "b1", "coop_a", "union"):
        args = dict(rd.PERIOD, unit_id=org[unit].id)
        assert summary(user, args) == summary(user, args, built=False, monkeypatch=monkeypatch)
    assert summary(user, dict(rd.PERIOD, unit_id=org["a1"].id))["received"] == rd.BRANCH_A1["received"]


def test_assessment_is_the_same_from_the_months(app, users, cases, monkeypatch):
    from app.reports.rules import load_rules

    user = users[r.DISCIPLINE_OFFICE]
    period = parse_period(user, {"start": "2026-10-20", "end": "2026-11-30"}, TODAY)
    kept_figures = statistics.assessment(user, period, TODAY, load_rules())
    monkeypatch.setattr(monthly, "is_built", lambda: False)
    assert kept_figures == statistics.assessment(user, period, TODAY, load_rules())


def test_a_rolled_back_change_leaves_the_months_as_they_were(app, cases):
    before = kept()
    case = db.session.get(Complaint, cases["c6"].id)
    case.category = "fee"
    db.session.flush()
    db.session.rollback()
    assert kept() == before
    assert_months_are_recounts()


def test_a_change_of_branch_recounts_the_old_and_the_new_branch(app, cases, org):
    case = db.session.get(Complaint, cases["c7"].id)
    assert case.branch_id != org["b1"].id
    case.branch_id = org["b1"].id
    db.session.commit()
    assert_months_are_recounts()


def test_a_ruling_changed_alone_recounts_its_case_month(app, cases):
    ruling = db.session.execute(
        select(Ruling).where(Ruling.complaint_id == cases["c2"].id, Ruling.fee_borne.isnot(None))).scalar_one()
    ruling.fee_borne = Decimal("120.50")
    db.session.commit()
    month = (date(2026, 11, 1), cases["c2"].branch_id)
    assert kept()[month]["fees"] == Decimal("120.50")
    # the staff it holds responsible bear the new fee too (split when read)
    assert sum(Decimal(fee) / share for _, _, share, _, fee in kept()[month]["staff"]) == Decimal("120.50")
    assert_months_are_recounts()


def test_an_old_or_missing_version_counts_case_by_case_until_deploy_rebuilds(app, users, cases):
    user = users[r.DISCIPLINE_OFFICE]
    expected = summary(user, rd.PERIOD)
    db.session.execute(update(ComplaintMonthState).values(version="0:older"))
    db.session.execute(update(ComplaintMonth).values(counts="{}"))  # whatever an old version held
    db.session.commit()
    assert not monthly.is_built()
    assert summary(user, rd.PERIOD) == expected  # right, only slower
    assert monthly.ensure_built() > 0
    assert monthly.is_built()
    assert monthly.ensure_built() is None  # nothing to do when current
    assert summary(user, rd.PERIOD) == expected
    assert_months_are_recounts()


def test_deploy_command_rebuilds_a_database_without_months(app, cases):
    db.session.execute(ComplaintMonthState.__table__.delete())
    db.session.execute(ComplaintMonth.__table__.delete())
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["report", "rebuild-months"])
    assert result.exit_code == 0, result.output
    assert "rebuilt" in result.output
    assert monthly.is_built()
    assert_months_are_recounts()


@pytest.mark.parametrize("start, end, expected", [
    (date(2026, 11, 1), date(2026, 11, 30), (date(2026, 11, 1), date(2026, 11, 1))),
    (date(2026, 1, 1), date(2026, 11, 29), (date(2026, 1, 1), date(2026, 10, 1))),
    (date(2026, 1, 2), date(2026, 12, 31), (date(2026, 2, 1), date(2026, 12, 1))),
    (date(2024, 2, 1), date(2024, 2, 29), (date(2024, 2, 1), date(2024, 2, 1))),
    (date(2026, 11, 2), date(2026, 11, 30), None),
    (date(2026, 11, 1), date(2026, 11, 29), None),
    (date(2026, 12, 31), date(2027, 1, 1), None),
])
def test_whole_months_of_a_period(start, end, expected):
    assert monthly.full_months(start, end) == expected


def test_bulk_loaded_cases_are_counted_by_the_generator(app):
    from bench.plugin import seed as bench_seed

    bench_seed.seed(300, seed=5, batch_size=100, now=datetime(2026, 11, 20, 12, 0), import_calendar=False)
    rows = kept()
    assert sum(row["counts"]["received"] for row in rows.values()) == 300
    assert monthly.is_built()
    assert_months_are_recounts()


def test_only_counted_columns_recount_their_month(app, cases, monkeypatch):
    """A reminder's timeline event or an edit of the facts leaves the months alone (``remind``
    touches thousands of cases); a counted column recounts its month."""
    calls = []
    real = monthly.recount
    monkeypatch.setattr(monthly, "recount", lambda session, keys: calls.append(set(keys)) or real(session, keys))
    case = db.session.get(Complaint, cases["c8"].id)
    case.facts = "补充说明。"
    db.session.commit()
    assert calls == []
    case.category = "fee"
    db.session.commit()
    assert calls == [{(date(2026, 11, 1), case.branch_id)}]
    assert_months_are_recounts()
