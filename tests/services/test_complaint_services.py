"""Complaint transitions against a real database, no HTTP (issue 3 "Must show")."""
from datetime import datetime, timedelta

import pytest

from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.extensions import db
from app.models.complaint import Complaint, ComplaintEvent
from app.security import roles as r
from app.services import complaints as svc
from app.domain import states as s

NOW = datetime(2026, 12, 1, 10, 0, 0)


def events(complaint):
    return [e.name for e in db.session.query(ComplaintEvent).filter_by(complaint_id=complaint.id).order_by(ComplaintEvent.id)]


def accepted(users, make_complaint, **accept):
    complaint = make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T09:00:00")
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch", **accept}, now=NOW)
    return complaint


# --- registration ----------------------------------------------------------------------------

def test_register_makes_the_registrant_first_handler(app, users, make_complaint, org):
    complaint = make_complaint(users[r.COUNTER_STAFF])
    assert complaint.status == s.REGISTERED
    assert complaint.handler.user_id == users[r.COUNTER_STAFF].id
    assert complaint.handling_unit_id == org["a1"].id
    assert complaint.number.startswith("TS") and complaint.number.endswith("-0001")
    assert events(complaint) == ["register"]


def test_numbers_are_sequential_and_unique(app, users, make_complaint):
    numbers = [make_complaint(users[r.DISCIPLINE_OFFICE]).number for _ in range(3)]
    assert len(set(numbers)) == 3
    assert [n[-4:] for n in numbers] == ["0001", "0002", "0003"]


def test_counter_staff_registers_only_for_own_branch(app, users, make_complaint, org):
    with pytest.raises(ValidationFailed) as error:
        make_complaint(users[r.COUNTER_STAFF], branch_id=org["b1"].id)
    assert error.value.field == "branch_id"
    assert db.session.query(Complaint).count() == 0


def test_committee_cannot_register(app, users, make_complaint):
    with pytest.raises(PermissionDenied):
        make_complaint(users[r.COMMITTEE])


def test_received_at_in_the_future_is_refused(app, users, make_complaint):
    future = "2026-12-05T10:00:00"
    with pytest.raises(ValidationFailed) as error:
        make_complaint(users[r.DISCIPLINE_OFFICE], received_at=future)
    assert error.value.field == "received_at"


def test_back_dated_receipt_is_accepted(app, users, make_complaint):
    complaint = make_complaint(users[r.DISCIPLINE_OFFICE], received_at="2026-10-08T15:30:00", channel="book")
    assert complaint.received_at == datetime(2026, 10, 8, 15, 30)


def test_respondent_must_belong_to_the_branch(app, users, make_complaint, factory, org):
    other = factory.user(r.COUNTER_STAFF, "otherclerk", org["b1"], "counter_staff")
    staff_id = other.staff_records[0].id
    with pytest.raises(ValidationFailed):
        make_complaint(users[r.DISCIPLINE_OFFICE], respondent_staff_id=staff_id)


def test_external_ref_is_idempotent(app, users):
    data = {"channel": "hotline", "complainant_name": "李四", "branch_id": None, "category": "fee", "facts": "多收费",
            "external_ref": "HOTLINE-42"}
    from app.models import OrgUnit

    data["branch_id"] = db.session.query(OrgUnit).filter_by(code="A1").one().id
    first, created = svc.register(users[r.DISCIPLINE_OFFICE], dict(data))
    again, created_again = svc.register(users[r.DISCIPLINE_OFFICE], dict(data))
    assert created and not created_again and first.id == again.id
    assert db.session.query(Complaint).count() == 1


def test_delegate_needs_principal(app, users, make_complaint):
    with pytest.raises(ValidationFailed):
        make_complaint(users[r.DISCIPLINE_OFFICE], is_delegate=True)


# --- accept / reject -------------------------------------------------------------------------

def test_accept_sets_level_unit_and_ten_working_day_deadline(app, users, make_complaint, org):
    complaint = accepted(users, make_complaint)
    assert complaint.status == s.PROCESSING and complaint.level == "branch"
    assert complaint.handling_unit_id == org["a1"].id
    # received Monday 2026-11-30: 10 working days later (plain weekdays) is Monday 2026-12-14
    assert complaint.due_date.isoformat() == "2026-12-14"
    assert events(complaint) == ["register", "accept"]


