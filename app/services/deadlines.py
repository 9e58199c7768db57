"""Recompute deadlines when the work calendar changes (domain.md §5, api.md "Work calendar").

Called by ``services.calendar.on_calendar_changed`` inside the calendar change's transaction:
each open case whose counting window contains a changed date gets its deadline recomputed,
and each actual change is written to the case timeline. Nothing is committed here.
"""
from datetime import timedelta

from flask_babel import force_locale, gettext
from sqlalchemy import and_, or_, select

from ..extensions import db
from ..models.complaint import Complaint
from ..workflow import calendar as cal
from ..workflow import states as s
from . import clock
from .calendar import load_calendar
from .timeline import record_event


def recompute_for_dates(changed_dates, user) -> int:
    """Recompute the due dates that ``changed_dates`` can move; returns how many changed.

    - processing cases without an approved extension (an approved date is explicit, §13):
      ``due_date`` from the receipt date and level (§12);
    - appealed cases: the decision deadline, 30 working days after the application (§14).
    A date can only move a deadline if it lies after the start of counting and no later than
    the current deadline; provisional deadlines are always looked at again.
    """
    if not changed_dates:
        return 0
    first, last = min(changed_dates), max(changed_dates)
    calendar = load_calendar()
    now = clock.now()
    changed = 0

    handling = db.session.execute(
        select(Complaint).where(
            Complaint.status == s.PROCESSING,
            Complaint.extension_status != s.EXT_APPROVED,
            Complaint.level.isnot(None),
            or_(
                and_(Complaint.due_date >= first, Complaint.received_at < last + timedelta(days=1)),
                Complaint.due_date_provisional.is_(True),
            ),
        )
    ).scalars().all()
    for complaint in handling:
        deadline = cal.handling_deadline(calendar, complaint.received_at.date(), complaint.level)
        if (deadline.date, deadline.provisional) != (complaint.due_date, bool(complaint.due_date_provisional)):
            _record(complaint, user, now, complaint.due_date, deadline)
            complaint.due_date = deadline.date
            complaint.due_date_provisional = deadline.provisional
            complaint.version = (complaint.version or 0) + 1
            changed += 1

    appeals = db.session.execute(
        select(Complaint).where(
            Complaint.status == s.APPEALED,
            Complaint.appeal_decision_due >= first,
            Complaint.appeal_applied_on <= last,
        )
    ).scalars().all()
    for complaint in appeals:
        deadline = cal.appeal_decision_deadline(calendar, complaint.appeal_applied_on)
        if deadline.date != complaint.appeal_decision_due:
            _record(complaint, user, now, complaint.appeal_decision_due, deadline)
            complaint.appeal_decision_due = deadline.date
            complaint.version = (complaint.version or 0) + 1
            changed += 1
    return changed


def _record(complaint, user, now, old, deadline):
    with force_locale("zh"):
        note = gettext(
            "The work calendar changed: deadline %(old)s → %(new)s%(provisional)s.",
            old=old.isoformat() if old else "—",
            new=deadline.date.isoformat(),
            provisional=gettext(" (provisional)") if deadline.provisional else "",
        )
    record_event(complaint, "recompute_deadline", user, now, complaint.status, complaint.status, note=note,
                 payload={"old": old.isoformat() if old else None, "new": deadline.date.isoformat(),
                          "provisional": deadline.provisional})


# --- the regulatory ceiling (advisory) -------------------------------------------------------

def regulatory_ceiling(complaint):
    """(ceiling date, internal deadline falls after it) — or (None, False) when switched off."""
    from flask import current_app

    config = current_app.config
    if not config.get("REGULATORY_CEILING_ENABLED", True) or complaint.received_at is None:
        return None, False
    ceiling = cal.regulatory_ceiling(
        complaint.received_at.date(), complaint.extension_status == s.EXT_APPROVED,
        config.get("REGULATORY_CEILING_DAYS", 15), config.get("REGULATORY_CEILING_EXTENDED_DAYS", 30),
    )
    return ceiling, bool(complaint.due_date and complaint.due_date > ceiling and complaint.replied_at is None)


# --- accountability (超时追责, §13) ------------------------------------------------------------

def overdue_without_extension_clause(today):
    """Cases that went past their deadline without an approved extension (§13)."""
    from sqlalchemy import func

    return and_(
        Complaint.due_date.isnot(None),
        Complaint.extension_status != s.EXT_APPROVED,
        or_(
            and_(Complaint.status == s.PROCESSING, Complaint.due_date < today),
            and_(Complaint.replied_at.isnot(None), func.date(Complaint.replied_at) > func.date(Complaint.due_date)),
        ),
    )


