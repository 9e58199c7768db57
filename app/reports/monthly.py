"""Report counts kept per month and branch, so that a long period reads months, not cases.

A report period of a year covers about 130,000 cases at a million complaints, and counting
some fifty figures case by case takes about a second. Every figure of ``figures.Grouped`` is
a count of cases, so counts add up across months: for a caller who sees every complaint, the
whole calendar months of the period come from ``complaint_month`` (one row per month and branch)
and only the partial months at its two ends are counted case by case.

What may be kept:
- every count that does not depend on the day it is read. The one that does — cases still
  processing past their due date (``deadlines.open_late``) — is counted live for the whole
  period from the open cases; the months hold the part that is fixed (replied late);
- the fees borne under the effective rulings (§18(四));
- the reply days (``figures.ReplyDays``): per day, the replies minus the receipts of the
  replied cases. The working days to reply are a difference of running counts of working days,
  so these add up across months, and the calendar is applied when they are read;
- the staff held responsible (``figures.StaffRulings``): rulings and fees per staff member,
  category and number of staff sharing the fee, divided when read.

Only the repeat complainants (distinct phone numbers over the whole period) are not additive;
they are counted from the cases for every period.

How the months stay right:
- **Recomputed from the cases, never adjusted.** Any transaction that adds or changes a
  complaint or a ruling recomputes the (month, branch) rows of those cases from the
  ``complaint`` table before it commits, in the same transaction. It commits or rolls back with
  them, and no series of changes can make a row drift.
- **Concurrent writers on PostgreSQL** serialise per row on a transaction-scoped advisory lock
  taken before the recount. Under READ COMMITTED, each statement after the lock sees what the
  previous holder committed. SQLite has one writer at a time.
- **Versioned.** ``complaint_month_state`` records which definition of the counts the rows
  hold (``version()``). Reports use the months only while it matches the running code. Otherwise
  they count case by case, never wrongly, until ``flask deploy`` or
  ``flask report rebuild-months`` rebuilds them (one grouped pass over the table).
- **Bulk loads rebuild.** Writes that bypass the ORM session (the bench generator's bulk
  inserts) rebuild when they finish.
"""
import hashlib
import json
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import chain
from typing import Dict, Iterable, List, Optional, Set, Tuple

from sqlalchemy import delete, event, func, inspect, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .. import clock
from ..extensions import db
from ..models.complaint import REPORT_COLUMNS, Complaint, ComplaintMonth, ComplaintMonthState
from ..models.ruling import Ruling, RulingStaff
from ..domain import states as s
from ..security.scope import sees_every_complaint
from ..services import deadlines
from . import figures as fig

STATE_ROW = 1
_MONTHS = "report_months"          # session.info: (first day of month, branch id) to recount
_RULED = "report_months_rulings"   # session.info: complaint ids whose rulings changed

Key = Tuple[date, int]


@lru_cache(maxsize=None)
def version() -> str:
    """The definition of the kept counts: their names (a new or renamed figure changes it).
    Bump the leading number when the meaning of an existing count or the form of a kept column
    changes (2: counts as a list in the order of the names; reply days and staff kept; 3: duplicates
    left out, issue 23)."""
    return "3:" + hashlib.sha256(",".join(fig.COUNT_NAMES).encode()).hexdigest()[:12]


# --- months ---------------------------------------------------------------------------------

def first_of(day: date) -> date:
    return day.replace(day=1)


