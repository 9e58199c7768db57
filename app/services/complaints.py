"""Complaint services: the only code that changes a case (design.md principle 1).

Each call: load the case through the scope rule → check the transition → apply it → write the
event → commit, as one transaction. A stale version or a concurrent change is refused with
409 and nothing is written.

Long (about 850 lines) on purpose: it is the one write path of a case, and each transition's
handler sits beside the checks it shares with the others (deadlines, scope, versions); splitting
the handlers out would put the transaction's rules in two places.
"""
import datetime as dt
from decimal import Decimal

from flask import current_app, g, has_request_context
from flask_babel import force_locale, gettext
from marshmallow import ValidationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm import joinedload, selectinload

from ..errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ..extensions import db
from ..ids import row_id
from ..models import OrgUnit, Staff
from ..domain.phones import normal_phone
from ..models.complaint import Complaint, ComplaintEvent, NumberCounter
from ..security import permissions as p
from ..models.ruling import Ruling, RulingStaff
from ..security.scope import (
    ancestor_ids, complaint_clause, county_ids, custom_acts_as, custom_shows_identity, role_names, scope_of, staff_of,
)
from ..domain import calendar as cal
from ..domain import states as s
from ..domain import transitions as t
from ..domain.payloads import PAYLOADS, REQUIRED, EditSchema, RegisterSchema, RuleSchema, version_field
from .. import clock
from . import classification, committee, notifications, settings, totals
from .calendar import load_calendar
from .timeline import record_event


# --- who is acting ---------------------------------------------------------------------------

def complaint_permissions(user) -> frozenset:
    """The user's permission names on the Complaint resource (``can_accept`` …), from the
    security manager's permission pairs (one statement per request, shared with has_access)."""
    roles = getattr(user, "roles", None) or []
    pairs = current_app.appbuilder.sm.role_permission_pairs(roles)
    return frozenset(name for name, view in pairs if view == p.COMPLAINT)


def actor_for(user) -> t.Actor:
    """The pure ``Actor`` for ``user`` (cached per request)."""
    cache = g.setdefault("_actors", {}) if has_request_context() else {}
    key = getattr(user, "id", None)
    if key in cache:
        return cache[key]
    staff = staff_of(user)
    scope = scope_of(user)
    actor = t.Actor(
        user_id=key,
        staff_id=staff.id if staff else None,
        roles=frozenset(role_names(user)),
        everything=scope.everything,
        unit_ids=scope.unit_ids,
        permissions=complaint_permissions(user),
        unit_id=staff.unit_id if staff else None,
        ancestor_unit_ids=ancestor_ids(staff.unit_id) if staff else frozenset(),
        shows_identity=custom_shows_identity(user),
        acts_as=custom_acts_as(user),
    )
    cache[key] = actor
    return actor


def _require(actor, permission):
    if f"can_{permission}" not in actor.permissions:
        raise PermissionDenied(gettext("Your role does not have this permission."))


# --- reading ---------------------------------------------------------------------------------

def scoped_select(user):
    """``SELECT complaint`` restricted to what ``user`` may see: the one read path."""
    return select(Complaint).where(complaint_clause(user, Complaint))


# The case page shows these with the case: loaded in the case's own statement.
CASE_PAGE_RELATIONS = ("branch", "handling_unit", "handler", "respondent_staff", "appeal_unit", "duplicate_of",
                       "jrt_channel", "jrt_business", "jrt_reason")


def get_for(user, complaint_id, for_update=False, for_page=False) -> Complaint:
    """The case if ``user`` may see it; otherwise 404 (never reveal that it exists).
    ``for_page`` joins the units and staff the case page shows into the same statement."""
    complaint_id = row_id(complaint_id)
    if complaint_id is None:
        raise NotFound(gettext("Complaint not found."))
    query = scoped_select(user).where(Complaint.id == complaint_id)
    if for_page:
        query = query.options(
            *[joinedload(getattr(Complaint, name)) for name in CASE_PAGE_RELATIONS],
            joinedload(Complaint.attachments),  # a case's few evidence files, in the same statement
            # the rulings and their staff in two statements, however many rulings (at most 13
            # statements for a page otherwise: one per ruling's staff)
            selectinload(Complaint.rulings).selectinload(Ruling.staff),
        )
    if for_update:
        query = query.with_for_update()
    complaint = db.session.execute(query).unique().scalar_one_or_none()
    if complaint is None:
        raise NotFound(gettext("Complaint not found."))
    return complaint


def today() -> dt.date:
    return clock.now().date()


def is_overdue(complaint, on: dt.date) -> bool:
    """Overdue (超时): not replied by the due date (domain.md §5)."""
    if complaint.due_date is None:
        return False
    if complaint.replied_at is not None:
        return complaint.replied_at.date() > complaint.due_date
    if complaint.status == s.PROCESSING:
        return on > complaint.due_date
    return False


def available_transitions(user, complaint, on=None):
    """What ``user`` may do to ``complaint`` now: one function for pages and API."""
    return t.available(complaint, actor_for(user), on or today())


# --- registration ----------------------------------------------------------------------------

def _load(schema_class, data, require=(), check=None):
    """``data`` loaded by its payload schema, no date before ``RECEIVED_AT_FLOOR``; the fields named in
    ``require`` must be there even where the schema leaves them optional (one error for all).
    ``check``: the rule's own field checks (``data`` → ``{field: [messages]}``), run on what was sent
    when the schema refuses something, so every bad field is named at once (the handler runs them
    again on the loaded payload)."""
    data = data or {}
    missing = {name: [REQUIRED["required"]] for name in require if data.get(name) in (None, "")}
    try:
        payload = schema_class(floor=received_at_floor()).load(data)
    except ValidationError as error:
        raise FieldErrors({**(check(data) if check else {}), **error.messages, **missing})
    if missing:
        raise FieldErrors(missing)
    return payload


