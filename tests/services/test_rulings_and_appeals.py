"""Rulings, re-rulings and appeals against a real database (issue 5 "Must show")."""
from datetime import datetime
from decimal import Decimal

import pytest

from app.errors import Conflict, PermissionDenied, ValidationFailed
from app.extensions import db
from app.models.complaint import ComplaintEvent
from app.models.ruling import Ruling
from app.security import roles as r
from app.services import complaints as svc
from app.domain import states as s
from tests.conftest import present

NOW = datetime(2026, 12, 1, 10, 0)


@pytest.fixture
def clerk_staff(users):
    return users[r.COUNTER_STAFF].staff_records[0]


@pytest.fixture
def replied(users, make_complaint):
    complaint = make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T09:00:00", category="fee",
                               disputed_fee="50.00")
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch"}, now=NOW)
    svc.apply(users[r.COUNTER_STAFF], complaint.id, "reply", {"method": "letter", "content": "已退还费用。",
                                                              "customer_received_on": "2026-12-01"}, now=NOW)
    return complaint


def rule(users, complaint, **body):
    data = {"result": "responsible", "category": "18.4", "verified": True,
            "staff_ids": [users[r.COUNTER_STAFF].staff_records[0].id], "fee_borne": "50.00",
            "basis": "柜员操作错误多收费用,经核实属实。", "members": present(users[r.COMMITTEE])}
    data.update(body)
    return svc.apply(users[r.COMMITTEE], complaint.id, "rule", data, now=NOW)


def names(complaint):
    return [e.name for e in db.session.query(ComplaintEvent).filter_by(complaint_id=complaint.id).order_by(ComplaintEvent.id)]


# --- ruling ----------------------------------------------------------------------------------

def test_committee_records_a_fee_ruling(app, users, replied, clerk_staff):
    rule(users, replied)
    assert replied.ruling_result == "responsible" and replied.ruling_category == "18.4"
    ruling = db.session.query(Ruling).filter_by(complaint_id=replied.id).one()
    assert ruling.fee_borne == Decimal("50.00") and [m.id for m in ruling.staff] == [clerk_staff.id]
    assert replied.reruling_deadline.isoformat() == "2026-12-16"


@pytest.mark.parametrize("body, field", [
    ({"category": "19.1"}, "category"),
    ({"result": "not_responsible", "category": "18.2", "staff_ids": [], "fee_borne": None}, "category"),
    ({"verified": False}, "verified"),
    ({"fee_borne": "80.00"}, "fee_borne"),
    ({"category": "18.2", "fee_borne": "10.00"}, "fee_borne"),
    ({"staff_ids": []}, "staff_ids"),
    ({"result": "not_responsible", "category": "19.4", "fee_borne": None}, "staff_ids"),
    ({"basis": ""}, "basis"),
])
def test_inconsistent_rulings_are_refused(app, users, replied, body, field):
    with pytest.raises(ValidationFailed) as error:
        rule(users, replied, **body)
    assert field in str(error.value.payload())
    assert db.session.query(Ruling).count() == 0 and replied.ruling_result is None


def test_responsible_staff_must_come_from_the_branch(app, users, replied, factory, org):
    outsider = factory.user(r.COUNTER_STAFF, "outsider", org["b1"], "counter_staff").staff_records[0]
    with pytest.raises(ValidationFailed):
        rule(users, replied, staff_ids=[outsider.id])


def test_only_the_committee_rules(app, users, replied):
    for role in (r.DISCIPLINE_OFFICE, r.BRANCH_HEAD, r.LEADERSHIP):
        with pytest.raises(PermissionDenied):
            svc.apply(users[role], replied.id, "rule", {"result": "not_responsible", "category": "19.1",
                                                        "verified": True, "basis": "x", "members": present(users[r.COMMITTEE])}, now=NOW)


def test_one_ruling_per_case(app, users, replied):
    rule(users, replied)
    with pytest.raises(Conflict):
        rule(users, replied, result="not_responsible", category="19.1", staff_ids=[], fee_borne=None)


