"""The quarterly regulatory report of JR/T 0169-2018 (issue 23): the complaints received in a
quarter, counted by business channel (A), business type (B) and complaint reason (C) — each
dimension's codes in the table's order with the codes above them as subtotals, and every A × B × C
combination — and by handling time (replied within 10 / 20 / more working days, on time or past
the deadline), scoped to the caller like every report (``figures.base_conditions``).

What is counted: the cases received in the quarter, in the caller's scope and the unit's subtree,
except duplicates (counted once, with their original) and rejected complaints (不予受理: not
accepted as complaints, §4, §8); the report says how many of each it leaves out, and how many of
those it counts are still unconfirmed (their codes as registration suggested them) or unclassified.

Four statements whatever the data: the counts by (A, B, C, confirmed) with the deadline figures,
the (day received, day replied) pairs, the cases left out, and the code table (read once per request).
"""
from datetime import date
from typing import Dict, List

from sqlalchemy import and_, func, select

from ..domain import calendar as cal
from ..domain import jrt0169 as j
from ..domain import states as s
from ..extensions import db
from ..models.complaint import Complaint
from ..services import classification
from ..services.calendar import load_calendar
from ..services.deadlines import overdue_clause
from .figures import ReplyDays, base_conditions, count_where, extended, on_time, period_conditions, replied, \
    reply_day_rows
from .period import Quarter

# Handling time (§12): working days from receipt (not counted) to the reply. 10 and 20 are the
# branch-level and union-level deadlines.
BUCKETS = (("within_10", 10), ("within_20", 20))


def counted_conditions(user, period) -> list:
    """The cases the report counts: the period's in scope, no duplicate, no rejected complaint."""
    return [*base_conditions(user, period), Complaint.status != s.REJECTED]


def _cube(conditions, today):
    """Counts by (A, B, C, confirmed), with each group's deadline figures."""
    late = overdue_clause(today)
    query = (
        select(Complaint.jrt_channel_id, Complaint.jrt_business_id, Complaint.jrt_reason_id, Complaint.jrt_confirmed,
               func.count().label("n"), count_where(replied()).label("replied"),
               count_where(on_time()).label("on_time"), count_where(late).label("overdue"),
               count_where(and_(late, Complaint.replied_at.is_(None))).label("overdue_open"),
               count_where(extended()).label("extended"))
        .where(*conditions)
        .group_by(Complaint.jrt_channel_id, Complaint.jrt_business_id, Complaint.jrt_reason_id, Complaint.jrt_confirmed)
    )
    return [row._mapping for row in db.session.execute(query)]


def _left_out(user, period):
    """(duplicates, rejected complaints) of the period in scope: the cases the report leaves out."""
    row = db.session.execute(select(
        count_where(Complaint.duplicate_of_id.isnot(None)),
        count_where(and_(Complaint.duplicate_of_id.is_(None), Complaint.status == s.REJECTED)),
    ).where(*period_conditions(user, period))).one()
    return int(row[0]), int(row[1])


def _handling_days(conditions, calendar) -> Dict[str, int]:
    """The replied cases by working days from receipt to reply (receipt day not counted)."""
    buckets = {name: 0 for name, _ in BUCKETS}
    buckets["beyond_20"] = 0
    days = ReplyDays()
    parsed = {}

    def day(value):
        if value not in parsed:
            parsed[value] = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        return parsed[value]

    for row in reply_day_rows(conditions):
        received, replied_on, n = day(row["received"]), day(row["replied"]), int(row["n"])
        working = cal.working_days_between(calendar, received, replied_on)
        name = next((name for name, limit in BUCKETS if working <= limit), "beyond_20")
        buckets[name] += n
        days.add(received.toordinal(), replied_on.toordinal(), n)
    buckets["average_working_days_to_reply"] = days.average(calendar)
    return buckets


def _dimension(dimension, table, counts, confirmed, unclassified, quarter: Quarter) -> dict:
    """One dimension's table: its codes in force during the quarter (or carried by a counted case),
    in the table's order, each with the cases it carries and those of the codes below it."""
    start, end = quarter.period.start, quarter.period.end
    codes = [entry for entry in table if entry.dimension == dimension]
    by_id = {entry.id: entry for entry in codes}
    total = {entry.code: 0 for entry in codes}
    total_confirmed = {entry.code: 0 for entry in codes}
    for code_id, n in counts.items():
        entry = by_id.get(code_id)
        if entry is None:
            continue
        for code in (entry.code, *j.ancestors(codes, entry.code)):
            total[code] += n
            total_confirmed[code] += confirmed.get(code_id, 0)
    depth = j.depths(codes)
    parents = {entry.parent for entry in codes if entry.parent is not None and j.valid_during(entry, start, end)}
    rows = [{
        "code": entry.code,
        "name": entry.name,
        "parent": entry.parent,
        "depth": depth[entry.code],
        "subtotal": entry.code in parents,
        "count": total[entry.code],
        "confirmed": total_confirmed[entry.code],
        "own": counts.get(entry.id, 0),
    } for entry in j.tree_order(codes) if j.valid_during(entry, start, end) or total[entry.code]]
    classified = sum(n for code_id, n in counts.items() if code_id in by_id)
    return {"dimension": dimension, "total": classified, "unclassified": unclassified, "rows": rows}


