"""Complaint statistics (domain.md §8; §9 考核, §12–§15, §17–§19) as SQL aggregates.

Every query is restricted by ``complaint_clause(user, Complaint)`` — the caller's scope — and by
the period of receipt and the unit's subtree (``Period``). Figures come from GROUP BY and
COUNT(*) FILTER aggregates; Python only loops over the aggregated groups, never over cases,
so a call issues the same number of statements whatever the data size.

The period selects complaints by their date of receipt (a cohort): every figure describes the
complaints received in the period, whatever happened to them later.

Portable SQL only (SQLite and PostgreSQL): ``date()`` of a timestamp, ``EXTRACT`` of year and
month, CASE — no dialect-specific date arithmetic. Working days to reply need the work calendar,
which lives in Python: the replied complaints are reduced to net replies per day (``ReplyDays``,
from one group per pair of days, or kept per month), and the calendar is applied once to those.
"""
from collections import OrderedDict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from operator import add
from typing import Dict, List, Optional

from flask import current_app, has_app_context
from sqlalchemy import and_, extract, false, func, literal, or_, select, true
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import OrgUnit, Staff
from ..models.complaint import Complaint
from ..models.ruling import Ruling, RulingStaff
from ..security.scope import complaint_clause
from ..services.calendar import load_calendar
from ..services import deadlines
from ..services.deadlines import day_of, open_late, replied_late  # noqa: F401 (read by monthly)
from ..services.deadlines import overdue_clause as overdue  # noqa: F401 (read by monthly)
from ..domain import calendar as cal
from ..domain import states as s
from . import monthly
from .period import Period

RULING_CATEGORIES = (*s.RULING_CATEGORIES[s.RESPONSIBLE], *s.RULING_CATEGORIES[s.NOT_RESPONSIBLE])
RESPONSIBLE_CATEGORIES = s.RULING_CATEGORIES[s.RESPONSIBLE]
CENT = Decimal("0.01")
ATTENTION_LIMIT = 20


# --- building blocks --------------------------------------------------------------------------

def _count(condition):
    """``COUNT(*) FILTER (WHERE condition)`` (SQLite ≥ 3.30, PostgreSQL): never NULL, and about
    twice as fast as SUM(CASE …) over a year's cases."""
    return func.count().filter(condition)


def base_conditions(user, period: Period) -> list:
    """The caller's scope, the period of receipt and the unit's subtree."""
    conditions = [
        complaint_clause(user, Complaint),
        Complaint.received_at >= period.starts_at,
        Complaint.received_at < period.ends_before,
    ]
    if period.unit_ids is not None:
        conditions.append(Complaint.branch_id.in_(sorted(period.unit_ids)) if period.unit_ids else false())
    return conditions


def replied():
    return Complaint.replied_at.isnot(None)


def on_time():
    """§12: replied by the due date (the date of the reply counts, not its hour)."""
    return and_(replied(), Complaint.due_date.isnot(None), day_of(Complaint.replied_at) <= Complaint.due_date)


def extended():
    return Complaint.extension_status == s.EXT_APPROVED


def not_extended():
    return Complaint.extension_status != s.EXT_APPROVED


def effective_ruling():
    """The ruling that counts (§17): the re-ruling once decided, else the committee's ruling."""
    return or_(
        Ruling.kind == "reruling",
        and_(Ruling.kind == "ruling", Complaint.reruling_status != s.RERULING_DECIDED),
    )


def money(value) -> Decimal:
    """A sum of yuan rounded to the fen (0.01)."""
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def rate(part: int, whole: int) -> Optional[float]:
    """``part / whole`` rounded to 4 places; None when nothing to divide."""
    return round(part / whole, 4) if whole else None


# --- the queries ------------------------------------------------------------------------------

def _ruling_key(code: str) -> str:
    return f"ruling_{code.replace('.', '_')}"


