"""Notifications (issue 23): who must act on a case learns of it, in the page header and by e-mail.

Written in the transaction of the change they tell of:

- a transition (``complaints.apply``, the one path every transition takes, calls
  ``for_transition`` after the case's changes are flushed and before the commit);
- ``flask remind`` (``deadlines.remind`` calls ``for_reminders`` with each chunk of reminders it
  wrote: one INSERT … SELECT, set-based, once per recipient, case and day).

Who must act, per kind (README "Rules as implemented"):

====================  ==========================  ===================================================
kind                  written when                recipients
====================  ==========================  ===================================================
assigned              ``accept``                  the handler named; without one (or one who may not
transferred           ``transfer``                handle it), the heads of the handling unit (below)
extension_requested   ``request_extension``       whoever may decide it now (``decide_extension``)
extension_decided     ``decide_extension``        the requester and the handler
appeal_received       ``appeal``                  the appeal unit's users who may decide it (§14)
reruling_requested    ``request_reruling``        the higher body's members serving today who may
                                                  decide it (§17, recusal applied)
ruling_due            ``close`` without a ruling  the committee's members serving today who may rule
due_soon / overdue    ``flask remind``            the handler (when it may handle the case); the heads
                                                  when there is none, and for an overdue case always
appeal_due_soon /     ``flask remind``            the appeal unit's users who may decide it, never the
appeal_overdue                                    person who replied
====================  ==========================  ===================================================

The heads of a case: for a branch-level case, the active logins acting as branch head (the role,
or a custom role's capability) with the reply permission whose staff record is in the handling
unit — or, when that unit has none, in the cooperative above it — never the staff member the
complaint names; for a union-level case, the logins acting as the discipline office with the
reply permission.

Nobody is notified of their own step, and a transition's recipient is kept only when the scope
rule lets them see the case (``complaint_clause``, checked in the same transaction) and, where the
kind asks someone to take a step, when the transition table offers them that step now
(``transitions.check``). ``flask remind`` applies the same rules in SQL, with role sets read once.

A notification stores the recipient, kind, case, times and dates only: the words, the case
number, the branch and the complainant's name as the recipient may see it are composed when it
is shown (``data/notifications.py``); e-mails carry the case number, kind, branch and dates only.
"""
from typing import Iterable, List

from flask_appbuilder.security.sqla.models import Permission, PermissionView, Role, User, ViewMenu
from flask_appbuilder.security.sqla.models import assoc_permissionview_role, assoc_user_role
from flask_babel import force_locale, gettext
from sqlalchemy import Date, DateTime, and_, case, exists, false, literal, or_, select, union, update
from sqlalchemy.orm import aliased

from .bulk import among, dialect_insert, on_postgresql
from ..domain import states as s
from ..domain import transitions as t
from ..domain import vocabulary as v
from ..extensions import db
from ..models import OrgUnit, Staff
from ..models.complaint import Complaint, ComplaintEvent
from ..models.custom_role import CustomRole
from ..models.notification import Notification
from ..models.reminder import Reminder
from ..security import permissions as p
from ..security.roles import ROLE_NAMES
from ..security.scope import complaint_clause
from . import committee, mail

# The transition that writes each kind, and the step each recipient is asked to take (None: told).
KIND_OF_TRANSITION = {
    "accept": "assigned",
    "transfer": "transferred",
    "request_extension": "extension_requested",
    "decide_extension": "extension_decided",
    "appeal": "appeal_received",
    "request_reruling": "reruling_requested",
    "close": "ruling_due",
}
for _name in KIND_OF_TRANSITION:
    t.declared(_name)  # a step named here is a declared transition (fails at import otherwise)


# --- who holds which role (read once per transition or reminder run) ----------------------------

def _role_ids_granting(*transitions) -> dict:
    """{transition name: role ids whose permissions include its ``can_<permission>`` on Complaint}."""
    wanted = {f"can_{t.declared(name).permission}": name for name in transitions}
    rows = db.session.execute(
        select(Permission.name, assoc_permissionview_role.c.role_id)
        .select_from(assoc_permissionview_role)
        .join(PermissionView, PermissionView.id == assoc_permissionview_role.c.permission_view_id)
        .join(Permission, Permission.id == PermissionView.permission_id)
        .join(ViewMenu, ViewMenu.id == PermissionView.view_menu_id)
        .where(ViewMenu.name == p.COMPLAINT, Permission.name.in_(sorted(wanted)))
    ).all()
    found = {name: set() for name in transitions}
    for permission, role_id in rows:
        found[wanted[permission]].add(role_id)
    return found