class FieldErrors(ValidationFailed):
    """Several field errors at once: ``{field: [messages]}``."""

    def __init__(self, messages):
        super().__init__(gettext("The input is not valid."))
        self.messages = messages

    def payload(self):
        from ..i18n import translate_messages

        return translate_messages(self.messages)


def _field(field, message):
    raise ValidationFailed(message, field=field)


def _unit(unit_id, field):
    unit = db.session.get(OrgUnit, unit_id) if row_id(unit_id) is not None else None
    if unit is None or not unit.active:
        _field(field, gettext("The unit does not exist."))
    return unit


def _staff(staff_id, field):
    staff = db.session.get(Staff, staff_id) if row_id(staff_id) is not None else None
    if staff is None:
        _field(field, gettext("The staff member does not exist."))
    return staff


def next_number(on: dt.date) -> str:
    """TSyyyymmdd-NNNN: allocated by incrementing a per-day counter row (locked), never reused."""
    day = on.strftime("%Y%m%d")
    bumped = db.session.execute(
        update(NumberCounter).where(NumberCounter.day == day).values(last=NumberCounter.last + 1)
    ).rowcount
    if not bumped:
        try:
            with db.session.begin_nested():
                db.session.add(NumberCounter(day=day, last=1))
        except IntegrityError:
            db.session.execute(
                update(NumberCounter).where(NumberCounter.day == day).values(last=NumberCounter.last + 1)
            )
    last = db.session.execute(select(NumberCounter.last).where(NumberCounter.day == day)).scalar_one()
    return f"TS{day}-{last:04d}"


def register(user, data, now=None):
    """§7, §11: record a complaint; the registering staff member is its first handler.

    Returns ``(complaint, created)``; a repeated ``external_ref`` returns the first complaint.
    """
    actor = actor_for(user)
    complaint, created = stage_registration(actor, user, data, now or clock.now())
    if not created:
        return complaint, False
    external_ref = complaint.external_ref
    try:
        commit_change()
    except Conflict:
        # A concurrent request registered the same external_ref first (its unique constraint
        # refused ours, and our number was rolled back with it): answer as for a repeat.
        existing = _registered_as(user, external_ref) if external_ref else None
        if existing is None:
            raise
        return existing, False
    return complaint, True


def stage_registration(actor, user, data, now, tag=None):
    """``register``'s checks and writes as ``actor``, in the caller's transaction: nothing is
    committed (the ledger import replays a whole ledger in one transaction, issue 23; ``tag`` is
    added to the event's payload). Returns ``(complaint, created)``; a repeated ``external_ref``
    returns the first complaint."""
    _require(actor, t.REGISTER_PERMISSION)
    payload = _load(RegisterSchema, data)

    if payload.get("external_ref"):
        existing = _registered_as(user, payload["external_ref"])
        if existing is not None:
            return existing, False

    received = payload.get("received_at") or now
    if received > now:
        _field("received_at", gettext("The time of receipt cannot be in the future."))
    branch = _unit(payload["branch_id"], "branch_id")
    if branch.kind != "branch":
        _field("branch_id", gettext("The complaint must name a branch (营业网点)."))
    if not actor.covers(branch.id):
        _field("branch_id", gettext("You can only register complaints against a branch in your own scope."))
    if payload.get("respondent_staff_id") is not None:
        respondent = _staff(payload["respondent_staff_id"], "respondent_staff_id")
        if respondent.unit_id != branch.id:
            _field("respondent_staff_id", gettext("The staff member complained about must belong to that branch."))

    staff = staff_of(user)
    handler_id = staff.id if staff is not None and staff.id != payload.get("respondent_staff_id") else None
    complaint = Complaint(
        number=next_number(now.date()),
        external_ref=payload.get("external_ref"),
        channel=payload["channel"],
        received_at=received.replace(microsecond=0),
        complainant_name=payload["complainant_name"].strip(),
        complainant_phone=payload.get("complainant_phone"),
        complainant_id_number=payload.get("complainant_id_number"),
        complainant_address=payload.get("complainant_address"),
        is_delegate=payload.get("is_delegate", False),
        principal_name=payload.get("principal_name"),
        branch_id=branch.id,
        respondent_staff_id=payload.get("respondent_staff_id"),
        category=payload["category"],
        disputed_fee=payload.get("disputed_fee"),
        facts=payload["facts"],
        customer_request=payload.get("customer_request"),
        status=s.REGISTERED,
        handler_id=handler_id,
        handling_unit_id=staff.unit_id if staff is not None else None,
        extension_status=s.EXT_NONE,
        version=1,
        created_at=now,
        created_by_id=getattr(user, "id", None),
    )
    # Issue 23: the JR/T 0169 codes the channel and category suggest, unconfirmed until the handler
    # confirms them (the ``classify`` step).
    classification.suggest(complaint)
    db.session.add(complaint)
    totals.add(1)
    record_event(
        complaint, "register", user, now, None, s.REGISTERED,
        payload={"channel": complaint.channel, "branch_id": branch.id, "category": complaint.category,
                 "assigned": {"unit_id": complaint.handling_unit_id, "handler_id": complaint.handler_id},
                 **(tag or {})},
    )
    return complaint, True


def received_at_floor() -> dt.date:
    """The earliest day of receipt a complaint may carry (the settings' floor, default 2000-01-01),
    and so the earliest day of anything recorded about it (every date of a payload schema)."""
    return settings.received_at_floor()


def _registered_as(user, external_ref):
    """The complaint already registered under ``external_ref`` (``None`` if there is none);
    409 if it exists outside ``user``'s scope (never reveal its content)."""
    existing = db.session.execute(
        select(Complaint).where(Complaint.external_ref == external_ref)
    ).scalar_one_or_none()
    if existing is None:
        return None
    visible = db.session.execute(
        scoped_select(user).where(Complaint.id == existing.id)
    ).scalar_one_or_none()
    if visible is None:
        raise Conflict(gettext("This external reference is already used."), field="external_ref")
    return existing