def test_not_responsible_ruling(app, users, replied):
    rule(users, replied, result="not_responsible", category="19.2", staff_ids=[], fee_borne=None, verified=False)
    assert replied.ruling_result == "not_responsible"


# --- re-ruling -------------------------------------------------------------------------------

def test_reruling_flow_is_final_and_keeps_the_original(app, users, replied):
    rule(users, replied)
    assert "request_reruling" in [t.name for t in svc.available_transitions(users[r.COUNTER_STAFF], replied, NOW.date())]
    svc.apply(users[r.COUNTER_STAFF], replied.id, "request_reruling", {"reason": "系统故障导致,非本人失误。"}, now=NOW)
    assert replied.reruling_status == s.RERULING_REQUESTED
    with pytest.raises(Conflict):
        svc.apply(users[r.BRANCH_HEAD], replied.id, "request_reruling", {"reason": "再次申请"}, now=NOW)
    svc.get_for(users[r.RERULING_BODY], replied.id)  # the higher body now sees the case
    svc.apply(users[r.RERULING_BODY], replied.id, "decide_reruling",
              {"result": "not_responsible", "category": "19.2", "basis": "经查系核心系统故障所致。", "members": present(users[r.RERULING_BODY])}, now=NOW)
    assert replied.ruling_result == "not_responsible" and replied.ruling_final is True
    kinds = [(x.kind, x.result) for x in db.session.query(Ruling).filter_by(complaint_id=replied.id).order_by(Ruling.id)]
    assert kinds == [("ruling", "responsible"), ("reruling", "not_responsible")]
    with pytest.raises(Conflict):
        svc.apply(users[r.COUNTER_STAFF], replied.id, "request_reruling", {"reason": "第三次"}, now=NOW)
    assert names(replied)[-3:] == ["rule", "request_reruling", "decide_reruling"]


def test_decide_reruling_without_request_is_refused(app, users, replied):
    rule(users, replied)
    with pytest.raises(Exception) as error:
        svc.apply(users[r.RERULING_BODY], replied.id, "decide_reruling",
                  {"result": "not_responsible", "category": "19.2", "basis": "x", "members": present(users[r.RERULING_BODY])}, now=NOW)
    assert error.value.status in (404, 409)  # not visible to the higher body without a request


def test_reruling_request_window(app, users, replied):
    rule(users, replied)
    late = datetime(2026, 12, 17, 9, 0)
    with pytest.raises(Conflict):
        svc.apply(users[r.COUNTER_STAFF], replied.id, "request_reruling", {"reason": "x"}, now=late)


def test_unrelated_staff_cannot_request_reruling(app, users, replied, factory, org):
    rule(users, replied)
    colleague = factory.user(r.COUNTER_STAFF, "colleague2", org["a1"], "counter_staff")
    with pytest.raises(Exception) as error:
        svc.apply(colleague, replied.id, "request_reruling", {"reason": "x"}, now=NOW)
    assert error.value.status in (403, 404)


def test_ruled_staff_sees_the_case_without_identity(app, users, replied, factory, org):
    from app.security.masking import identity

    clerk2 = factory.user(r.COUNTER_STAFF, "clerk2", org["a1"], "counter_staff")
    rule(users, replied, staff_ids=[clerk2.staff_records[0].id])
    case = svc.get_for(clerk2, replied.id)
    assert identity(svc.actor_for(clerk2), case)["complainant_phone"] == "138****5678"


# --- appeal ----------------------------------------------------------------------------------

def test_appeal_goes_to_the_discipline_office_and_returns_to_replied(app, users, replied, org):
    svc.apply(users[r.DISCIPLINE_OFFICE], replied.id, "appeal", {"applied_at": "2026-12-05", "content": "对处理结果不服。"},
              now=datetime(2026, 12, 6, 9, 0))
    assert replied.status == s.APPEALED and replied.appeal_unit_id == org["office"].id
    # 30 working days after 2026-12-05 (Saturday) on plain weekdays: 2027-01-15
    assert replied.appeal_decision_due.isoformat() == "2027-01-15"
    svc.apply(users[r.DISCIPLINE_OFFICE], replied.id, "decide_appeal",
              {"decision": "upheld", "content": "维持原处理决定,不予变更。"}, now=datetime(2026, 12, 10, 9, 0))
    assert replied.status == s.REPLIED and replied.appeal_decision == "upheld"
    svc.apply(users[r.COUNTER_STAFF], replied.id, "close", {}, now=datetime(2026, 12, 10, 10, 0))
    assert replied.status == s.CLOSED
    with pytest.raises(Conflict):
        svc.apply(users[r.DISCIPLINE_OFFICE], replied.id, "appeal", {"applied_at": "2026-12-10", "content": "再次"},
                  now=datetime(2026, 12, 10, 11, 0))


