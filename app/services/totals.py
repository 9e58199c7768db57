"""The number of complaints, kept in one row so no page counts the whole table.

``add`` runs inside the transaction that inserts complaints (``register``, the bench
generator), so the total commits or rolls back with them; complaints are never deleted. When
the row is missing (a database created before it existed and not migrated, or restored from
an old backup), the first ``add`` or ``recount`` writes it from an exact count.
"""
from sqlalchemy import func, insert, select, update

from ..extensions import db
from ..models.complaint import Complaint, ComplaintTotal

ROW = 1


def total_select():
    """The statement that reads the kept number of complaints."""
    return select(ComplaintTotal.count).where(ComplaintTotal.id == ROW)


def total():
    """The number of complaints (exact), or ``None`` when the row has not been written yet."""
    return db.session.execute(total_select()).scalar()


def add(n: int = 1) -> None:
    """Count ``n`` complaints added in the current transaction (call after adding them).

    Nothing is flushed here: a pending case that breaks a constraint (a concurrent repeat of
    its external reference) fails at the caller's commit, which turns it into a 409 and rolls
    this addition back with it."""
    with db.session.no_autoflush:
        bumped = db.session.execute(
            update(ComplaintTotal).where(ComplaintTotal.id == ROW).values(count=ComplaintTotal.count + n)
        ).rowcount
        if not bumped:
            recount()


def recount() -> int:
    """Write the exact count: the stored complaints and the pending ones of this transaction.
    (Only needed when the row is missing; migration 0005 writes it.)"""
    with db.session.no_autoflush:
        stored = db.session.execute(select(func.count()).select_from(Complaint)).scalar_one()
        exact = stored + sum(1 for item in db.session.new if isinstance(item, Complaint))
        done = db.session.execute(
            update(ComplaintTotal).where(ComplaintTotal.id == ROW).values(count=exact)
        ).rowcount
        if not done:
            db.session.execute(insert(ComplaintTotal).values(id=ROW, count=exact))
    return exact