def test_branch_head_accepts_only_at_branch_level(app, users, make_complaint):
    complaint = make_complaint(users[r.COUNTER_STAFF])
    with pytest.raises(ValidationFailed):
        svc.apply(users[r.BRANCH_HEAD], complaint.id, "accept", {"level": "union", "handling_unit_id": complaint.handling_unit_id})
    svc.apply(users[r.BRANCH_HEAD], complaint.id, "accept", {"level": "branch"})
    assert complaint.status == s.PROCESSING


def test_union_level_is_twenty_working_days(app, users, make_complaint, org):
    complaint = make_complaint(users[r.DISCIPLINE_OFFICE], received_at="2026-11-30T09:00:00")
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "union", "handling_unit_id": org["office"].id}, now=NOW)
    assert complaint.due_date.isoformat() == "2026-12-28"


def test_accept_refuses_a_failed_checklist(app, users, make_complaint):
    complaint = make_complaint(users[r.COUNTER_STAFF])
    checklist = {"service_standard": True, "direct_interest": True, "clear_respondent": False, "specific_facts": True}
    with pytest.raises(ValidationFailed):
        svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch", "eligibility": checklist})
    db.session.refresh(complaint)
    assert complaint.status == s.REGISTERED and events(complaint) == ["register"]


def test_reject_needs_reason_and_note_and_is_terminal(app, users, make_complaint):
    complaint = make_complaint(users[r.COUNTER_STAFF])
    with pytest.raises(ValidationFailed):
        svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "reject", {"reason": "out_of_scope"})
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "reject", {"reason": "out_of_scope", "note": "员工违纪,按§8转纪检处理"})
    assert complaint.status == s.REJECTED
    with pytest.raises(Conflict):
        svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch"})


def test_branch_head_cannot_reject(app, users, make_complaint):
    complaint = make_complaint(users[r.COUNTER_STAFF])
    with pytest.raises(PermissionDenied):
        svc.apply(users[r.BRANCH_HEAD], complaint.id, "reject", {"reason": "ineligible", "note": "x"})
    assert events(complaint) == ["register"]


# --- scope -----------------------------------------------------------------------------------

def test_out_of_scope_case_is_not_found(app, users, make_complaint, factory, org):
    complaint = make_complaint(users[r.DISCIPLINE_OFFICE], branch_id=org["b1"].id)
    for user in (users[r.BRANCH_HEAD], users[r.COUNTER_STAFF]):
        with pytest.raises(NotFound):
            svc.get_for(user, complaint.id)
        with pytest.raises(NotFound):
            svc.apply(user, complaint.id, "accept", {"level": "branch"})
    assert svc.get_for(users[r.COMMITTEE], complaint.id).id == complaint.id


def test_counter_staff_sees_only_own_or_assigned(app, users, make_complaint, factory, org):
    colleague = factory.user(r.COUNTER_STAFF, "colleague", org["a1"], "counter_staff")
    theirs = make_complaint(colleague)
    with pytest.raises(NotFound):
        svc.get_for(users[r.COUNTER_STAFF], theirs.id)
    assert svc.get_for(users[r.BRANCH_HEAD], theirs.id).id == theirs.id


def test_branch_head_named_in_complaint_does_not_see_it(app, users, make_complaint):
    head_staff = users[r.BRANCH_HEAD].staff_records[0]
    complaint = make_complaint(users[r.DISCIPLINE_OFFICE], respondent_staff_id=head_staff.id)
    with pytest.raises(NotFound):
        svc.get_for(users[r.BRANCH_HEAD], complaint.id)


# --- transfer --------------------------------------------------------------------------------

def test_transfer_up_to_union_makes_twenty_day_case(app, users, make_complaint, org):
    complaint = accepted(users, make_complaint)
    svc.apply(users[r.COUNTER_STAFF], complaint.id, "transfer", {"to_unit_id": org["office"].id, "reason": "超出网点权限"}, now=NOW)
    assert complaint.level == "union" and complaint.handling_unit_id == org["office"].id
    assert complaint.due_date.isoformat() == "2026-12-28"
    assert complaint.handler_id is None


def test_transfer_to_branch_head(app, users, make_complaint, org):
    complaint = accepted(users, make_complaint)
    head_staff = users[r.BRANCH_HEAD].staff_records[0]
    svc.apply(users[r.COUNTER_STAFF], complaint.id, "transfer",
              {"to_unit_id": org["a1"].id, "to_staff_id": head_staff.id, "reason": "转交网点负责人"})
    assert complaint.handler_id == head_staff.id and complaint.level == "branch"