def late_columns(late):
    """The overdue counts (§12, §13), ``late`` being the overdue condition: ``overdue(today)``
    for a live count, ``replied_late()`` or ``open_late(today)`` for its two parts."""
    return [
        _count(late).label("overdue"),
        _count(and_(late, extended())).label("overdue_with_extension"),
        _count(and_(late, not_extended())).label("overdue_without_extension"),
        _count(and_(late, Complaint.replied_at.is_(None))).label("overdue_open"),
    ]


def count_columns(late):
    """Every count of the reports, as labelled ``COUNT(*) FILTER`` columns (all additive)."""
    columns = [func.count().label("received")]
    columns += [_count(Complaint.status == code).label(f"status_{code}") for code in s.STATUSES]
    columns += [_count(Complaint.channel == code).label(f"channel_{code}") for code in s.CHANNELS]
    columns += [_count(Complaint.category == code).label(f"category_{code}") for code in s.CATEGORIES]
    columns += [_count(Complaint.ruling_category == code).label(_ruling_key(code)) for code in RULING_CATEGORIES]
    columns += [
        _count(Complaint.status.in_(s.OPEN_STATUSES)).label("open"),
        _count(replied()).label("replied"),
        _count(on_time()).label("on_time"),
        *late_columns(late),
        _count(extended()).label("extended"),
        _count(Complaint.extension_status == s.EXT_REQUESTED).label("extension_pending"),
        _count(Complaint.ruling_result == s.RESPONSIBLE).label("responsible"),
        _count(Complaint.ruling_result == s.NOT_RESPONSIBLE).label("not_responsible"),
        _count(Complaint.ruling_final.is_(True)).label("rulings_final"),
        _count(Complaint.appeal_applied_on.isnot(None)).label("appeals_filed"),
        _count(Complaint.appeal_decision.isnot(None)).label("appeals_decided"),
        _count(Complaint.appeal_decision == "changed").label("appeals_changed"),
        _count(Complaint.appeal_decision == "upheld").label("appeals_upheld"),
        _count(Complaint.status == s.APPEALED).label("appeals_pending"),
        _count(Complaint.followed_up_at.isnot(None)).label("follow_up_done"),
        _count(Complaint.follow_up_satisfied.is_(True)).label("follow_up_satisfied"),
        _count(Complaint.follow_up_satisfied.is_(False)).label("follow_up_unsatisfied"),
        _count(and_(Complaint.status == s.CLOSED, Complaint.followed_up_at.is_(None))).label("follow_up_awaiting"),
    ]
    return columns


COUNT_NAMES = tuple(column.name for column in count_columns(literal(True)))


def grouped_rows(conditions, columns, session=None) -> List[dict]:
    """``columns`` over the cases matching ``conditions``, by (branch, year, month of receipt):
    one pass over the covering report index. Rows carry ``g_branch``, ``g_year``, ``g_month``."""
    keys = group_keys()  # the same objects in both places (PostgreSQL matches the expressions)
    query = select(*keys, *columns).where(*conditions).group_by(*keys)
    return [dict(row._mapping) for row in (session or db.session).execute(query)]


def group_keys():
    """(branch, year, month of receipt), labelled ``g_branch``, ``g_year``, ``g_month``."""
    # "+ 0" keeps the planner on the covering report index: grouping by the bare branch
    # column makes SQLite prefer the branch index and read every case row.
    return (
        (Complaint.branch_id + 0).label("g_branch"),
        extract("year", Complaint.received_at).label("g_year"),
        extract("month", Complaint.received_at).label("g_month"),
    )


