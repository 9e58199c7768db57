"""The work calendar as the services see it (domain.md §5; deadlines of §12, §13, §14).

The database holds the dates that differ from Monday–Friday (holidays, make-up working days
调休), the named holidays and the days an administrator confirmed, plus a per-year
"published" flag. ``load_calendar`` turns them into the pure ``WorkCalendar`` the deadline
arithmetic takes. Every change goes through one function here: check → change → flush →
``on_calendar_changed`` (due dates of open cases are recomputed in the same transaction) →
one commit. Bad input raises ``ValidationFailed`` and changes nothing. Whole schedules from
the ``chinesecalendar`` package or a file are planned and applied by ``calendar_import``.
"""
import importlib
import importlib.util
from datetime import date, timedelta
from types import MappingProxyType
from typing import Callable, List, Optional, Set

from flask import g, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..ids import row_id as valid_id
from ..models.calendar import SOURCE_ADMIN, CalendarYear, WorkDay
from ..domain.calendar import WorkCalendar
from .. import clock

MIN_YEAR = 2000
MAX_YEAR = 2100
NAME_MAX_LENGTH = 64
NOTE_MAX_LENGTH = 200
_CACHE_KEY = "_work_calendar"
_DEADLINES_MODULE = __name__.rsplit(".", 1)[0] + ".deadlines"


# --- reading -----------------------------------------------------------------------------------

def _read_calendar() -> WorkCalendar:
    overrides = dict(db.session.execute(select(WorkDay.date, WorkDay.is_workday)).all())
    published = db.session.execute(select(CalendarYear.year).where(CalendarYear.published.is_(True))).scalars()
    return WorkCalendar(overrides=MappingProxyType(overrides), published_years=frozenset(published))


def load_calendar() -> WorkCalendar:
    """§5: the calendar deadlines are computed with, read from the database once per request.

    Cached in ``flask.g``; every change made here (and any flush of a calendar row) drops the
    cache, so the next call sees the new calendar.
    """
    if not has_app_context():
        return _read_calendar()
    calendar = g.get(_CACHE_KEY)
    if calendar is None:
        calendar = _read_calendar()
        setattr(g, _CACHE_KEY, calendar)
    return calendar


def invalidate_calendar() -> None:
    """Forget the calendar cached for this request."""
    if has_app_context():
        g.pop(_CACHE_KEY, None)


@event.listens_for(Session, "after_flush")
def _drop_cache_on_calendar_flush(session, flush_context):
    """A flushed calendar row, by whatever path, invalidates the per-request cache."""
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, (WorkDay, CalendarYear)):
            invalidate_calendar()
            return


@event.listens_for(Session, "after_soft_rollback")
def _drop_cache_on_rollback(session, previous_transaction):
    """A rollback may discard calendar rows the cache was read with."""
    invalidate_calendar()


def year_days(year: int) -> List[date]:
    """Every date of ``year``."""
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]


# --- the change hook -----------------------------------------------------------------------------

def on_calendar_changed(changed_dates: Set[date], user) -> None:
    """§5 / api.md: a calendar change recomputes the due dates of open complaints it affects.

    Called once by every change operation, after its rows are flushed and before its commit,
    so the recompute is part of the same transaction. ``changed_dates`` are the dates whose
    working-day status or published flag changed (possibly empty when only a name changed).
    Delegates to ``app.services.deadlines.recompute_for_dates`` when that module exists.
    """
    if importlib.util.find_spec(_DEADLINES_MODULE) is None:
        return
    deadlines = importlib.import_module(_DEADLINES_MODULE)
    deadlines.recompute_for_dates(set(changed_dates), user)


def user_id_of(user) -> Optional[int]:
    return getattr(user, "id", None) if getattr(user, "is_authenticated", True) else None


def run_change(apply: Callable[[], Set[date]], user) -> Set[date]:
    """One change operation: apply → flush → hook → commit; any failure rolls everything back.

    ``apply`` makes the changes and returns the dates it touched; the hook receives those
    whose working-day status or published flag actually differs afterwards.
    """
    try:
        with db.session.no_autoflush:
            before = _read_calendar()
        touched = apply()
        try:
            db.session.flush()
        except IntegrityError:
            raise Conflict(_l("The calendar was changed by someone else at the same time; reload and try again.")) from None
        invalidate_calendar()
        after = load_calendar()
        changed = {
            day for day in touched
            if before.is_workday(day) != after.is_workday(day) or before.is_published(day) != after.is_published(day)
        }
        on_calendar_changed(changed, user)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        invalidate_calendar()
        raise
    invalidate_calendar()
    return changed


# --- checks --------------------------------------------------------------------------------------

def _check_year(year, field_name="year") -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed(
            _l("The year must be between %(first)d and %(last)d.", first=MIN_YEAR, last=MAX_YEAR), field=field_name
        )
    return year


