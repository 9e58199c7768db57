"""Planned changes of the work calendar from the ``chinesecalendar`` package or a CSV file
(domain.md §5): what would change is previewed (added, changed and removed days, years to
publish), then applied through ``calendar.run_change`` — the one change path, which recomputes
the due dates of open cases in the same transaction. A file is validated row by row before
anything is written; every bad row is named.
"""
import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Iterable, List, Optional

import chinese_calendar
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import select

from ..domain.textfile import decode_text
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..models.calendar import SOURCE_IMPORT, SOURCE_PACKAGE, CalendarYear, WorkDay
from .. import clock
from .calendar import MAX_YEAR, MIN_YEAR, NAME_MAX_LENGTH, run_change, user_id_of, year_days

MAX_CSV_BYTES = 256 * 1024
MAX_CSV_ROWS = 2000
MAX_REPORTED_ROW_ERRORS = 10

PACKAGE_FIRST_YEAR = min(chinese_calendar.holidays).year
PACKAGE_LAST_YEAR = max(chinese_calendar.holidays).year

# Official names as the State Council notices spell them (the package abbreviates some).
_HOLIDAY_NAMES = {
    chinese_calendar.Holiday.new_years_day: "元旦",
    chinese_calendar.Holiday.spring_festival: "春节",
    chinese_calendar.Holiday.tomb_sweeping_day: "清明节",
    chinese_calendar.Holiday.labour_day: "劳动节",
    chinese_calendar.Holiday.dragon_boat_festival: "端午节",
    chinese_calendar.Holiday.national_day: "国庆节",
    chinese_calendar.Holiday.mid_autumn_festival: "中秋节",
}
MAKE_UP_SUFFIX = "调休"


# --- planned changes (package, file) -------------------------------------------------------------

@dataclass(frozen=True)
class DaySpec:
    """What a schedule says about one date."""

    date: date
    is_workday: bool
    name: Optional[str] = None


@dataclass(frozen=True)
class DayChange:
    """One date that an import adds, changes or removes (``new`` is None when removed)."""

    date: date
    old: Optional[DaySpec]
    new: Optional[DaySpec]
    old_source: Optional[str] = None


@dataclass
class CalendarChanges:
    """What an import does (or, for a preview, would do)."""

    source: str
    added: List[DayChange] = field(default_factory=list)
    changed: List[DayChange] = field(default_factory=list)
    removed: List[DayChange] = field(default_factory=list)
    years_published: List[int] = field(default_factory=list)
    years: List[int] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed or self.years_published)

    def fingerprint(self) -> str:
        """A digest of the planned changes: a confirmation must apply exactly what was previewed."""
        parts = [self.source, ",".join(map(str, self.years_published))]
        for kind, items in (("a", self.added), ("c", self.changed), ("r", self.removed)):
            for change in items:
                parts.append(f"{kind}{change.date}{change.old}{change.new}{change.old_source}")
        return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()


def _existing(years: Iterable[int]):
    years = sorted(set(years))
    if not years:
        return {}
    rows = db.session.execute(
        select(WorkDay).where(WorkDay.date >= date(years[0], 1, 1), WorkDay.date <= date(years[-1], 12, 31))
    ).scalars()
    wanted = set(years)
    return {row.date: row for row in rows if row.date.year in wanted}


def _plan(source: str, wanted: dict, years: Iterable[int], replace: bool, publish: bool,
          keep: Callable[[WorkDay], bool] = lambda row: False) -> CalendarChanges:
    """Compare ``wanted`` ({date: DaySpec}) with the stored days of ``years``.

    ``replace`` removes stored days of those years that ``wanted`` lacks; ``keep(row)`` shields
    rows from being changed or removed. ``publish`` marks the years published.
    """
    years = sorted(set(years))
    changes = CalendarChanges(source=source, years=years)
    with db.session.no_autoflush:
        existing = _existing(years)
        for day in sorted(wanted):
            spec = wanted[day]
            row = existing.get(day)
            if row is None:
                changes.added.append(DayChange(day, None, spec))
            elif keep(row):
                continue
            elif (row.is_workday, row.name) != (spec.is_workday, spec.name):
                changes.changed.append(DayChange(day, DaySpec(day, row.is_workday, row.name), spec, row.source))
        if replace:
            for day in sorted(set(existing) - set(wanted)):
                row = existing[day]
                if not keep(row):
                    changes.removed.append(DayChange(day, DaySpec(day, row.is_workday, row.name), None, row.source))
        if publish:
            stored = {
                y.year: y for y in db.session.execute(select(CalendarYear).where(CalendarYear.year.in_(years))).scalars()
            }
            for year in years:
                entry = stored.get(year)
                if entry is None or (not entry.published and not keep(entry)):
                    changes.years_published.append(year)
    return changes


