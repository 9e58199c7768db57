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
from decimal import Decimal

from flask import current_app, has_app_context
from sqlalchemy import and_, false, func, select, true
from sqlalchemy.orm import aliased

from ..domain import calendar as cal
from ..domain import states as s
from ..extensions import db
from ..models import OrgUnit, Staff
from ..models.complaint import Complaint
from ..security.scope import all_units, complaint_clause
from ..services import deadlines
from ..services.calendar import load_calendar
from . import monthly
from .figures import (
    RESPONSIBLE_CATEGORIES, RULING_CATEGORIES, base_conditions, count_where, merged_duplicates, money, rate,
    ruling_key,
)
from .period import Period

ATTENTION_LIMIT = 20


def _months(start: date, end: date):
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _overruns(conditions, today):
    """§13: the unlicensed overruns (未经许可超时) per unit and per staff member holding the case on
    the day it became overdue — attributed exactly as the accountability list attributes them."""
    from collections import Counter

    holders = deadlines.overdue_holders(conditions, today).values()
    return (Counter(unit for unit, _ in holders if unit is not None),
            Counter(staff for _, staff in holders if staff is not None))


def _repeat_complainants(conditions):
    """Complainants (same phone number) with more than one complaint in the period: how many, and
    how many complaints they made. Grouped from the cases whose number another case shares
    (``reports/repeats.py``). The numbers themselves never leave the database."""
    phone = Complaint.phone_index  # the number's blind index (issue 24): the same caller
    repeats = (
        select(phone.label("phone"), func.count().label("n"))
        .where(*conditions, Complaint.phone_shared == true(), phone.isnot(None))
        .group_by(phone)
        .having(func.count() > 1)
        .subquery()
    )
    row = db.session.execute(select(func.count(), func.coalesce(func.sum(repeats.c.n), 0)).select_from(repeats)).one()
    return int(row[0]), int(row[1])


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


def due_soon_days() -> int:
    """Working days ahead that count as "due soon" (the settings, default 2)."""
    if has_app_context():
        from ..services import settings

        return settings.due_soon_working_days()
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
    counts = db.session.execute(select(count_where(is_overdue), count_where(is_soon)).where(*scoped)).one()
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
            "by_category": {code: int(totals[ruling_key(code)]) for code in RULING_CATEGORIES},
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
        # Issue 23: the period's duplicates, merged into their originals and left out of every figure.
        "duplicates": merged_duplicates(user, period),
    }


# --- the assessment (考核表) -------------------------------------------------------------------

def ranked(rows, units) -> list:
    """The assessment's unit rows with their ``rank`` among the branches: 1 for the most points
    (the fewest deductions), equal points sharing a rank and the next rank skipping as many
    (1, 1, 3). A unit that is not a branch is listed after them without a rank. In rank order,
    then unit-code order."""
    def is_branch(row):
        unit = units.get(row["branch_id"])
        return unit is not None and unit.kind == "branch"

    first = {}  # points → the rank of the first branch with them
    for place, value in enumerate(sorted((row["points"] for row in rows if is_branch(row)), reverse=True), 1):
        first.setdefault(value, place)
    for row in rows:
        row["rank"] = first[row["points"]] if is_branch(row) else None
    return sorted(rows, key=lambda row: (row["rank"] is None, row["rank"] or 0,
                                         getattr(units.get(row["branch_id"]), "code", ""), row["branch_id"]))


def assessment(user, period: Period, today: date, rules) -> dict:
    """Per branch and per staff member: the counted events and the points under ``rules``
    (active ``AssessmentRule`` rows; see ``reports.rules``)."""
    from .rules import BRANCH_COUNTS, STAFF_COUNTS, score

    conditions = base_conditions(user, period)
    kept = monthly.figures(user, period, today)
    fees = kept.fees
    unit_overruns, staff_overruns = _overruns(conditions, today)
    units = {unit.id: unit for unit in all_units()}
    counted = {row["branch_id"]: row for row in kept.grouped.by_branch()}
    # Every branch of the period's unit (or of the whole organisation) is assessed, one without a
    # complaint too: nothing is deducted from it. So is a unit that held an overdue case without
    # being a branch complained about (a cooperative, the union's departments): it answers for it.
    assessed = set(counted) | set(unit_overruns) | {
        unit.id for unit in units.values()
        if unit.kind == "branch" and unit.active and (period.unit_ids is None or unit.id in period.unit_ids)}
    branches = []
    for unit_id in assessed:
        row = counted.get(unit_id) or {}
        counts = {key: int(row.get(column) or 0) for key, column in BRANCH_COUNTS.items()}
        counts["overdue_without_extension"] = unit_overruns.get(unit_id, 0)
        unit = units.get(unit_id)
        branches.append({
            "branch_id": unit_id,
            "branch": unit.name if unit is not None else "—",
            "received": counts["complaint"],
            "responsible": int(row.get("responsible") or 0),
            "responsible_by_category": {code: int(row.get(ruling_key(code)) or 0) for code in RESPONSIBLE_CATEGORIES},
            "overdue_without_extension": counts["overdue_without_extension"],
            "appeals_changed": counts["appeal_changed"],
            "follow_up_unsatisfied": counts["follow_up_unsatisfied"],
            "fees_borne": float(fees.get(unit_id, Decimal("0.00"))),
            "points": float(score(rules, counts)),
            "rank": None,
        })
    branches = ranked(branches, units)

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
        entry["responsible_by_category"] = {code: int(row[ruling_key(code)]) for code in RESPONSIBLE_CATEGORIES}
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
        "duplicates": merged_duplicates(user, period),
    }
