"""The JR/T 0169-2018 classification (issue 23): the code table as the services read it, the
suggestion registration makes, the check of the codes a handler confirms, and the administrator's
changes of the table — the one change path of ``jrt_code``, each change audited.

Rules as implemented (domain rules in ``domain/jrt0169.py``):

- a complaint carries one code per dimension (A business channel, B business type, C complaint
  reason): the most detailed code in force on its day of receipt (``jrt0169.selectable``);
- registration suggests the three codes from the channel and category (``jrt0169.suggestion``), each
  only when it may classify the case; the case stays unconfirmed until the ``classify`` step;
- the administrator adds codes and changes a code's text, name, parent, days in force and order
  (never its dimension); codes are never deleted. Every change writes one ``AdminAudit`` row (target
  ``jrt_code``) with each changed value before and after, in the same transaction. Bad input
  raises ``FieldErrors`` (translated, beside the field) and changes nothing.
"""
import datetime as dt
from typing import Dict, List, Optional

from flask_babel import gettext
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import func, select

from .. import clock
from ..domain import jrt0169 as j
from ..domain.payloads import BeijingDate, Message
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..ids import row_id
from ..models.admin_audit import AdminAudit
from ..models.classification import JrtCode
from ..security.request_cache import request_cache

_MEMO = "jrt_codes"


# --- reading the table ---------------------------------------------------------------------------

def rows() -> List[JrtCode]:
    """Every code of the table, in order (one statement per request; dropped on every change)."""
    memo = request_cache()
    if _MEMO not in memo:
        memo[_MEMO] = db.session.execute(select(JrtCode).order_by(JrtCode.position, JrtCode.code)).scalars().all()
    return memo[_MEMO]


def forget() -> None:
    """Drop the request's copy of the table (after a change)."""
    request_cache().pop(_MEMO, None)


def entries(codes: Optional[List[JrtCode]] = None) -> List[j.Code]:
    """The table as the domain rules read it, each row with its parent's code."""
    codes = rows() if codes is None else codes
    by_id = {row.id: row for row in codes}
    return [row.entry(by_id[row.parent_id].code if row.parent_id in by_id else None) for row in codes]


def by_code(codes: Optional[List[JrtCode]] = None) -> Dict[str, JrtCode]:
    return {row.code: row for row in (rows() if codes is None else codes)}


def describe(row: Optional[JrtCode]) -> Optional[dict]:
    """A code as the API and the pages give it: ``{"code", "name"}`` (None for none)."""
    return None if row is None else {"code": row.code, "name": row.name}


def choices(dimension: str, day: dt.date) -> list:
    """``[(code, label)]`` a complaint received on ``day`` may carry in ``dimension``: each code
    labelled with its name and, after it, the names of the codes above it."""
    table = entries()
    names = {entry.code: entry.name for entry in table}
    out = []
    for entry in j.selectable(table, dimension, day):
        above = [names[code] for code in reversed(j.ancestors(table, entry.code))]
        out.append((entry.code, f"{entry.code} {entry.name}" + (f"({' › '.join(above)})" if above else "")))
    return out


def codes_of(complaint) -> Dict[str, Optional[str]]:
    """The codes ``complaint`` carries, by the classify body's field names (None where it has none)."""
    return {j.FIELDS[dimension]: getattr(getattr(complaint, _relation(dimension)), "code", None)
            for dimension in j.DIMENSIONS}


def _relation(dimension: str) -> str:
    return j.COLUMNS[dimension][:-3]  # jrt_channel_id → jrt_channel


# --- registration's suggestion ------------------------------------------------------------------

def suggest(complaint) -> Dict[str, Optional[str]]:
    """Issue 23: give a new complaint the codes its channel and category suggest, each only where it
    may classify a case received that day (in force, the most detailed level); unconfirmed. The
    codes set, by dimension. Also for complaints created outside registration (a ledger import)."""
    day = complaint.received_at.date()
    table = entries()
    found = by_code()
    suggested = {}
    for dimension, code in j.suggestion(complaint.channel, complaint.category).items():
        usable = code is not None and j.refusal(table, dimension, code, day) is None
        row = found[code] if usable else None
        setattr(complaint, j.COLUMNS[dimension], row.id if row is not None else None)
        setattr(complaint, _relation(dimension), row)
        suggested[dimension] = row.code if row is not None else None
    complaint.jrt_confirmed = False
    return suggested


# --- the classify step -------------------------------------------------------------------------