def test_transfer_never_to_the_respondent(app, users, make_complaint, factory, org):
    clerk2 = factory.user(r.COUNTER_STAFF, "clerk2", org["a1"], "counter_staff")
    staff2 = clerk2.staff_records[0]
    complaint = make_complaint(users[r.COUNTER_STAFF], respondent_staff_id=staff2.id, received_at="2026-11-30T09:00:00")
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch"}, now=NOW)
    with pytest.raises(ValidationFailed) as error:
        svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "transfer", {"to_unit_id": org["a1"].id, "to_staff_id": staff2.id, "reason": "x"})
    assert error.value.field == "to_staff_id"


def test_transfer_requires_reason(app, users, make_complaint, org):
    complaint = accepted(users, make_complaint)
    with pytest.raises(ValidationFailed):
        svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "transfer", {"to_unit_id": org["office"].id})


def test_branch_head_cannot_transfer_sideways_to_another_branch(app, users, make_complaint, org):
    complaint = accepted(users, make_complaint)
    with pytest.raises(ValidationFailed):
        svc.apply(users[r.BRANCH_HEAD], complaint.id, "transfer", {"to_unit_id": org["b1"].id, "reason": "x"})


# --- extension -------------------------------------------------------------------------------

def extension_request(**kw):
    body = {"reason": "需调取监控", "customer_informed_at": "2026-12-01T09:30:00", "customer_informed_by": "phone",
            "report": "已书面报告纪检监察室", "requested_due_date": "2026-12-21"}
    body.update(kw)
    return body


def test_extension_requested_and_approved(app, users, make_complaint):
    complaint = accepted(users, make_complaint)
    svc.apply(users[r.BRANCH_HEAD], complaint.id, "request_extension", extension_request(), now=NOW)
    assert complaint.extension_status == s.EXT_REQUESTED
    with pytest.raises(PermissionDenied):
        svc.apply(users[r.BRANCH_HEAD], complaint.id, "decide_extension", {"approved": True}, now=NOW)
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "decide_extension", {"approved": True}, now=NOW)
    assert complaint.extension_status == s.EXT_APPROVED and complaint.due_date.isoformat() == "2026-12-21"
    assert events(complaint)[-2:] == ["request_extension", "decide_extension"]


def test_extension_refused_keeps_deadline(app, users, make_complaint):
    complaint = accepted(users, make_complaint)
    svc.apply(users[r.BRANCH_HEAD], complaint.id, "request_extension", extension_request(), now=NOW)
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "decide_extension", {"approved": False, "note": "理由不足"}, now=NOW)
    assert complaint.extension_status == s.EXT_REFUSED and complaint.due_date.isoformat() == "2026-12-14"


def test_extension_after_deadline_is_refused(app, users, make_complaint):
    complaint = accepted(users, make_complaint)
    late = datetime(2026, 12, 15, 9, 0)
    with pytest.raises(Conflict):
        svc.apply(users[r.BRANCH_HEAD], complaint.id, "request_extension", extension_request(), now=late)
    assert complaint.extension_status == s.EXT_NONE


def test_extension_must_record_customer_information(app, users, make_complaint):
    complaint = accepted(users, make_complaint)
    body = extension_request()
    del body["customer_informed_by"]
    with pytest.raises(ValidationFailed):
        svc.apply(users[r.BRANCH_HEAD], complaint.id, "request_extension", body, now=NOW)


def test_decide_extension_without_request_is_conflict(app, users, make_complaint):
    complaint = accepted(users, make_complaint)
    with pytest.raises(Conflict):
        svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "decide_extension", {"approved": True}, now=NOW)


# --- reply, close, follow-up -----------------------------------------------------------------

def test_reply_carries_the_appeal_notice_and_window(app, users, make_complaint, org):
    complaint = accepted(users, make_complaint)
    svc.apply(users[r.COUNTER_STAFF], complaint.id, "reply", {"method": "phone", "content": "经核实,已向您道歉。"}, now=NOW)
    assert complaint.status == s.REPLIED
    assert complaint.appeal_due_date.isoformat() == "2026-12-16"
    # §14: the last day is named and inclusive
    assert "15" in complaint.appeal_notice and "2026-12-16" in complaint.appeal_notice
    assert "含当日" in complaint.appeal_notice
    assert org["office"].name in complaint.appeal_notice