# --- editing descriptive fields --------------------------------------------------------------

def edit_refusal(actor, complaint):
    """Why ``actor`` may not change ``complaint``'s descriptive fields or evidence now (the error to
    raise), or None: the permission, a case still open, and a person who works on it — the
    discipline office, the branch head over it, its handler or whoever registered it."""
    if "can_edit" not in actor.permissions:
        return PermissionDenied(gettext("Your role does not have this permission."))
    if complaint.status in (s.REJECTED, s.CLOSED):
        return Conflict(gettext("A closed or rejected complaint can no longer be edited."))
    if not (actor.acts(t.DISCIPLINE_OFFICE) or t.heads_case(complaint, actor) or t.is_handler(complaint, actor)
            or complaint.created_by_id == actor.user_id):
        return PermissionDenied(gettext(t.NOT_YOURS))
    return None


def check_editable(actor, complaint):
    """Raise ``edit_refusal``'s error, if any."""
    refusal = edit_refusal(actor, complaint)
    if refusal is not None:
        raise refusal


# Contact fields an edit may change: only by those who see them in full (a masked value must never
# be written back, nor a value be probed by someone who may not read it).
EDITABLE_IDENTITY = ("complainant_phone", "complainant_address")


def edit(user, complaint_id, data, now=None, require=()):
    """Change descriptive fields only, with the version the editor saw (stale → 409). The event
    keeps each changed field's old and new value, so nothing is lost. ``require``: fields the
    caller's form always sends (the edit page: category and facts), so an empty one is refused."""
    from ..security.masking import sees_identity

    actor = actor_for(user)
    _require(actor, t.EDIT_PERMISSION)
    payload = _load(EditSchema, data, require)
    complaint = get_for(user, complaint_id)
    check_editable(actor, complaint)
    hidden = [name for name in EDITABLE_IDENTITY if name in payload]
    if hidden and not sees_identity(actor, complaint):
        raise FieldErrors({name: [gettext("You see the complainant's contact details masked and cannot change them.")]
                           for name in hidden})
    _check_version(complaint, payload.pop("version"))
    changes = {}
    for field, value in payload.items():
        old = getattr(complaint, field)
        if field == "complainant_phone":
            value = normal_phone(value)
        if old != value:
            changes[field] = [_jsonable_value(old), _jsonable_value(value)]
            setattr(complaint, field, value)
    if changes:
        now = now or clock.now()
        record_event(complaint, "edit", user, now, complaint.status, complaint.status,
                     payload={"fields": sorted(changes), "changes": changes})
        commit_change(complaint)
    return complaint


def _version(value):
    """A transition's optional ``version``: an integer within INTEGER, or None (400 otherwise)."""
    try:
        return version_field().deserialize(value)
    except ValidationError as error:
        raise FieldErrors({"version": error.messages})


def _check_version(complaint, expected):
    if expected is not None and int(expected) != complaint.version:
        raise Conflict(gettext("This complaint was modified by someone else; reload it and try again."), field="version")


def commit_change(complaint=None, before_commit=None):
    """Commit the change (bumping ``complaint``'s version once); stale or conflicting → 409.
    ``before_commit`` runs after the change is flushed (the version compare-and-set has passed)
    and before the commit, in the same transaction: what it writes commits with the change."""
    if complaint is not None and complaint.id is not None:
        complaint.version = (complaint.version or 0) + 1
    try:
        if before_commit is not None:
            db.session.flush()
            before_commit()
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict(gettext("This complaint was modified by someone else; reload it and try again."))
    except IntegrityError:
        db.session.rollback()
        raise Conflict(gettext("The data conflicts with existing records."))


# --- transitions -----------------------------------------------------------------------------

# Field checks of a step that need the database (the code table), run beside the schema's.
_FIELD_CHECKS = {"classify": classification.refusals}


def apply(user, complaint_id, name, data, now=None, dry_run=False):
    """Apply transition ``name`` with ``data`` (its JSON body) as ``user``: one transaction.

    ``dry_run``: every check of the real call (permission, state, guard, version, payload, the
    handler's rules), then nothing is kept — the session is rolled back — so a page can show what
    is about to be written and ask for confirmation only of what would be accepted."""
    transition = t.BY_NAME.get(name)
    if transition is None:
        raise NotFound(gettext("Unknown action."))
    complaint = get_for(user, complaint_id)
    data = dict(data or {})
    expected_version = _version(data.pop("version", None))
    actor = actor_for(user)
    now = now or clock.now()
    _transition(transition, complaint, data, actor, user, now, expected_version)
    if dry_run:
        db.session.rollback()
        return complaint
    # Issue 23: who must act now hears of it, in this transaction (the scope rule and the
    # transition table read the flushed case); e-mail only once it is committed.
    notified = []
    commit_change(complaint, lambda: notified.extend(notifications.for_transition(name, complaint, user, now)))
    notifications.send_mail(notified, "transition", now)
    return complaint


def stage_transition(actor, user, complaint, name, data, now, tag=None):
    """``apply``'s checks and writes of transition ``name`` as ``actor`` on a case of the caller's
    transaction, at ``now``: nothing is committed (the ledger import, issue 23). ``tag`` is added to
    the event's payload (the ledger row it replays)."""
    _transition(t.declared(name), complaint, dict(data or {}), actor, user, now, None, tag)
    return complaint


