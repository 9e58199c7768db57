"""The complaint reads of the work pages and the API: the to-do candidates, the queues, the
overdue-accountability page and a case's timeline. Each read is scoped (``scoped_select``) and
shaped to be served by an index at a million cases; the views and the API call these and render.
"""
from dataclasses import dataclass, field
from typing import Callable, List, NamedTuple, Optional, Tuple

from sqlalchemy import func, inspect, literal, or_, select, true, union_all
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..domain import calendar as cal
from ..domain.committee import COMMITTEE, HIGHER
from ..domain import states as s
from ..domain import transitions as t
from ..extensions import db
from ..models import OrgUnit, Staff
from ..models.complaint import Complaint, ComplaintEvent, not_a_duplicate
from ..models.reminder import Reminder
from .plans import read_by_index
from ..security.scope import all_units, clauses_for_ruled_staff, complaint_clause
from ..services import complaints as svc
from ..services import committee, deadlines, story
from ..services.calendar import load_calendar


# --- a case's page and timeline -------------------------------------------------------------------

def case_for_page(user, complaint_id) -> Complaint:
    """The case as its page and printouts read it (``get_for(for_page=True)``: 404 outside the
    scope). The staff its rulings hold responsible — which the masking rule reads — are taken from
    the rulings loaded with it, instead of a statement of their own."""
    complaint = svc.get_for(user, complaint_id, for_page=True)
    if "ruled_staff" in inspect(complaint).unloaded:
        held = {member.id: member for ruling in complaint.rulings for member in ruling.staff}
        set_committed_value(complaint, "ruled_staff", [held[key] for key in sorted(held)])
    return complaint


def events_of(complaint) -> List[ComplaintEvent]:
    """The events of ``complaint`` (already read within the caller's scope), oldest first."""
    return db.session.execute(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id)
    ).scalars().all()


def timeline_names(events) -> story.Names:
    """The names of the units and staff ``events`` refer to (a transfer's from and to, a
    ruling's staff …): one statement for both, none when the events name nobody."""
    unit_ids, staff_ids = story.referenced_ids(events)
    if not unit_ids and not staff_ids:
        return story.NO_NAMES
    query = union_all(
        select(literal("unit").label("kind"), OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(sorted(unit_ids))),
        select(literal("staff").label("kind"), Staff.id, Staff.name).where(Staff.id.in_(sorted(staff_ids))),
    )
    names = story.Names({}, {})
    for kind, row_id, name in db.session.execute(query):
        (names.units if kind == "unit" else names.staff)[row_id] = name
    return names


# --- queues (§14, §17) ------------------------------------------------------------------------------

QUEUE_LIMIT = 500

QUEUES = {
    # name: (condition for the acting user, order)
    "rulings": (lambda actor: Complaint.status.in_(s.RULEABLE) & Complaint.ruling_result.is_(None)
                & not_a_duplicate(),
                lambda: Complaint.received_at),
    # §17: the requests addressed to the user's unit (the higher ruling body).
    "rerulings": (lambda actor: (Complaint.reruling_status == s.RERULING_REQUESTED)
                  & (Complaint.reruling_unit_id == actor.unit_id),
                  lambda: Complaint.reruling_requested_at),
    # §14: an appeal shows only to its appeal unit.
    "appeals": (lambda actor: (Complaint.status == s.APPEALED) & (Complaint.appeal_unit_id == actor.unit_id),
                lambda: Complaint.appeal_decision_due),
}


def queue(user, name) -> List[Complaint]:
    """The cases of work list ``name`` for ``user``, scoped, in the queue's order."""
    condition, order = QUEUES[name]
    return db.session.execute(
        svc.scoped_select(user).where(condition(svc.actor_for(user))).order_by(order(), Complaint.id)
        .options(selectinload(Complaint.branch), selectinload(Complaint.handling_unit))
        .limit(QUEUE_LIMIT)
    ).scalars().all()


# --- overdue accountability (§13) ----------------------------------------------------------------------

@dataclass
class OverduePage:
    total: int
    # (case, unit that held it on its due day, handler then, working days past the due date)
    items: list


