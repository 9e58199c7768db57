"""A calendar change recomputes open cases' deadlines in the same transaction (domain.md §5)."""
from datetime import date, datetime

from app.extensions import db
from app.models.complaint import ComplaintEvent
from app.security import roles as r
from app.services import calendar as calendar_service
from app.services import complaints as svc

NOW = datetime(2026, 12, 1, 10, 0)


def accepted(users, make_complaint, received="2026-11-30T09:00:00"):
    complaint = make_complaint(users[r.COUNTER_STAFF], received_at=received)
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch"}, now=NOW)
    return complaint


def test_a_new_holiday_moves_the_deadline_and_is_on_the_timeline(app, users, make_complaint):
    complaint = accepted(users, make_complaint)
    assert complaint.due_date == date(2026, 12, 14)
    calendar_service.add_day(date(2026, 12, 10), False, "测试假日", user=users[r.ADMIN])
    db.session.refresh(complaint)
    assert complaint.due_date == date(2026, 12, 15)
    event = db.session.query(ComplaintEvent).filter_by(complaint_id=complaint.id, name="recompute_deadline").one()
    assert "2026-12-14" in event.note and "2026-12-15" in event.note


def test_a_change_after_the_deadline_leaves_the_case_alone(app, users, make_complaint):
    complaint = accepted(users, make_complaint)
    version = complaint.version
    calendar_service.add_day(date(2026, 12, 20), True, "调休", user=users[r.ADMIN])
    db.session.refresh(complaint)
    assert complaint.due_date == date(2026, 12, 14) and complaint.version == version


def test_an_approved_extension_is_not_recomputed(app, users, make_complaint):
    complaint = accepted(users, make_complaint)
    svc.apply(users[r.BRANCH_HEAD], complaint.id, "request_extension", {
        "reason": "x", "customer_informed_at": "2026-12-01T09:30:00", "customer_informed_by": "phone",
        "report": "y", "requested_due_date": "2026-12-28"}, now=NOW)
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "decide_extension", {"approved": True}, now=NOW)
    calendar_service.add_day(date(2026, 12, 10), False, "测试假日", user=users[r.ADMIN])
    db.session.refresh(complaint)
    assert complaint.due_date == date(2026, 12, 28)


def test_publishing_the_year_clears_the_provisional_mark(app, users, make_complaint):
    complaint = accepted(users, make_complaint)
    assert complaint.due_date_provisional is True
    calendar_service.set_year_published(2026, True, user=users[r.ADMIN])
    db.session.refresh(complaint)
    assert complaint.due_date_provisional is False