def _apply(changes: CalendarChanges, user) -> CalendarChanges:
    """Write a plan in one change operation (one hook call, one commit)."""
    if changes.empty:
        return changes

    def apply():
        stamp = clock.now()
        user_id = user_id_of(user)
        existing = _existing({c.date.year for c in (*changes.changed, *changes.removed)})
        touched = set()
        for change in changes.removed:
            db.session.delete(existing[change.date])
            touched.add(change.date)
        for change in changes.changed:
            row = existing[change.date]
            row.is_workday, row.name, row.source = change.new.is_workday, change.new.name, changes.source
            row.updated_at, row.updated_by_id = stamp, user_id
            touched.add(change.date)
        for change in changes.added:
            db.session.add(WorkDay(
                date=change.date, is_workday=change.new.is_workday, name=change.new.name,
                source=changes.source, updated_at=stamp, updated_by_id=user_id,
            ))
            touched.add(change.date)
        for year in changes.years_published:
            entry = db.session.get(CalendarYear, year) or CalendarYear(year=year)
            entry.published = True
            entry.source = changes.source
            db.session.add(entry)
            touched.update(year_days(year))
        return touched

    run_change(apply, user)
    return changes


# --- the chinesecalendar package -----------------------------------------------------------------

def package_years() -> List[int]:
    """The years chinesecalendar knows (2004–2026 for 1.11.0)."""
    return list(range(PACKAGE_FIRST_YEAR, PACKAGE_LAST_YEAR + 1))


def _holiday_name(english: Optional[str]) -> Optional[str]:
    if english is None:
        return None
    try:
        holiday = chinese_calendar.Holiday(english)
    except ValueError:
        return english
    return _HOLIDAY_NAMES.get(holiday, holiday.chinese)


def _not_covered(year: int) -> ValidationFailed:
    return ValidationFailed(_l(
        "The calendar package covers %(first)d–%(last)d only; load %(year)d from a file.",
        first=PACKAGE_FIRST_YEAR, last=PACKAGE_LAST_YEAR, year=year,
    ), field="year")


def package_schedule(year: int) -> dict:
    """§5: ``year`` from chinesecalendar — days that differ from Monday–Friday plus named holidays.

    Holidays carry the holiday's name (国庆节), make-up working days its name + 调休
    (国庆节调休). A year the package does not cover raises ``ValidationFailed``, never the
    package's ``NotImplementedError``.
    """
    if isinstance(year, bool) or not isinstance(year, int) or not PACKAGE_FIRST_YEAR <= year <= PACKAGE_LAST_YEAR:
        raise _not_covered(year)
    schedule = {}
    for day in year_days(year):
        try:
            on_holiday, english = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            raise _not_covered(year)
        is_workday = not on_holiday
        name = _holiday_name(english)
        if name is not None and is_workday:
            name += MAKE_UP_SUFFIX
        if is_workday != (day.weekday() < 5) or name is not None:
            schedule[day] = DaySpec(day, is_workday, name)
    return schedule


def _package_plan(years) -> CalendarChanges:
    years = package_years() if years is None else sorted(set(years))
    wanted = {}
    for year in years:
        wanted.update(package_schedule(year))
    # An administrator's or a file's decision wins over the package: only package rows change.
    return _plan(SOURCE_PACKAGE, wanted, years, replace=True, publish=True,
                 keep=lambda row: row.source != SOURCE_PACKAGE)


def preview_package(years: Optional[Iterable[int]] = None) -> CalendarChanges:
    """What ``import_from_package(years)`` would change, without writing."""
    return _package_plan(years)


def import_from_package(years: Optional[Iterable[int]] = None, user=None) -> CalendarChanges:
    """§5: pre-fill the calendar from chinesecalendar for ``years`` (default: all it covers).

    Idempotent. Stores only days that differ from Monday–Friday plus named holidays, marks the
    years published (source ``package``) and never overrides days or years set by an
    administrator or a file import. A year outside the package raises ``ValidationFailed``.
    """
    return _apply(_package_plan(years), user)


# --- CSV files -----------------------------------------------------------------------------------

_TRUE = {"1", "true", "是", "y", "yes"}
_FALSE = {"0", "false", "否", "n", "no"}
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_HEADERS = {"date", "日期"}


class CalendarFileError(ValidationFailed):
    """A calendar file was refused as a whole; ``errors`` lists (row number, message)."""

    def __init__(self, errors):
        self.errors = list(errors)
        shown = [message for _, message in self.errors[:MAX_REPORTED_ROW_ERRORS]]
        text = gettext("The file was not imported and nothing was changed.") + " " + " ".join(shown)
        if len(self.errors) > MAX_REPORTED_ROW_ERRORS:
            text += " " + gettext("(%(count)d more errors)", count=len(self.errors) - MAX_REPORTED_ROW_ERRORS)
        super().__init__(text, field="file")