def _transition(transition, complaint, data, actor, user, now, expected_version, tag=None):
    """Check ``transition`` for ``actor`` (permission, state, guard, version), load its payload, run
    its handler, set the status and write the timeline event; the caller commits or rolls back."""
    name = transition.name
    refusal = t.check(transition, complaint, actor, now.date())
    if refusal is not None:
        error = PermissionDenied if refusal.kind == t.FORBIDDEN else Conflict
        raise error(gettext(refusal.message))
    _check_version(complaint, expected_version)
    check = _FIELD_CHECKS.get(name)
    payload = _load(PAYLOADS[name], data, check=check and (lambda sent: check(complaint, sent)))
    before = complaint.status
    holder = (complaint.handling_unit_id, complaint.handler_id)
    due = complaint.due_date
    # No flush before the commit: the version compare-and-set then runs in commit_change,
    # where losing a race to a concurrent change becomes 409 (an early autoflush would raise
    # it from inside a rule's query), and write locks are held only for the commit itself.
    with db.session.no_autoflush:
        note = APPLY[name](complaint, payload, actor, user, now)
        if transition.target is not None:
            complaint.status = transition.target
        recorded = _jsonable(payload)
        if (complaint.handling_unit_id, complaint.handler_id) != holder:
            # Who holds the case from now on: the accountability list (§13) reads it back.
            recorded["assigned"] = {"unit_id": complaint.handling_unit_id, "handler_id": complaint.handler_id}
            # … and who held it before, so the timeline tells "from → to" without the earlier events.
            recorded["previous"] = {"unit_id": holder[0], "handler_id": holder[1]}
        if complaint.due_date != due:
            # The deadline moved (acceptance, transfer, approved extension): old → new (§12, §13).
            recorded["deadline"] = {"old": _jsonable_value(due), "new": _jsonable_value(complaint.due_date)}
        recorded.update(tag or {})
        record_event(complaint, name, user, now, before, complaint.status, note=note, payload=recorded)


def _jsonable_value(value):
    """``value`` as the event's JSON keeps it (dates ISO, amounts as text)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable_value(v) for k, v in value.items()}
    return value


def _jsonable(payload):
    return {k: _jsonable_value(v) for k, v in payload.items() if v is not None}


def _deadline(complaint, days):
    """§12: ``days`` working days after the day of receipt."""
    return cal.add_working_days(load_calendar(), complaint.received_at.date(), days)


def _set_due(complaint, deadline):
    complaint.due_date = deadline.date
    complaint.due_date_provisional = deadline.provisional


# Transition name → its handler ``(complaint, payload, actor, user, now) → note``: each handler
# registers itself against a transition the table declares (``@handles``), one each.
APPLY = {}


def handles(name):
    """Register the decorated function as the handler of the declared transition ``name``."""
    transition = t.declared(name)

    def register(handler):
        if transition.name in APPLY:
            raise ValueError(f"two handlers for the transition {name!r}")
        APPLY[transition.name] = handler
        return handler

    return register


def _assign(complaint, unit, staff_id, field):
    """Give the case to ``unit`` (and optionally a staff member of it); recusal enforced (§11)."""
    if staff_id is not None:
        staff = _staff(staff_id, field)
        if staff.unit_id != unit.id:
            _field(field, gettext("The staff member must belong to the receiving unit."))
        if not staff.active:
            _field(field, gettext("The staff member is not active."))
        if staff.id == complaint.respondent_staff_id:
            _field(field, gettext("A complaint is never handed to the staff member it complains about."))
    complaint.handling_unit_id = unit.id
    complaint.handler_id = staff_id


@handles("accept")
def _apply_accept(complaint, payload, actor, user, now):
    """§12: set the level (branch 10 / union 20 working days), the handling unit and the due date."""
    level = payload["level"]
    if level == "union" and not actor.has_role(t.DISCIPLINE_OFFICE):
        _field("level", gettext("Only the discipline office may accept a complaint at union level."))
    unit_id = payload.get("handling_unit_id")
    if unit_id is None:
        unit_id = complaint.branch_id if level == "branch" else (complaint.handling_unit_id if actor.has_role(t.DISCIPLINE_OFFICE) else None)
    if unit_id is None:
        _field("handling_unit_id", gettext("Choose the unit that will handle the complaint."))
    unit = _unit(unit_id, "handling_unit_id")
    if level == "branch" and unit.kind not in ("branch", "cooperative"):
        _field("handling_unit_id", gettext("A branch-level complaint is handled by a branch or cooperative."))
    if level == "union" and unit.kind not in ("union", "department"):
        _field("handling_unit_id", gettext("A union-level complaint is handled by the union or one of its departments."))
    if not actor.covers(unit.id):
        _field("handling_unit_id", gettext("You can only hand the complaint to a unit in your own scope."))
    handler_id = payload.get("handler_id")
    if handler_id is None and complaint.handler_id is not None:
        current = db.session.get(Staff, complaint.handler_id)
        if current is not None and current.unit_id == unit.id and current.id != complaint.respondent_staff_id:
            handler_id = current.id
    _assign(complaint, unit, handler_id, "handler_id")
    complaint.level = level
    # Without an explicit checklist, acceptance itself confirms the §4 conditions.
    complaint.eligibility = payload.get("eligibility") or (
        {item: True for item in s.ELIGIBILITY_ITEMS} | {"confirmed_by_acceptance": True}
    )
    complaint.deadline_days = cal.handling_days(level)
    _set_due(complaint, _deadline(complaint, complaint.deadline_days))
    return payload.get("note")


@handles("reject")
def _apply_reject(complaint, payload, actor, user, now):
    """§4, §8: a failed condition or out of scope; the record stays and is counted."""
    complaint.due_date = None
    return payload["note"]


@handles("transfer")
def _apply_transfer(complaint, payload, actor, user, now):
    """§11, §12(三): to the branch head, up to the union, or down to a branch, with a reason. A move
    to union level counts 20 working days from receipt; a transfer never moves the due date
    earlier (domain.md §10): a union-level case passed down to a branch keeps its 20 days."""
    unit = _unit(payload["to_unit_id"], "to_unit_id")
    union_level_unit = unit.kind in ("union", "department")
    office = actor.has_role(t.DISCIPLINE_OFFICE)
    if not office and not (actor.covers(unit.id) or (union_level_unit and unit.id in county_ids(complaint.branch_id))):
        _field("to_unit_id", gettext("You can only transfer to a unit in your own scope or up to the county union; "
                                     "only the discipline office sends a complaint beyond the county."))
    level = payload.get("level") or ("union" if union_level_unit else complaint.level or "branch")
    if union_level_unit and level != "union":
        _field("level", gettext("A complaint handled by the union is a union-level complaint."))
    if not office and payload.get("level") == "union" and complaint.level != "union" and not union_level_unit:
        _field("level", gettext("Only the discipline office may make a complaint union-level; transfer it up to the "
                                "union instead."))
    staff_id = payload.get("to_staff_id")
    if not office and staff_id is not None and not actor.covers(_staff(staff_id, "to_staff_id").unit_id):
        _field("to_staff_id", gettext("You can only name a staff member of your own scope; the receiving unit "
                                      "assigns its own handler."))
    if unit.id == complaint.handling_unit_id and payload.get("to_staff_id") in (None, complaint.handler_id):
        _field("to_unit_id", gettext("The complaint is already with this unit and handler."))
    _assign(complaint, unit, payload.get("to_staff_id"), "to_staff_id")
    complaint.level = level
    days = max(complaint.deadline_days or 0, cal.handling_days(level))
    if days != complaint.deadline_days:
        complaint.deadline_days = days
        deadline = _deadline(complaint, days)
        if complaint.due_date is None or deadline.date > complaint.due_date:
            _set_due(complaint, deadline)
    return payload["reason"]


def _check_extension_date(complaint, day, field):
    """§13, domain.md §10: an extension ends on a working day after the current deadline and at most
    the settings' extension maximum (default 10) working days beyond it."""
    if complaint.due_date is None:
        return
    if day <= complaint.due_date:
        _field(field, gettext("The new deadline must be after the current one."))
    calendar = load_calendar()
    if not calendar.is_workday(day):
        _field(field, gettext("The new deadline must be a working day."))
    most = settings.extension_max_working_days()
    limit = cal.latest_extension(calendar, complaint.due_date, most)
    if day > limit.date:
        _field(field, gettext("An extension reaches at most %(days)d working days beyond the current deadline, "
                              "that is %(date)s.", days=most, date=limit.date.isoformat()))


