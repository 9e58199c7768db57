"""Web forms for registering, editing and each transition, built from their marshmallow schemas.

A form here only shapes input: each field has a name (the JSON key of api.md), a label and a
widget, declared on the schema field (``domain.payloads.form``). The values go to the same
service and the same schema as the API, so every rule lives in one place. Choices offer what the
services accept from the acting user: units and staff of its scope, the union level only to the
discipline office, never the staff member complained about as a handler, and a staff select
following the unit chosen in the same form (``data-unit`` on each option, static/forms.js).

A refused form is shown again as it was sent (``errors_of``: each message beside its field, the
rest above the form); a step that cannot be undone is summed up (``summary``) before it is applied.
"""
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Dict, List, Optional, Tuple

from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import clock
from ..domain import committee as c
from ..extensions import db
from ..models import Staff
from ..services import classification, committee
from ..security.request_cache import request_cache
from ..security.scope import all_units, county_ids
from ..services.complaints import EDITABLE_IDENTITY, FieldErrors
from ..domain import payloads as p
from ..domain import transitions as t
from ..domain import vocabulary as v
from ..domain.vocabulary import N_
from ..i18n import choices, translate_messages


@dataclass
class Field:
    name: str
    label: object
    kind: str = "text"  # text | textarea | select | radio | multiselect | date | datetime | bool | yesno | number | checklist
    required: bool = False
    choices: Optional[Callable] = None  # () -> [(value, label)]
    help: object = None
    items: List[Tuple[str, object]] = field(default_factory=list)  # for checklist
    follows: Optional[str] = None  # the unit field whose choice limits this staff field
    option_units: Optional[Callable] = None  # () -> {value: unit id} of a staff field's options
    default_unit: Optional[int] = None  # the unit a unit field stands for when left empty


def unit_choices(actor, kinds=None):
    """Units the actor may pick: its scope (everything for the union's offices)."""
    units = [u for u in all_units() if u.active and (not kinds or u.kind in kinds)]
    return [(str(u.id), f"{u.name}") for u in units if actor.covers(u.id)]


def transfer_unit_choices(actor, complaint):
    """Where the actor may transfer the case (§11, §12(三)): its scope, and up to the county union
    and its departments; the discipline office anywhere, a union above the county included."""
    office = actor.has_role(t.DISCIPLINE_OFFICE)
    county = county_ids(complaint.branch_id)
    return [(str(u.id), u.name) for u in all_units() if u.active and (
        office or actor.covers(u.id) or (u.kind in ("union", "department") and u.id in county))]


def _staff_rows(actor, leave_out=None):
    """Active staff in the actor's scope (not ``leave_out``), with their unit, in unit order (cached
    per request: a case page asks for them in several forms)."""
    memo = request_cache()
    if "active_staff" not in memo:
        memo["active_staff"] = db.session.execute(
            select(Staff).where(Staff.active.is_(True)).options(joinedload(Staff.unit))
            .order_by(Staff.unit_id, Staff.employee_no)
        ).scalars().all()
    return [st for st in memo["active_staff"] if actor.covers(st.unit_id) and st.id != leave_out]


def staff_choices(actor, leave_out=None):
    """Active staff in the actor's scope, labelled with their unit."""
    return [(str(st.id), f"{st.name} · {st.unit.name}") for st in _staff_rows(actor, leave_out)]


def staff_units(actor, leave_out=None):
    """Each offered staff member's unit: ``{value: unit id}`` (the options' ``data-unit``)."""
    return {str(st.id): st.unit_id for st in _staff_rows(actor, leave_out)}


def level_choices(actor):
    """§12: only the discipline office sets union level; others handle at branch level."""
    levels = choices(v.LEVELS)
    return levels if actor.has_role(t.DISCIPLINE_OFFICE) else [(code, label) for code, label in levels
                                                               if code == "branch"]


def branch_staff_choices(branch_id):
    """Staff of the branch complained about (those a ruling may hold responsible, §18)."""
    rows = db.session.execute(
        select(Staff).where(Staff.unit_id == branch_id).order_by(Staff.employee_no)
    ).scalars().all()
    return [(str(st.id), f"{st.name} ({st.employee_no})") for st in rows]


def roster_choices(complaint):
    """The members of the body that rules ``complaint`` next (the committee; the higher body once a
    re-ruling is requested) serving today: ``(value, "name (role)", why recused or None)``."""
    name = "decide_reruling" if complaint.ruling_result is not None else "rule"
    body, seats = committee.seating(complaint, name, clock.now().date(), [s.id for s in complaint.ruled_staff])
    return [(str(seat.staff_id), f"{seat.name}({gettext(c.MEMBER_ROLE_LABELS[seat.role])})",
             gettext(why) if why else None) for seat, why in seats]