class Grouped:
    """The period's counts by (branch, year, month); totals, branches and months are sums of
    these groups (every count is additive, so groups of the same key may repeat: counted case
    by case, read from ``complaint_month``, or one part of a count each).

    Counts are held as lists in the order of ``COUNT_NAMES`` and summed in one pass."""

    def __init__(self, rows=()):
        self.names = COUNT_NAMES
        self._groups: Dict[tuple, list] = {}
        self._sums = None
        self.add_rows(rows)

    def add(self, branch_id: int, year: int, month: int, values) -> None:
        """Add counts in the order of ``COUNT_NAMES`` (a shorter list: the rest are 0)."""
        key = (branch_id, year, month)
        sums = self._groups.get(key)
        if sums is None:
            sums = self._groups[key] = [0] * len(self.names)
        sums[:len(values)] = map(add, sums, values)
        self._sums = None

    def add_rows(self, rows) -> None:
        """Add ``grouped_rows`` rows (any subset of the names)."""
        for row in rows:
            self.add(row["g_branch"], int(row["g_year"]), int(row["g_month"]),
                     [row.get(name) or 0 for name in self.names])

    def _summed(self):
        if self._sums is None:
            size = len(self.names)
            total, branches, months = [0] * size, {}, {}
            for (branch_id, year, month), values in self._groups.items():
                for sums in (total, branches.get(branch_id), months.get((year, month))):
                    if sums is not None:
                        sums[:] = map(add, sums, values)
                branches.setdefault(branch_id, list(values))
                months.setdefault((year, month), list(values))
            self._sums = (total, branches, months)
        return self._sums

    def _named(self, values) -> dict:
        return dict(zip(self.names, values))

    def totals(self) -> dict:
        return self._named(self._summed()[0])

    def by_branch(self) -> list:
        """Per branch complained about, in unit-code order, with the branch's name."""
        sums = self._summed()[1]
        units = {}
        if sums:
            units = {unit.id: unit for unit in db.session.execute(
                select(OrgUnit).where(OrgUnit.id.in_(sorted(sums)))).scalars()}
        out = []
        for branch_id, values in sums.items():
            unit = units.get(branch_id)
            out.append(dict(self._named(values), branch_id=branch_id, branch=unit.name if unit else "",
                            code=unit.code if unit else ""))
        return sorted(out, key=lambda row: row["code"])

    def by_month(self) -> dict:
        return {key: self._named(values) for key, values in self._summed()[2].items()}


def fee_sums(conditions, *keys):
    """§18(四): the fees borne under the effective rulings of the cases matching
    ``conditions``, summed by ``keys`` (columns of the case)."""
    return (
        select(*keys, func.sum(Ruling.fee_borne).label("fee"))
        .join(Complaint, Complaint.id == Ruling.complaint_id)
        .where(*conditions, effective_ruling(), Ruling.fee_borne.isnot(None))
        .group_by(*keys)
    )


def fees_by_branch(conditions) -> Dict[int, Decimal]:
    """Fees per branch complained about."""
    branch = Complaint.branch_id + 0  # the covering report index, not the branch index (see Grouped)
    return {branch_id: money(total) for branch_id, total in db.session.execute(fee_sums(conditions, branch))}


def _months(start: date, end: date):
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _staff_named(conditions):
    """Per staff member: the complaints naming it (respondent)."""
    unit = aliased(OrgUnit)
    query = (
        select(Complaint.respondent_staff_id.label("staff_id"), Staff.name.label("staff"),
               Staff.employee_no.label("employee_no"), unit.name.label("unit"), func.count().label("named"))
        .join(Staff, Staff.id == Complaint.respondent_staff_id)
        .join(unit, unit.id == Staff.unit_id)
        .where(*conditions)
        .group_by(Complaint.respondent_staff_id, Staff.name, Staff.employee_no, unit.name)
    )
    return [row._mapping for row in db.session.execute(query)]


def _overruns(conditions, today):
    """§13: the unlicensed overruns (未经许可超时) per unit and per staff member holding the case on
    the day it became overdue — attributed exactly as the accountability list attributes them."""
    from collections import Counter

    holders = deadlines.overdue_holders(conditions, today).values()
    return (Counter(unit for unit, _ in holders if unit is not None),
            Counter(staff for _, staff in holders if staff is not None))