@handles("request_extension")
def _apply_request_extension(complaint, payload, actor, user, now):
    """§13: explain to the customer within the deadline and report in writing to the office."""
    if payload["customer_informed_at"] > now:
        _field("customer_informed_at", gettext("This time cannot be in the future."))
    if payload["customer_informed_at"] < complaint.received_at:
        _field("customer_informed_at", gettext("This time cannot be before the complaint was received."))
    if complaint.due_date and payload["customer_informed_at"].date() > complaint.due_date:
        _field("customer_informed_at", gettext("The customer must be informed before the deadline."))
    _check_extension_date(complaint, payload["requested_due_date"], "requested_due_date")
    complaint.extension_status = s.EXT_REQUESTED
    complaint.extension_requested_due = payload["requested_due_date"]
    return payload["reason"]


@handles("decide_extension")
def _apply_decide_extension(complaint, payload, actor, user, now):
    """§13: the discipline office approves (with a new due date, bounded as the request) or refuses.
    Running past an approved date is an overrun like any other (未经许可超时)."""
    if payload["approved"]:
        new_due = payload.get("due_date") or complaint.extension_requested_due
        _check_extension_date(complaint, new_due, "due_date")
        complaint.due_date = new_due
        complaint.due_date_provisional = False
        complaint.extension_status = s.EXT_APPROVED
    else:
        complaint.extension_status = s.EXT_REFUSED
    return payload.get("note")


def deciding_unit_id(complaint, actor):
    """§14: the body that made the decision: the replier's own unit (the discipline office replying
    on a branch's case decides as the union's department), else the unit handling the case."""
    return actor.unit_id if actor.unit_id is not None else complaint.handling_unit_id


@handles("reply")
def _apply_reply(complaint, payload, actor, user, now):
    """§10, §14: the reply records who decided and carries the appeal notice; the appeal window runs
    from the reply day, or for a letter from the day the customer received it."""
    replied = payload.get("replied_at") or now
    if replied > now:
        _field("replied_at", gettext("This time cannot be in the future."))
    if replied < complaint.received_at:
        _field("replied_at", gettext("The reply cannot be before the complaint was received."))
    received = payload.get("customer_received_on")
    if received is not None:
        _check_receipt(received, replied, now)
    complaint.replied_at = replied.replace(microsecond=0)
    complaint.replied_by_id = getattr(user, "id", None)
    complaint.replied_by_unit_id = deciding_unit_id(complaint, actor)
    complaint.replied_by_unit = db.session.get(OrgUnit, complaint.replied_by_unit_id) if complaint.replied_by_unit_id else None
    complaint.reply_method = payload["method"]
    complaint.reply_content = payload["content"]
    complaint.reply_received_on = received
    _set_appeal_window(complaint)
    complaint.appeal_notice = appeal_notice(complaint)
    return None


def _check_receipt(received, replied, now):
    if received < replied.date():
        _field("customer_received_on", gettext("The customer cannot have received the reply before it was sent."))
    if received > now.date():
        _field("customer_received_on", gettext("This date cannot be in the future."))


def appeal_window_start(complaint):
    """§14: the day the appeal window runs from — the reply day for a call or visit, the day the
    customer received a letter (None while a letter's receipt is not recorded)."""
    if complaint.replied_at is None:
        return None
    if complaint.reply_method == "letter":
        return complaint.reply_received_on
    return complaint.replied_at.date()


def _set_appeal_window(complaint):
    start = appeal_window_start(complaint)
    complaint.appeal_due_date = cal.appeal_window_end(load_calendar(), start).date if start else None