def next_month(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def full_months(start: date, end: date) -> Optional[Tuple[date, date]]:
    """The first days of the first and last calendar months lying wholly in [start, end]."""
    first = start if start.day == 1 else next_month(first_of(start))
    after = end + timedelta(days=1)
    last_end = after if after.day == 1 else first_of(end)  # the first day after the last full month
    if first >= last_end:
        return None
    return first, first_of(last_end - timedelta(days=1))


def is_built() -> bool:
    kept = db.session.execute(
        select(ComplaintMonthState.version).where(ComplaintMonthState.id == STATE_ROW)).scalar()
    return kept == version()


# --- reading ----------------------------------------------------------------------------------

@dataclass
class Figures:
    """What the reports read of a period: the counts, the fees by branch, the reply days and the
    staff held responsible."""

    grouped: fig.Grouped
    fees: Dict[int, Decimal]
    reply_days: fig.ReplyDays
    staff: fig.StaffRulings

    @classmethod
    def empty(cls) -> "Figures":
        return cls(grouped=fig.Grouped(), fees={}, reply_days=fig.ReplyDays(), staff=fig.StaffRulings())

    def add_live(self, conditions, today) -> "Figures":
        """Add the cases matching ``conditions``, counted case by case."""
        self.grouped.add_rows(fig.grouped_rows(conditions, fig.count_columns(deadlines.overdue_clause(today))))
        for branch_id, amount in fig.fees_by_branch(conditions).items():
            self.fees[branch_id] = self.fees.get(branch_id, Decimal("0.00")) + amount
        self.reply_days.add_rows(fig.reply_day_rows(conditions))
        self.staff.add_rows(fig.staff_ruling_rows(conditions))
        return self


def figures(user, period, today) -> Figures:
    """The period's figures: from the kept months where they apply, counted case by case
    otherwise. The same figures either way (tests/services/test_monthly.py)."""
    span = full_months(period.start, period.end)
    if span is None or not sees_every_complaint(user) or not is_built():
        return Figures.empty().add_live(fig.base_conditions(user, period), today)
    first, last = span
    out = kept(first, last, period.unit_ids)
    months = replace(period, start=first, end=next_month(last) - timedelta(days=1))
    open_late = deadlines.open_late(today)
    out.grouped.add_rows(fig.grouped_rows(
        [*fig.base_conditions(user, months), Complaint.status == s.PROCESSING, open_late],
        fig.late_columns(open_late),
    ))
    for edge in _edges(period, months):
        out.add_live(fig.base_conditions(user, edge), today)
    return out


def _edges(period, months) -> Iterable:
    if period.start < months.start:
        yield replace(period, end=months.start - timedelta(days=1))
    if months.end < period.end:
        yield replace(period, start=months.end + timedelta(days=1))


def kept(first: date, last: date, unit_ids) -> Figures:
    """The kept months from ``first`` to ``last`` (first days) of the branches ``unit_ids``
    (None: every branch)."""
    out = Figures.empty()
    kept_month = ComplaintMonth.__table__.c
    query = (select(kept_month.month, kept_month.branch_id, kept_month.counts, kept_month.fees,
                    kept_month.reply_days, kept_month.staff)
             .where(kept_month.month >= first, kept_month.month <= last))
    if unit_ids is not None:
        if not unit_ids:
            return out
        query = query.where(kept_month.branch_id.in_(sorted(unit_ids)))
    loads = json.loads
    for month, branch_id, counts, fees, reply_days, staff in db.session.execute(query):
        counts = loads(counts)
        if not counts:
            # A row whose cases all left it (the last one marked as a duplicate, issue 23): nothing
            # to count, and no branch row of zeros that a count case by case would not have either.
            continue
        out.grouped.add(branch_id, month.year, month.month, counts)
        if fees:
            out.fees[branch_id] = out.fees.get(branch_id, Decimal("0.00")) + Decimal(fees)
        out.reply_days.add_kept(month, loads(reply_days))
        out.staff.add_kept(loads(staff))
    return out


def decoded(row: ComplaintMonth) -> dict:
    """A kept row as named figures (for tests and inspection)."""
    return {
        "counts": {name: value for name, value in zip(fig.COUNT_NAMES, json.loads(row.counts)) if value},
        "fees": Decimal(row.fees),
        "reply_days": json.loads(row.reply_days),
        "staff": json.loads(row.staff),
    }


# --- writing ----------------------------------------------------------------------------------

def _stored(session, conditions) -> Dict[Key, dict]:
    """The kept columns of the cases matching ``conditions`` (duplicates left out), by (month, branch)."""
    conditions = [*conditions, fig.counted()]
    out: Dict[Key, dict] = {}

    def key_of(row) -> Key:
        return date(int(row["g_year"]), int(row["g_month"]), 1), row["g_branch"]

    def entry(key: Key) -> dict:
        found = out.get(key)
        if found is None:
            found = out[key] = {"counts": [], "fees": Decimal("0.00"), "reply_days": fig.ReplyDays(),
                                "staff": fig.StaffRulings()}
        return found

    for row in fig.grouped_rows(conditions, fig.count_columns(deadlines.replied_late()), session):
        counts = [int(row[name] or 0) for name in fig.COUNT_NAMES]
        while counts and not counts[-1]:
            counts.pop()
        entry(key_of(row))["counts"] = counts
    keys = fig.group_keys()
    for row in session.execute(fig.fee_sums(conditions, *keys)).mappings():
        entry(key_of(row))["fees"] = fig.money(row["fee"])
    replies: Dict[Key, List[dict]] = {}
    for row in fig.reply_day_rows(conditions, keys, session):
        replies.setdefault(key_of(row), []).append(row)
    for key, rows in replies.items():
        entry(key)["reply_days"].add_rows(rows)  # each distinct day parsed once per (month, branch)
    for row in fig.staff_ruling_rows(conditions, keys, session):
        entry(key_of(row))["staff"].add_rows([row])
    return out


def _upsert(session, rows: List[dict]) -> None:
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(ComplaintMonth.__table__).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["month", "branch_id"],
        set_={name: statement.excluded[name] for name in ("counts", "fees", "reply_days", "staff")},
    )
    session.execute(statement)