def _role_ids_acting_as(*roles):
    """({built-in role: its role id and those of the custom roles whose capabilities take its steps
    (``capabilities.acts_as``)}, the ids of the custom roles scoped to their own unit)."""
    from ..security.capabilities import SCOPE_ALL, acts_as

    found, unit_scoped = {role: set() for role in roles}, set()
    rows = db.session.execute(
        select(Role.id, Role.name, CustomRole.scope, CustomRole.capabilities)
        .outerjoin(CustomRole, CustomRole.role_id == Role.id)
        .where(or_(Role.name.in_(roles), CustomRole.role_id.isnot(None)))
    ).all()
    for role_id, name, scope, codes in rows:
        custom = name not in ROLE_NAMES
        if custom and scope != SCOPE_ALL:
            unit_scoped.add(role_id)
        held = set(acts_as(codes or (), scope)) if custom else {name}
        for role in roles:
            if role in held:
                found[role].add(role_id)
    return found, unit_scoped


class Roles:
    """The role sets the rules read: who may handle (reply), act as branch head or discipline
    office while holding the reply permission, and decide appeals."""

    def __init__(self):
        granting = _role_ids_granting("reply", "decide_appeal")
        acting, unit_scoped = _role_ids_acting_as(t.BRANCH_HEAD, t.DISCIPLINE_OFFICE)
        self.handle = granting["reply"]
        self.head = acting[t.BRANCH_HEAD] & self.handle
        # The office hears of union-level cases, and an appeal body of the appeals sent to it: only
        # roles that see such cases (a custom role scoped to its unit sees the cases of its subtree).
        self.office = (acting[t.DISCIPLINE_OFFICE] & self.handle) - unit_scoped
        self.decide_appeal = granting["decide_appeal"] - unit_scoped


def _holds(user_id, role_ids):
    """SQL: the login ``user_id`` holds one of ``role_ids``."""
    if not role_ids:
        return false()
    return exists().where(assoc_user_role.c.user_id == user_id, assoc_user_role.c.role_id.in_(sorted(role_ids)))


def _login(staff, role_ids):
    """SQL: ``staff`` is active and has an active login holding one of ``role_ids``."""
    active_user = exists().where(User.id == staff.user_id, User.active.is_(True))
    return and_(staff.active.is_(True), staff.user_id.isnot(None), active_user, _holds(staff.user_id, role_ids))


def _not_named(staff):
    """SQL: the case does not name ``staff`` (the respondent never hears of the complaint, §16)."""
    return or_(Complaint.respondent_staff_id.is_(None), Complaint.respondent_staff_id != staff.id)


# --- the recipients as SQL: (user_id, complaint_id) of the cases matching ``where`` ---------------

def handler_logins(where, roles):
    handler = aliased(Staff)
    return (select(handler.user_id.label("user_id"), Complaint.id.label("complaint_id"))
            .select_from(Complaint).join(handler, handler.id == Complaint.handler_id)
            .where(where, _login(handler, roles.handle)))


def _has_handler_login(roles):
    handler = aliased(Staff)
    return exists().where(handler.id == Complaint.handler_id, _login(handler, roles.handle))


def heads(where, roles, office_ids):
    """The heads of each case: branch level, the branch heads of the handling unit or, when it has
    none, of the cooperative above it; union level, the discipline office (``office_ids``)."""
    at, other, above, parent = aliased(Staff), aliased(Staff), aliased(Staff), aliased(OrgUnit)
    handling = aliased(OrgUnit)
    branch_level = or_(Complaint.level.is_(None), Complaint.level != "union")
    own = (select(at.user_id.label("user_id"), Complaint.id.label("complaint_id"))
           .select_from(Complaint).join(at, at.unit_id == Complaint.handling_unit_id)
           .where(where, branch_level, _login(at, roles.head), _not_named(at)))
    none_at_unit = ~exists().where(other.unit_id == Complaint.handling_unit_id, _login(other, roles.head),
                                   _not_named(other))
    cooperative = (select(above.user_id, Complaint.id)
                   .select_from(Complaint)
                   .join(handling, handling.id == Complaint.handling_unit_id)
                   .join(parent, and_(parent.id == handling.parent_id, parent.kind == "cooperative"))
                   .join(above, above.unit_id == parent.id)
                   .where(where, branch_level, none_at_unit, _login(above, roles.head), _not_named(above)))
    parts = [own, cooperative]
    if office_ids:
        parts.append(select(User.id, Complaint.id).select_from(Complaint)
                     .join(User, User.id.in_(sorted(office_ids)))
                     .where(where, Complaint.level == "union"))
    return parts


