"""Maintaining the ruling bodies and their rosters (§17, issue 21): the only code that creates or
changes a ``RulingBody`` or a ``BodyMember``. Pages, API and tests call it.

Rules as implemented:

- a body has a name, a kind (set when it is created), an active organisation unit, a quorum
  percentage 0–99 (those present must be more than this % of the eligible voting members) and
  whether the chair or a deputy must be present; one body of each kind per unit;
- a member is an active staff member with a role and a term (``term_from`` required, ``term_to``
  inclusive, open when empty, never before ``term_from``); one staff member has no two
  overlapping terms on one body; at most one chair has a running term on any day;
- a term ends by setting ``term_to``; a member row is deleted only while no ruling of its body
  lists that staff member among those who sat (the ruling keeps who sat) — otherwise the term is
  ended instead;
- every change writes one ``AdminAudit`` row (target ``body``) with each changed value before and
  after, in the same transaction. Bad input raises ``FieldErrors`` and changes nothing.
"""
import datetime as dt
from typing import Optional

from flask_babel import gettext
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import select

from .. import clock
from ..domain import committee as c
from ..domain.vocabulary import N_
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..ids import row_id
from ..models import OrgUnit, Staff
from ..models.admin_audit import AdminAudit
from ..models.committee import BodyMember, RulingBody, RulingMember
from ..models.ruling import Ruling
from .complaints import FieldErrors

NAME_MAX = 100


class RulingBodySchema(Schema):
    """A body as a client writes it (``kind`` only when it is created)."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=NAME_MAX))
    kind = fields.String(required=True, validate=validate.OneOf(c.BODY_KINDS))
    unit_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    quorum_percent = fields.Integer(load_default=c.DEFAULT_QUORUM_PERCENT, strict=True,
                                    validate=validate.Range(min=0, max=99))
    chair_required = fields.Boolean(load_default=True)
    active = fields.Boolean(load_default=True)


class RulingBodyUpdateSchema(Schema):
    """A change of a body: any of its fields but the kind (a missing field keeps its value)."""

    class Meta:
        unknown = RAISE

    name = fields.String(validate=validate.Length(min=1, max=NAME_MAX))
    unit_id = fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    quorum_percent = fields.Integer(strict=True, validate=validate.Range(min=0, max=99))
    chair_required = fields.Boolean()
    active = fields.Boolean()


class BodyMemberSchema(Schema):
    """A member as a client writes it (``body_id`` and ``staff_id`` only when added)."""

    class Meta:
        unknown = RAISE

    body_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    staff_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    role = fields.String(required=True, validate=validate.OneOf(c.MEMBER_ROLES))
    term_from = fields.Date(required=True)
    term_to = fields.Date(allow_none=True, load_default=None)


class BodyMemberUpdateSchema(Schema):
    """A change of a member's role or term (a missing field keeps its value; ``term_to`` ends the term)."""

    class Meta:
        unknown = RAISE

    role = fields.String(validate=validate.OneOf(c.MEMBER_ROLES))
    term_from = fields.Date()
    term_to = fields.Date(allow_none=True)


# --- reading -----------------------------------------------------------------------------------

def get_body(body_id) -> RulingBody:
    body = db.session.get(RulingBody, row_id(body_id)) if row_id(body_id) is not None else None
    if body is None:
        raise NotFound(gettext("No such ruling body."))
    return body


def get_member(member_id) -> BodyMember:
    member = db.session.get(BodyMember, row_id(member_id)) if row_id(member_id) is not None else None
    if member is None:
        raise NotFound(gettext("No such member."))
    return member


def serving(body: RulingBody, day: dt.date) -> list:
    """The members whose term runs on ``day``."""
    return [member for member in body.members if member.serves_on(day)]


def quorum_words(body: RulingBody) -> str:
    """The body's quorum rule in words."""
    text = gettext("More than %(percent)d%% of the voting members present", percent=body.quorum_percent)
    if body.chair_required:
        text += gettext(", the chair or a deputy chair among them")
    return text


def member_text(staff_name, role, term_from, term_to) -> str:
    """A member as the audit keeps it: 张三(组长) 2026-01-01—2026-12-31."""
    term = f"{term_from.isoformat() if term_from else ''}—{term_to.isoformat() if term_to else ''}"
    return f"{staff_name}({gettext(c.MEMBER_ROLE_LABELS.get(role, role))}) {term}"