def overdue_page(user, today, page: int, page_size: int) -> OverduePage:
    """One page of the cases ``user`` sees that ran past their deadline in force (an approved
    extension's date included), with who held each on the day it became overdue."""
    base = svc.scoped_select(user).where(deadlines.overdue_clause(today))
    total = db.session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    rows = db.session.execute(
        base.order_by(Complaint.due_date, Complaint.id)
        .options(selectinload(Complaint.branch))
        .limit(page_size).offset(page * page_size)
    ).scalars().all()
    holders = deadlines.holders_at_deadline(rows)
    units = {u.id: u for u in db.session.execute(select(OrgUnit).where(
        OrgUnit.id.in_({h[0] for h in holders.values() if h[0]}))).scalars()}
    staff = {m.id: m for m in db.session.execute(select(Staff).where(
        Staff.id.in_({h[1] for h in holders.values() if h[1]}))).scalars()}
    calendar = load_calendar()
    items = []
    for complaint in rows:
        unit_id, handler_id = holders.get(complaint.id, (None, None))
        end = complaint.replied_at.date() if complaint.replied_at else today
        items.append((complaint, units.get(unit_id), staff.get(handler_id),
                      cal.working_days_between(calendar, complaint.due_date, end)))
    return OverduePage(total, items)


# --- 我的待办 ---------------------------------------------------------------------------------------

class TodoItem(NamedTuple):
    complaint: Complaint
    actions: list  # the transitions the user may apply now, in table order
    overdue: bool
    due_soon: bool
    beyond_ceiling: Optional[bool]
    reminded_today: bool


class TodoPage(NamedTuple):
    items: List[TodoItem]
    page: int  # from 0
    page_size: int
    has_next: bool


TODO_PAGE_SIZE = 25
TODO_MAX_PAGE_SIZE = 100
TODO_MAX_ITEMS = 1000  # how deep pages may reach (page × size + size); deeper is refused (400)
TODO_SLACK = 8  # cases loaded beyond the page at first, for those the transition table turns down


def todo(user, today, due_soon_days: int, page: int = 0, page_size: int = TODO_PAGE_SIZE) -> TodoPage:
    """One page of the cases waiting for ``user``'s action, in the to-do order (``todo_order``).

    The candidates are read as plain rows (``todo_candidates``): each kind of work split into
    streams whose index-friendly order is the to-do order itself, each stream read only as deep
    as the page needs. Only the cases of the page, and the few the transition table turns down
    on the way, are loaded as objects; so a page costs about the same at a million cases as at a
    thousand. When the transition table turns down so many candidates that a stream may hold
    more, the streams are read again, deeper."""
    actor = svc.actor_for(user)
    wanted = (page + 1) * page_size + 1  # one more than the page: is there a next page?
    depth = wanted
    while True:
        rows, saturated = todo_candidates(user, actor, today, depth)
        found = _available_in_order(rows, actor, today, wanted)
        if len(found) >= wanted or not saturated or depth >= 4 * TODO_MAX_ITEMS:
            break
        depth *= 4
    chosen = found[page * page_size:(page + 1) * page_size]
    calendar = load_calendar()
    reminded = set(db.session.execute(
        select(Reminder.complaint_id).where(Reminder.day == today,
                                            Reminder.complaint_id.in_([c.id for c, _ in chosen]))
    ).scalars()) if chosen else set()
    items = []
    for complaint, actions in chosen:
        soon = complaint.due_date is not None and complaint.status == s.PROCESSING and cal.due_soon(
            calendar, today, complaint.due_date, due_soon_days)
        items.append(TodoItem(complaint, actions, svc.is_overdue(complaint, today), soon,
                              deadlines.regulatory_ceiling(complaint)[1], complaint.id in reminded))
    return TodoPage(items, page, page_size, len(found) > (page + 1) * page_size)


def _available_in_order(rows, actor, today, wanted):
    """The first ``wanted`` candidates, in the to-do order, on which the transition table offers
    the actor something, with those transitions: the cases are loaded in batches as the walk
    goes."""
    ordered = sorted(rows, key=lambda row: todo_order(row, today))
    # A first batch with room for the few the table turns down: usually one load for the page
    # (every case loaded is a wide row and its staff: loading twice the page cost a third of it).
    found, looked, batch = [], 0, wanted + TODO_SLACK
    while looked < len(ordered) and len(found) < wanted:
        ids = [row.id for row in ordered[looked:looked + batch]]
        looked += len(ids)
        by_id = {complaint.id: complaint for complaint in _load_for_todo(ids)}
        for complaint_id in ids:
            complaint = by_id.get(complaint_id)
            # A correction (``t.CORRECTIONS``: the JR/T 0169 classification) makes nothing a to-do.
            actions = [action for action in t.available(complaint, actor, today)
                       if action.name not in t.CORRECTIONS] if complaint is not None else []
            if actions:
                found.append((complaint, actions))
                if len(found) == wanted:
                    break
    return found


