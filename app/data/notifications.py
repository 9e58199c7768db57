"""A user's own notifications as the header, the list page and the API read them (issue 23).

Only ever the caller's own rows (``recipient_id``). What a notification says is composed here, at
display time: the kind, what is asked (``services.notifications.text``), the case number, the
branch complained about and the complainant's name — masked (张*), as in every list, and only while
the recipient may still see the case (the scope rule, one statement for the whole page); a case
that left the recipient's scope shows its number and kind only.
"""
from typing import List, NamedTuple, Optional

from flask import current_app, g, has_request_context
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from ..domain import vocabulary as v
from ..extensions import db
from ..i18n import label
from ..models import OrgUnit
from ..models.complaint import Complaint
from ..models.notification import Notification
from ..security.masking import mask_name
from ..security.request_cache import request_cache
from ..security.scope import complaint_clause
from ..services.notifications import text

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
HEADER_ITEMS = 5  # the latest unread ones in the header's menu
# The header counts unread notifications up to this many (shown 99+): a count that stops there
# costs the same for a user who never marks anything read (thousands of reminders) as for one with
# three; 我的通知 gives the exact figures.
HEADER_COUNT_CAP = 100


class Header(NamedTuple):
    unread: int  # at most HEADER_COUNT_CAP
    latest: list  # (id, kind label, case number, created_at) of the latest unread ones


def header(user) -> Optional[Header]:
    """The header's badge and menu for ``user``: the unread count (up to ``HEADER_COUNT_CAP``) and
    the latest unread ones, in ONE statement (the count, read from the unread index and stopped at
    the cap, rides on the page of rows as a scalar subquery). None for an anonymous user, or when
    the statement fails (the page still renders, without the badge)."""
    if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "id", None) is None:
        return None
    unread = (Notification.recipient_id == user.id, Notification.read_at.is_(None))
    capped = select(func.count()).select_from(
        select(Notification.id).where(*unread).limit(HEADER_COUNT_CAP).subquery()
    ).scalar_subquery()
    try:
        rows = db.session.execute(
            select(Notification.id, Notification.kind, Complaint.number, Notification.created_at,
                   capped.label("unread"))
            .join(Complaint, Complaint.id == Notification.complaint_id)
            .where(*unread)
            .order_by(Notification.id.desc()).limit(HEADER_ITEMS)
        ).all()
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.warning("notification header not shown", exc_info=False)
        return None
    return Header(rows[0].unread if rows else 0,
                  [(row.id, label(v.NOTIFICATION_KINDS, row.kind), row.number, row.created_at) for row in rows])


def current_header() -> Optional[Header]:
    """``header`` of the request's user, once per request (the page template asks for it)."""
    if not has_request_context():
        return None
    memo = request_cache()
    if "notification_header" not in memo:
        memo["notification_header"] = header(getattr(g, "user", None))
    return memo["notification_header"]


class Item(NamedTuple):
    id: int
    kind: str
    kind_label: str
    text: str
    complaint_id: int
    number: str
    branch: str
    complainant: Optional[str]  # masked; None when the case left the recipient's scope
    visible: bool
    created_at: object
    read_at: object


class Page(NamedTuple):
    items: List[Item]
    total: int
    unread: int
    page: int
    page_size: int


def page_of(user, page: int = 0, page_size: int = PAGE_SIZE, unread_only: bool = False) -> Page:
    """One page of ``user``'s notifications, newest first: a count, the rows with their case, and
    which of those cases the user may still see (three statements whatever the page size)."""
    mine = Notification.recipient_id == user.id
    total, unread = db.session.execute(
        select(func.count(), func.count().filter(Notification.read_at.is_(None))).where(mine)).one()
    condition = [mine, Notification.read_at.is_(None)] if unread_only else [mine]
    rows = db.session.execute(
        select(Notification, Complaint.number, Complaint.complainant_name, OrgUnit.name.label("branch"))
        .join(Complaint, Complaint.id == Notification.complaint_id)
        .join(OrgUnit, OrgUnit.id == Complaint.branch_id)
        .where(*condition)
        .order_by(Notification.id.desc()).limit(page_size).offset(page * page_size)
    ).all()
    visible = _visible(user, {row.Notification.complaint_id for row in rows})
    items = [_item(row, row.Notification.complaint_id in visible) for row in rows]
    return Page(items, unread if unread_only else total, unread, page, page_size)


def _visible(user, complaint_ids) -> set:
    """The ids among ``complaint_ids`` that ``user`` may see now (the scope rule)."""
    if not complaint_ids:
        return set()
    return set(db.session.execute(
        select(Complaint.id).where(Complaint.id.in_(sorted(complaint_ids)), complaint_clause(user, Complaint))
    ).scalars())


def _item(row, visible: bool) -> Item:
    note = row.Notification
    return Item(note.id, note.kind, label(v.NOTIFICATION_KINDS, note.kind), text(note.kind, note.due, note.params),
                note.complaint_id, row.number, row.branch, mask_name(row.complainant_name) if visible else None,
                visible, note.created_at, note.read_at)


def one(user, notification_id) -> Optional[Item]:
    """``user``'s own notification ``notification_id`` as shown; None when it is not theirs."""
    from ..ids import row_id

    key = row_id(notification_id)
    if key is None:
        return None
    row = db.session.execute(
        select(Notification, Complaint.number, Complaint.complainant_name, OrgUnit.name.label("branch"))
        .join(Complaint, Complaint.id == Notification.complaint_id)
        .join(OrgUnit, OrgUnit.id == Complaint.branch_id)
        .where(Notification.id == key, Notification.recipient_id == user.id)
    ).first()
    if row is None:
        return None
    return _item(row, bool(_visible(user, {row.Notification.complaint_id})))


def item_dict(item: Item) -> dict:
    """A notification as the API gives it out (api.md names; Beijing wall time without offset)."""
    return {
        "id": item.id,
        "kind": item.kind,
        "kind_label": item.kind_label,
        "text": item.text,
        "complaint_id": item.complaint_id,
        "complaint_number": item.number,
        "branch": item.branch,
        "complainant_name": item.complainant,
        "may_open": item.visible,
        "created_at": item.created_at.isoformat(timespec="seconds") if item.created_at else None,
        "read_at": item.read_at.isoformat(timespec="seconds") if item.read_at else None,
    }
