"""Recompute deadlines when the work calendar changes (domain.md §5, api.md "Work calendar").

Called by ``services.calendar.on_calendar_changed`` inside the calendar change's transaction:
each open case whose counting window contains a changed date gets its deadline recomputed,
and each actual change is written to the case timeline. Nothing is committed here.
"""
from datetime import timedelta

from flask_babel import force_locale, gettext
from sqlalchemy import Date, and_, case, exists, func, insert, literal, or_, select, type_coerce, update
from sqlalchemy.dialects.postgresql import ARRAY

from ..extensions import db
from ..models.complaint import Complaint, ComplaintEvent
from ..domain import calendar as cal
from ..domain import states as s
from .. import clock
from . import mail, notifications, settings
from .calendar import load_calendar
from .timeline import actor_display_name, record_event


# Which deadline a recomputation moved, as the timeline names it.
HANDLING = "handling"
APPEAL_DECISION = "appeal_decision"
APPEAL_WINDOW = "appeal_window"


def recompute_for_dates(changed_dates, user) -> int:
    """Recompute the deadlines that ``changed_dates`` can move; returns how many changed.

    - processing cases without an approved extension (an approved date is explicit, §13):
      ``due_date``, ``deadline_days`` working days from the receipt date (§12);
    - appealed cases: the decision deadline, 30 working days after the application (§14);
    - replied or closed cases not yet appealed: the end of the appeal window, which moves to the
      next working day when it falls on a holiday or rest day (§14, Civil Code art. 203).
    A date can only move a deadline if it lies after the start of counting and no later than
    the current deadline; provisional deadlines are always looked at again.
    """
    from .complaints import appeal_window_start

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
        days = complaint.deadline_days or cal.handling_days(complaint.level)
        deadline = cal.add_working_days(calendar, complaint.received_at.date(), days)
        changed += _move(complaint, user, now, HANDLING, deadline, "due_date", "due_date_provisional")

    appeals = db.session.execute(
        select(Complaint).where(
            Complaint.status == s.APPEALED,
            or_(
                and_(Complaint.appeal_decision_due >= first, Complaint.appeal_applied_on <= last),
                Complaint.appeal_decision_due_provisional.is_(True),
            ),
        )
    ).scalars().all()
    for complaint in appeals:
        deadline = cal.appeal_decision_deadline(calendar, complaint.appeal_applied_on)
        changed += _move(complaint, user, now, APPEAL_DECISION, deadline, "appeal_decision_due",
                         "appeal_decision_due_provisional")

    # A window's last day moves only when it is changed itself or a day off up to it is: its
    # nominal end (15 days after its start) lies at most a holiday's length before it.
    windows = db.session.execute(
        select(Complaint).where(
            Complaint.status.in_((s.REPLIED, s.CLOSED)),
            Complaint.appeal_applied_on.is_(None),
            Complaint.appeal_due_date >= first,
            Complaint.appeal_due_date <= last + timedelta(days=31),
        )
    ).scalars().all()
    for complaint in windows:
        start = appeal_window_start(complaint)
        if start is None:
            continue
        deadline = cal.appeal_window_end(calendar, start)
        changed += _move(complaint, user, now, APPEAL_WINDOW, deadline, "appeal_due_date")
    return changed


def _move(complaint, user, now, which, deadline, date_field, provisional_field=None) -> int:
    """Set ``complaint``'s ``date_field`` (and ``provisional_field``, when it has one) to
    ``deadline`` with a timeline note naming the deadline; 1 when it moved, else 0."""
    old = getattr(complaint, date_field)
    was_provisional = bool(getattr(complaint, provisional_field)) if provisional_field else deadline.provisional
    if (deadline.date, deadline.provisional) == (old, was_provisional):
        return 0
    _record(complaint, user, now, which, old, deadline)
    setattr(complaint, date_field, deadline.date)
    if provisional_field:
        setattr(complaint, provisional_field, deadline.provisional)
    complaint.version = (complaint.version or 0) + 1
    return 1


