"""The number of complaints, kept in one row so no page counts the whole table.

``add`` runs inside the transaction that inserts complaints (``register``, the bench
generator), so the total commits or rolls back with them; complaints are never deleted. When
the row is missing (a database created before it existed and not migrated, or restored from
an old backup), the first ``add`` or ``recount`` writes it from an exact count.
"""
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models.complaint import Complaint, ComplaintTotal

ROW = 1


def total():
    """The number of complaints (exact), or ``None`` when the row has not been written yet."""
    return db.session.execute(select(ComplaintTotal.count).where(ComplaintTotal.id == ROW)).scalar()


def add(n: int = 1) -> None:
    """Count ``n`` complaints added in the current transaction (call after adding them)."""
    bumped = db.session.execute(
        update(ComplaintTotal).where(ComplaintTotal.id == ROW).values(count=ComplaintTotal.count + n)
    ).rowcount
    if not bumped:
        recount()


def recount() -> int:
    """Write the exact count (the pending complaints of this transaction included)."""
    db.session.flush()
    exact = db.session.execute(select(func.count()).select_from(Complaint)).scalar_one()
    done = db.session.execute(update(ComplaintTotal).where(ComplaintTotal.id == ROW).values(count=exact)).rowcount
    if not done:
        try:
            with db.session.begin_nested():
                db.session.add(ComplaintTotal(id=ROW, count=exact))
        except IntegrityError:  # a concurrent transaction wrote the row first
            db.session.execute(update(ComplaintTotal).where(ComplaintTotal.id == ROW).values(count=exact))
    return exact