def _rows(stored: Dict[Key, dict], keys: Iterable[Key]) -> List[dict]:
    rows = []
    for month, branch_id in keys:
        found = stored.get((month, branch_id))
        rows.append({
            "month": month, "branch_id": branch_id,
            "counts": json.dumps(found["counts"] if found else []),
            "fees": found["fees"] if found else Decimal("0.00"),
            "reply_days": json.dumps(found["reply_days"].kept(month) if found else [0, []]),
            "staff": json.dumps(found["staff"].kept() if found else []),
        })
    return rows


def recount(session, keys: Iterable[Key]) -> None:
    """Recompute the kept rows of ``keys`` ((first day of month, branch id)) from the cases."""
    postgres = session.get_bind().dialect.name == "postgresql"
    for month, branch_id in sorted(set(keys)):
        if postgres:
            # One writer per row at a time; the recount below then sees what the previous
            # holder committed (READ COMMITTED takes a new snapshot per statement).
            session.execute(select(func.pg_advisory_xact_lock(month.year * 100 + month.month, branch_id)))
        conditions = [
            Complaint.branch_id == branch_id,
            Complaint.received_at >= datetime.combine(month, datetime.min.time()),
            Complaint.received_at < datetime.combine(next_month(month), datetime.min.time()),
        ]
        _upsert(session, _rows(_stored(session, conditions), [(month, branch_id)]))


def rebuild(session=None) -> int:
    """Rebuild every kept month from the cases (one grouped pass) and mark them current.
    Returns the number of (month, branch) rows. The caller commits."""
    session = session or db.session
    if session.get_bind().dialect.name == "postgresql":
        # No complaint changes while the whole table is counted (a deploy-time operation).
        session.execute(text("LOCK TABLE complaint IN SHARE MODE"))
    stored = _stored(session, [])
    session.execute(delete(ComplaintMonth))
    rows = _rows(stored, sorted(stored))
    for start in range(0, len(rows), 500):
        _upsert(session, rows[start:start + 500])
    mark_built(session)
    return len(rows)


def mark_built(session=None) -> None:
    """Record that the kept months hold the running code's counts (an empty database's are)."""
    session = session or db.session
    state = session.get(ComplaintMonthState, STATE_ROW)
    if state is None:
        session.add(ComplaintMonthState(id=STATE_ROW, version=version(), built_at=clock.now()))
    else:
        state.version = version()
        state.built_at = clock.now()
    session.flush()


def ensure_built() -> Optional[int]:
    """Rebuild when the kept months are missing or of another version (``flask deploy``)."""
    if is_built():
        return None
    built = rebuild()
    db.session.commit()
    return built


# --- keeping them current -------------------------------------------------------------------

def _month_keys(case: Complaint) -> Set[Key]:
    """The rows a changed case counts in: where it is now and where it was before the change."""
    state = inspect(case)
    received = [case.received_at, *state.attrs.received_at.history.deleted]
    branches = [case.branch_id, *state.attrs.branch_id.history.deleted]
    return {(first_of(at.date() if isinstance(at, datetime) else at), branch)
            for at in received if at is not None for branch in branches if branch is not None}


def _counted_change(case: Complaint) -> bool:
    """Whether a flushed case changed a column the reports count (a reminder's timeline event
    or an edit of the facts does not)."""
    state = inspect(case)
    if state.pending or state.deleted or state.was_deleted:
        return True
    return any(state.attrs[name].history.has_changes() for name in REPORT_COLUMNS)


def _after_flush(session, flush_context) -> None:
    for item in chain(session.new, session.dirty, session.deleted):
        if isinstance(item, Complaint) and (item in session.new or _counted_change(item)):
            session.info.setdefault(_MONTHS, set()).update(_month_keys(item))
        elif isinstance(item, (Ruling, RulingStaff)) and item.complaint_id is not None:
            session.info.setdefault(_RULED, set()).add(item.complaint_id)


def _touches_reports(session) -> bool:
    return any(isinstance(item, (Complaint, Ruling)) for item in chain(session.new, session.dirty, session.deleted))


def _before_commit(session) -> None:
    if session.in_nested_transaction():
        # A savepoint's release (the ledger import's rows, a day's first case number): the keys
        # stay gathered and are recounted once, when the enclosing transaction commits.
        return
    if _touches_reports(session):
        session.flush()
    keys = session.info.pop(_MONTHS, set())
    ruled = session.info.pop(_RULED, set())
    if not keys and not ruled:
        return
    if ruled:
        found = session.execute(
            select(Complaint.received_at, Complaint.branch_id).where(Complaint.id.in_(sorted(ruled))))
        keys |= {(first_of(at.date()), branch_id) for at, branch_id in found}
    recount(session, keys)


def install() -> None:
    """Keep the months current in every ORM session (idempotent). Keys gathered before a
    rollback are kept for the next commit: recounting a row that did not change is harmless,
    and a savepoint's rollback must not drop what the enclosing transaction changed."""
    if event.contains(Session, "after_flush", _after_flush):
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", _before_commit)