def _record(complaint, user, now, which, old, deadline):
    with force_locale("zh"):
        names = {
            HANDLING: gettext("The work calendar changed: deadline %(old)s → %(new)s%(provisional)s."),
            APPEAL_DECISION: gettext("The work calendar changed: appeal decision deadline %(old)s → "
                                     "%(new)s%(provisional)s."),
            APPEAL_WINDOW: gettext("The work calendar changed: last day to apply for review %(old)s → "
                                   "%(new)s%(provisional)s."),
        }
        note = names[which] % {
            "old": old.isoformat() if old else "—",
            "new": deadline.date.isoformat(),
            "provisional": gettext(" (provisional)") if deadline.provisional else "",
        }
    record_event(complaint, "recompute_deadline", user, now, complaint.status, complaint.status, note=note,
                 payload={"deadline": which, "old": old.isoformat() if old else None, "new": deadline.date.isoformat(),
                          "provisional": deadline.provisional})


# --- the regulatory ceiling (advisory) -------------------------------------------------------

def regulatory_ceiling(complaint):
    """(ceiling date, internal deadline falls after it) — or (None, False) when switched off."""
    values = settings.current()
    if not values.regulatory_ceiling_enabled or complaint.received_at is None:
        return None, False
    ceiling = cal.regulatory_ceiling(
        complaint.received_at.date(), complaint.extension_status == s.EXT_APPROVED,
        values.regulatory_ceiling_days, values.regulatory_ceiling_extended_days,
    )
    return ceiling, bool(complaint.due_date and complaint.due_date > ceiling and complaint.replied_at is None)


# --- overdue and accountability (超时, 超时追责, §12, §13) -----------------------------------------

def day_of(column):
    """The date part of a timestamp column, portable: ``date(x)`` on SQLite and PostgreSQL."""
    return type_coerce(func.date(column), Date)


def replied_late():
    """Replied after the due date in force (the date of the reply counts): fixed once replied."""
    return and_(Complaint.replied_at.isnot(None), Complaint.due_date.isnot(None),
                day_of(Complaint.replied_at) > Complaint.due_date)


def open_late(today):
    """Still processing past the due date in force on ``today``."""
    return and_(
        Complaint.due_date.isnot(None), Complaint.replied_at.is_(None),
        Complaint.status == s.PROCESSING, Complaint.due_date < today,
    )


def overdue_clause(today):
    """§12, §13 (the rule of ``services.complaints.is_overdue``): replied after the deadline in
    force, or still processing past it. The deadline in force is an approved extension's date when
    there is one, so every overdue case is an overrun without permission (未经许可超时,
    domain.md §10), listed for accountability and counted in the assessment."""
    return or_(replied_late(), open_late(today))


ASSIGNING_EVENTS = ("register", "accept", "transfer")


def _holders(rows):
    """{complaint id: (unit id, staff id)} from (id, due date, current unit, current handler, event
    time, event payload) rows in timeline order: the last assignment on or before the due date —
    who held the case on the day it became overdue. A case registered after its (back-dated)
    deadline falls back to its first holder; one without assignments to its current holder."""
    holders, assigned_seen = {}, set()
    for complaint_id, due, unit_id, handler_id, at, payload in rows:
        assigned = (payload or {}).get("assigned") if at is not None else None
        if assigned is None:
            holders.setdefault(complaint_id, (unit_id, handler_id))
            continue
        if at.date() <= due or complaint_id not in assigned_seen:
            holders[complaint_id] = (assigned.get("unit_id"), assigned.get("handler_id"))
            assigned_seen.add(complaint_id)
    return holders


def _holder_rows(condition):
    return db.session.execute(
        select(Complaint.id, Complaint.due_date, Complaint.handling_unit_id, Complaint.handler_id,
               ComplaintEvent.at, ComplaintEvent.payload)
        .outerjoin(ComplaintEvent, and_(ComplaintEvent.complaint_id == Complaint.id,
                                        ComplaintEvent.name.in_(ASSIGNING_EVENTS)))
        .where(condition)
        .order_by(Complaint.id, ComplaintEvent.id)
    ).all()