def _respondent(complaint):
    return complaint.respondent_staff_id if complaint is not None else None


# Each named choice source of the payload schemas: (actor, complaint) → [(value, label)].
SOURCES = {
    p.UNITS_IN_SCOPE: lambda actor, complaint: unit_choices(actor),
    p.TRANSFER_UNITS: transfer_unit_choices,
    p.BRANCHES_IN_SCOPE: lambda actor, complaint: unit_choices(actor, ["branch"]),
    p.STAFF_IN_SCOPE: lambda actor, complaint: staff_choices(actor),
    p.HANDLERS: lambda actor, complaint: staff_choices(actor, leave_out=_respondent(complaint)),
    p.STAFF_OF_BRANCH: lambda actor, complaint: branch_staff_choices(complaint.branch_id),
    p.LEVELS_FOR_ACTOR: lambda actor, complaint: level_choices(actor),
    p.BODY_ROSTER: lambda actor, complaint: roster_choices(complaint),
    # Issue 23: the JR/T 0169 codes the case may carry (in force on its day of receipt, most detailed).
    p.JRT_CHANNEL_CODES: lambda actor, complaint: classification.choices("A", complaint.received_at.date()),
    p.JRT_BUSINESS_CODES: lambda actor, complaint: classification.choices("B", complaint.received_at.date()),
    p.JRT_REASON_CODES: lambda actor, complaint: classification.choices("C", complaint.received_at.date()),
}
if set(SOURCES) != set(p.CHOICE_SOURCES):
    raise RuntimeError(f"choice sources without a resolver: {sorted(set(p.CHOICE_SOURCES) - set(SOURCES))}")

# The unit a transition takes when its unit field is left empty (services/complaints.py
# ``_apply_accept``: the branch complained about), so a staff field following it can show that
# unit's staff before a unit is chosen.
DEFAULT_UNITS = {("accept", "handling_unit_id"): lambda complaint: complaint.branch_id}


def _choices(source, actor, complaint):
    """``() → [(value, label)]`` for a vocabulary mapping or a named source, resolved when rendered."""
    if source is None:
        return None
    if isinstance(source, str):
        return lambda: SOURCES[source](actor, complaint)
    return lambda: choices(source)


def _text(msgid):
    """A label or help msgid, lazily translated; a ``payloads.Message`` with its values."""
    if isinstance(msgid, p.Message):
        return _l(msgid.msgid, **msgid.params)
    return _l(msgid)


def schema_fields(schema, actor, complaint=None, leave_out=()):
    """The form of ``schema``: its fields that carry a form (``payloads.form``), in declaration
    order, each with its label, widget, required mark, help and choices."""
    result = []
    for name, schema_field in schema._declared_fields.items():
        widget = p.widget(schema_field)
        if widget is None or name in leave_out:
            continue
        checklist = widget.kind == "checklist"
        leave = _respondent(complaint) if widget.choices == p.HANDLERS else None
        result.append(Field(
            name, _l(widget.label), widget.kind,
            required=schema_field.required if widget.required is None else widget.required,
            choices=None if checklist else _choices(widget.choices, actor, complaint),
            help=_text(widget.help) if widget.help else None,
            items=choices(widget.choices) if checklist else [],
            follows=widget.follows,
            option_units=(lambda leave=leave: staff_units(actor, leave)) if widget.follows else None,
        ))
    return result


def register_fields(actor):
    return schema_fields(p.RegisterSchema, actor)


def edit_fields(actor, full_identity):
    """Descriptive fields; the contact fields only for those who see them in full (a masked
    value must never be offered for editing, or saving would overwrite the real one)."""
    return schema_fields(p.EditSchema, actor, leave_out=() if full_identity else EDITABLE_IDENTITY)


def transition_fields(name, actor, complaint):
    """The fields of transition ``name``'s form (its payload schema's); an undeclared ``name`` is a ValueError."""
    fields = schema_fields(t.declared(name).payload, actor, complaint)
    for f in fields:
        default = DEFAULT_UNITS.get((name, f.name))
        if default is not None:
            f.default_unit = default(complaint)
    return fields


def form_int(raw):
    """A form's integer text (ASCII digits; ``str.isdigit`` also accepts "²", which ``int``
    refuses) as an int; anything else unchanged, for the schema to refuse."""
    if isinstance(raw, str) and re.fullmatch(r"[0-9]{1,18}", raw.strip()):
        return int(raw)
    return raw


def form_version(raw):
    """The hidden ``version`` of a case form: an int, None when absent, else the text (refused)."""
    if raw is None or not raw.strip():
        return None
    return form_int(raw)