def appeal_deciders(where, roles):
    """The appeal unit's users who may decide appeals, never the person who replied (§14)."""
    member = aliased(Staff)
    return (select(member.user_id.label("user_id"), Complaint.id.label("complaint_id"))
            .select_from(Complaint).join(member, member.unit_id == Complaint.appeal_unit_id)
            .where(where, _login(member, roles.decide_appeal),
                   or_(Complaint.replied_by_id.is_(None), Complaint.replied_by_id != member.user_id)))


def office_user_ids(roles) -> set:
    """The active logins acting as the discipline office with the reply permission (a handful)."""
    if not roles.office:
        return set()
    return set(db.session.execute(
        select(User.id).where(User.active.is_(True), _holds(User.id, roles.office))).scalars())


# --- a transition ----------------------------------------------------------------------------------

def for_transition(name, complaint, user, now) -> List[int]:
    """The ids of the notifications transition ``name`` (just applied to ``complaint`` by ``user``
    and flushed, not committed) brings, written in its transaction; [] for one that brings none."""
    kind = KIND_OF_TRANSITION.get(name)
    if kind is None or (name == "close" and complaint.ruling_result is not None):
        return []
    today = now.date()
    due, params = _about(kind, complaint)
    rows = []
    for recipient in _recipients(kind, complaint, today):
        if recipient.id == getattr(user, "id", None):
            continue
        rows.append(Notification(recipient_id=recipient.id, kind=kind, complaint_id=complaint.id, created_at=now,
                                 due=due, params=params))
    if rows:
        db.session.add_all(rows)
        db.session.flush()
    return [row.id for row in rows]


def _about(kind, complaint):
    """(due, params) a notification of ``kind`` keeps: the date it is about, flags only."""
    if kind == "extension_requested":
        return complaint.extension_requested_due, None
    if kind == "appeal_received":
        return complaint.appeal_decision_due, None
    if kind == "extension_decided":
        return complaint.due_date, {"approved": complaint.extension_status == s.EXT_APPROVED}
    if kind in ("assigned", "transferred"):
        return complaint.due_date, None
    return None, None


def _users(ids) -> List[User]:
    ids = sorted({i for i in ids if i is not None})
    if not ids:
        return []
    return db.session.execute(select(User).where(User.id.in_(ids), User.active.is_(True))).scalars().all()


def _may_see(user, complaint) -> bool:
    """The scope rule, in this transaction: ``user`` may open the case."""
    return db.session.execute(
        select(Complaint.id).where(Complaint.id == complaint.id, complaint_clause(user, Complaint))
    ).first() is not None


def _may_take(user, step, complaint, today) -> bool:
    from .complaints import actor_for

    return t.check(t.BY_NAME[step], complaint, actor_for(user), today) is None


def _kept(users, complaint, today, step=None) -> List[User]:
    return [user for user in users
            if _may_see(user, complaint) and (step is None or _may_take(user, step, complaint, today))]


