"""Reminders, the accountability list and the regulatory ceiling (issue 4 items 4–6)."""
import json
import logging
from datetime import date, datetime

from app.extensions import db
from app.models.complaint import ComplaintEvent
from app.models.reminder import Reminder
from app.security import roles as r
from app.services import complaints as svc
from app.services import deadlines
from app.services.complaints import scoped_select

NOW = datetime(2026, 12, 1, 10, 0)


def accepted(users, make_complaint, received):
    complaint = make_complaint(users[r.COUNTER_STAFF], received_at=received)
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch"}, now=NOW)
    return complaint


def test_remind_records_once_per_case_per_day(app, users, make_complaint):
    overdue = accepted(users, make_complaint, "2026-11-02T09:00:00")  # due 2026-11-16
    soon = accepted(users, make_complaint, "2026-11-17T09:00:00")  # due 2026-12-01
    later = accepted(users, make_complaint, "2026-11-30T09:00:00")  # due 2026-12-14
    counts = deadlines.remind(now=NOW, send_mail=False)
    assert counts["overdue"] == 1 and counts["due_soon"] == 1
    assert deadlines.remind(now=NOW, send_mail=False)["overdue"] == 0
    kinds = {row.complaint_id: row.kind for row in db.session.query(Reminder)}
    assert kinds == {overdue.id: "overdue", soon.id: "due_soon"}
    assert db.session.query(ComplaintEvent).filter_by(complaint_id=overdue.id, name="remind").count() == 1
    assert later.id not in kinds
    next_day = deadlines.remind(now=datetime(2026, 12, 2, 8, 0), send_mail=False)
    assert next_day["overdue"] == 2  # the one due on 12-01 is overdue on 12-02


def test_remind_cli_prints_and_logs_its_counts(app, users, make_complaint, caplog):
    accepted(users, make_complaint, "2026-11-02T09:00:00")
    caplog.set_level(logging.INFO, logger="complaints.job")
    result = app.test_cli_runner().invoke(args=["remind", "--no-mail"])
    assert result.exit_code == 0 and "overdue=" in result.output
    [line] = [json.loads(rec.getMessage()) for rec in caplog.records if rec.name == "complaints.job"]
    assert line["job"] == "remind" and line["overdue"] >= 1
    assert f"overdue={line['overdue']}" in result.output


def test_accountability_lists_overdue_without_extension_with_holder_at_due_date(app, users, make_complaint, org):
    late = accepted(users, make_complaint, "2026-11-02T09:00:00")
    svc.apply(users[r.COUNTER_STAFF], late.id, "transfer", {"to_unit_id": org["office"].id, "reason": "上报"}, now=NOW)
    on_time = accepted(users, make_complaint, "2026-11-30T09:00:00")
    rows = db.session.execute(
        scoped_select(users[r.DISCIPLINE_OFFICE]).where(deadlines.overdue_clause(NOW.date()))
    ).scalars().all()
    assert [c.id for c in rows] == [late.id]
    # the holder on the due date (2026-11-16) was the branch, not the office it went to later
    holder = deadlines.holders_at_deadline(rows)
    assert holder[late.id] == (org["a1"].id, users[r.COUNTER_STAFF].staff_records[0].id)
    assert on_time.id not in [c.id for c in rows]


def test_replied_on_the_due_date_is_not_overdue(app, users, make_complaint):
    complaint = accepted(users, make_complaint, "2026-11-17T09:00:00")  # due 2026-12-01
    svc.apply(users[r.COUNTER_STAFF], complaint.id, "reply", {"method": "phone", "content": "x"}, now=datetime(2026, 12, 1, 17, 0))
    rows = db.session.execute(
        scoped_select(users[r.DISCIPLINE_OFFICE]).where(deadlines.overdue_clause(date(2026, 12, 5)))
    ).scalars().all()
    assert rows == []


def test_regulatory_ceiling_warns_when_the_deadline_is_later(app, users, make_complaint, org):
    complaint = make_complaint(users[r.DISCIPLINE_OFFICE], received_at="2026-11-30T09:00:00")
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "union", "handling_unit_id": org["office"].id}, now=NOW)
    ceiling, beyond = deadlines.regulatory_ceiling(complaint)
    assert ceiling == date(2026, 12, 15) and complaint.due_date == date(2026, 12, 28) and beyond


def test_accountability_page(client, users, login, make_complaint):
    late = accepted(users, make_complaint, "2026-11-02T09:00:00")
    login("discipline")
    html = client.get("/accountability/").get_data(as_text=True)
    assert late.number in html and "超时" in html


def test_reminder_mail_goes_to_handler_and_head_without_complainant_data(app, users, make_complaint, smtp_server,
                                                                          monkeypatch):
    """Delivered to a real SMTP server: the overdue case's handler and the head of its branch each
    get one message (issue 23: the heads hear of an overdue case); no complainant data in it."""
    complaint = accepted(users, make_complaint, "2026-11-02T09:00:00")
    smtp_server.configure(app, monkeypatch)
    counts = deadlines.remind(now=NOW)
    assert counts["emailed"] == 2 and counts["notified"] == 2
    by_address = {message["To"]: message for message in smtp_server.messages}
    assert set(by_address) == {users[r.COUNTER_STAFF].email, users[r.BRANCH_HEAD].email}
    for message in by_address.values():
        body = message.get_content()
        assert complaint.number in body and "2026-11-16" in body
        assert "13812345678" not in body and "张三丰" not in body and "张" not in body
    assert db.session.query(Reminder).filter_by(complaint_id=complaint.id).one().emailed is True
