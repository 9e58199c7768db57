"""Recompute deadlines when the work calendar changes (domain.md §5, api.md "Work calendar").

Called by ``services.calendar.on_calendar_changed`` inside the calendar change's transaction:
each open case whose counting window contains a changed date gets its deadline recomputed,
and each actual change is written to the case timeline. Nothing is committed here.
"""
from datetime import timedelta

from flask_babel import force_locale, gettext
from sqlalchemy import (Boolean, Date, DateTime, Text, and_, case, exists, func, insert, literal, literal_column, null,
                        or_, select, type_coerce, update)

from .bulk import among, dialect_insert, iso_date, on_postgresql
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

    Set-based, and written by the database itself: the cases' ids are read in one statement, and
    each chunk of ``batch`` of them is one transaction of three INSERT … SELECT — the reminders
    (each kind worked out from the case row as it is then), the reminded cases' timeline events
    (from the reminders just written) and their notifications — so no case's row travels to Python
    and back (at 1M, 17,000 reminders: the events' parameters and the reminders' arrays were most
    of the run). Once per case per day is the unique constraint's (``uq_reminder_complaint_day``):
    reminders are inserted with ON CONFLICT DO NOTHING RETURNING the cases actually inserted, and
    only those get a timeline event, a count and notifications (once per recipient, case and day by
    ``uq_notification_remind``) — so two runs at once (two app servers' cron) never duplicate
    anything and never fail on each other's rows. E-mail goes out after the last chunk is
    committed; a mail failure is logged and changes nothing written.

    Returns counts by kind plus ``notified`` and ``emailed`` (messages). Safe to run several
    times a day.
    """
    now = now or clock.now()
    today = now.date()
    calendar = load_calendar()
    within = settings.due_soon_working_days()
    horizon = cal.add_working_days(calendar, today, within).date
    ids = _remind_candidates(today, horizon)

    counts = {"due_soon": 0, "overdue": 0, "appeal_due_soon": 0, "appeal_overdue": 0, "notified": 0, "emailed": 0}
    mailing = send_mail and mail.enabled()
    roles = office_ids = None
    emails = []
    for start in range(0, len(ids), batch):
        inserted = _insert_reminders(ids[start:start + batch], today, horizon, now)
        if inserted:
            for kind in inserted.values():
                counts[kind] += 1
            reminded = sorted(inserted)
            _insert_events(reminded, today, now)
            # Issue 23: who must act hears of it in the page header (and by e-mail below): one
            # INSERT … SELECT for the chunk's reminded cases (ascending).
            if roles is None:
                roles = notifications.Roles()
                office_ids = notifications.office_user_ids(roles)
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


def _to_remind(horizon):
    """SQL: a case to remind by ``horizon``: processing with its due date, or appealed with its
    decision deadline, on or before it."""
    return or_(
        and_(Complaint.status == s.PROCESSING, Complaint.due_date <= horizon),
        and_(Complaint.status == s.APPEALED, Complaint.appeal_decision_due <= horizon),
    )


def _remind_candidates(today, horizon):
    """The ids, ascending, of every case to remind on ``today`` (``_to_remind``) not reminded
    today yet."""
    from ..models.reminder import Reminder

    # The table's column, not the mapped attribute: plain rows, without the ORM's loading of each.
    case_id = Complaint.__table__.c.id
    return db.session.execute(
        select(case_id)
        .where(_to_remind(horizon), ~exists().where(Reminder.complaint_id == case_id, Reminder.day == today))
        .order_by(case_id)
    ).scalars().all()


def _insert_reminders(ids, today, horizon, now):
    """Today's reminder of each case of ``ids`` still to remind (``_to_remind``), its kind worked
    out from the case row, skipping a case that already has one today (another run's); {case id:
    kind} of those this statement inserted."""
    from ..models.reminder import Reminder

    if not ids:
        return {}
    appeal = Complaint.status == s.APPEALED
    kind = case((and_(appeal, Complaint.appeal_decision_due < today), "appeal_overdue"),
                (appeal, "appeal_due_soon"),
                (Complaint.due_date < today, "overdue"),
                else_="due_soon")
    table = Reminder.__table__
    source = (select(Complaint.id, literal(today, Date()), kind, literal(now, DateTime()), literal(False, Boolean()))
              .where(among(Complaint.id, ids), _to_remind(horizon))
              .order_by(Complaint.id))
    statement = (dialect_insert(table)
                 .from_select(["complaint_id", "day", "kind", "created_at", "emailed"], source)
                 .on_conflict_do_nothing(index_elements=[table.c.complaint_id, table.c.day])
                 .returning(table.c.complaint_id, table.c.kind))
    return dict(db.session.execute(statement).all())


def _insert_events(reminded, today, now):
    """The 催办提醒 timeline event of each case of ``reminded`` (ids its reminder of ``today`` was
    just inserted for), as ``timeline.record_event`` writes one: the system acts (no actor id, the
    system's display name), the status does not change, the note says the deadline in Chinese and
    the payload its kind and date. Core SQL, no ORM unit of work: the case row is not touched (its
    ``version`` does not move), and the session's listeners (kept report months, shared phones)
    react to changed cases only."""
    from ..models.reminder import Reminder

    due = notifications.case_due()
    overdue_since, due_on = _note_parts()
    note = case((due < today, overdue_since[0] + iso_date(due, 1) + overdue_since[1]),
                else_=due_on[0] + iso_date(due) + due_on[1])
    payload = (func.json_build_object if on_postgresql() else func.json_object)(
        literal_column("'kind'"), Reminder.kind, literal_column("'due'"), iso_date(due))
    columns = {"complaint_id": Reminder.complaint_id, "at": literal(now, DateTime()), "actor_id": null(),
               "actor_name": literal(actor_display_name(None)), "name": literal("remind"),
               "from_status": Complaint.status, "to_status": Complaint.status, "note": note, "payload": payload}
    source = (select(*columns.values())
              .select_from(Reminder).join(Complaint, Complaint.id == Reminder.complaint_id)
              .where(among(Reminder.complaint_id, reminded), Reminder.day == today)
              .order_by(Reminder.complaint_id))
    db.session.execute(insert(ComplaintEvent.__table__).from_select(list(columns), source))


# The date in a note's translation, found and replaced by the SQL that writes the date.
_NOTE_DATE = "\x00date\x00"


def _note_parts():
    """The Chinese notes of a reminder event around their date: ((before, after) of "overdue
    since", (before, after) of "due on"), each as a SQL literal."""
    with force_locale("zh"):
        texts = (gettext("Overdue since %(date)s.", date=_NOTE_DATE), gettext("Due on %(date)s.", date=_NOTE_DATE))
    return tuple(tuple(literal(part, Text()) for part in text.split(_NOTE_DATE, 1)) for text in texts)


def _mark_emailed(today):
    """The reminders of ``today`` whose case's notification went out by e-mail are marked so."""
    from ..models.notification import Notification
    from ..models.reminder import Reminder

    mailed = select(Notification.complaint_id).where(Notification.remind_day == today,
                                                     Notification.emailed_at.isnot(None))
    db.session.execute(update(Reminder.__table__).where(Reminder.day == today, Reminder.emailed.is_(False),
                                                        Reminder.complaint_id.in_(mailed)).values(emailed=True))
    db.session.commit()