def _recipients(kind, complaint, today) -> List[User]:
    where = Complaint.id == complaint.id
    if kind in ("assigned", "transferred"):
        roles = Roles()
        handler = _kept(_users(db.session.execute(handler_logins(where, roles)).scalars()), complaint, today, "reply")
        if handler:
            return handler
        ids = db.session.execute(union(*heads(where, roles, office_user_ids(roles)))).scalars()
        return _kept(_users(ids), complaint, today, "reply")
    if kind == "extension_requested":
        roles = _role_ids_granting("decide_extension")["decide_extension"]
        ids = db.session.execute(select(User.id).where(_holds(User.id, roles))).scalars()
        return _kept(_users(ids), complaint, today, "decide_extension")
    if kind == "extension_decided":
        requested = db.session.execute(
            select(ComplaintEvent.actor_id).where(ComplaintEvent.complaint_id == complaint.id,
                                                  ComplaintEvent.name == "request_extension")
            .order_by(ComplaintEvent.id.desc()).limit(1)).scalar()
        handler = db.session.execute(select(Staff.user_id).where(Staff.id == complaint.handler_id,
                                                                 Staff.active.is_(True))).scalar()
        return _kept(_users([requested, handler]), complaint, today)
    if kind == "appeal_received":
        ids = db.session.execute(select(Staff.user_id).where(Staff.unit_id == complaint.appeal_unit_id,
                                                             Staff.active.is_(True))).scalars()
        return _kept(_users(ids), complaint, today, "decide_appeal")
    step = "decide_reruling" if kind == "reruling_requested" else "rule"
    body = committee.body_for(complaint, step)
    if body is None:
        return []
    seats = [seat.staff_id for seat in committee.roster(body, today)]
    ids = db.session.execute(select(Staff.user_id).where(Staff.id.in_(seats))).scalars() if seats else []
    return _kept(_users(ids), complaint, today, step)


# --- flask remind: set-based ------------------------------------------------------------------------

def for_reminders(today, now, reminded, roles, office_ids, returning=False):
    """The notifications of the reminders written at ``now`` for the cases ``reminded`` (their ids,
    ascending: those one chunk of ``deadlines.remind`` inserted): one INSERT … SELECT, in the
    chunk's transaction. Once per recipient, case and day: ``uq_notification_remind`` with ON
    CONFLICT DO NOTHING (another run, another server). Returns how many were written, or with
    ``returning`` their ids (for the e-mail)."""
    table = Notification.__table__
    # The chunk's cases are named, as one parameter (``services/bulk.among``). PostgreSQL's planner
    # takes today's reminders, just written, for a row or two (the table's statistics predate
    # them): read by ``day`` it scanned the union's result once per reminder (0.5–1.5 s a chunk of
    # 5,000 at 1M), or every reminder of the day once per notification; so there each kind is read
    # from its case's own reminder (the one written at ``now``). SQLite joins the reminders written
    # at ``now`` (its planner reads them by (case, day)). SQLite took the chunk as an id range
    # before: each part of the union then read every processing case of the range (1M, 17,000
    # reminders: the notifications 1.1–1.5 → 0.7–0.8 s named, in turns, machine loaded).
    chunk = among(Complaint.id, reminded)
    found = _reminder_recipients(chunk, today, roles, office_ids)
    if on_postgresql():
        kind = (select(Reminder.kind)
                .where(Reminder.complaint_id == found.c.complaint_id, Reminder.created_at == now)
                .scalar_subquery())
        rows = (select(found.c.user_id, found.c.complaint_id, kind, case_due(),
                       literal(now, DateTime()), literal(today, Date()))
                .select_from(found).join(Complaint, Complaint.id == found.c.complaint_id))
    else:
        rows = (select(found.c.user_id, found.c.complaint_id, Reminder.kind, case_due(),
                       literal(now, DateTime()), literal(today, Date()))
                .select_from(found)
                .join(Reminder, Reminder.complaint_id == found.c.complaint_id)
                .join(Complaint, Complaint.id == found.c.complaint_id)
                .where(Reminder.day == today, Reminder.created_at == now))
    statement = dialect_insert(table).from_select(
        ["recipient_id", "complaint_id", "kind", "due", "created_at", "remind_day"], rows,
    ).on_conflict_do_nothing(index_elements=[table.c.recipient_id, table.c.complaint_id, table.c.remind_day])
    # RETURNING the ids written: the count of an INSERT … SELECT … ON CONFLICT is not reported on
    # every driver (psycopg answers -1); the ids are a column of integers, read in one fetch.
    written = db.session.execute(statement.returning(table.c.id)).scalars().all()
    return written if returning else len(written)


def _reminder_recipients(chunk, today, roles, office_ids):
    """(user_id, complaint_id) of who hears of the reminders of the cases ``chunk``, a subquery."""
    handling = and_(chunk, Complaint.status == s.PROCESSING)
    # The heads hear of an overdue case, and of one due soon that has no handler to tell.
    heads_too = and_(handling, or_(Complaint.due_date < today, ~_has_handler_login(roles)))
    appeal = and_(chunk, Complaint.status == s.APPEALED)
    return union(handler_logins(handling, roles), *heads(heads_too, roles, office_ids),
                 appeal_deciders(appeal, roles)).subquery()


