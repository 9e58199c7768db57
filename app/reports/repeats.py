"""Which complaints share their phone number with another complaint (``Complaint.phone_shared``).

The numbers are stored encrypted (issue 24): "the same number" is the same blind index
(``Complaint.phone_index``, the keyed hash of the normal form), which is what is grouped and locked.

The reports count the repeat complainants of a period: phone numbers with more than one
complaint received in it (domain.md §8). Grouping every case of a year by phone number takes
longer than all the other figures of the dashboard together, and nearly every number occurs
once. A number can repeat within a period only if it repeats at all, so the period's repeat
complainants are grouped from the cases marked ``phone_shared`` alone (a partial index).

The mark is a superset, which is all the grouping needs to stay exact:
- **set in the transaction that makes it true.** Any transaction that adds a complaint or
  changes its phone number marks, before it commits, every case of those numbers when a number
  occurs more than once. Complaints are never deleted, so a count only grows. On PostgreSQL,
  concurrent writers of one number serialise on a transaction-scoped advisory lock, so the
  second sees the first's case;
- **never cleared.** A case whose number was corrected away may stay marked: it is grouped and
  counted only if its (new) number repeats in the period;
- **bulk loads** (the bench generator) and the migration that added the mark call
  ``mark_all``.
"""
from itertools import chain

from sqlalchemy import event, false, func, inspect, select, true, update
from sqlalchemy.orm import Session

from ..models.complaint import Complaint

_PHONES = "report_shared_phones"  # session.info: blind indexes of phone numbers added or changed
CHUNK = 500
LOCK_SPACE = 1  # first key of the advisory locks per phone number (the kept months' are yyyymm)


def _shared(phones=None):
    """The numbers' blind indexes (of ``phones``, None: any) held by more than one complaint."""
    query = (select(Complaint.phone_index).where(Complaint.phone_index.isnot(None))
             .group_by(Complaint.phone_index).having(func.count() > 1))
    if phones is not None:
        query = query.where(Complaint.phone_index.in_(phones))
    return query


def _mark(session, phones=None) -> int:
    statement = (
        update(Complaint)
        .where(Complaint.phone_shared == false(), Complaint.phone_index.in_(_shared(phones)))
        .values(phone_shared=true())
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).rowcount or 0


def mark(session, phones) -> int:
    """Mark the cases of ``phones`` (blind indexes) whose number more than one complaint holds."""
    phones = sorted(set(phones))
    if session.get_bind().dialect.name == "postgresql":
        # Two transactions writing the same number must not each see only their own case: one
        # at a time per number, and the count after the lock sees what the other committed
        # (READ COMMITTED). Registrations already queue on the day's number counter; an edit
        # of a number does not. SQLite has one writer at a time.
        for phone in phones:
            session.execute(select(func.pg_advisory_xact_lock(LOCK_SPACE, func.hashtext(phone))))
    return sum(_mark(session, phones[start:start + CHUNK]) for start in range(0, len(phones), CHUNK))


def mark_all(session) -> int:
    """Mark every case whose number more than one complaint holds (one grouped pass)."""
    return _mark(session)


def _after_flush(session, flush_context) -> None:
    for item in chain(session.new, session.dirty):
        if not isinstance(item, Complaint) or item.phone_index is None:
            continue
        if item in session.new or inspect(item).attrs.phone_index.history.has_changes():
            session.info.setdefault(_PHONES, set()).add(item.phone_index)


def _before_commit(session) -> None:
    if session.in_nested_transaction():  # a savepoint: marked when the enclosing transaction commits
        return
    if any(isinstance(item, Complaint) for item in chain(session.new, session.dirty)):
        session.flush()
    phones = session.info.pop(_PHONES, set())
    if phones:
        mark(session, phones)


def install() -> None:
    """Keep the mark current in every ORM session (idempotent). Numbers gathered before a
    rollback are kept for the next commit: marking a number twice is harmless."""
    if event.contains(Session, "after_flush", _after_flush):
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", _before_commit)