def holders_at_deadline(complaints):
    """{complaint id: (unit id, handler id)} — who held each case on the day it became overdue."""
    ids = [c.id for c in complaints]
    if not ids:
        return {}
    return _holders(_holder_rows(Complaint.id.in_(ids)))


def overdue_holders(conditions, today):
    """{complaint id: (unit id, staff id)} for every overdue case matching ``conditions``, attributed
    as the accountability list attributes it (``holders_at_deadline``): the assessment counts each
    unlicensed overrun against that unit and staff member (§13)."""
    return _holders(_holder_rows(and_(*conditions, overdue_clause(today))))


# --- reminders -------------------------------------------------------------------------------

# A chunk of reminders and their timeline events commits together; a large run never holds one
# huge transaction.
REMIND_CHUNK = 5000


def remind(now=None, send_mail=True, batch=REMIND_CHUNK):
    """Record today's reminder for every case due soon or overdue, once per case per day, on the
    timeline and in the reminder table, and notify who must act (issue 23: the handler, the heads,
    the appeal body — ``services/notifications.py``); e-mail them when mail is configured.

    Set-based: the cases are read as plain rows in one statement, and the reminders, events and
    notifications are written ``batch`` cases at a time, each chunk one transaction. Once per
    case per day is the unique constraint's (``uq_reminder_complaint_day``): reminders are
    inserted with ON CONFLICT DO NOTHING RETURNING the cases actually inserted, and only those get
    a timeline event, a count and notifications (one INSERT … SELECT per chunk, itself once per
    recipient, case and day by ``uq_notification_remind``) — so two runs at once (two app
    servers' cron) never duplicate anything and never fail on each other's rows. E-mail goes out
    after the last chunk is committed; a mail failure is logged and changes nothing written.

    Returns counts by kind plus ``notified`` and ``emailed`` (messages). Safe to run several
    times a day.
    """
    now = now or clock.now()
    today = now.date()
    calendar = load_calendar()
    within = settings.due_soon_working_days()
    horizon = cal.add_working_days(calendar, today, within).date
    rows = _remind_candidates(today, horizon)
    planned = [(row, *_reminder_kind(row, today)) for row in rows]
    notes = _reminder_notes({(due, kind) for _row, kind, due in planned}, today)

    counts = {"due_soon": 0, "overdue": 0, "appeal_due_soon": 0, "appeal_overdue": 0, "notified": 0, "emailed": 0}
    mailing = send_mail and mail.enabled()
    roles = office_ids = None
    emails = []
    for start in range(0, len(planned), batch):
        chunk = planned[start:start + batch]
        inserted = _insert_reminders(
            [{"complaint_id": row.id, "day": today, "kind": kind, "created_at": now, "emailed": False}
             for row, kind, _due in chunk])
        events = []
        for row, kind, due in chunk:
            if row.id not in inserted:
                continue  # another run reminded it since we read it
            events.append(_reminder_event(row, kind, due, now, notes[due, kind]))
            counts[kind] += 1
        if events:
            db.session.execute(insert(ComplaintEvent.__table__), events)
            # Issue 23: who must act hears of it in the page header (and by e-mail below): one
            # INSERT … SELECT for the chunk's reminded cases (ascending: the candidates are by id).
            if roles is None:
                roles = notifications.Roles()
                office_ids = notifications.office_user_ids(roles)
            reminded = [event["complaint_id"] for event in events]
            written = notifications.for_reminders(today, now, reminded, roles, office_ids, returning=mailing)
            if mailing:
                emails += written
                written = len(written)
            counts["notified"] += written
        db.session.commit()  # a chunk's reminders, events and notifications together
    if mailing and emails:
        counts["emailed"] = notifications.send_mail(emails, "remind", now)
        _mark_emailed(today)
    return counts