def case_due():
    """SQL: the deadline a reminder is about (the appeal decision's for an appealed case)."""
    return case((Complaint.status == s.APPEALED, Complaint.appeal_decision_due), else_=Complaint.due_date)


# --- reading and marking ----------------------------------------------------------------------------

def mark_read(user, notification_id, now) -> Notification:
    """``user``'s own notification ``notification_id``, marked read (once: the first time stays);
    None when it is not theirs or does not exist (the caller answers 404)."""
    from ..ids import row_id

    key = row_id(notification_id)
    if key is None or getattr(user, "id", None) is None:
        return None
    found = db.session.execute(
        select(Notification).where(Notification.id == key, Notification.recipient_id == user.id)
    ).scalar_one_or_none()
    if found is None:
        return None
    if found.read_at is None:
        found.read_at = now
        db.session.commit()
    return found


def mark_all_read(user, now) -> int:
    """Every unread notification of ``user`` marked read; how many."""
    if getattr(user, "id", None) is None:
        return 0
    done = db.session.execute(
        update(Notification).where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now)
    ).rowcount
    db.session.commit()
    return done or 0


# --- e-mail, after the commit -----------------------------------------------------------------------

def text(kind, due, params) -> str:
    """What a notification asks, in the current language (the page, the API, the e-mail)."""
    key = kind
    if kind == "extension_decided":
        key = "extension_approved" if (params or {}).get("approved") else "extension_refused"
    return gettext(v.NOTIFICATION_TEXTS[key], due=due.isoformat() if due else "—")


def _mail_rows(ids: Iterable[int]):
    """(notification id, address, kind, due, params, case number, branch name) of ``ids`` whose
    recipient has an e-mail address, by recipient then case number."""
    ids = sorted(ids)
    rows = []
    for start in range(0, len(ids), 500):
        rows += db.session.execute(
            select(Notification.id, User.email, Notification.kind, Notification.due, Notification.params,
                   Complaint.number, OrgUnit.name)
            .join(User, User.id == Notification.recipient_id)
            .join(Complaint, Complaint.id == Notification.complaint_id)
            .join(OrgUnit, OrgUnit.id == Complaint.branch_id)
            .where(Notification.id.in_(ids[start:start + 500]), User.email.isnot(None), User.email != "")
        ).all()
    return sorted(rows, key=lambda row: (row.email, row.number, row.id))


def message_lines(rows) -> List[str]:
    """One line per notification: case number, kind, branch, what is asked (no complainant data)."""
    from ..i18n import label

    return [gettext("%(number)s · %(kind)s · %(branch)s: %(text)s", number=row.number,
                    kind=label(v.NOTIFICATION_KINDS, row.kind), branch=row.name,
                    text=text(row.kind, row.due, row.params)) for row in rows]


def send_mail(notification_ids: Iterable[int], job: str, now) -> int:
    """E-mail the notifications ``notification_ids`` (already committed): one message per recipient
    listing them, in Chinese. The ones delivered are marked ``emailed_at``. Returns the number of
    messages the server accepted; a failure is logged and never raised (``services/mail.py``)."""
    ids = list(notification_ids)
    if not ids or not mail.enabled():
        return 0
    try:
        rows = _mail_rows(ids)
        by_address = {}
        for row in rows:
            by_address.setdefault(row.email, []).append(row)
        messages, owners = [], []
        with force_locale("zh"):
            for address, items in by_address.items():
                subject = gettext("Complaints: %(count)d notification(s) for you", count=len(items))
                body = "\n".join([*message_lines(items), "", gettext("Log in to the complaint system to see them.")])
                messages.append((address, subject, body))
                owners.append([row.id for row in items])
        accepted = mail.send(messages, job)
        delivered = sorted(i for position in accepted for i in owners[position])
        for start in range(0, len(delivered), 500):
            db.session.execute(update(Notification).where(Notification.id.in_(delivered[start:start + 500]))
                               .values(emailed_at=now))
        db.session.commit()
        return len(accepted)
    except Exception as error:  # after the commit: nothing the user did may be undone by mail
        db.session.rollback()
        mail._log_failure(job, error, len(ids))
        return 0