def _field_errors(messages):
    from .complaints import FieldErrors  # the services' one kind of per-field refusal

    raise FieldErrors(messages)


def _normal(value) -> str:
    return "".join(str(value).split()).upper()


def refusals(complaint, data) -> Dict[str, list]:
    """Every code in ``data`` (the classify body, as sent or as loaded) the table refuses for the
    case's day of receipt: ``{field: [message]}``. A field not sent is left to the schema, so a form
    with a missing code and a wrong one gets both messages at once."""
    day = complaint.received_at.date()
    table = entries()
    errors = {}
    for dimension in j.DIMENSIONS:
        field = j.FIELDS[dimension]
        value = data.get(field)
        if not isinstance(value, str) or not value.strip():
            continue
        code = _normal(value)
        why = j.refusal(table, dimension, code, day)
        if why is not None:
            errors[field] = [Message(why, code=code, day=day.isoformat())]
    return errors


def resolve(complaint, payload) -> Dict[str, JrtCode]:
    """The rows of the codes in ``payload`` (the classify body: ``channel_code`` …), each checked
    against the table for the case's day of receipt; every bad code refused beside its field, in
    the user's language, and nothing changed."""
    errors = refusals(complaint, payload)
    if errors:
        _field_errors(errors)
    found = by_code()
    return {dimension: found[_normal(payload[j.FIELDS[dimension]])] for dimension in j.DIMENSIONS}


def classify(complaint, payload) -> None:
    """Issue 23: set the three codes of ``payload`` (checked) and mark them confirmed; the payload
    keeps the codes before (``previous_codes``) and the names of the codes it names (``code_names``),
    so the timeline tells the change without reading the table again. Re-confirming a confirmed
    case with the same codes changes nothing and is refused."""
    chosen = resolve(complaint, payload)
    before = codes_of(complaint)
    names = {row.code: row.name for row in (getattr(complaint, _relation(d)) for d in j.DIMENSIONS) if row is not None}
    if complaint.jrt_confirmed and all(getattr(complaint, j.COLUMNS[d]) == chosen[d].id for d in j.DIMENSIONS):
        raise Conflict(gettext("The classification is already confirmed with these codes."))
    for dimension, row in chosen.items():
        setattr(complaint, j.COLUMNS[dimension], row.id)
        setattr(complaint, _relation(dimension), row)
        payload[j.FIELDS[dimension]] = row.code
        names[row.code] = row.name
    complaint.jrt_confirmed = True
    payload["previous_codes"] = before
    payload["code_names"] = names


# --- the administrator's changes ------------------------------------------------------------------

class _CodeFields(Schema):
    class Meta:
        unknown = RAISE

    code = fields.String(validate=validate.Length(min=1, max=16))
    name = fields.String(validate=validate.Length(min=1, max=j.NAME_MAX))
    parent_id = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    valid_from = BeijingDate(allow_none=True)
    valid_to = BeijingDate(allow_none=True)
    position = fields.Integer(strict=True, validate=validate.Range(min=0, max=99999))


class CodeSchema(_CodeFields):
    """A new code as the administrator writes it."""

    code = fields.String(required=True, validate=validate.Length(min=1, max=16))
    name = fields.String(required=True, validate=validate.Length(min=1, max=j.NAME_MAX))
    dimension = fields.String(required=True, validate=validate.OneOf(j.DIMENSIONS))
    parent_id = fields.Integer(load_default=None, allow_none=True, strict=True,
                               validate=validate.Range(min=1, max=2**31 - 1))
    valid_from = BeijingDate(load_default=None, allow_none=True)
    valid_to = BeijingDate(load_default=None, allow_none=True)
    position = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=99999))


class CodeUpdateSchema(_CodeFields):
    """A change of a code: any field but its dimension (a missing field keeps its value)."""


def get_code(code_id) -> JrtCode:
    row = db.session.get(JrtCode, row_id(code_id)) if row_id(code_id) is not None else None
    if row is None:
        raise NotFound(gettext("No such code."))
    return row


def _load(schema, data) -> dict:
    if not isinstance(data, dict):
        raise ValidationFailed(gettext("Invalid input type."))
    try:
        return schema.load(data)
    except ValidationError as error:
        _field_errors(error.messages if isinstance(error.messages, dict) else {"_schema": error.messages})