def _staff_ruling_columns():
    """One row per staff member held responsible by an effective ruling on a matching case:
    the ruling's category, how many staff it names (the fee's share, §18(四)) and its fee."""
    named = aliased(RulingStaff)
    share = (
        select(func.count()).select_from(named).where(named.ruling_id == Ruling.id)
        .correlate(Ruling).scalar_subquery()
    )
    return (RulingStaff.staff_id.label("staff_id"), Ruling.category.label("category"), share.label("share"),
            func.coalesce(Ruling.fee_borne, 0).label("fee"))


def staff_ruling_rows(conditions, keys=(), session=None) -> List[dict]:
    """The staff held responsible in the matching cases, grouped by ``keys`` (columns of the
    case), staff member, category and share: ``n`` rulings and their ``fee`` (summed fees,
    each to be split by ``share``). Led by the period's responsible cases (the report index)."""
    inner = (
        select(*keys, *_staff_ruling_columns())
        .select_from(Complaint)
        .join(RulingStaff, RulingStaff.complaint_id == Complaint.id)
        # "+ 0": the cases lead; SQLite would otherwise walk every ruling first. ``|| ''``:
        # the period's cases, not every responsible case ever (the ruling result's index).
        .join(Ruling, Ruling.id == RulingStaff.ruling_id + 0)
        .where(*conditions, Complaint.ruling_result + "" == s.RESPONSIBLE, effective_ruling(),
               Ruling.result == s.RESPONSIBLE)
        .subquery()
    )
    grouping = [inner.c[key.name] for key in keys] + [inner.c.staff_id, inner.c.category, inner.c.share]
    query = select(*grouping, func.count().label("n"), func.sum(inner.c.fee).label("fee")).group_by(*grouping)
    return [dict(row._mapping) for row in (session or db.session).execute(query)]


class StaffRulings:
    """Per staff member held responsible (§18): the rulings by category and the fee borne — a
    fee on a ruling naming several staff is split equally among them (§18(四)). Summed from
    parts (staff, category, share) → (rulings, fees), so months add up exactly: each share is
    divided once, in Decimal, when read."""

    def __init__(self):
        self.parts: Dict[tuple, list] = {}

    def add(self, staff_id: int, category: str, share: int, n: int, fee) -> None:
        part = self.parts.setdefault((staff_id, category, int(share)), [0, Decimal(0)])
        part[0] += int(n)
        part[1] += Decimal(str(fee or 0))

    def add_rows(self, rows) -> "StaffRulings":
        for row in rows:
            self.add(row["staff_id"], row["category"], row["share"], row["n"], row["fee"])
        return self

    def kept(self) -> list:
        return [[staff_id, category, share, n, str(fee)]
                for (staff_id, category, share), (n, fee) in sorted(self.parts.items())]

    def add_kept(self, parts) -> None:
        for staff_id, category, share, n, fee in parts:
            self.add(staff_id, category, share, n, fee)

    def rows(self) -> List[dict]:
        """Per staff member, in employee-number order, with name and unit."""
        people: Dict[int, dict] = {}
        empty = {_ruling_key(code): 0 for code in RESPONSIBLE_CATEGORIES}
        for (staff_id, category, share), (n, fee) in self.parts.items():
            person = people.get(staff_id)
            if person is None:
                person = people[staff_id] = dict(empty, staff_id=staff_id, responsible=0, fee_borne=Decimal(0))
            person["responsible"] += n
            key = _ruling_key(category)
            if key in person:
                person[key] += n
            person["fee_borne"] += fee / share
        if not people:
            return []
        unit = aliased(OrgUnit)
        found = db.session.execute(
            select(Staff.id, Staff.name, Staff.employee_no, unit.name)
            .join(unit, unit.id == Staff.unit_id).where(Staff.id.in_(sorted(people))))
        for staff_id, name, employee_no, unit_name in found:
            people[staff_id].update(staff=name, employee_no=employee_no, unit=unit_name)
        out = [dict(person, fee_borne=money(person["fee_borne"])) for person in people.values() if "staff" in person]
        return sorted(out, key=lambda person: (person["employee_no"], person["staff_id"]))