def _load_for_todo(ids):
    query = (
        select(Complaint).where(Complaint.id.in_(ids))
        # the guards of a ruled case read its ruled staff: one statement for all rows
        .options(selectinload(Complaint.handler), selectinload(Complaint.ruled_staff),
                 selectinload(Complaint.respondent_staff))  # a ruling member's recusal reads it
    )
    all_units()  # the rows' units then come from the session
    return db.session.execute(query).scalars().all()


# Statuses in which a case still waits for its handler, head or the office (not closed work).
ACTIVE = (s.REGISTERED, s.PROCESSING, s.REPLIED, s.APPEALED)
# The streams a kind of work's cases fall in, each read in an order that is the to-do order
# restricted to it (``todo_order``): open cases with a deadline (due date, then receipt), open
# cases without one yet (oldest receipt first: the deadline runs from receipt) and closed cases
# (most recently closed first). An open stream is read one status at a time (``_parts``): with
# the status fixed, every index that starts with it (and the work's own columns) walks the stream
# in its order, so each part reads about as many rows as the page needs, whatever the database's
# statistics say; the statuses together would have to be sorted as a whole.
DATED, UNDATED, CLOSED = "dated", "undated", "closed"
OPEN = (DATED, UNDATED)
STREAMS = {
    DATED: (lambda: Complaint.due_date.isnot(None), lambda: (Complaint.due_date, Complaint.received_at, Complaint.id)),
    # ``due_date`` (NULL throughout) leads the order: PostgreSQL's planner takes ``IS NULL`` for no
    # equality and, without it, could not read (status, due_date, received_at) in the stream's order.
    UNDATED: (lambda: Complaint.due_date.is_(None), lambda: (Complaint.due_date, Complaint.received_at, Complaint.id)),
    CLOSED: (lambda: Complaint.status == s.CLOSED, lambda: (Complaint.closed_at.desc(), Complaint.id.desc())),
}


@dataclass(frozen=True)
class Work:
    """One kind of work of the to-do list: the transitions it leads to, who may have it, the cases
    that may need it (a superset: the transition table then decides exactly what each case
    offers; the status aside, which the transitions' sources give) and the streams
    (``STREAMS``) those cases fall in."""

    transitions: Tuple[str, ...]
    who: Callable  # (actor) -> bool
    where: Callable  # (actor, today) -> SQL condition, the status aside
    streams: Tuple[str, ...]
    # The index each stream's parts walk (``plans.read_by_index``): the one whose columns are the
    # part's equalities and then its order; none: the database's planner chooses.
    indexes: dict = field(default_factory=dict)
    # Columns ``where`` fixes to one value that the closed stream's index holds before its order:
    # put first in that stream's order (descending, as it reads its index backwards), they change
    # nothing of the order and let PostgreSQL read the index in it. Its planner takes ``x IS NULL``
    # for no equality (``followed_up_at IS NULL``), so without them it sorted every match: a
    # parallel scan of the table for the office's follow-ups at 1M.
    closed_leading: Callable = lambda: ()  # () -> columns

    @property
    def statuses(self):
        """The statuses a case may have for one of the work's transitions (their sources)."""
        return {status for name in self.transitions for status in t.BY_NAME[name].sources}

    def condition(self, actor, today):
        """All the cases this work brings to ``actor``, as one condition (its parts together)."""
        return or_(*[condition for condition, _order, _index in self.parts(actor, today)])

    def parts(self, actor, today, one_status_each=None):
        """(condition, order, index) of each part this work is read in: the closed stream as one
        part; on SQLite (``one_status_each``: by default, whether the session's database is
        SQLite) an open stream as one part per open status the work's transitions start from,
        each through the index the work names. On PostgreSQL an open stream with a deadline is
        split only where the work names an index (…, status, due_date), which then gives the
        stream's order (measured at 1M: the statuses together walked the due-date index of every
        case, 74–160 ms, against under 1 ms a status; a work without such an index, the ruled
        staff's re-ruling, walked it per status instead of reading its few cases); the other
        open parts take the statuses together, and the planner reads them from an index and
        sorts the few there are."""
        if one_status_each is None:
            one_status_each = db.session.get_bind().dialect.name == "sqlite"
        where = self.where(actor, today)
        opened = [status for status in ACTIVE if status in self.statuses]
        found = []
        for stream in self.streams:
            condition, order = STREAMS[stream]
            index = self.indexes.get(stream)
            if stream == CLOSED:
                if s.CLOSED in self.statuses:
                    leading = tuple(column.desc() for column in self.closed_leading())
                    found.append((where & condition(), leading + order(), index))
            elif one_status_each or (stream == DATED and index is not None):
                found.extend((where & (Complaint.status == status) & condition(), order(), index)
                             for status in opened)
            elif opened:
                found.append((where & Complaint.status.in_(opened) & condition(), order(), None))
        return found