def quarterly(user, quarter: Quarter, today: date) -> dict:
    """The quarterly report of ``quarter`` (its period and unit) for ``user`` as JSON-ready data."""
    period = quarter.period
    conditions = counted_conditions(user, period)
    cube = _cube(conditions, today)
    duplicates, rejected = _left_out(user, period)
    table = classification.entries()
    names = {entry.id: entry for entry in table}

    counts = {dimension: {} for dimension in j.DIMENSIONS}
    confirmed_counts = {dimension: {} for dimension in j.DIMENSIONS}
    unclassified_by = {dimension: 0 for dimension in j.DIMENSIONS}
    sums = {"counted": 0, "confirmed": 0, "unclassified": 0, "replied": 0, "on_time": 0, "overdue": 0,
            "overdue_open": 0, "extended": 0}
    combinations: Dict[tuple, List[int]] = {}
    for row in cube:
        ids = {j.CHANNEL: row["jrt_channel_id"], j.BUSINESS: row["jrt_business_id"], j.REASON: row["jrt_reason_id"]}
        n = int(row["n"])
        is_confirmed = bool(row["jrt_confirmed"])
        sums["counted"] += n
        sums["confirmed"] += n if is_confirmed else 0
        for key in ("replied", "on_time", "overdue", "overdue_open", "extended"):
            sums[key] += int(row[key])
        if any(value is None for value in ids.values()):
            sums["unclassified"] += n
        for dimension, code_id in ids.items():
            if code_id is None:
                unclassified_by[dimension] += n
                continue
            counts[dimension][code_id] = counts[dimension].get(code_id, 0) + n
            if is_confirmed:
                confirmed_counts[dimension][code_id] = confirmed_counts[dimension].get(code_id, 0) + n
        if all(value is not None for value in ids.values()):
            key = (ids[j.CHANNEL], ids[j.BUSINESS], ids[j.REASON])
            entry = combinations.setdefault(key, [0, 0])
            entry[0] += n
            entry[1] += n if is_confirmed else 0

    order = {entry.id: position for position, entry in enumerate(j.tree_order(table))}

    def code(code_id):
        entry = names[code_id]
        return {"code": entry.code, "name": entry.name}

    handling = _handling_days(conditions, load_calendar())
    replied_count = sums["replied"]
    return {
        "quarter": quarter.label,
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat(),
                   "unit_id": period.unit.id if period.unit is not None else None,
                   "unit": period.unit.name if period.unit is not None else None},
        "today": today.isoformat(),
        "counted": sums["counted"],
        "confirmed": sums["confirmed"],
        "unconfirmed": sums["counted"] - sums["confirmed"],
        "unclassified": sums["unclassified"],
        "left_out": {"duplicates": duplicates, "rejected": rejected},
        "dimensions": {dimension: _dimension(dimension, table, counts[dimension], confirmed_counts[dimension],
                                             unclassified_by[dimension], quarter) for dimension in j.DIMENSIONS},
        "combinations": [
            {"channel": code(a), "business": code(b), "reason": code(c), "count": n, "confirmed": sure}
            for (a, b, c), (n, sure) in sorted(combinations.items(),
                                               key=lambda item: tuple(order.get(i, 0) for i in item[0]))
        ],
        "handling": {
            "replied": replied_count,
            "within_10": handling["within_10"],
            "within_20": handling["within_20"],
            "beyond_20": handling["beyond_20"],
            "not_replied": sums["counted"] - replied_count,
            "on_time": sums["on_time"],
            "overdue": sums["overdue"],
            "overdue_open": sums["overdue_open"],
            "extended": sums["extended"],
            "average_working_days_to_reply": handling["average_working_days_to_reply"],
        },
    }


def layout(data) -> List[dict]:
    """The A × B × C rows as the page and the workbook lay them out: each combination, a subtotal
    after each (A, B) group and after each A group, and the total: ``{"kind": "item" | "subtotal_b" |
    "subtotal_a" | "total", "channel", "business", "reason", "count", "confirmed"}``."""
    out = []
    total = [0, 0]
    combos = data["combinations"]
    index = 0
    while index < len(combos):
        channel = combos[index]["channel"]
        a_sum = [0, 0]
        while index < len(combos) and combos[index]["channel"] == channel:
            business = combos[index]["business"]
            b_sum = [0, 0]
            while (index < len(combos) and combos[index]["channel"] == channel
                   and combos[index]["business"] == business):
                item = combos[index]
                out.append({"kind": "item", **item})
                b_sum[0] += item["count"]
                b_sum[1] += item["confirmed"]
                index += 1
            out.append({"kind": "subtotal_b", "channel": channel, "business": business, "reason": None,
                        "count": b_sum[0], "confirmed": b_sum[1]})
            a_sum = [a_sum[0] + b_sum[0], a_sum[1] + b_sum[1]]
        out.append({"kind": "subtotal_a", "channel": channel, "business": None, "reason": None,
                    "count": a_sum[0], "confirmed": a_sum[1]})
        total = [total[0] + a_sum[0], total[1] + a_sum[1]]
    out.append({"kind": "total", "channel": None, "business": None, "reason": None,
                "count": total[0], "confirmed": total[1]})
    return out