def _row_error(row: int, message: str):
    return row, gettext("Row %(row)d: %(problem)s", row=row, problem=message)


def _short(value: str) -> str:
    return value if len(value) <= 30 else value[:30] + "…"


def _decode(content) -> str:
    if isinstance(content, str):
        return content
    text = decode_text(content)
    if text is None:
        raise CalendarFileError([(0, gettext("The file is neither UTF-8 nor GBK text."))])
    return text


def parse_csv(content) -> List[DaySpec]:
    """Read a calendar file: columns date, is_workday, name (header row optional).

    Dates ``YYYY-MM-DD`` (also ``YYYY/M/D``); flags 1/0, true/false, 是/否; names up to 64
    characters. The file is validated as a whole: any bad row raises ``CalendarFileError``
    naming every bad row (counted from the file's first line), and nothing is returned.
    """
    if isinstance(content, (bytes, bytearray)) and len(content) > MAX_CSV_BYTES:
        raise CalendarFileError([(0, gettext("The file is too large (at most %(kb)d KB).", kb=MAX_CSV_BYTES // 1024))])
    text = _decode(bytes(content) if isinstance(content, bytearray) else content)
    if len(text.encode("utf-8")) > MAX_CSV_BYTES:
        raise CalendarFileError([(0, gettext("The file is too large (at most %(kb)d KB).", kb=MAX_CSV_BYTES // 1024))])
    errors = []
    days = []
    first_row = {}
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        raise CalendarFileError([(0, gettext("The file is not a valid CSV file."))])
    seen_data = False
    for number, record in enumerate(records, start=1):
        cells = [cell.strip() for cell in record]
        if not any(cells):
            continue
        if not seen_data and cells[0].lstrip("\ufeff").lower() in _HEADERS:
            seen_data = True
            continue
        seen_data = True
        if len(days) + len(errors) >= MAX_CSV_ROWS:
            errors.append(_row_error(number, gettext("too many rows (at most %(count)d).", count=MAX_CSV_ROWS)))
            break
        if len(cells) < 2 or any(cells[3:]):
            errors.append(_row_error(number, gettext("expected the columns date, is_workday, name.")))
            continue
        problem = None
        match = _DATE.match(cells[0])
        day = None
        if match:
            try:
                day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                day = None
        if day is None:
            problem = gettext("“%(value)s” is not a valid date (use YYYY-MM-DD).", value=_short(cells[0]))
        elif not MIN_YEAR <= day.year <= MAX_YEAR:
            problem = gettext("the year must be between %(first)d and %(last)d.", first=MIN_YEAR, last=MAX_YEAR)
        flag = cells[1].lower()
        if problem is None and flag not in _TRUE | _FALSE:
            problem = gettext("“%(value)s” is not a valid workday flag (use 1/0, true/false or 是/否).",
                              value=_short(cells[1]))
        name = cells[2] if len(cells) > 2 else ""
        if problem is None and len(name) > NAME_MAX_LENGTH:
            problem = gettext("the name may have at most %(count)d characters.", count=NAME_MAX_LENGTH)
        if problem is None and day in first_row:
            problem = gettext("the date %(date)s already appears in row %(first)d.", date=day.isoformat(),
                              first=first_row[day])
        if problem is not None:
            errors.append(_row_error(number, problem))
            continue
        first_row[day] = number
        days.append(DaySpec(day, flag in _TRUE, name or None))
    if errors:
        raise CalendarFileError(errors)
    if not days:
        raise CalendarFileError([(0, gettext("The file contains no calendar rows."))])
    return days


def _file_plan(content, replace: bool, publish: bool) -> CalendarChanges:
    days = parse_csv(content)
    wanted = {spec.date: spec for spec in days}
    return _plan(SOURCE_IMPORT, wanted, {d.year for d in wanted}, replace=replace, publish=publish)


def preview_csv(content, replace: bool = True, publish: bool = True) -> CalendarChanges:
    """§5: what importing this file would add, change and remove — nothing is written.

    ``replace``: the file is the whole schedule of each year it mentions (stored days of those
    years missing from the file are removed); otherwise only the listed days are added or
    changed. ``publish``: the years in the file become published.
    """
    return _file_plan(content, replace, publish)


def import_csv(content, user=None, replace: bool = True, publish: bool = True,
               expected_fingerprint: Optional[str] = None) -> CalendarChanges:
    """§5: import a calendar file (e.g. next year's schedule, announced each November).

    Validated as a whole (see ``parse_csv``); a bad row refuses the file and nothing changes.
    With ``expected_fingerprint`` (from a preview), the import is refused when the calendar
    changed since that preview.
    """
    changes = _file_plan(content, replace, publish)
    if expected_fingerprint is not None and changes.fingerprint() != expected_fingerprint:
        raise Conflict(_l("The calendar changed since the preview; review the changes again."))
    return _apply(changes, user)