@handles("record_receipt")
def _apply_record_receipt(complaint, payload, actor, user, now):
    """§14: the day the customer received the written reply; the appeal window runs from it."""
    received = payload["customer_received_on"]
    _check_receipt(received, complaint.replied_at, now)
    complaint.reply_received_on = received
    _set_appeal_window(complaint)
    return None


@handles("close")
def _apply_close(complaint, payload, actor, user, now):
    complaint.closed_at = now
    return payload.get("note")


@handles("follow_up")
def _apply_follow_up(complaint, payload, actor, user, now):
    """§15: every closed case is revisited; dissatisfaction is analysed and, where the branch
    was not responsible, forwarded to the department concerned."""
    visited = payload["visited_at"]
    if visited > now.date():
        _field("visited_at", gettext("This date cannot be in the future."))
    if complaint.closed_at and visited < complaint.closed_at.date():
        _field("visited_at", gettext("The follow-up cannot be before the case was closed."))
    if (payload["satisfied"] is False and getattr(complaint, "ruling_result", None) == "not_responsible"
            and not (payload.get("forwarded_to") or "").strip()):
        _field("forwarded_to", gettext("Name the department the complaint was forwarded to (§15)."))
    complaint.followed_up_at = visited
    complaint.follow_up_method = payload["method"]
    complaint.follow_up_satisfied = payload["satisfied"]
    complaint.follow_up_note = payload.get("note")
    complaint.forwarded_to = payload.get("forwarded_to")
    return payload.get("note")


def is_superior(body, decided) -> bool:
    """§14: ``body`` is a superior unit of ``decided`` (a unit above it), or a department of a unit
    above a branch or cooperative (the union's discipline office over its branches) — and never
    ``decided`` itself or a unit below it."""
    from ..security.scope import subtree_ids

    if body.id in subtree_ids(decided.id):
        return False
    above = ancestor_ids(decided.id) - {decided.id}
    if body.id in above:
        return True
    return body.kind == "department" and body.parent_id in above and decided.kind in ("branch", "cooperative")


def appeal_body(complaint):
    """§14: the superior of the body that decided: the body chosen in the settings for a branch's or
    cooperative's decision (the discipline office) or for the union's own (the union above) — None
    when none is chosen or the one chosen is not a superior of the deciding unit."""
    decided = complaint.replied_by_unit or (
        db.session.get(OrgUnit, complaint.replied_by_unit_id) if complaint.replied_by_unit_id else None)
    union_decision = (decided.kind in ("union", "department")) if decided is not None else complaint.level == "union"
    unit_id = settings.appeal_body_id(union_decision)
    unit = db.session.get(OrgUnit, unit_id) if unit_id is not None else None
    if unit is None or not unit.active or (decided is not None and not is_superior(unit, decided)):
        return None
    return unit


@handles("appeal")
def _apply_appeal(complaint, payload, actor, user, now):
    """§14: the application is dated within the window (15 days after the customer received the
    reply, the last day included; back-dating allowed, not the future); it goes to the superior
    of the body that decided, which decides within 30 working days."""
    applied = payload["applied_at"]
    if applied > now.date():
        _field("applied_at", gettext("This date cannot be in the future."))
    if complaint.replied_at is not None and applied < complaint.replied_at.date():
        _field("applied_at", gettext("An appeal cannot be dated before the reply."))
    if complaint.appeal_due_date is not None and applied > complaint.appeal_due_date:
        _field("applied_at", gettext("An appeal must be made within 15 days of receiving the reply (by %(date)s, "
                                     "that day included).", date=complaint.appeal_due_date.isoformat()))
    unit = appeal_body(complaint)
    if unit is None:
        raise Conflict(gettext("No appeal body is configured for this decision; ask the administrator."))
    complaint.appeal_applied_on = applied
    complaint.appeal_content = payload["content"]
    complaint.appeal_unit_id = unit.id
    deadline = cal.appeal_decision_deadline(load_calendar(), applied)
    complaint.appeal_decision_due = deadline.date
    complaint.appeal_decision_due_provisional = deadline.provisional
    return None


@handles("decide_appeal")
def _apply_decide_appeal(complaint, payload, actor, user, now):
    """§14: upheld or changed, with the reply to the applicant; the case returns to 'replied'."""
    replied = payload.get("replied_at") or now
    if replied > now:
        _field("replied_at", gettext("This time cannot be in the future."))
    if replied.date() < complaint.appeal_applied_on:
        _field("replied_at", gettext("The decision cannot be dated before the application."))
    complaint.appeal_decision = payload["decision"]
    complaint.appeal_decision_content = payload["content"]
    complaint.appeal_decided_at = replied.replace(microsecond=0)
    return None


def _check_fee(complaint, category, fee):
    """§18(四): the responsible person bears the fee in dispute — recorded whenever the complaint
    names a disputed fee, and never more than it."""
    if category == s.FEE_CATEGORY and complaint.disputed_fee is not None and fee is None:
        _field("fee_borne", gettext("A §18(四) ruling on a complaint with a disputed fee records the fee borne "
                                    "(at most %(fee)s yuan).", fee=complaint.disputed_fee))
    if fee is None:
        return
    if complaint.disputed_fee is None or fee > complaint.disputed_fee:
        _field("fee_borne", gettext("The fee borne cannot exceed the disputed fee of the complaint."))