def _check(values: dict, row: Optional[JrtCode]) -> JrtCode:
    """Check ``values`` (all fields of the code) against the table; the parent row. Refused: a code
    not of the form A…/B…/C…, another row's code, a parent of another dimension or under the row
    itself, a last day before the first."""
    values["code"] = "".join(values["code"].split()).upper()
    values["name"] = values["name"].strip()
    errors = {}
    if not values["name"]:
        errors["name"] = [gettext("A name is required.")]
    parent = None
    if values.get("parent_id") is not None:
        parent = db.session.get(JrtCode, values["parent_id"])
        if parent is None:
            errors["parent_id"] = [gettext("No such code.")]
    parent_of = dict(db.session.execute(select(JrtCode.id, JrtCode.parent_id)).all())
    entry = j.Code(values["code"], values["name"], values["dimension"], parent.code if parent else None,
                   values.get("valid_from"), values.get("valid_to"), values.get("position") or 0,
                   row.id if row is not None else None)
    for field, msgid in j.check_entry(entry, parent.entry() if parent else None, parent_of,
                                      values.get("parent_id")).items():
        errors.setdefault(field, []).append(gettext(msgid))
    if "code" not in errors and db.session.execute(select(JrtCode.id).where(
            func.upper(JrtCode.code) == values["code"], JrtCode.id != (row.id if row is not None else 0))).first():
        errors["code"] = [gettext("Another code has this text already.")]
    if errors:
        _field_errors(errors)
    return parent


def _shown(name, value):
    """A value as the audit keeps it: a parent by its code, a date as YYYY-MM-DD."""
    if name == "parent_id":
        parent = db.session.get(JrtCode, value) if value is not None else None
        return parent.code if parent is not None else None
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _audit(user, row, action, changes) -> None:
    db.session.add(AdminAudit(
        at=clock.now(), actor_id=getattr(user, "id", None), actor_name=getattr(user, "username", None) or "system",
        target_type="jrt_code", target_id=row.id, target_name=f"{row.code} {row.name}"[:128], action=action,
        changes=changes,
    ))


EDITABLE = ("code", "name", "parent_id", "valid_from", "valid_to", "position")


def _audit_key(name):
    return "parent" if name == "parent_id" else name


def create_code(data, user) -> JrtCode:
    """A new code of the table; audited."""
    values = _load(CodeSchema(), data)
    _check(values, None)
    row = JrtCode(**values)
    db.session.add(row)
    db.session.flush()
    _audit(user, row, "create", {_audit_key(name): {"from": None, "to": _shown(name, values[name])}
                                 for name in ("code", "name", "dimension", *EDITABLE[2:])})
    db.session.commit()
    forget()
    return row


def update_code(code_id, data, user) -> JrtCode:
    """Change a code's text, name, parent, days in force or order (a missing field keeps its
    value); audited when something changed. Its dimension never changes (cases carry it there)."""
    row = get_code(code_id)
    current = {name: getattr(row, name) for name in EDITABLE}
    if isinstance(data, dict) and "dimension" in data and data["dimension"] != row.dimension:
        _field_errors({"dimension": [gettext("The dimension of a code cannot change: cases carry it there.")]})
    incoming = {key: value for key, value in data.items() if key != "dimension"} if isinstance(data, dict) else data
    values = _load(CodeUpdateSchema(), incoming)
    merged = {**current, **values, "dimension": row.dimension}
    _check(merged, row)
    changes = {_audit_key(name): {"from": _shown(name, current[name]), "to": _shown(name, merged[name])}
               for name in EDITABLE if current[name] != merged[name]}
    if not changes:
        return row
    for name in EDITABLE:
        setattr(row, name, merged[name])
    _audit(user, row, "update", changes)
    db.session.commit()
    forget()
    return row


def table_values(today: dt.date) -> List[dict]:
    """The whole table as the API gives it out, in tree order: each code with its parent's code,
    its days in force, whether it is in force ``today`` and whether a case received today may carry it."""
    table = entries()
    carried = {dimension: {entry.code for entry in j.selectable(table, dimension, today)} for dimension in j.DIMENSIONS}
    ids = {entry.code: entry.id for entry in table}
    return [{"id": ids[entry.code], "code": entry.code, "name": entry.name, "dimension": entry.dimension,
             "parent": entry.parent, "valid_from": entry.valid_from.isoformat() if entry.valid_from else None,
             "valid_to": entry.valid_to.isoformat() if entry.valid_to else None, "position": entry.position,
             "in_force": j.valid_on(entry, today), "selectable": entry.code in carried[entry.dimension]}
            for entry in j.tree_order(table)]