def parse(fields, form):
    """Turn submitted form values into the JSON-like dict the services take.

    Empty optional values are left out; values that cannot be parsed are passed through as
    strings so that the schema reports them as invalid.
    """
    data = {}
    for f in fields:
        if f.kind == "checklist":
            data[f.name] = {key: form.get(f"{f.name}.{key}") == "y" for key, _ in f.items}
            continue
        if f.kind == "bool":
            data[f.name] = form.get(f.name) == "y"
            continue
        if f.kind in ("multiselect", "roster"):
            data[f.name] = [form_int(v) for v in form.getlist(f.name) if v]
            continue
        raw = (form.get(f.name) or "").strip()
        if raw == "":
            continue
        if f.kind == "yesno":
            data[f.name] = {"true": True, "false": False}.get(raw, raw)
        elif f.name.endswith("_id"):
            data[f.name] = form_int(raw)
        elif f.kind == "datetime":
            data[f.name] = _iso_datetime(raw)
        else:
            data[f.name] = raw
    return data


def _iso_datetime(raw):
    """Browsers send ``YYYY-MM-DDTHH:MM``; the schema expects seconds."""
    try:
        return datetime.strptime(raw, "%Y-%m-%dT%H:%M").isoformat()
    except ValueError:
        return raw


# --- a refused form, and the summary of a step to confirm ---------------------------------------

@dataclass
class FormErrors:
    """Why a form was refused: translated messages by field (shown beside it) and the rest
    (``general``, shown above the form)."""

    fields: Dict[str, List[str]] = field(default_factory=dict)
    general: List[str] = field(default_factory=list)

    def __bool__(self):
        return bool(self.fields or self.general)


CHOICE_KINDS = ("select", "radio", "multiselect", "yesno", "roster")
CHOOSE_FROM_LIST = N_("Choose one of the options offered.")
# What marshmallow says of a value no option of a choice field has (a changed page, an option that
# is no longer offered): the form says "choose from the list" instead of naming codes.
_NOT_AN_OPTION = ("Must be one of: ", "Not a valid integer.", "Not a valid boolean.", "Not a valid list.",
                  "One or more of the choices you made")


def errors_of(error, fields):
    """The messages of a refused ``DomainError``, placed for the form of ``fields``: a field's own
    beside it (a nested one, such as a checklist item or a list entry, beside its field), anything
    else above the form. Every message is translated; none names a field by its code."""
    kinds = {f.name: f.kind for f in fields}
    if isinstance(error, FieldErrors):
        raw = {}
        for name, messages in error.messages.items():
            if kinds.get(name) in CHOICE_KINDS:
                messages = [CHOOSE_FROM_LIST if isinstance(text, str) and text.startswith(_NOT_AN_OPTION) else text
                            for text in _flat_raw(messages)]
            raw[name] = messages
        messages = translate_messages(raw)
    else:
        messages = error.payload()
    result = FormErrors()
    if not isinstance(messages, dict):
        result.general.append(str(messages))
        return result
    for name, items in messages.items():
        texts = list(dict.fromkeys(str(text) for text in _flat_raw(items)))
        if name in kinds:
            result.fields.setdefault(name, []).extend(texts)
        else:
            result.general.extend(texts)
    return result


def _flat_raw(messages):
    """Like ``_flat``, keeping each message object (a ``payloads.Message`` keeps its values)."""
    if isinstance(messages, dict):
        return [text for item in messages.values() for text in _flat_raw(item)]
    if isinstance(messages, (list, tuple)):
        return [text for item in messages for text in _flat_raw(item)]
    return [messages]


def _shown_value(f, form):
    """What the user entered in field ``f`` of ``form`` (a request's form), as the form shows it."""
    if f.kind == "checklist":
        ticked = [str(label) for key, label in f.items if form.get(f"{f.name}.{key}") == "y"]
        return "、".join(ticked) or None
    if f.kind == "bool":
        return gettext("Yes") if form.get(f.name) == "y" else gettext("No")
    if f.kind in ("multiselect", "roster"):
        chosen = set(form.getlist(f.name))
        return "、".join(str(option[1]) for option in f.choices() if option[0] in chosen) or None
    raw = (form.get(f.name) or "").strip()
    if not raw:
        return None
    if f.kind in CHOICE_KINDS:
        return next((str(label) for value, label in f.choices() if value == raw), raw)
    if f.kind == "datetime":
        return raw.replace("T", " ")
    return raw


def summary(fields, form):
    """``[(label, value)]`` of every field of the form as entered (None where left empty)."""
    return [(f.label, _shown_value(f, form)) for f in fields]