@handles("rule")
def _apply_rule(complaint, payload, actor, user, now):
    """§17–§19: the committee's ruling; responsible staff come from the branch complained about."""
    members = []
    for staff_id in dict.fromkeys(payload["staff_ids"]):
        member = _staff(staff_id, "staff_ids")
        if member.unit_id != complaint.branch_id:
            _field("staff_ids", gettext("The staff held responsible must belong to the branch complained about."))
        members.append(member)
    _check_fee(complaint, payload["category"], payload.get("fee_borne"))
    body, present = committee.check_present(complaint, "rule", payload["members"], actor.staff_id, now.date(),
                                            [m.id for m in members])
    ruling = Ruling(
        complaint=complaint, kind="ruling", result=payload["result"], category=payload["category"],
        verified=payload["verified"], basis=payload["basis"],
        fee_borne=payload.get("fee_borne"), ruled_on=now.date(), recorded_at=now,
        recorded_by_id=getattr(user, "id", None),
        links=[RulingStaff(staff_id=m.id, complaint_id=complaint.id) for m in members],
    )
    _seat(ruling, body, present, payload)
    db.session.add(ruling)
    complaint.ruling_result = payload["result"]
    complaint.ruling_category = payload["category"]
    complaint.ruling_final = False
    complaint.ruled_on = now.date()
    complaint.reruling_deadline = now.date() + dt.timedelta(days=settings.reruling_window_days())
    return payload["basis"]


def stage_ruling_of_record(user, complaint, data, ruled_on, now, tag=None):
    """Issue 23: a ruling the committee made before this system, as a ledger records it, on a case
    of the caller's transaction (nothing is committed). The ruling's own rules hold — ``RuleSchema``
    (the category belongs to the result, a responsible ruling is verified and names staff, a fee
    only under §18(四)), staff of the branch complained about, the fee within the disputed fee, one
    ruling per case on a processing, replied or closed case — but not who sat: a ledger does not
    name them and there was no roster. Dated ``ruled_on``; recorded (and the event written) at
    ``now``."""
    if complaint.status not in s.RULEABLE:
        raise Conflict(gettext("This action is not allowed in the case's current status."))
    if complaint.ruling_result is not None:
        raise Conflict(gettext("This case already has a ruling; it can only be changed through a re-ruling."))
    try:
        payload = RuleSchema(floor=received_at_floor(), exclude=("members",)).load(data)
    except ValidationError as error:
        raise FieldErrors(error.messages)
    if ruled_on < complaint.received_at.date():
        _field("ruled_on", gettext("The ruling cannot be dated before the complaint was received."))
    members = []
    for staff_id in dict.fromkeys(payload["staff_ids"]):
        member = _staff(staff_id, "staff_ids")
        if member.unit_id != complaint.branch_id:
            _field("staff_ids", gettext("The staff held responsible must belong to the branch complained about."))
        members.append(member)
    _check_fee(complaint, payload["category"], payload.get("fee_borne"))
    ruling = Ruling(
        complaint=complaint, kind="ruling", result=payload["result"], category=payload["category"],
        verified=payload["verified"], basis=payload["basis"], fee_borne=payload.get("fee_borne"), ruled_on=ruled_on,
        recorded_at=now, recorded_by_id=getattr(user, "id", None),
        links=[RulingStaff(staff_id=m.id, complaint_id=complaint.id) for m in members],
    )
    db.session.add(ruling)
    complaint.ruling_result = payload["result"]
    complaint.ruling_category = payload["category"]
    complaint.ruling_final = False
    complaint.ruled_on = ruled_on
    complaint.reruling_deadline = ruled_on + dt.timedelta(days=settings.reruling_window_days())
    recorded = {**_jsonable(payload), "ruled_on": ruled_on.isoformat(), **(tag or {})}
    record_event(complaint, "rule", user, now, complaint.status, complaint.status, note=payload["basis"],
                 payload=recorded)
    return ruling


def _seat(ruling, body, present, payload):
    """Who sat on ``ruling``; the timeline keeps their ids and the committee role each held."""
    committee.record_present(ruling, body, present)
    payload["members"] = [seat.staff_id for seat in present]
    payload["member_roles"] = [seat.role for seat in present]


def reruling_body(complaint):
    """§17: the unit of the higher ruling body (上一级责任认定部门) a re-ruling request on
    ``complaint`` goes to, or None when none is set up (issue 21: a record, ``services/committee.py``)."""
    body = committee.higher_body_for(complaint)
    return body.unit if body is not None and body.unit.active else None


@handles("request_reruling")
def _apply_request_reruling(complaint, payload, actor, user, now):
    """§17: the ruled staff member contests the ruling before the higher ruling body."""
    body = reruling_body(complaint)
    if body is None:
        raise Conflict(gettext("No higher ruling body is configured; ask the administrator."))
    complaint.reruling_status = s.RERULING_REQUESTED
    complaint.reruling_requested_at = now
    complaint.reruling_reason = payload["reason"]
    complaint.reruling_unit_id = body.id
    return payload["reason"]


@handles("decide_reruling")
def _apply_decide_reruling(complaint, payload, actor, user, now):
    """§17: the final ruling replaces the effective result; the original stays on record."""
    original = db.session.execute(
        select(Ruling).where(Ruling.complaint_id == complaint.id, Ruling.kind == "ruling")
    ).scalar_one()
    _check_fee(complaint, payload["category"], payload.get("fee_borne"))
    responsible = payload["result"] == s.RESPONSIBLE
    body, present = committee.check_present(complaint, "decide_reruling", payload["members"], actor.staff_id,
                                            now.date(), [m.id for m in original.staff])
    ruling = Ruling(
        complaint=complaint, kind="reruling", result=payload["result"], category=payload["category"],
        verified=responsible, basis=payload["basis"], fee_borne=payload.get("fee_borne"),
        ruled_on=now.date(), recorded_at=now, recorded_by_id=getattr(user, "id", None),
        links=[RulingStaff(staff_id=m.id, complaint_id=complaint.id) for m in original.staff] if responsible else [],
    )
    _seat(ruling, body, present, payload)
    db.session.add(ruling)
    complaint.ruling_result = payload["result"]
    complaint.ruling_category = payload["category"]
    complaint.ruling_final = True
    complaint.reruling_status = s.RERULING_DECIDED
    return payload["basis"]


# --- duplicates (issue 23) ------------------------------------------------------------------------

