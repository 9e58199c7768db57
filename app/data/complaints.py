"""The complaint reads of the work pages and the API: the to-do candidates, the queues, the
overdue-accountability page and a case's timeline. Each read is scoped (``scoped_select``) and
shaped to be served by an index at a million cases; the views and the API call these and render.
"""
from dataclasses import dataclass
from typing import Callable, List, NamedTuple, Optional, Tuple

from sqlalchemy import func, inspect, literal, select, union_all
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..domain import calendar as cal
from ..domain.committee import COMMITTEE, HIGHER
from ..domain import states as s
from ..domain import transitions as t
from ..extensions import db
from ..models import OrgUnit, Staff
from ..models.complaint import Complaint, ComplaintEvent
from ..models.reminder import Reminder
from ..security.scope import all_units, clauses_for_ruled_staff
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
    "rulings": (lambda actor: Complaint.status.in_(s.RULEABLE) & Complaint.ruling_result.is_(None),
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


def todo(user, today, due_soon_days: int) -> List[TodoItem]:
    """The cases waiting for ``user``'s action, overdue first (at most ``TODO_LIMIT``)."""
    actor = svc.actor_for(user)
    rows = sorted(todo_candidates(user, actor, today), key=lambda c: todo_order(c, today))
    calendar = load_calendar()
    reminded = set(db.session.execute(
        select(Reminder.complaint_id).where(Reminder.day == today, Reminder.complaint_id.in_([c.id for c in rows]))
    ).scalars())
    items = []
    for complaint in rows:
        actions = t.available(complaint, actor, today)
        if not actions:
            continue
        if len(items) == TODO_LIMIT:
            break
        soon = complaint.due_date is not None and complaint.status == s.PROCESSING and cal.due_soon(
            calendar, today, complaint.due_date, due_soon_days)
        items.append(TodoItem(complaint, actions, svc.is_overdue(complaint, today), soon,
                              deadlines.regulatory_ceiling(complaint)[1], complaint.id in reminded))
    return items


TODO_LIMIT = 200
# Statuses in which a case still waits for its handler, head or the office (not closed work).
ACTIVE = (s.REGISTERED, s.PROCESSING, s.REPLIED, s.APPEALED)


def _by_due():
    return (Complaint.due_date.is_(None), Complaint.due_date, Complaint.received_at, Complaint.id)


def _newest(column):
    return (column.desc(), Complaint.id.desc())


@dataclass(frozen=True)
class Work:
    """One kind of work of the to-do list: the transitions it leads to, who may have it, the cases
    that may need it (a superset: the transition table then decides exactly what each case
    offers) and the index-friendly order it is read in, with its own limit."""

    transitions: Tuple[str, ...]
    who: Callable  # (actor) -> bool
    where: Callable  # (actor, today) -> SQL condition
    order: Callable  # () -> order-by columns


HANDLING = ("transfer", "request_extension", "reply", "record_receipt", "close")
# Transitions no to-do list offers: an appeal is recorded when the customer applies (§14).
NOT_TODO = ("appeal",)


def _units(actor):
    return sorted(actor.unit_ids)


TODO_WORK = (
    # §17: a committee member rules on the cases awaiting a ruling of the committees they serve on
    # that day (someone on no roster cannot sit, so nothing waits for them).
    Work(("rule",), lambda a: a.acts(t.COMMITTEE) and a.staff_id is not None,
         lambda a, today: (Complaint.status.in_(s.RULEABLE) & Complaint.ruling_result.is_(None)
                           & Complaint.branch_id.in_(sorted(committee.units_served(a.staff_id, today, COMMITTEE)))),
         lambda: _newest(Complaint.received_at)),
    # §17: a member of a higher ruling body decides the requests addressed to its unit.
    Work(("decide_reruling",), lambda a: a.acts(t.RERULING_BODY) and a.staff_id is not None,
         lambda a, today: ((Complaint.reruling_status == s.RERULING_REQUESTED)
                           & Complaint.reruling_unit_id.in_(sorted(committee.units_served(a.staff_id, today, HIGHER)))),
         lambda: (Complaint.reruling_requested_at, Complaint.id)),
    # §14: an appeal waits for its appeal unit.
    Work(("decide_appeal",), lambda a: a.unit_id is not None,
         lambda a, today: (Complaint.status == s.APPEALED) & (Complaint.appeal_unit_id == a.unit_id),
         lambda: (Complaint.appeal_decision_due, Complaint.id)),
    # §17: a staff member held responsible may still ask for a re-ruling.
    Work(("request_reruling",), lambda a: a.staff_id is not None,
         lambda a, today: ((Complaint.reruling_status == s.RERULING_NONE) & Complaint.ruling_result.isnot(None)
                           & (Complaint.reruling_deadline.is_(None) | (Complaint.reruling_deadline >= today))
                           & clauses_for_ruled_staff(Complaint, a.staff_id)),
         lambda: _newest(Complaint.ruled_on)),
    # §11: the handler's open cases.
    Work(HANDLING, lambda a: a.staff_id is not None,
         lambda a, today: (Complaint.handler_id == a.staff_id) & Complaint.status.in_(ACTIVE), _by_due),
    # §7, §13, §15: the discipline office accepts, decides extensions, handles union-level cases and
    # follows up.
    Work(("accept", "reject"), lambda a: a.acts(t.DISCIPLINE_OFFICE),
         lambda a, today: Complaint.status == s.REGISTERED, _by_due),
    Work(("decide_extension",), lambda a: a.acts(t.DISCIPLINE_OFFICE),
         lambda a, today: (Complaint.extension_status == s.EXT_REQUESTED) & (Complaint.status == s.PROCESSING),
         _by_due),
    Work(HANDLING, lambda a: a.acts(t.DISCIPLINE_OFFICE),
         lambda a, today: (Complaint.level == "union") & Complaint.status.in_(ACTIVE), _by_due),
    Work(("follow_up",), lambda a: a.acts(t.DISCIPLINE_OFFICE),
         lambda a, today: (Complaint.status == s.CLOSED) & Complaint.followed_up_at.is_(None),
         lambda: _newest(Complaint.closed_at)),
    # §11, §12, §15: a branch head handles, accepts and follows up the cases of its units.
    Work(HANDLING, lambda a: a.acts(t.BRANCH_HEAD) and bool(a.unit_ids),
         lambda a, today: Complaint.handling_unit_id.in_(_units(a)) & Complaint.status.in_(ACTIVE), _by_due),
    Work(("accept",), lambda a: a.acts(t.BRANCH_HEAD) and bool(a.unit_ids),
         lambda a, today: (Complaint.status == s.REGISTERED) & Complaint.branch_id.in_(_units(a)), _by_due),
    Work(("follow_up",), lambda a: a.acts(t.BRANCH_HEAD) and bool(a.unit_ids),
         lambda a, today: ((Complaint.status == s.CLOSED) & Complaint.followed_up_at.is_(None)
                           & Complaint.handling_unit_id.in_(_units(a))),
         lambda: _newest(Complaint.closed_at)),
)


def _todo_parts(actor, today):
    """What may need ``actor``, as (condition, order) pairs: the kinds of work it may have and
    holds a permission for. Each is read with its own order and limit, so the page costs the same
    at a million cases as at a thousand."""
    return [(work.where(actor, today), work.order()) for work in TODO_WORK
            if work.who(actor) and any(f"can_{t.BY_NAME[name].permission}" in actor.permissions
                                       for name in work.transitions)]


def has_work(actor) -> bool:
    """Whether some kind of to-do work may come to ``actor`` (its roles or a custom role's
    capabilities, and the permission for the step): such a user lands on 我的待办."""
    return any(work.who(actor) and any(f"can_{t.BY_NAME[name].permission}" in actor.permissions
                                       for name in work.transitions) for work in TODO_WORK)


def todo_candidates(user, actor, today, limit=TODO_LIMIT):
    """The cases of ``user``'s to-do candidates in one statement: the ids of each kind of work
    (its own order and limit) united, then the cases with their units and handler."""
    parts = _todo_parts(actor, today)
    if not parts:
        return []
    scope = svc.scoped_select(user).whereclause
    ids = union_all(*[
        select(Complaint.id).where(scope, condition).order_by(*order).limit(limit).subquery().select()
        for condition, order in parts
    ]).subquery()
    query = (
        select(Complaint).where(Complaint.id.in_(select(ids.c.id)))
        # the guards of a ruled case read its ruled staff: one statement for all rows
        .options(selectinload(Complaint.handler), selectinload(Complaint.ruled_staff),
                 selectinload(Complaint.respondent_staff))  # a ruling member's recusal reads it
    )
    all_units()  # the rows' units then come from the session
    return db.session.execute(query).scalars().all()


def todo_order(complaint, today):
    """Overdue open work first, then open work by due date, then follow-ups, rulings and other
    work without a deadline, most recent first."""
    if complaint.status in ACTIVE and complaint.due_date is not None:
        return (0 if complaint.due_date < today else 1, complaint.due_date.toordinal(), complaint.id)
    recent = complaint.closed_at or complaint.received_at
    return (2, -recent.toordinal() if recent else 0, -complaint.id)