def _clean_name(name) -> Optional[str]:
    if name is None:
        return None
    if not isinstance(name, str):
        raise ValidationFailed(_l("Not a valid string."), field="name")
    name = name.strip()
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationFailed(_l("The name may have at most %(count)d characters.", count=NAME_MAX_LENGTH), field="name")
    return name or None


def check_day(day, is_workday, name=None, row_id: Optional[int] = None) -> Optional[str]:
    """Validate one calendar day (a date in 2000–2100, a yes/no flag, a short name, not yet listed).

    Returns the cleaned name. ``row_id`` is the row being edited (its own date is no clash).
    """
    if not isinstance(day, date):
        raise ValidationFailed(_l("A date is required."), field="date")
    _check_year(day.year, "date")
    if not isinstance(is_workday, bool):
        raise ValidationFailed(_l("State whether the day is a working day."), field="is_workday")
    cleaned = _clean_name(name)
    with db.session.no_autoflush:
        clash = db.session.execute(
            select(WorkDay.id).where(WorkDay.date == day, WorkDay.id != (row_id or 0))
        ).first()
    if clash:
        raise ValidationFailed(_l("This date is already in the calendar; edit that day instead."), field="date")
    return cleaned


# --- single days ---------------------------------------------------------------------------------

def add_day(day: date, is_workday: bool, name: Optional[str] = None, user=None,
            row: Optional[WorkDay] = None) -> WorkDay:
    """§5: an administrator adds a day (e.g. a holiday or make-up working day of next year).

    ``row`` is an unsaved ``WorkDay`` to persist (the one a form or API schema built).
    """
    cleaned = check_day(day, is_workday, name)
    row = row if row is not None else WorkDay()

    def apply():
        row.date, row.is_workday, row.name = day, is_workday, cleaned
        row.source = SOURCE_ADMIN
        row.updated_at = clock.now()
        row.updated_by_id = user_id_of(user)
        db.session.add(row)
        return {day}

    run_change(apply, user)
    return row


def get_day(row_id) -> WorkDay:
    """The calendar day with id ``row_id`` (404 when it does not exist)."""
    row = db.session.get(WorkDay, row_id) if valid_id(row_id) is not None else None
    if row is None:
        raise NotFound(_l("This calendar day does not exist."))
    return row


def _stored_day(row_id: int):
    """The stored date of day ``row_id`` (read from the database, not from a row a form may have
    changed already) and its row; NotFound when there is none."""
    with db.session.no_autoflush:
        old = db.session.execute(select(WorkDay.date).where(WorkDay.id == row_id)).scalar()
        if old is None:
            raise NotFound(_l("This calendar day does not exist."))
        return old, get_day(row_id)


def update_day(row_id: int, day: date, is_workday: bool, name: Optional[str] = None, user=None) -> WorkDay:
    """§5: an administrator corrects a day; the row becomes an administrator's day.

    Safe when a form has already written the new values into the (unflushed) row: the old
    state is read from the database.
    """
    cleaned = check_day(day, is_workday, name, row_id=row_id)
    old, row = _stored_day(row_id)

    def apply():
        row.date, row.is_workday, row.name = day, is_workday, cleaned
        row.source = SOURCE_ADMIN
        row.updated_at = clock.now()
        row.updated_by_id = user_id_of(user)
        return {old, day}

    run_change(apply, user)
    return row


def remove_day(row_id: int, user=None) -> None:
    """§5: an administrator removes a day; that date follows Monday–Friday again."""
    old, row = _stored_day(row_id)

    def apply():
        db.session.delete(row)
        return {old}

    run_change(apply, user)


# --- years ---------------------------------------------------------------------------------------

def set_year_published(year: int, published: bool, user=None, note=None, source: str = SOURCE_ADMIN) -> CalendarYear:
    """§5: mark a year's official schedule as in the calendar (published) or not.

    Deadlines reaching an unpublished year are provisional (临时); publishing makes them final.
    ``note`` (when given; "" clears it) replaces the year's note.
    """
    _check_year(year)
    if not isinstance(published, bool):
        raise ValidationFailed(_l("State whether the year is published."), field="published")
    note_given = note is not None
    if note_given:
        if not isinstance(note, str) or len(note.strip()) > NOTE_MAX_LENGTH:
            raise ValidationFailed(_l("The note may have at most %(count)d characters.", count=NOTE_MAX_LENGTH), field="note")
        note = note.strip() or None
    with db.session.no_autoflush:
        row = db.session.get(CalendarYear, year)

    def apply():
        target = row if row is not None else CalendarYear(year=year)
        target.published = published
        target.source = source
        if note_given or row is None:
            target.note = note
        db.session.add(target)
        # The before/after comparison keeps only the dates whose published flag really changed.
        return set(year_days(year))

    run_change(apply, user)
    return db.session.get(CalendarYear, year)


def check_new_year(year) -> None:
    """A year is listed once; change the existing entry instead of adding it again."""
    _check_year(year)
    with db.session.no_autoflush:
        if db.session.execute(select(CalendarYear.year).where(CalendarYear.year == year)).first():
            raise ValidationFailed(_l("This year is already listed; edit it instead."), field="year")
