"""The reporting period and unit (domain.md §8): parsed once for pages, API and export.

A period is [start, end] of the date of receipt, both days included. Bad input raises
``ValidationFailed`` (400, translated); a unit outside the caller's scope raises ``NotFound``
(404: never reveal that it exists).
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import FrozenSet, Optional

from flask import current_app, has_app_context
from flask_babel import gettext
from marshmallow import ValidationError

from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..ids import row_id
from ..models import OrgUnit
from ..security.scope import scope_of, staff_of, subtree_ids
from ..domain.payloads import EARLIEST, LATEST, OUT_OF_RANGE, BeijingDate

DEFAULT_MAX_YEARS = 3


@dataclass(frozen=True)
class Period:
    """Dates of receipt from ``start`` to ``end`` inclusive, for ``unit`` (None: the caller's scope)."""

    start: date
    end: date
    unit: Optional[OrgUnit] = None
    unit_ids: Optional[FrozenSet[int]] = None  # the unit's subtree; None = no unit restriction

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start, time.min)

    @property
    def ends_before(self) -> datetime:
        """The first instant after the period (half-open bound keeps the index usable)."""
        return datetime.combine(self.end + timedelta(days=1), time.min)

    def query_args(self) -> dict:
        """The period as URL parameters (for links and the export button)."""
        args = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.unit is not None:
            args["unit_id"] = self.unit.id
        return args


def max_years() -> int:
    """``REPORT_MAX_YEARS`` (default 3): the longest period a report covers."""
    if has_app_context():
        return int(current_app.config.get("REPORT_MAX_YEARS", DEFAULT_MAX_YEARS))
    return DEFAULT_MAX_YEARS


def _date(value, field):
    """A report date as every date field of the API takes it (``YYYY-MM-DD``, or a date-time: its
    Beijing date; years 1900–2100), else a translated 400."""
    try:
        return BeijingDate().deserialize(str(value).strip())
    except ValidationError as error:
        out_of_range = error.messages == [OUT_OF_RANGE]
        raise ValidationFailed(gettext(OUT_OF_RANGE) if out_of_range else gettext("Enter a date as YYYY-MM-DD."),
                               field=field)


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def default_period(today: date):
    """The year to date: 1 January of ``today``'s year to ``today``."""
    return date(today.year, 1, 1), today


def parse_period(user, args, today: date) -> Period:
    """Parse ``start``, ``end`` and ``unit_id`` from ``args`` (a mapping of strings).

    Missing dates default to the year to date; a date outside 1900–2100, ``end`` before
    ``start`` or a span longer than ``REPORT_MAX_YEARS`` years is refused. ``unit_id`` must be a unit inside the caller's scope;
    without it a user whose scope is part of the organisation reports on its own unit's subtree.
    """
    default_start, default_end = default_period(today)
    raw_start = (args.get("start") or "").strip()
    raw_end = (args.get("end") or "").strip()
    end = _date(raw_end, "end") if raw_end else default_end
    start = _date(raw_start, "start") if raw_start else (date(end.year, 1, 1) if raw_end else default_start)
    if end < start:
        raise ValidationFailed(gettext("The end of the period cannot be before its start."), field="end")
    years = max_years()
    if end >= _years_later(start, years):
        raise ValidationFailed(
            gettext("The period cannot be longer than %(years)d years.", years=years), field="end"
        )

    scope = scope_of(user)
    raw_unit = args.get("unit_id")
    unit = None
    if raw_unit not in (None, ""):
        try:
            unit_id = int(str(raw_unit).strip())
        except (TypeError, ValueError):
            raise ValidationFailed(gettext("Not a valid integer."), field="unit_id")
        unit = db.session.get(OrgUnit, unit_id) if row_id(unit_id) is not None else None
        if unit is None or not scope.covers(unit.id):
            raise NotFound(gettext("The unit does not exist."))
    elif not scope.everything:
        staff = staff_of(user)
        unit = db.session.get(OrgUnit, staff.unit_id) if staff is not None else None
    unit_ids = subtree_ids(unit.id) if unit is not None else None
    if unit is None and not scope.everything:
        unit_ids = frozenset()
    return Period(start=start, end=end, unit=unit, unit_ids=unit_ids)


