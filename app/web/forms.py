"""Web forms for registering, editing and each transition, built from their marshmallow schemas.

A form here only shapes input: each field has a name (the JSON key of api.md), a label and a
widget, declared on the schema field (``domain.payloads.form``). The values go to the same
service and the same schema as the API, so every rule lives in one place. Choices for units and
staff are limited to the user's scope.
"""
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, List, Optional, Tuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Staff
from ..security.scope import all_units
from ..services.complaints import EDITABLE_IDENTITY
from ..domain import payloads as p
from ..domain import transitions as t
from ..i18n import choices


@dataclass
class Field:
    name: str
    label: object
    kind: str = "text"  # text | textarea | select | radio | multiselect | date | datetime | bool | yesno | number | checklist
    required: bool = False
    choices: Optional[Callable] = None  # () -> [(value, label)]
    help: object = None
    items: List[Tuple[str, object]] = field(default_factory=list)  # for checklist


def unit_choices(actor, kinds=None, include_union_level=False):
    """Units the actor may pick: its scope (everything for the union's offices)."""
    units = [u for u in all_units() if u.active and (not kinds or u.kind in kinds)]
    return [
        (str(u.id), f"{u.name}")
        for u in units
        if actor.covers(u.id) or (include_union_level and u.kind in ("union", "department"))
    ]


def staff_choices(actor, unit_ids=None):
    """Active staff in the actor's scope, labelled with their unit."""
    query = (
        select(Staff).where(Staff.active.is_(True)).options(joinedload(Staff.unit))
        .order_by(Staff.unit_id, Staff.employee_no)
    )
    rows = db.session.execute(query).scalars().all()
    return [(str(st.id), f"{st.name} · {st.unit.name}") for st in rows
            if actor.covers(st.unit_id) and (unit_ids is None or st.unit_id in unit_ids)]


def branch_staff_choices(branch_id):
    """Staff of the branch complained about (those a ruling may hold responsible, §18)."""
    rows = db.session.execute(
        select(Staff).where(Staff.unit_id == branch_id).order_by(Staff.employee_no)
    ).scalars().all()
    return [(str(st.id), f"{st.name} ({st.employee_no})") for st in rows]


# Each named choice source of the payload schemas: (actor, complaint) → [(value, label)].
SOURCES = {
    p.UNITS_IN_SCOPE: lambda actor, complaint: unit_choices(actor),
    p.UNITS_IN_SCOPE_OR_UNION: lambda actor, complaint: unit_choices(actor, include_union_level=True),
    p.BRANCHES_IN_SCOPE: lambda actor, complaint: unit_choices(actor, ["branch"]),
    p.STAFF_IN_SCOPE: lambda actor, complaint: staff_choices(actor),
    p.STAFF_OF_BRANCH: lambda actor, complaint: branch_staff_choices(complaint.branch_id),
}
if set(SOURCES) != set(p.CHOICE_SOURCES):
    raise RuntimeError(f"choice sources without a resolver: {sorted(set(p.CHOICE_SOURCES) - set(SOURCES))}")


def _choices(source, actor, complaint):
    """``() → [(value, label)]`` for a vocabulary mapping or a named source, resolved when rendered."""
    if source is None:
        return None
    if isinstance(source, str):
        return lambda: SOURCES[source](actor, complaint)
    return lambda: choices(source)


def schema_fields(schema, actor, complaint=None, leave_out=()):
    """The form of ``schema``: its fields that carry a form (``payloads.form``), in declaration
    order, each with its label, widget, required mark, help and choices."""
    result = []
    for name, schema_field in schema._declared_fields.items():
        widget = p.widget(schema_field)
        if widget is None or name in leave_out:
            continue
        checklist = widget.kind == "checklist"
        result.append(Field(
            name, _l(widget.label), widget.kind,
            required=schema_field.required if widget.required is None else widget.required,
            choices=None if checklist else _choices(widget.choices, actor, complaint),
            help=_l(widget.help) if widget.help else None,
            items=choices(widget.choices) if checklist else [],
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
    return schema_fields(t.declared(name).payload, actor, complaint)


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
        if f.kind == "multiselect":
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