HANDLING = ("transfer", "request_extension", "reply", "record_receipt", "close")
# Transitions no to-do list offers: an appeal is recorded when the customer applies (§14); a
# duplicate is marked (and the mark undone) when the discipline office finds one (issue 23); the
# JR/T 0169 classification is confirmed on the case page (issue 23: a correction, ``t.CORRECTIONS``).
NOT_TODO = ("appeal", "mark_duplicate", "unmark_duplicate", *t.CORRECTIONS)


def _units(actor):
    return sorted(actor.unit_ids)


TODO_WORK = (
    # §17: a committee member rules on the cases awaiting a ruling of the committees they serve on
    # that day (someone on no roster cannot sit, so nothing waits for them).
    Work(("rule",), lambda a: a.acts(t.COMMITTEE) and a.staff_id is not None,
         lambda a, today: (Complaint.ruling_result.is_(None) & not_a_duplicate()
                           & Complaint.branch_id.in_(sorted(committee.units_served(a.staff_id, today, COMMITTEE)))),
         (DATED, CLOSED), {DATED: "ix_complaint_status_due"}),
    # §17: a member of a higher ruling body decides the requests addressed to its unit.
    Work(("decide_reruling",), lambda a: a.acts(t.RERULING_BODY) and a.staff_id is not None,
         lambda a, today: ((Complaint.reruling_status == s.RERULING_REQUESTED)
                           & Complaint.reruling_unit_id.in_(sorted(committee.units_served(a.staff_id, today, HIGHER)))),
         (DATED, CLOSED)),
    # §14: an appeal waits for its appeal unit.
    Work(("decide_appeal",), lambda a: a.unit_id is not None,
         lambda a, today: Complaint.appeal_unit_id == a.unit_id, (DATED,), {DATED: "ix_complaint_status_due"}),
    # §17: a staff member held responsible may still ask for a re-ruling.
    Work(("request_reruling",), lambda a: a.staff_id is not None,
         lambda a, today: ((Complaint.reruling_status == s.RERULING_NONE) & Complaint.ruling_result.isnot(None)
                           & (Complaint.reruling_deadline.is_(None) | (Complaint.reruling_deadline >= today))
                           & clauses_for_ruled_staff(Complaint, a.staff_id)),
         (DATED, CLOSED)),
    # §11: the handler's open cases.
    Work(HANDLING, lambda a: a.staff_id is not None,
         lambda a, today: Complaint.handler_id == a.staff_id, OPEN,
         {DATED: "ix_complaint_handler_status_due", UNDATED: "ix_complaint_handler_status_due"}),
    # §7, §13, §15: the discipline office accepts, decides extensions, handles union-level cases and
    # follows up.
    Work(("accept", "reject"), lambda a: a.acts(t.DISCIPLINE_OFFICE),
         lambda a, today: true(), (UNDATED,), {UNDATED: "ix_complaint_open_late"}),
    Work(("decide_extension",), lambda a: a.acts(t.DISCIPLINE_OFFICE),
         lambda a, today: Complaint.extension_status == s.EXT_REQUESTED, (DATED,),
         {DATED: "ix_complaint_status_extension_due"}),
    Work(HANDLING, lambda a: a.acts(t.DISCIPLINE_OFFICE),
         lambda a, today: Complaint.level == "union", OPEN,
         {DATED: "ix_complaint_status_level_due", UNDATED: "ix_complaint_status_level_due"}),
    Work(("follow_up",), lambda a: a.acts(t.DISCIPLINE_OFFICE),
         lambda a, today: Complaint.followed_up_at.is_(None) & not_a_duplicate(), (CLOSED,),
         {CLOSED: "ix_complaint_followup"}, lambda: (Complaint.status, Complaint.followed_up_at)),
    # §11, §12, §15: a branch head handles, accepts and follows up the cases of its units.
    Work(HANDLING, lambda a: a.acts(t.BRANCH_HEAD) and bool(a.unit_ids),
         lambda a, today: Complaint.handling_unit_id.in_(_units(a)), OPEN,
         {DATED: "ix_complaint_handling_status_due", UNDATED: "ix_complaint_handling_status_due"}),
    Work(("accept",), lambda a: a.acts(t.BRANCH_HEAD) and bool(a.unit_ids),
         # the registrations walked by receipt, the branch read from the same index
         lambda a, today: Complaint.branch_id.in_(_units(a)), (UNDATED,), {UNDATED: "ix_complaint_open_late"}),
    Work(("follow_up",), lambda a: a.acts(t.BRANCH_HEAD) and bool(a.unit_ids),
         lambda a, today: (Complaint.followed_up_at.is_(None) & not_a_duplicate()
                           & Complaint.handling_unit_id.in_(_units(a))),
         (CLOSED,), {CLOSED: "ix_complaint_handling_followup"}, lambda: (Complaint.status, Complaint.followed_up_at)),
)