def _original(user, complaint, number):
    """The case ``complaint`` duplicates, by its number, among those ``user`` may see; the same
    answer for a number that does not exist and for one outside the scope (never reveal it)."""
    original = db.session.execute(
        scoped_select(user).where(Complaint.number == number)).scalar_one_or_none()
    if original is None:
        _field("original_number", gettext("No complaint with this number among those you may see."))
    if original.id == complaint.id:
        _field("original_number", gettext("A complaint cannot be a duplicate of itself."))
    if original.duplicate_of_id is not None:
        # No chains: the clerk is pointed to the original's own original when it may see it.
        first = db.session.execute(
            scoped_select(user).where(Complaint.id == original.duplicate_of_id)).scalar_one_or_none()
        if first is None:
            _field("original_number", gettext("%(number)s is itself marked as a duplicate; choose the complaint it "
                                              "duplicates.", number=original.number))
        _field("original_number", gettext("%(number)s is itself marked as a duplicate of %(original)s; mark this "
                                          "complaint as a duplicate of %(original)s.",
                                          number=original.number, original=first.number))
    return original


def _link(complaint, original, linked, event, user, now, reason):
    """Set (``linked``) or clear ``complaint``'s link to ``original`` and tell the original's timeline
    (``event``). The original's version moves too, so a concurrent mark of the original itself (a
    chain) or of the same pair loses with 409."""
    complaint.duplicate_of_id = original.id if linked else None
    complaint.duplicate_of = original if linked else None
    original.version = (original.version or 0) + 1
    record_event(original, event, user, now, original.status, original.status, note=reason,
                 payload={"duplicate_id": complaint.id, "duplicate_number": complaint.number})


@handles("mark_duplicate")
def _apply_mark_duplicate(complaint, payload, actor, user, now):
    """Issue 23: close a second complaint about the same matter with a link to the first; both
    stay, and the statistics count the matter once. What the undo restores is kept in the event:
    the status before (its ``from_status``) and the closing time before (``closed_at_before``)."""
    original = _original(user, complaint, payload["original_number"])
    if db.session.execute(select(Complaint.id).where(Complaint.duplicate_of_id == complaint.id).limit(1)).first():
        raise Conflict(gettext("Other complaints are marked as duplicates of this one; undo those marks first."))
    payload["original_id"] = original.id
    payload["closed_at_before"] = complaint.closed_at
    complaint.closed_at = now
    _link(complaint, original, True, "duplicate_added", user, now, payload["reason"])
    return payload["reason"]


def _last_mark(complaint):
    return db.session.execute(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id,
                                     ComplaintEvent.name == "mark_duplicate")
        .order_by(ComplaintEvent.id.desc()).limit(1)).scalar_one()


@handles("unmark_duplicate")
def _apply_unmark_duplicate(complaint, payload, actor, user, now):
    """Issue 23: the case returns to exactly the status and closing time it had before the mark
    (its deadlines were never touched); the link is cleared, both timelines say so."""
    mark = _last_mark(complaint)
    original = db.session.get(Complaint, complaint.duplicate_of_id)
    closed_before = (mark.payload or {}).get("closed_at_before")
    payload["original_id"] = original.id
    payload["original_number"] = original.number
    complaint.status = mark.from_status
    complaint.closed_at = dt.datetime.fromisoformat(closed_before) if closed_before else None
    _link(complaint, original, False, "duplicate_removed", user, now, payload["reason"])
    return payload["reason"]


# --- the JR/T 0169 classification (issue 23) ------------------------------------------------------

@handles("classify")
def _apply_classify(complaint, payload, actor, user, now):
    """Issue 23: the handler confirms (or corrects) the three codes registration suggested; each the
    most detailed code in force on the day of receipt (``services/classification.py``)."""
    classification.classify(complaint, payload)
    return None


# Every declared transition has its handler, and no handler names another (checked at import).
t.per_transition(APPLY, "handlers in services/complaints.py")


# --- the appeal notice (§14) -----------------------------------------------------------------

def appeal_body_name(complaint) -> str:
    """The superior of the body that decided (§14), as the notice names it."""
    unit = appeal_body(complaint)
    if unit is not None:
        return unit.name
    return gettext("the superior unit of the body that decided")


def appeal_notice(complaint) -> str:
    """§14: how, where and by when the customer may apply for review (always in Chinese:
    it is written to the customer, whatever language the clerk's screen uses)."""
    with force_locale("zh"):
        return _appeal_notice_text(complaint)


def _appeal_notice_text(complaint) -> str:
    """The notice, followed by the supervision telephone (§6) of the replying unit when it has one."""
    text = _appeal_notice_body(complaint)
    phone = replying_unit_phone(complaint)
    if phone:
        text += gettext("Supervision telephone: %(phone)s.", phone=phone)
    return text


def replying_unit_phone(complaint) -> str:
    """§6: the published supervision telephone of the unit that replied (else the handling unit),
    or of its nearest ancestor that has one; "" when none has."""
    from .org import supervision_phone

    unit_id = complaint.replied_by_unit_id or complaint.handling_unit_id
    unit = db.session.get(OrgUnit, unit_id) if unit_id is not None else None
    return supervision_phone(unit) if unit is not None else ""


def _appeal_notice_body(complaint) -> str:
    body = appeal_body_name(complaint)
    if complaint.reply_method == "letter":
        text = gettext(
            "If you are not satisfied with this result, you may apply for review to %(body)s in writing or by "
            "telephone within 15 days of the day you receive this letter; if the last day is a statutory holiday "
            "or rest day, the period ends on the next working day.",
            body=body,
        )
        if complaint.appeal_due_date is None:
            return text
        return text + gettext("For this letter that is by %(date)s (that day included).",
                              date=complaint.appeal_due_date.isoformat())
    return gettext(
        "If you are not satisfied with this result, you may apply for review to %(body)s in writing or by "
        "telephone within 15 days of receiving this reply, that is by %(date)s (that day included).",
        body=body,
        date=complaint.appeal_due_date.isoformat(),
    )