def _repeat_complainants(conditions):
    """Complainants (same phone number) with more than one complaint in the period: how many, and
    how many complaints they made. Grouped from the cases whose number another case shares
    (``reports/repeats.py``). The numbers themselves never leave the database."""
    phone = Complaint.complainant_phone
    repeats = (
        select(phone.label("phone"), func.count().label("n"))
        .where(*conditions, Complaint.phone_shared == true(), phone.isnot(None))
        .group_by(phone)
        .having(func.count() > 1)
        .subquery()
    )
    row = db.session.execute(select(func.count(), func.coalesce(func.sum(repeats.c.n), 0)).select_from(repeats)).one()
    return int(row[0]), int(row[1])


def reply_day_rows(conditions, keys=(), session=None) -> List[dict]:
    """The replied complaints by ``keys`` (columns of the case) and pair of days (``received``,
    ``replied``, untyped ``date()`` text on SQLite): ``n`` complaints per group."""
    received_day = func.date(Complaint.received_at).label("received")
    replied_day = func.date(Complaint.replied_at).label("replied")
    grouping = (*keys, received_day, replied_day)
    query = select(*grouping, func.count().label("n")).where(*conditions, replied()).group_by(*grouping)
    return [dict(row._mapping) for row in (session or db.session).execute(query)]


class ReplyDays:
    """§12: the working days from receipt to reply (the receipt day not counted), averaged over
    the replied complaints.

    The working days between two days are the difference of a running count of working days, so
    their sum over the complaints is Σ count(reply day) − Σ count(receipt day): what is summed is
    a net number of complaints per day (+1 on its reply day, −1 on its receipt day). Such day
    counts add up across months and branches, and the calendar is applied only when they are
    read: a calendar change never makes a kept figure wrong."""

    def __init__(self):
        self.total = 0
        self.net: Dict[int, int] = {}  # date ordinal → replies that day minus receipts that day

    def add(self, received: int, replied: int, n: int) -> None:
        """``n`` complaints received and replied on these day ordinals."""
        self.total += n
        if replied > received:  # a same-day reply takes 0 days (and an earlier one is counted 0)
            self.net[replied] = self.net.get(replied, 0) + n
            self.net[received] = self.net.get(received, 0) - n

    def add_pairs(self, pairs) -> "ReplyDays":
        """``(date received, date replied, n)`` triples."""
        for received, replied_on, n in pairs:
            self.add(received.toordinal(), replied_on.toordinal(), int(n))
        return self

    def add_rows(self, rows) -> "ReplyDays":
        """``reply_day_rows`` rows."""
        days = {}

        def ordinal(value):
            # date() is text on SQLite: parse each distinct day once.
            found = days.get(value)
            if found is None:
                found = days[value] = (value if isinstance(value, date)
                                       else date.fromisoformat(str(value)[:10])).toordinal()
            return found

        for row in rows:
            self.add(ordinal(row["received"]), ordinal(row["replied"]), int(row["n"]))
        return self

    def kept(self, month: date) -> list:
        """``[total, [day, net, day, net, …]]``, days counted from ``month`` (its first day)."""
        base = month.toordinal()
        flat = []
        for day in sorted(self.net):
            if self.net[day]:
                flat += [day - base, self.net[day]]
        return [self.total, flat]

    def add_kept(self, month: date, kept) -> None:
        total, flat = kept
        self.total += total
        base = month.toordinal()
        net = self.net
        for index in range(0, len(flat), 2):
            day = base + flat[index]
            net[day] = net.get(day, 0) + flat[index + 1]

    def average(self, calendar) -> Optional[float]:
        if not self.total:
            return None
        days = [day for day, n in self.net.items() if n]
        if not days:
            return 0.0
        first, last = min(days), max(days)
        running, working = 0, 0
        for ordinal in range(first, last + 1):
            if ordinal > first and calendar.is_workday(date.fromordinal(ordinal)):
                running += 1
            n = self.net.get(ordinal)
            if n:
                working += n * running
        return round(working / self.total, 2)


