"""The counting primitives of the reports (domain.md §8): the conditions, the counted columns,
the grouped rows and their sums (``Grouped``), fees, the reply days (``ReplyDays``) and the staff
held responsible (``StaffRulings``). The live reports (``statistics``) and the kept months
(``monthly``) both count with these, so a figure is defined once.

Portable SQL only (SQLite and PostgreSQL): ``date()`` of a timestamp, ``EXTRACT`` of year and
month, CASE — no dialect-specific date arithmetic.

Kept in one module (about 400 lines) on purpose: every counted column and the classes that sum
them must agree on the same names, so a figure is added in one place.
"""
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from operator import add
from typing import Dict, List, Optional

from sqlalchemy import and_, extract, false, func, literal, or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import OrgUnit, Staff
from ..models.complaint import Complaint, not_a_duplicate
from ..models.ruling import Ruling, RulingStaff
from ..security.scope import complaint_clause
from ..services.deadlines import day_of
from ..domain import states as s
from .period import Period

RULING_CATEGORIES = (*s.RULING_CATEGORIES[s.RESPONSIBLE], *s.RULING_CATEGORIES[s.NOT_RESPONSIBLE])
RESPONSIBLE_CATEGORIES = s.RULING_CATEGORIES[s.RESPONSIBLE]
CENT = Decimal("0.01")


# --- building blocks --------------------------------------------------------------------------

def count_where(condition):
    """``COUNT(*) FILTER (WHERE condition)`` (SQLite ≥ 3.30, PostgreSQL): never NULL, and about
    twice as fast as SUM(CASE …) over a year's cases."""
    return func.count().filter(condition)


def counted():
    """Issue 23: the matter of a duplicate is counted with its original: a case marked as a
    duplicate is left out of every figure (the pages say how many were merged)."""
    return not_a_duplicate()


def period_conditions(user, period: Period) -> list:
    """The caller's scope, the period of receipt and the unit's subtree, duplicates included."""
    conditions = [
        complaint_clause(user, Complaint),
        Complaint.received_at >= period.starts_at,
        Complaint.received_at < period.ends_before,
    ]
    if period.unit_ids is not None:
        conditions.append(Complaint.branch_id.in_(sorted(period.unit_ids)) if period.unit_ids else false())
    return conditions


def base_conditions(user, period: Period) -> list:
    """The cases the figures count: ``period_conditions`` without the duplicates."""
    return [*period_conditions(user, period), counted()]


def merged_duplicates(user, period: Period) -> int:
    """How many cases of the period are duplicates merged into another (not counted)."""
    return db.session.execute(select(func.count()).select_from(Complaint).where(
        *period_conditions(user, period), Complaint.duplicate_of_id.isnot(None))).scalar_one()


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

def ruling_key(code: str) -> str:
    return f"ruling_{code.replace('.', '_')}"


def late_columns(late):
    """The overdue counts (§12, §13), ``late`` being the overdue condition: ``overdue(today)``
    for a live count, ``replied_late()`` or ``open_late(today)`` for its two parts."""
    return [
        count_where(late).label("overdue"),
        count_where(and_(late, extended())).label("overdue_with_extension"),
        count_where(and_(late, not_extended())).label("overdue_without_extension"),
        count_where(and_(late, Complaint.replied_at.is_(None))).label("overdue_open"),
    ]


def count_columns(late):
    """Every count of the reports, as labelled ``COUNT(*) FILTER`` columns (all additive)."""
    columns = [func.count().label("received")]
    columns += [count_where(Complaint.status == code).label(f"status_{code}") for code in s.STATUSES]
    columns += [count_where(Complaint.channel == code).label(f"channel_{code}") for code in s.CHANNELS]
    columns += [count_where(Complaint.category == code).label(f"category_{code}") for code in s.CATEGORIES]
    columns += [count_where(Complaint.ruling_category == code).label(ruling_key(code)) for code in RULING_CATEGORIES]
    columns += [
        count_where(Complaint.status.in_(s.OPEN_STATUSES)).label("open"),
        count_where(replied()).label("replied"),
        count_where(on_time()).label("on_time"),
        *late_columns(late),
        count_where(extended()).label("extended"),
        count_where(Complaint.extension_status == s.EXT_REQUESTED).label("extension_pending"),
        count_where(Complaint.ruling_result == s.RESPONSIBLE).label("responsible"),
        count_where(Complaint.ruling_result == s.NOT_RESPONSIBLE).label("not_responsible"),
        count_where(Complaint.ruling_final.is_(True)).label("rulings_final"),
        count_where(Complaint.appeal_applied_on.isnot(None)).label("appeals_filed"),
        count_where(Complaint.appeal_decision.isnot(None)).label("appeals_decided"),
        count_where(Complaint.appeal_decision == "changed").label("appeals_changed"),
        count_where(Complaint.appeal_decision == "upheld").label("appeals_upheld"),
        count_where(Complaint.status == s.APPEALED).label("appeals_pending"),
        count_where(Complaint.followed_up_at.isnot(None)).label("follow_up_done"),
        count_where(Complaint.follow_up_satisfied.is_(True)).label("follow_up_satisfied"),
        count_where(Complaint.follow_up_satisfied.is_(False)).label("follow_up_unsatisfied"),
        count_where(and_(Complaint.status == s.CLOSED, Complaint.followed_up_at.is_(None))).label("follow_up_awaiting"),
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
        empty = {ruling_key(code): 0 for code in RESPONSIBLE_CATEGORIES}
        for (staff_id, category, share), (n, fee) in self.parts.items():
            person = people.get(staff_id)
            if person is None:
                person = people[staff_id] = dict(empty, staff_id=staff_id, responsible=0, fee_borne=Decimal(0))
            person["responsible"] += n
            key = ruling_key(category)
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