def holders_at_deadline(complaints):
    """{complaint id: (unit id, handler id)} — who held each case on its due date, from the timeline."""
    from ..models.complaint import ComplaintEvent

    ids = [c.id for c in complaints]
    if not ids:
        return {}
    due = {c.id: c.due_date for c in complaints}
    holders = {}
    rows = db.session.execute(
        select(ComplaintEvent.complaint_id, ComplaintEvent.at, ComplaintEvent.payload)
        .where(ComplaintEvent.complaint_id.in_(ids), ComplaintEvent.name.in_(("register", "accept", "transfer")))
        .order_by(ComplaintEvent.complaint_id, ComplaintEvent.id)
    ).all()
    for complaint_id, at, payload in rows:
        assigned = (payload or {}).get("assigned")
        if assigned is None:
            continue
        # The last assignment on or before the due date; a case registered after its (back-dated)
        # deadline falls back to its first holder.
        if at.date() <= due[complaint_id] or complaint_id not in holders:
            holders[complaint_id] = (assigned.get("unit_id"), assigned.get("handler_id"))
    return holders


# --- reminders -------------------------------------------------------------------------------

def remind(now=None, send_mail=True, batch=500):
    """Record today's reminder for every case due soon or overdue, once per case per day, on the
    timeline and in the reminder table; e-mail handlers when mail is configured.

    Returns counts by kind plus ``emailed``. Safe to run several times a day.
    """
    from flask import current_app

    from ..models.reminder import Reminder

    now = now or clock.now()
    today = now.date()
    calendar = load_calendar()
    within = current_app.config.get("DUE_SOON_WORKING_DAYS", 2)
    horizon = cal.add_working_days(calendar, today, within).date
    already = select(Reminder.complaint_id).where(Reminder.day == today)
    query = (
        select(Complaint)
        .where(
            or_(
                and_(Complaint.status == s.PROCESSING, Complaint.due_date <= horizon),
                and_(Complaint.status == s.APPEALED, Complaint.appeal_decision_due <= horizon),
            ),
            Complaint.id.not_in(already),
        )
        .order_by(Complaint.id)
        .limit(batch)
    )
    counts = {"due_soon": 0, "overdue": 0, "appeal_due_soon": 0, "appeal_overdue": 0, "emailed": 0}
    mail = {}
    while True:
        complaints = db.session.execute(query).scalars().all()
        if not complaints:
            break
        for complaint in complaints:
            appeal = complaint.status == s.APPEALED
            due = complaint.appeal_decision_due if appeal else complaint.due_date
            kind = ("appeal_" if appeal else "") + ("overdue" if due < today else "due_soon")
            db.session.add(Reminder(complaint_id=complaint.id, day=today, kind=kind, created_at=now,
                                    emailed=False))
            with force_locale("zh"):
                note = (gettext("Overdue since %(date)s.", date=(due + timedelta(days=1)).isoformat())
                        if due < today else gettext("Due on %(date)s.", date=due.isoformat()))
            record_event(complaint, "remind", None, now, complaint.status, complaint.status, note=note,
                         payload={"kind": kind, "due": due.isoformat()})
            counts[kind] += 1
            if complaint.handler is not None and complaint.handler.user is not None and complaint.handler.user.email:
                mail.setdefault(complaint.handler.user.email, []).append((complaint.number, kind, due))
        db.session.commit()
    if send_mail and mail and current_app.config.get("MAIL_SERVER"):
        counts["emailed"] = _send_reminders(mail, today)
    return counts


def _send_reminders(mail, today):
    """One message per handler listing case numbers and deadlines (no complainant data, §16)."""
    import smtplib
    from email.message import EmailMessage

    from flask import current_app

    config = current_app.config
    sent = 0
    with smtplib.SMTP(config["MAIL_SERVER"], config.get("MAIL_PORT", 25), timeout=30) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        for address, items in mail.items():
            with force_locale("zh"):
                message = EmailMessage()
                message["Subject"] = gettext("Complaint deadlines: %(count)d case(s) need attention", count=len(items))
                message["From"] = config.get("MAIL_FROM")
                message["To"] = address
                lines = [gettext("Case %(number)s: deadline %(date)s", number=number, date=due.isoformat())
                         for number, kind, due in items]
                message.set_content("\n".join(lines))
            smtp.send_message(message)
            sent += 1
    from ..models.reminder import Reminder

    db.session.execute(
        Reminder.__table__.update().where(Reminder.day == today).values(emailed=True)
    )
    db.session.commit()
    return sent