def average_working_days(pairs, calendar) -> Optional[float]:
    """§12: mean working days from receipt to reply of ``(date received, date replied, n)``."""
    return ReplyDays().add_pairs(pairs).average(calendar)


def due_soon_days() -> int:
    """Working days ahead that count as "due soon" (``DUE_SOON_WORKING_DAYS``, default 2)."""
    if has_app_context():
        return int(current_app.config.get("DUE_SOON_WORKING_DAYS", 2))
    return 2


def _attention_conditions(user, period: Period, today: date, calendar):
    """Open cases overdue now, and due within the "due soon" window (§5), in scope and unit.

    These are current work lists, so they ignore the period of receipt.
    """
    scoped = [complaint_clause(user, Complaint), Complaint.status == s.PROCESSING, Complaint.due_date.isnot(None)]
    if period.unit_ids is not None:
        scoped.append(Complaint.branch_id.in_(sorted(period.unit_ids)) if period.unit_ids else false())
    limit = cal.add_working_days(calendar, today, due_soon_days() + 1).date
    return scoped, Complaint.due_date < today, and_(Complaint.due_date >= today, Complaint.due_date < limit)


def attention(user, period: Period, today: date, limit: int = ATTENTION_LIMIT) -> dict:
    """The overdue and due-soon lists (no complainant identity at all) and their full counts."""
    calendar = load_calendar()
    scoped, is_overdue, is_soon = _attention_conditions(user, period, today, calendar)
    counts = db.session.execute(select(_count(is_overdue), _count(is_soon)).where(*scoped)).one()
    branch = aliased(OrgUnit)
    handling = aliased(OrgUnit)
    handler = aliased(Staff)

    def rows(condition):
        query = (
            select(
                Complaint.id, Complaint.number, Complaint.received_at, Complaint.category, Complaint.level,
                Complaint.due_date, Complaint.extension_status,
                branch.name.label("branch"), handling.name.label("handling_unit"), handler.name.label("handler"),
            )
            # "+ 0": the cases lead (status and due date index); joined on the bare column,
            # SQLite may walk every unit and read each unit's cases through the branch index.
            .join(branch, branch.id == Complaint.branch_id + 0)
            .outerjoin(handling, handling.id == Complaint.handling_unit_id)
            .outerjoin(handler, handler.id == Complaint.handler_id)
            .where(*scoped, condition)
            .order_by(Complaint.due_date, Complaint.id)
            .limit(limit)
        )
        return [dict(row._mapping) for row in db.session.execute(query)]

    return {
        "overdue_count": int(counts[0]),
        "due_soon_count": int(counts[1]),
        "overdue": rows(is_overdue),
        "due_soon": rows(is_soon),
    }


# --- the summary -----------------------------------------------------------------------------