def test_reply_date_cannot_precede_receipt(app, users, make_complaint):
    complaint = accepted(users, make_complaint)
    with pytest.raises(ValidationFailed):
        svc.apply(users[r.COUNTER_STAFF], complaint.id, "reply",
                  {"method": "phone", "content": "x", "replied_at": "2026-11-01T10:00:00"}, now=NOW)


def test_close_then_follow_up_once(app, users, make_complaint):
    complaint = accepted(users, make_complaint)
    svc.apply(users[r.COUNTER_STAFF], complaint.id, "reply", {"method": "phone", "content": "已处理"}, now=NOW)
    with pytest.raises(PermissionDenied):
        svc.apply(users[r.COUNTER_STAFF], complaint.id, "follow_up", {}, now=NOW)
    svc.apply(users[r.COUNTER_STAFF], complaint.id, "close", {}, now=NOW)
    assert complaint.status == s.CLOSED
    with pytest.raises(ValidationFailed):
        svc.apply(users[r.BRANCH_HEAD], complaint.id, "follow_up",
                  {"visited_at": "2026-12-01", "method": "phone", "satisfied": False}, now=NOW)
    svc.apply(users[r.BRANCH_HEAD], complaint.id, "follow_up",
              {"visited_at": "2026-12-01", "method": "visit", "satisfied": True}, now=NOW)
    assert complaint.follow_up_satisfied is True
    with pytest.raises(Conflict):
        svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "follow_up",
                  {"visited_at": "2026-12-01", "method": "visit", "satisfied": True}, now=NOW)
    assert events(complaint) == ["register", "accept", "reply", "close", "follow_up"]


def test_overdue_is_derived(app, users, make_complaint):
    complaint = accepted(users, make_complaint)
    assert not svc.is_overdue(complaint, complaint.due_date)
    assert svc.is_overdue(complaint, complaint.due_date + timedelta(days=1))


# --- concurrency and atomicity ---------------------------------------------------------------

def test_stale_version_is_refused_and_nothing_written(app, users, make_complaint):
    complaint = accepted(users, make_complaint)
    stale = complaint.version - 1
    with pytest.raises(Conflict):
        svc.apply(users[r.COUNTER_STAFF], complaint.id, "reply", {"method": "phone", "content": "x", "version": stale}, now=NOW)
    db.session.refresh(complaint)
    assert complaint.status == s.PROCESSING and events(complaint) == ["register", "accept"]


def test_concurrent_change_loses_with_conflict(app, users, make_complaint):
    """Another session changes the case between our read and our write: our UPDATE matches no row."""
    from sqlalchemy import update

    complaint = accepted(users, make_complaint)
    original = svc.commit_change

    def racing_commit(target=None, before_commit=None):
        db.session.execute(update(Complaint).where(Complaint.id == complaint.id).values(version=Complaint.version + 5)
                           .execution_options(synchronize_session=False))
        return original(target, before_commit)

    import app.services.complaints as module

    module.commit_change = racing_commit
    try:
        with pytest.raises(Conflict):
            svc.apply(users[r.COUNTER_STAFF], complaint.id, "reply", {"method": "phone", "content": "x"}, now=NOW)
    finally:
        module.commit_change = original
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).status == s.PROCESSING
    assert events(complaint) == ["register", "accept"]


def test_edit_descriptive_fields_with_version(app, users, make_complaint):
    complaint = make_complaint(users[r.COUNTER_STAFF])
    version = complaint.version
    svc.edit(users[r.COUNTER_STAFF], complaint.id, {"version": version, "facts": "补充:当日下午三点。", "category": "efficiency"})
    assert complaint.category == "efficiency" and complaint.version == version + 1
    with pytest.raises(Conflict):
        svc.edit(users[r.COUNTER_STAFF], complaint.id, {"version": version, "facts": "旧版本覆盖"})
    with pytest.raises(ValidationFailed):
        svc.edit(users[r.COUNTER_STAFF], complaint.id, {"version": complaint.version, "status": "closed"})
    assert complaint.facts == "补充:当日下午三点。"


def test_events_are_append_only(app, users, make_complaint):
    from app.models.complaint import AppendOnly

    complaint = make_complaint(users[r.COUNTER_STAFF])
    event = db.session.query(ComplaintEvent).filter_by(complaint_id=complaint.id).first()
    event.note = "tampered"
    with pytest.raises(AppendOnly):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AppendOnly):
        db.session.delete(db.session.get(Complaint, complaint.id))
        db.session.flush()
    db.session.rollback()
