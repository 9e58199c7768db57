"""The cases sharing a phone number (reports/repeats.py, issue 9).

The repeat complainants of a period are grouped from the marked cases alone, so the mark must
cover every case whose number another case holds, whatever changed it; the figures must equal
a grouping of every case of the period.
"""
from datetime import datetime

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models.complaint import Complaint
from app.reports import figures, repeats, statistics
from app.reports.period import parse_period
from app.security import roles as r
from tests import report_data as rd

TODAY = rd.TODAY.date()


def marked():
    db.session.expire_all()
    return {cid for cid, in db.session.execute(select(Complaint.id).where(Complaint.phone_shared.is_(True)))}


def truly_shared():
    """Every case whose number another case holds, counted from all cases (by the number's blind
    index: the numbers themselves are stored encrypted, issue 24)."""
    shared = (select(Complaint.phone_index).where(Complaint.phone_index.isnot(None))
              .group_by(Complaint.phone_index).having(func.count() > 1))
    return {cid for cid, in db.session.execute(select(Complaint.id).where(Complaint.phone_index.in_(shared)))}


def grouped_from_every_case(user, args):
    """The repeat complainants of the period, grouped from every case (no mark)."""
    period = parse_period(user, args, TODAY)
    phone = Complaint.phone_index
    groups = (select(phone, func.count().label("n")).where(*figures.base_conditions(user, period), phone.isnot(None))
              .group_by(phone).having(func.count() > 1).subquery())
    people, complaints = db.session.execute(
        select(func.count(), func.coalesce(func.sum(groups.c.n), 0)).select_from(groups)).one()
    return {"complainants": people, "complaints": complaints}


def reported(user, args):
    return statistics.summary(user, parse_period(user, args, TODAY), TODAY)["repeat_complainants"]


@pytest.fixture
def cases(users, factory, org, make_complaint, built_once):
    return built_once("report data", lambda: rd.build(users, factory, org, make_complaint), factory)


def test_phone_numbers_are_stored_trimmed_and_empty_is_none(app, users, make_complaint):
    case = make_complaint(users[r.COUNTER_STAFF], complainant_phone="  13900001111 ")
    assert case.complainant_phone == "13900001111"
    case.complainant_phone = "   "
    db.session.commit()
    assert db.session.get(Complaint, case.id).complainant_phone is None


def test_registering_and_changing_numbers_keeps_every_shared_case_marked(app, users, cases, make_complaint):
    assert marked() == truly_shared() != set()
    assert {cases[key].id for key in ("c1", "c2", "c5")} <= marked()

    # a new case with a number used once before marks both
    lone = db.session.get(Complaint, cases["c3"].id).complainant_phone
    assert cases["c3"].id not in marked()
    again = make_complaint(users[r.COUNTER_STAFF], complainant_phone=f" {lone}")
    assert {cases["c3"].id, again.id} <= marked() == truly_shared()

    # a number changed to one another case holds marks both
    target = db.session.get(Complaint, cases["c8"].id)
    target.complainant_phone = db.session.get(Complaint, cases["c1"].id).complainant_phone
    db.session.commit()
    assert truly_shared() <= marked()
    assert cases["c8"].id in marked()

    # a number corrected away stays marked (a superset), and the figures stay exact
    target = db.session.get(Complaint, cases["c8"].id)
    target.complainant_phone = "13700000000"
    db.session.commit()
    assert truly_shared() < marked()


@pytest.mark.parametrize("role", [r.DISCIPLINE_OFFICE, r.BRANCH_HEAD, r.COUNTER_STAFF])
@pytest.mark.parametrize("args", [rd.PERIOD, {"start": "2026-11-01", "end": "2026-11-10"}])
def test_repeat_complainants_equal_a_grouping_of_every_case(app, users, cases, make_complaint, role, args):
    # a stale mark on a case whose number no longer repeats changes nothing
    db.session.execute(update(Complaint).where(Complaint.id == cases["c4"].id).values(phone_shared=True))
    db.session.commit()
    user = users[role]
    assert reported(user, args) == grouped_from_every_case(user, args)
    if role == r.DISCIPLINE_OFFICE and args == rd.PERIOD:
        assert reported(user, args) == rd.ALL["repeat_complainants"]


def test_marks_lost_are_found_again_by_mark_all(app, users, cases):
    """Writes that bypass the session (bulk loads) call ``mark_all``; it finds every shared case."""
    db.session.execute(update(Complaint).values(phone_shared=False))
    db.session.commit()
    assert marked() == set()
    assert repeats.mark_all(db.session) == len(truly_shared())
    db.session.commit()
    assert marked() == truly_shared()
    user = users[r.DISCIPLINE_OFFICE]
    assert reported(user, rd.PERIOD) == grouped_from_every_case(user, rd.PERIOD)