def summary(user, period: Period, today: date) -> dict:
    """All figures of the period as JSON-ready data (api.md "Reports")."""
    conditions = base_conditions(user, period)
    kept = monthly.figures(user, period, today)
    fees = kept.fees
    totals = kept.grouped.totals()
    branches = kept.grouped.by_branch()
    months = kept.grouped.by_month()
    staff = kept.staff.rows()
    repeat_people, repeat_complaints = _repeat_complainants(conditions)
    average = kept.reply_days.average(load_calendar())

    replied_count = int(totals["replied"])
    on_time_count = int(totals["on_time"])
    follow_up_done = int(totals["follow_up_done"])
    satisfied = int(totals["follow_up_satisfied"])
    fees_total = sum(fees.values(), Decimal("0.00"))
    return {
        "period": {
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "unit_id": period.unit.id if period.unit is not None else None,
            "unit": period.unit.name if period.unit is not None else None,
        },
        "today": today.isoformat(),
        "received": int(totals["received"]),
        "open": int(totals["open"]),
        "by_status": {code: int(totals[f"status_{code}"]) for code in s.STATUSES},
        "by_channel": {code: int(totals[f"channel_{code}"]) for code in s.CHANNELS},
        "by_category": {code: int(totals[f"category_{code}"]) for code in s.CATEGORIES},
        "by_branch": [
            {
                "branch_id": row["branch_id"],
                "branch": row["branch"],
                "received": int(row["received"]),
                "by_category": {code: int(row[f"category_{code}"]) for code in s.CATEGORIES},
                "replied": int(row["replied"]),
                "on_time": int(row["on_time"]),
                "on_time_rate": rate(int(row["on_time"]), int(row["replied"])),
                "overdue": int(row["overdue"]),
                "overdue_without_extension": int(row["overdue_without_extension"]),
                "responsible": int(row["responsible"]),
                "not_responsible": int(row["not_responsible"]),
                "fees_borne": float(fees.get(row["branch_id"], Decimal("0.00"))),
            }
            for row in branches
        ],
        "by_month": [
            {
                "month": f"{year:04d}-{month:02d}",
                "received": int(months[(year, month)]["received"]) if (year, month) in months else 0,
                "replied": int(months[(year, month)]["replied"]) if (year, month) in months else 0,
                "on_time": int(months[(year, month)]["on_time"]) if (year, month) in months else 0,
                "overdue": int(months[(year, month)]["overdue"]) if (year, month) in months else 0,
                "responsible": int(months[(year, month)]["responsible"]) if (year, month) in months else 0,
            }
            for year, month in _months(period.start, period.end)
        ],
        "replied": replied_count,
        "on_time": on_time_count,
        "on_time_rate": rate(on_time_count, replied_count),
        "average_working_days_to_reply": average,
        "overdue": {
            "total": int(totals["overdue"]),
            "with_extension": int(totals["overdue_with_extension"]),
            "without_extension": int(totals["overdue_without_extension"]),
            "open": int(totals["overdue_open"]),
        },
        "extensions": {"approved": int(totals["extended"]), "pending": int(totals["extension_pending"])},
        "rulings": {
            "responsible": int(totals["responsible"]),
            "not_responsible": int(totals["not_responsible"]),
            "final": int(totals["rulings_final"]),
            "by_category": {code: int(totals[_ruling_key(code)]) for code in RULING_CATEGORIES},
            "by_staff": [
                {
                    "staff_id": row["staff_id"],
                    "staff": row["staff"],
                    "unit": row["unit"],
                    "responsible": int(row["responsible"]),
                    "fee_borne": float(money(row["fee_borne"])),
                }
                for row in staff
            ],
        },
        "fees_borne": float(fees_total),
        "appeals": {
            "filed": int(totals["appeals_filed"]),
            "decided": int(totals["appeals_decided"]),
            "changed": int(totals["appeals_changed"]),
            "upheld": int(totals["appeals_upheld"]),
            "pending": int(totals["appeals_pending"]),
        },
        "follow_up": {
            "done": follow_up_done,
            "satisfied": satisfied,
            "unsatisfied": int(totals["follow_up_unsatisfied"]),
            "awaiting": int(totals["follow_up_awaiting"]),
            "satisfaction_rate": rate(satisfied, follow_up_done),
        },
        "repeat_complainants": {"complainants": repeat_people, "complaints": repeat_complaints},
    }


# --- the assessment (考核表) -------------------------------------------------------------------