def _remind_candidates(today, horizon):
    """(id, number, status, due) of every case to remind on ``today``, by id: processing with its
    due date, appealed with its decision deadline on or before ``horizon``, not reminded today yet."""
    from ..models.reminder import Reminder

    appeal = Complaint.status == s.APPEALED
    return db.session.execute(
        select(Complaint.id, Complaint.number, Complaint.status,
               case((appeal, Complaint.appeal_decision_due), else_=Complaint.due_date).label("due"))
        .where(
            or_(
                and_(Complaint.status == s.PROCESSING, Complaint.due_date <= horizon),
                and_(appeal, Complaint.appeal_decision_due <= horizon),
            ),
            ~exists().where(Reminder.complaint_id == Complaint.id, Reminder.day == today),
        )
        .order_by(Complaint.id)
    ).all()


def _reminder_kind(row, today):
    """(kind, due) of one candidate: due soon or overdue, of the handling or the appeal."""
    return ("appeal_" if row.status == s.APPEALED else "") + ("overdue" if row.due < today else "due_soon"), row.due


def _reminder_notes(keys, today):
    """{(due, kind): timeline note} in Chinese, each distinct text translated once."""
    with force_locale("zh"):
        return {
            (due, kind): (gettext("Overdue since %(date)s.", date=(due + timedelta(days=1)).isoformat())
                          if due < today else gettext("Due on %(date)s.", date=due.isoformat()))
            for due, kind in keys
        }


def _reminder_event(row, kind, due, now, note):
    """The ``complaint_event`` row ``timeline.record_event`` writes for a reminder (the system
    acts: no actor id, the system's display name; the status does not change). Written with a
    Core INSERT: no ORM unit of work runs, and none is needed — the case row is not touched (its
    ``version`` does not move, as it did not when the event was added through the ORM), and the
    session's listeners (kept report months, shared phones) react to changed cases only."""
    return {"complaint_id": row.id, "at": now, "actor_id": None, "actor_name": actor_display_name(None),
            "name": "remind", "from_status": row.status, "to_status": row.status, "note": note,
            "payload": {"kind": kind, "due": due.isoformat()}}


def _insert_reminders(rows):
    """Insert ``rows`` into ``reminder``, skipping a (case, day) that already has one; the set
    of case ids actually inserted (by this statement, not by a concurrent run)."""
    from ..models.reminder import Reminder

    if not rows:
        return set()
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - the application runs on SQLite and PostgreSQL only
        raise RuntimeError(f"remind: unsupported database {dialect}")
    table = Reminder.__table__
    if dialect == "postgresql":
        statement, parameters = _insert_unnested(table, rows, dialect_insert), None
    else:
        statement, parameters = dialect_insert(table), rows
    statement = (statement.on_conflict_do_nothing(index_elements=[table.c.complaint_id, table.c.day])
                 .returning(table.c.complaint_id))
    return set(db.session.execute(statement, parameters).scalars())


def _insert_unnested(table, rows, make_insert):
    """PostgreSQL: an INSERT of ``rows`` (dicts with the same keys) into ``table`` as one statement,
    each column one array parameter (``INSERT … SELECT unnest(…), unnest(…)``). A row of parameters
    each (RETURNING makes it 1,000-row statements) took 2.3 s for 19,700 reminders at 1M, this 0.9 s
    (most of it the foreign key's check of each case). Not worth it for the events (an executemany
    without RETURNING: psycopg pipelines it)."""
    names = list(rows[0])
    source = select(*[func.unnest(literal([row[name] for row in rows], ARRAY(table.c[name].type))).label(name)
                      for name in names])
    return make_insert(table).from_select(names, source)


def _mark_emailed(today):
    """The reminders of ``today`` whose case's notification went out by e-mail are marked so."""
    from ..models.notification import Notification
    from ..models.reminder import Reminder

    mailed = select(Notification.complaint_id).where(Notification.remind_day == today,
                                                     Notification.emailed_at.isnot(None))
    db.session.execute(update(Reminder.__table__).where(Reminder.day == today, Reminder.emailed.is_(False),
                                                        Reminder.complaint_id.in_(mailed)).values(emailed=True))
    db.session.commit()
