"""The search by identity and its record (§16, domain.md §7): the SQL twin of ``sees_identity``
selects exactly the cases whose identity each user sees; numbers are stored in their normal form
on every write path; a search is logged with the cases it found (or none); the same caller's
other cases are read in scope; the repeat marks follow the normal form."""
import pytest
from sqlalchemy import select

from app.data import search
from app.extensions import db
from app.models.audit import PiiAccess
from app.models.complaint import Complaint
from app.security import roles as r
from app.security.masking import identity_clause, may_search_identity, sees_identity
from app.services import complaints as svc
from app.services.pii import log_identity_search
from tests import report_data as rd


@pytest.fixture
def cases(users, factory, org, make_complaint, built_once):
    built = built_once("report data", lambda: rd.build(users, factory, org, make_complaint), factory)
    # a case naming the branch head's own clerk and one transferred up to the union
    clerk = users[r.COUNTER_STAFF].staff_records[0]
    built["named"] = make_complaint(users[r.BRANCH_HEAD], respondent_staff_id=clerk.id)
    up = make_complaint(users[r.COUNTER_STAFF])
    svc.apply(users[r.DISCIPLINE_OFFICE], up.id, "accept", {"level": "branch"}, now=rd.TODAY)
    svc.apply(users[r.DISCIPLINE_OFFICE], up.id, "transfer", {"to_unit_id": org["office"].id, "reason": "转联社"},
              now=rd.TODAY)
    built["up"] = up
    return built


def test_identity_clause_selects_exactly_the_cases_shown_in_full(users, cases):
    everyone = list(users.values()) + [cases["counter2"]]
    every_case = db.session.execute(select(Complaint)).scalars().all()
    assert len(every_case) >= 12
    for user in everyone:
        actor = svc.actor_for(user)
        by_rule = {case.id for case in every_case if sees_identity(actor, case)}
        by_query = set(db.session.execute(select(Complaint.id).where(identity_clause(actor, Complaint))).scalars())
        assert by_query == by_rule, user.username
        if user.username in ("discipline", "branchhead", "counter"):
            assert by_rule  # the comparison is not vacuous for the roles that see identity


def test_only_the_roles_that_handle_cases_may_search_identity(users):
    allowed = {user.username for user in users.values() if may_search_identity(svc.actor_for(user))}
    assert allowed == {"discipline", "branchhead", "counter"}


def test_every_write_path_stores_the_normal_form(users, make_complaint):
    case = make_complaint(users[r.COUNTER_STAFF], complainant_phone="+86 138-0013-8000")
    assert case.complainant_phone == "13800138000"
    svc.edit(users[r.COUNTER_STAFF], case.id, {"version": case.version, "complainant_phone": "138 0013 8000"})
    assert db.session.get(Complaint, case.id).version == case.version  # the same number: no change
    svc.edit(users[r.COUNTER_STAFF], case.id, {"version": case.version, "complainant_phone": "0579-8888 1234"})
    assert db.session.get(Complaint, case.id).complainant_phone == "057988881234"
    db.session.get(Complaint, case.id).complainant_phone = " - "
    db.session.commit()
    assert db.session.get(Complaint, case.id).complainant_phone is None


def test_numbers_typed_otherwise_are_one_repeat_caller(users, make_complaint):
    first = make_complaint(users[r.COUNTER_STAFF], complainant_phone="13800138000")
    assert not db.session.get(Complaint, first.id).phone_shared
    again = make_complaint(users[r.COUNTER_STAFF], complainant_phone="+86 138 0013 8000")
    db.session.expire_all()
    assert db.session.get(Complaint, first.id).phone_shared and db.session.get(Complaint, again.id).phone_shared


def test_a_search_is_logged_per_case_found_or_once_without_one(users, make_complaint):
    case = make_complaint(users[r.COUNTER_STAFF])
    office = users[r.DISCIPLINE_OFFICE]
    assert log_identity_search(office, [case.id, case.id]) == 1
    assert log_identity_search(office, []) == 1
    rows = db.session.query(PiiAccess).order_by(PiiAccess.id).all()
    assert [(row.complaint_id, row.channel, row.username) for row in rows] == [
        (case.id, "search", "discipline"), (None, "search", "discipline")]


def test_same_caller_reads_only_cases_in_scope_newest_first(users, make_complaint, org):
    from datetime import datetime

    clerk, office = users[r.COUNTER_STAFF], users[r.DISCIPLINE_OFFICE]
    first = make_complaint(clerk, complainant_phone="138 0013 8000", now=datetime(2026, 11, 2, 9))
    second = make_complaint(clerk, complainant_phone="13800138000", now=datetime(2026, 11, 3, 9))
    elsewhere = make_complaint(office, branch_id=org["b1"].id, complainant_phone="13800138000")
    lone = make_complaint(clerk, complainant_phone="13900000000")
    db.session.expire_all()
    first = db.session.get(Complaint, first.id)
    assert [o.id for o in search.same_caller(office, first)[0]] == [elsewhere.id, second.id]
    assert [o.id for o in search.same_caller(clerk, first)[0]] == [second.id]
    assert search.same_caller(office, first, limit=1) == (search.same_caller(office, first)[0][:1], True)
    assert search.same_caller(office, db.session.get(Complaint, lone.id)) == ([], False)