def assessment(user, period: Period, today: date, rules) -> dict:
    """Per branch and per staff member: the counted events and the points under ``rules``
    (active ``AssessmentRule`` rows; see ``reports.rules``)."""
    from .rules import BRANCH_COUNTS, STAFF_COUNTS, score

    conditions = base_conditions(user, period)
    kept = monthly.figures(user, period, today)
    fees = kept.fees
    unit_overruns, staff_overruns = _overruns(conditions, today)
    branches = []
    for row in kept.grouped.by_branch():
        counts = {key: int(row[column]) for key, column in BRANCH_COUNTS.items()}
        counts["overdue_without_extension"] = unit_overruns.pop(row["branch_id"], 0)
        branches.append({
            "branch_id": row["branch_id"],
            "branch": row["branch"],
            "received": int(row["received"]),
            "responsible": int(row["responsible"]),
            "responsible_by_category": {code: int(row[_ruling_key(code)]) for code in RESPONSIBLE_CATEGORIES},
            "overdue_without_extension": counts["overdue_without_extension"],
            "appeals_changed": int(row["appeals_changed"]),
            "follow_up_unsatisfied": int(row["follow_up_unsatisfied"]),
            "fees_borne": float(fees.get(row["branch_id"], Decimal("0.00"))),
            "points": float(score(rules, counts)),
        })
    # Units that held an overdue case without being a branch complained about in the period
    # (a cooperative, the union's departments) answer for it too.
    if unit_overruns:
        names = dict(db.session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(unit_overruns))).all())
        for unit_id, late in sorted(unit_overruns.items(), key=lambda item: names.get(item[0], "")):
            counts = {key: 0 for key in BRANCH_COUNTS} | {"overdue_without_extension": late}
            branches.append({
                "branch_id": unit_id, "branch": names.get(unit_id, "—"), "received": 0, "responsible": 0,
                "responsible_by_category": {code: 0 for code in RESPONSIBLE_CATEGORIES},
                "overdue_without_extension": late, "appeals_changed": 0, "follow_up_unsatisfied": 0,
                "fees_borne": 0.0, "points": float(score(rules, counts)),
            })

    people: "OrderedDict[int, dict]" = OrderedDict()

    def person(row):
        entry = people.get(row["staff_id"])
        if entry is None:
            entry = people[row["staff_id"]] = {
                "staff_id": row["staff_id"], "staff": row["staff"], "employee_no": row["employee_no"],
                "unit": row["unit"], "named": 0, "responsible": 0,
                "responsible_by_category": {code: 0 for code in RESPONSIBLE_CATEGORIES},
                "overdue_without_extension": 0, "fees_borne": 0.0,
            }
        return entry

    for row in _staff_named(conditions):
        person(row)["named"] = int(row["named"])
    if staff_overruns:
        unit = aliased(OrgUnit)
        for row in db.session.execute(
            select(Staff.id.label("staff_id"), Staff.name.label("staff"), Staff.employee_no.label("employee_no"),
                   unit.name.label("unit"))
            .join(unit, unit.id == Staff.unit_id).where(Staff.id.in_(staff_overruns))
        ):
            person(row._mapping)["overdue_without_extension"] = staff_overruns[row.staff_id]
    for row in kept.staff.rows():
        entry = person(row)
        entry["responsible"] = int(row["responsible"])
        entry["responsible_by_category"] = {code: int(row[_ruling_key(code)]) for code in RESPONSIBLE_CATEGORIES}
        entry["fees_borne"] = float(money(row["fee_borne"]))
    staff = sorted(people.values(), key=lambda entry: (entry["unit"], entry["employee_no"]))
    for entry in staff:
        counts = {key: getter(entry) for key, getter in STAFF_COUNTS.items()}
        entry["points"] = float(score(rules, counts))
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat(),
                   "unit_id": period.unit.id if period.unit is not None else None},
        "rules": [
            {"key": rule.key, "label": rule.label, "basis": rule.basis, "points": float(rule.points),
             "active": bool(rule.active)}
            for rule in rules
        ],
        "branches": branches,
        "staff": staff,
    }