def staff_choices() -> list:
    """Active staff as members are chosen: ``(id, "name (unit, employee no)")``."""
    rows = db.session.execute(
        select(Staff.id, Staff.name, Staff.employee_no, OrgUnit.name).join(OrgUnit, Staff.unit_id == OrgUnit.id)
        .where(Staff.active.is_(True)).order_by(OrgUnit.code, Staff.employee_no)).all()
    return [(staff_id, f"{name} ({unit}, {number})") for staff_id, name, number, unit in rows]


def unit_choices() -> list:
    """Active units a body may belong to: ``(id, "name [code]")``."""
    rows = db.session.execute(select(OrgUnit.id, OrgUnit.name, OrgUnit.code)
                              .where(OrgUnit.active.is_(True)).order_by(OrgUnit.code)).all()
    return [(unit_id, f"{name} [{code}]") for unit_id, name, code in rows]


# --- checking ----------------------------------------------------------------------------------

def _load(schema, data):
    if not isinstance(data, dict):
        raise ValidationFailed(gettext("Invalid input type."))
    try:
        return schema.load(data)
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        raise FieldErrors(messages)


def _check_body(values, body_id=None) -> None:
    errors = {}
    values["name"] = values["name"].strip()
    if not values["name"]:
        errors["name"] = [N_("A name is required.")]
    unit = db.session.get(OrgUnit, values["unit_id"])
    if unit is None or not unit.active:
        errors["unit_id"] = [N_("Choose an active organisation unit.")]
    elif db.session.execute(select(RulingBody.id).where(
            RulingBody.kind == values["kind"], RulingBody.unit_id == unit.id,
            RulingBody.id != (body_id or 0))).first():
        errors["unit_id"] = [N_("This unit already has a body of this kind.")]
    if errors:
        raise FieldErrors(errors)


def _overlaps(a_from, a_to, b_from, b_to) -> bool:
    return a_from <= (b_to or dt.date.max) and b_from <= (a_to or dt.date.max)


def _check_member(body: RulingBody, staff_id, role, term_from, term_to, member_id=None) -> None:
    errors = {}
    if term_to is not None and term_to < term_from:
        errors["term_to"] = [N_("The term cannot end before it begins.")]
    others = [m for m in body.members if m.id != member_id]
    if not errors:
        if any(m.staff_id == staff_id and _overlaps(m.term_from, m.term_to, term_from, term_to) for m in others):
            errors["term_from"] = [N_("This staff member already has a term on this body in that period.")]
        elif role == c.CHAIR:
            clash = next((m for m in others if m.role == c.CHAIR
                          and _overlaps(m.term_from, m.term_to, term_from, term_to)), None)
            if clash is not None:
                errors["role"] = [N_("The body has a chair in that period already; end that chair's term first.")]
    if errors:
        raise FieldErrors(errors)


# --- writing -----------------------------------------------------------------------------------

def _audit(user, body, action, changes) -> None:
    db.session.add(AdminAudit(
        at=clock.now(), actor_id=getattr(user, "id", None),
        actor_name=getattr(user, "username", None) or "system", target_type="body", target_id=body.id,
        target_name=body.name[:128], action=action, changes=changes,
    ))


def _shown(name, value):
    if isinstance(value, OrgUnit):
        return value.name
    if name == "unit_id" and value is not None:
        unit = db.session.get(OrgUnit, value)
        return unit.name if unit is not None else f"#{value}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def create_body(data, user) -> RulingBody:
    """A new body (no members yet); audited."""
    values = _load(RulingBodySchema(), data)
    _check_body(values)
    body = RulingBody(**values)
    db.session.add(body)
    db.session.flush()
    _audit(user, body, "create", {
        ("unit" if name == "unit_id" else name): {"from": None, "to": _shown(name, value)}
        for name, value in values.items()})
    db.session.commit()
    return body