def test_appeal_on_day_16_is_refused(app, users, replied):
    with pytest.raises(ValidationFailed) as error:
        svc.apply(users[r.DISCIPLINE_OFFICE], replied.id, "appeal", {"applied_at": "2026-12-17", "content": "x"},
                  now=datetime(2026, 12, 18, 9, 0))
    assert error.value.field == "applied_at"
    svc.apply(users[r.DISCIPLINE_OFFICE], replied.id, "appeal", {"applied_at": "2026-12-16", "content": "第15天"},
              now=datetime(2026, 12, 18, 9, 0))
    assert replied.status == s.APPEALED


def test_appeal_date_not_in_the_future(app, users, replied):
    with pytest.raises(ValidationFailed):
        svc.apply(users[r.DISCIPLINE_OFFICE], replied.id, "appeal", {"applied_at": "2026-12-03", "content": "x"}, now=NOW)


def test_deciding_unit_never_decides_its_own_appeal(app, users, make_complaint, org):
    complaint = make_complaint(users[r.DISCIPLINE_OFFICE], received_at="2026-11-30T09:00:00")
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "union", "handling_unit_id": org["office"].id}, now=NOW)
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "reply", {"method": "phone", "content": "联社答复。"}, now=NOW)
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "appeal", {"applied_at": "2026-12-01", "content": "不服"}, now=NOW)
    assert complaint.appeal_unit_id == org["union"].id
    with pytest.raises(PermissionDenied):
        svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "decide_appeal", {"decision": "changed", "content": "x"}, now=NOW)
    svc.apply(users[r.RERULING_BODY], complaint.id, "decide_appeal", {"decision": "changed", "content": "改变原决定,退还全部费用。"}, now=NOW)
    assert complaint.status == s.REPLIED and complaint.appeal_decision == "changed"


def test_branch_cannot_decide_appeal_against_its_decision(app, users, replied):
    svc.apply(users[r.DISCIPLINE_OFFICE], replied.id, "appeal", {"applied_at": "2026-12-01", "content": "x"}, now=NOW)
    for role in (r.BRANCH_HEAD, r.COUNTER_STAFF):
        with pytest.raises(Exception) as error:
            svc.apply(users[role], replied.id, "decide_appeal", {"decision": "changed", "content": "x"}, now=NOW)
        assert error.value.status in (403, 404)


def test_appeal_decision_deadline_counts_official_working_days(app, users, make_complaint):
    """30 working days after an application just before 国庆 2026, checked against chinesecalendar."""
    from datetime import date, timedelta

    import chinese_calendar

    from app.services import calendar_import

    calendar_import.import_from_package([2026], user=users[r.ADMIN])
    complaint = make_complaint(users[r.COUNTER_STAFF], received_at="2026-09-01T09:00:00")
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch"}, now=datetime(2026, 9, 2, 9))
    svc.apply(users[r.COUNTER_STAFF], complaint.id, "reply", {"method": "visit", "content": "x"}, now=datetime(2026, 9, 20, 9))
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "appeal", {"applied_at": "2026-09-25", "content": "不服"},
              now=datetime(2026, 9, 26, 9))
    expected, counted = date(2026, 9, 25), 0
    while counted < 30:
        expected += timedelta(days=1)
        counted += chinese_calendar.is_workday(expected)
    assert complaint.appeal_decision_due == expected
    assert expected > date(2026, 9, 25) + timedelta(days=42)  # the National Day week is skipped