# --- a quarter (issue 23: the quarterly regulatory report) -----------------------------------------

_QUARTER = re.compile(r"([0-9]{4})\s*-?\s*Q\s*([1-4])", re.IGNORECASE)


@dataclass(frozen=True)
class Quarter:
    """A calendar quarter of receipt (``year``, ``number`` 1–4) as a reporting ``period``."""

    year: int
    number: int
    period: Period

    @property
    def label(self) -> str:
        return f"{self.year}-Q{self.number}"

    def query_args(self) -> dict:
        args = {"quarter": self.label}
        if self.period.unit is not None:
            args["unit_id"] = self.period.unit.id
        return args


def quarter_bounds(year: int, number: int):
    """The first and last day of quarter ``number`` of ``year``."""
    first = date(year, 3 * number - 2, 1)
    after = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return first, after - timedelta(days=1)


def previous_quarter(today: date):
    """(year, number) of the last whole quarter before ``today``'s: the one to report."""
    number = (today.month - 1) // 3 + 1
    return (today.year - 1, 4) if number == 1 else (today.year, number - 1)


def parse_quarter(user, args, today: date) -> Quarter:
    """``quarter`` (``YYYY-Qn``, e.g. ``2026-Q3``; default the last whole quarter) and ``unit_id`` from
    ``args``, as ``parse_period`` takes a unit: a text that is not a quarter, or a year outside
    1900–2100, is refused (400, translated, on the field ``quarter``)."""
    raw = (args.get("quarter") or "").strip()
    if not raw:
        year, number = previous_quarter(today)
    else:
        found = _QUARTER.fullmatch(raw)
        if found is None:
            raise ValidationFailed(gettext("Enter a quarter as YYYY-Qn, for example 2026-Q3."), field="quarter")
        year, number = int(found.group(1)), int(found.group(2))
        if not EARLIEST.year <= year <= LATEST.year:
            raise ValidationFailed(gettext(OUT_OF_RANGE), field="quarter")
    start, end = quarter_bounds(year, number)
    period = parse_period(user, {"start": start.isoformat(), "end": end.isoformat(), "unit_id": args.get("unit_id")},
                          today)
    return Quarter(year, number, period)


def units_for_picker(user):
    """(id, name, depth) of the units the caller may report on, in tree order."""
    scope = scope_of(user)
    rows = db.session.execute(
        db.select(OrgUnit.id, OrgUnit.name, OrgUnit.parent_id, OrgUnit.kind, OrgUnit.code).order_by(OrgUnit.code)
    ).all()
    children = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    ids = {row.id for row in rows}
    roots = [row for row in rows if row.parent_id is None or row.parent_id not in ids]
    out = []

    def walk(row, depth):
        if scope.covers(row.id):
            out.append((row.id, row.name, depth))
        for child in children.get(row.id, ()):
            walk(child, depth + 1 if scope.covers(row.id) else depth)

    for root in roots:
        walk(root, 0)
    return out


def report_permissions(user) -> frozenset:
    """The user's permission names on the Report resource (``can_read``, ``can_assess`` …)."""
    from ..security import permissions as p
    from ..security.request_cache import request_cache

    memo = request_cache()
    key = ("report_permissions", getattr(user, "id", None))
    if key in memo:
        return memo[key]
    names = set()
    for role in getattr(user, "roles", None) or []:
        for pv in role.permissions:
            if pv.view_menu and pv.view_menu.name == p.REPORT and pv.permission:
                names.add(pv.permission.name)
    memo[key] = frozenset(names)
    return memo[key]


def may(user, permission: str) -> bool:
    """``user`` holds ``permission`` (``read``, ``assess``, ``export``) on the Report resource."""
    return f"can_{permission}" in report_permissions(user)
