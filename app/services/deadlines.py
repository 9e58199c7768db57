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