def update_body(body_id, data, user) -> RulingBody:
    """Change a body's name, unit, quorum rule or whether it is active (a missing field keeps
    its value); audited when something changed."""
    body = get_body(body_id)
    current = {"name": body.name, "unit_id": body.unit_id, "quorum_percent": body.quorum_percent,
               "chair_required": body.chair_required, "active": body.active}
    if not isinstance(data, dict):
        raise ValidationFailed(gettext("Invalid input type."))
    values = _load(RulingBodyUpdateSchema(), {**{k: v for k, v in current.items()}, **data})
    values["kind"] = body.kind
    _check_body(values, body.id)
    changes = {("unit" if name == "unit_id" else name): {"from": _shown(name, current[name]),
                                                         "to": _shown(name, values[name])}
               for name in current if current[name] != values[name]}
    if not changes:
        return body
    for name in current:
        setattr(body, name, values[name])
    _audit(user, body, "update", changes)
    db.session.commit()
    return body


def add_member(data, user) -> BodyMember:
    """Add a term to a body's roster: an active staff member, a role, a term; audited."""
    values = _load(BodyMemberSchema(), data)
    body = db.session.get(RulingBody, values["body_id"])
    if body is None:
        raise FieldErrors({"body_id": [N_("No such ruling body.")]})
    staff = db.session.get(Staff, values["staff_id"])
    if staff is None or not staff.active:
        raise FieldErrors({"staff_id": [N_("Choose an active staff member.")]})
    _check_member(body, staff.id, values["role"], values["term_from"], values["term_to"])
    member = BodyMember(body=body, staff=staff, role=values["role"], term_from=values["term_from"],
                        term_to=values["term_to"])
    db.session.add(member)
    db.session.flush()
    _audit(user, body, "update", {"member": {
        "from": None, "to": member_text(staff.name, member.role, member.term_from, member.term_to)}})
    db.session.commit()
    return member


def update_member(member_id, data, user) -> BodyMember:
    """Change a member's role or term (ending a term: set ``term_to``); a missing field keeps its
    value; audited when something changed."""
    member = get_member(member_id)
    if not isinstance(data, dict):
        raise ValidationFailed(gettext("Invalid input type."))
    current = {"role": member.role, "term_from": member.term_from.isoformat(),
               "term_to": member.term_to.isoformat() if member.term_to else None}
    values = _load(BodyMemberUpdateSchema(), {**current, **data})
    _check_member(member.body, member.staff_id, values["role"], values["term_from"], values["term_to"], member.id)
    before = member_text(member.staff.name, member.role, member.term_from, member.term_to)
    after = member_text(member.staff.name, values["role"], values["term_from"], values["term_to"])
    if before == after:
        return member
    member.role, member.term_from, member.term_to = values["role"], values["term_from"], values["term_to"]
    _audit(user, member.body, "update", {"member": {"from": before, "to": after}})
    db.session.commit()
    return member


def end_term(member_id, term_to, user) -> BodyMember:
    """End a member's term on ``term_to`` (inclusive)."""
    return update_member(member_id, {"term_to": term_to.isoformat() if isinstance(term_to, dt.date) else term_to}, user)


def has_sat(member: BodyMember) -> bool:
    """Whether a ruling of the member's body lists that staff member among those who sat."""
    return db.session.execute(
        select(RulingMember.ruling_id).join(Ruling, Ruling.id == RulingMember.ruling_id).where(
            RulingMember.staff_id == member.staff_id, Ruling.body_id == member.body_id).limit(1)
    ).first() is not None


def delete_member(member_id, user) -> None:
    """Delete a member row entered by mistake; refused once the staff member sat on a ruling of the
    body (end the term instead). Audited."""
    member = get_member(member_id)
    if has_sat(member):
        raise ValidationFailed(gettext("%(name)s sat on a ruling of this body and stays on its roster; "
                                       "end the term instead of deleting the member.", name=member.staff.name))
    body = member.body
    before = member_text(member.staff.name, member.role, member.term_from, member.term_to)
    db.session.delete(member)
    _audit(user, body, "delete", {"member": {"from": before, "to": None}})
    db.session.commit()


def member_values(member: Optional[BodyMember]) -> dict:
    """A member as the API answers it."""
    return {"id": member.id, "body_id": member.body_id, "staff_id": member.staff_id, "staff_name": member.staff.name,
            "role": member.role, "term_from": member.term_from.isoformat(),
            "term_to": member.term_to.isoformat() if member.term_to else None}