def _works_of(actor):
    """The kinds of work that may come to ``actor``: its roles (or a custom role's capabilities)
    and the permission for one of the work's steps."""
    return [work for work in TODO_WORK
            if work.who(actor) and any(f"can_{t.BY_NAME[name].permission}" in actor.permissions
                                       for name in work.transitions)]


def has_work(actor) -> bool:
    """Whether some kind of to-do work may come to ``actor``: such a user lands on 我的待办."""
    return bool(_works_of(actor))


TODO_COLUMNS = (Complaint.id, Complaint.status, Complaint.due_date, Complaint.received_at, Complaint.closed_at)


def todo_candidates(user, actor, today, depth):
    """``user``'s to-do candidates as rows of ``TODO_COLUMNS``: one statement unites the first
    ``depth`` ids of each stream of each kind of work (each on its own index-friendly order),
    a second reads their order columns. Returns (rows, saturated): saturated when some stream
    gave ``depth`` ids (it may hold more)."""
    parts = [part for work in _works_of(actor) for part in work.parts(actor, today)]
    if not parts:
        return [], False
    # Each stream walks its own index in the to-do order and tests each case it meets against the
    # scope (``ordered_scan``), instead of collecting every id of a large scope once per stream.
    scope = complaint_clause(user, Complaint, ordered_scan=True)
    ids = union_all(*[
        read_by_index(select(Complaint.id.label("id"), literal(n).label("part")).where(scope, condition)
                      .order_by(*order).limit(depth), index).subquery().select()
        for n, (condition, order, index) in enumerate(parts)
    ]).subquery()
    picked = db.session.execute(select(ids.c.id, ids.c.part)).all()
    per_part = {}
    for _id, part in picked:
        per_part[part] = per_part.get(part, 0) + 1
    saturated = any(count >= depth for count in per_part.values())
    unique = sorted({row.id for row in picked})
    if not unique:
        return [], saturated
    return db.session.execute(select(*TODO_COLUMNS).where(Complaint.id.in_(unique))).all(), saturated


def todo_order(case, today):
    """The to-do order of a case (an object or a row of ``TODO_COLUMNS``): overdue open work first,
    then open work with a deadline, by due date (then receipt); then open cases without a
    deadline yet (awaiting acceptance), oldest receipt first; then closed work (follow-ups,
    rulings, re-rulings), most recently closed first."""
    if case.status in ACTIVE and case.due_date is not None:
        return (0 if case.due_date < today else 1, case.due_date.toordinal(), case.received_at.timestamp(), case.id)
    if case.status in ACTIVE:
        return (2, 0, case.received_at.timestamp(), case.id)
    recent = case.closed_at or case.received_at
    return (3, 0, -recent.timestamp(), -case.id)
