"""The assessment lists every branch — one without complaints with full marks (nothing deducted,
0 points) — and ranks them: 1 for the most points, equal points sharing a rank (1, 1, 3)."""
from datetime import date, datetime

import pytest

from app.reports import statistics
from app.reports.period import parse_period
from app.reports.rules import load_rules
from app.security import roles as r
from app.services import complaints as svc
from tests import report_data as rd
from tests.services.test_reports import TODAY, cases  # noqa: F401 (the report data set as a fixture)


@pytest.fixture
def quiet(factory, org):
    """Two branches without a complaint, and a closed branch without one."""
    return {
        "c1": factory.unit("丙一分社", "branch", org["coop_b"], code="B2"),
        "a3": factory.unit("甲三分社", "branch", org["coop_a"], code="A3"),
        "closed": _closed(factory.unit("已撤并分社", "branch", org["coop_a"], code="A9")),
    }


def _closed(unit):
    from app.extensions import db

    unit.active = False
    db.session.commit()
    return unit


def assess(user, args=None, today=TODAY):
    period = parse_period(user, args or rd.PERIOD, today)
    return statistics.assessment(user, period, today, load_rules())


def test_every_branch_is_assessed_and_one_without_complaints_has_nothing_deducted(app, users, cases, quiet):
    rows = {row["branch"]: row for row in assess(users[r.DISCIPLINE_OFFICE])["branches"]}
    assert set(rows) == {"甲一分社", "甲二分社", "乙一分社", "丙一分社", "甲三分社"}  # not the closed one
    quiet_row = rows["丙一分社"]
    assert quiet_row["points"] == 0.0 and quiet_row["received"] == 0 and quiet_row["responsible"] == 0
    assert quiet_row["responsible_by_category"] == {code: 0 for code in statistics.RESPONSIBLE_CATEGORIES}
    assert {name: row["points"] for name, row in rows.items() if name in rd.ASSESSMENT_BRANCHES} == rd.ASSESSMENT_BRANCHES


def test_equal_points_share_a_rank_and_the_next_rank_skips(app, users, cases, quiet):
    rows = assess(users[r.DISCIPLINE_OFFICE])["branches"]
    # 0 points for 甲二 (a complaint, nothing deducted), 甲三 and 丙一 (none); −2 for 乙一; −7.5 for 甲一.
    assert [(row["rank"], row["branch"], row["points"]) for row in rows] == [
        (1, "甲二分社", 0.0), (1, "甲三分社", 0.0), (1, "丙一分社", 0.0), (4, "乙一分社", -2.0), (5, "甲一分社", -7.5)]


def test_without_any_complaint_every_branch_shares_the_first_rank(app, users, org):
    rows = assess(users[r.DISCIPLINE_OFFICE], {"start": "2025-01-01", "end": "2025-01-31"})["branches"]
    assert [(row["branch"], row["rank"], row["points"]) for row in rows] == [
        ("甲一分社", 1, 0.0), ("甲二分社", 1, 0.0), ("乙一分社", 1, 0.0)]


def test_a_unit_lists_the_branches_below_it_only(app, users, cases, quiet, org):
    rows = assess(users[r.DISCIPLINE_OFFICE], dict(rd.PERIOD, unit_id=org["coop_a"].id))["branches"]
    assert [(row["rank"], row["branch"]) for row in rows] == [(1, "甲二分社"), (1, "甲三分社"), (3, "甲一分社")]


def test_a_unit_that_is_not_a_branch_is_listed_after_the_branches_without_a_rank(app, users, make_complaint, org):
    complaint = make_complaint(users[r.DISCIPLINE_OFFICE], received_at="2026-11-02T09:00:00")
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "union", "handling_unit_id": org["office"].id},
              now=datetime(2026, 11, 2, 10))
    rows = assess(users[r.DISCIPLINE_OFFICE], {"start": "2026-11-01", "end": "2026-11-30"}, today=date(2026, 12, 10))[
        "branches"]
    assert [(row["branch"], row["rank"], row["points"]) for row in rows] == [
        ("甲一分社", 1, 0.0), ("甲二分社", 1, 0.0), ("乙一分社", 1, 0.0), ("纪检监察室", None, -2.0)]
