"""Web forms for registering, editing and each transition, described as data.

A form here only shapes input: each field has a name (the JSON key of api.md), a label and a
widget. The values go to the same service and the same marshmallow schema as the API, so
every rule lives in one place. Choices for units and staff are limited to the user's scope.
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
from ..domain import vocabulary as v
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


def register_fields(actor):
    return [
        Field("channel", _l("Channel"), "select", True, lambda: choices(v.CHANNELS)),
        Field("received_at", _l("Received at"), "datetime", False,
              help=_l("When the complaint reached us; may be earlier than now, never later.")),
        Field("complainant_name", _l("Complainant"), "text", True),
        Field("complainant_phone", _l("Phone"), "text"),
        Field("complainant_id_number", _l("ID number"), "text"),
        Field("complainant_address", _l("Address"), "text"),
        Field("is_delegate", _l("Acting for another person"), "bool"),
        Field("principal_name", _l("Principal"), "text", help=_l("Required when the complainant acts for someone else (§4(三)).")),
        Field("branch_id", _l("Branch complained about"), "select", True, lambda: unit_choices(actor, ["branch"])),
        Field("respondent_staff_id", _l("Staff member complained about"), "select", False, lambda: staff_choices(actor)),
        Field("category", _l("Category"), "select", True, lambda: choices(v.CATEGORIES)),
        Field("disputed_fee", _l("Disputed fee (yuan)"), "number"),
        Field("facts", _l("Facts"), "textarea", True),
        Field("customer_request", _l("Customer's request"), "textarea"),
    ]


def edit_fields(actor, full_identity):
    """Descriptive fields; the contact fields only for those who see them in full (a masked
    value must never be offered for editing, or saving would overwrite the real one)."""
    fields = [
        Field("category", _l("Category"), "select", True, lambda: choices(v.CATEGORIES)),
        Field("facts", _l("Facts"), "textarea", True),
        Field("customer_request", _l("Customer's request"), "textarea"),
        Field("disputed_fee", _l("Disputed fee (yuan)"), "number"),
    ]
    if full_identity:
        fields += [
            Field("complainant_phone", _l("Phone"), "text"),
            Field("complainant_address", _l("Address"), "text"),
        ]
    return fields


def transition_fields(name, actor, complaint):
    """The fields of transition ``name``'s form."""
    methods = lambda: choices(v.REPLY_METHODS)  # noqa: E731
    if name == "accept":
        return [
            Field("level", _l("Handling level"), "select", True, lambda: choices(v.LEVELS),
                  help=_l("Branch level: 10 working days; union level: 20 working days (§12).")),
            Field("handling_unit_id", _l("Handling unit"), "select", False,
                  lambda: unit_choices(actor, include_union_level=False),
                  help=_l("Default: the branch complained about (branch level).")),
            Field("handler_id", _l("Handler"), "select", False, lambda: staff_choices(actor)),
            Field("eligibility", _l("Conditions of §4"), "checklist", items=choices(v.ELIGIBILITY)),
            Field("note", _l("Note"), "textarea"),
        ]
    if name == "reject":
        return [
            Field("reason", _l("Reason"), "select", True, lambda: choices(v.REJECT_REASONS)),
            Field("note", _l("Explanation"), "textarea", True),
        ]
    if name == "transfer":
        return [
            Field("to_unit_id", _l("To unit"), "select", True, lambda: unit_choices(actor, include_union_level=True)),
            Field("to_staff_id", _l("To staff member"), "select", False, lambda: staff_choices(actor)),
            Field("level", _l("Handling level"), "select", False, lambda: choices(v.LEVELS)),
            Field("reason", _l("Reason"), "textarea", True),
        ]
    if name == "request_extension":
        return [
            Field("reason", _l("Special circumstances"), "textarea", True),
            Field("customer_informed_at", _l("Customer informed at"), "datetime", True),
            Field("customer_informed_by", _l("Customer informed by"), "select", True, methods),
            Field("report", _l("Written report to the discipline office"), "textarea", True),
            Field("requested_due_date", _l("Requested new due date"), "date", True),
        ]
    if name == "decide_extension":
        return [
            Field("approved", _l("Decision"), "yesno", True, lambda: [("true", _l("Approve")), ("false", _l("Refuse"))]),
            Field("due_date", _l("New due date"), "date", help=_l("Default: the date requested.")),
            Field("note", _l("Note"), "textarea"),
        ]
    if name == "reply":
        return [
            Field("method", _l("Reply method"), "select", True, methods),
            Field("content", _l("Reply"), "textarea", True,
                  help=_l("The appeal notice (§14) is added to every reply automatically.")),
            Field("replied_at", _l("Replied at"), "datetime"),
            Field("customer_received_on", _l("Customer received the reply on"), "date",
                  help=_l("Written replies only: the day the customer received the letter; the 15-day appeal "
                          "window runs from it (§14). May be recorded later.")),
        ]
    if name == "record_receipt":
        return [
            Field("customer_received_on", _l("Customer received the reply on"), "date", True,
                  help=_l("The 15-day appeal window runs from this day (§14).")),
        ]
    if name == "close":
        return [Field("note", _l("Note"), "textarea")]
    if name == "appeal":
        return [
            Field("applied_at", _l("Date of the application"), "date", True,
                  help=_l("At most 15 days after the reply (§14); may be earlier than today.")),
            Field("content", _l("What the customer asks"), "textarea", True),
        ]
    if name == "decide_appeal":
        return [
            Field("decision", _l("Decision"), "select", True, lambda: choices(v.APPEAL_DECISIONS)),
            Field("content", _l("Reply to the applicant"), "textarea", True),
            Field("replied_at", _l("Replied at"), "datetime"),
        ]
    if name in ("rule", "decide_reruling"):
        fields = [
            Field("result", _l("Result"), "select", True, lambda: choices(v.RULING_RESULTS)),
            Field("category", _l("Category (article)"), "radio", True, lambda: choices(v.RULING_CATEGORIES)),
        ]
        if name == "rule":
            fields += [
                Field("verified", _l("Verified as true (经核实属实)"), "bool"),
                Field("staff_ids", _l("Staff held responsible"), "multiselect", False,
                      lambda: branch_staff_choices(complaint.branch_id)),
            ]
        fields += [
            Field("fee_borne", _l("Fee borne by the responsible person (yuan)"), "number",
                  help=_l("Only for §18(四), and then required when the complaint names a disputed fee; at "
                          "most the disputed fee.")),
            Field("basis", _l("Basis"), "textarea", True),
        ]
        if name == "rule":
            fields.append(Field("members", _l("Committee members present"), "text", True))
        return fields
    if name == "request_reruling":
        return [Field("reason", _l("Why the ruling should be reconsidered"), "textarea", True)]
    if name == "follow_up":
        return [
            Field("visited_at", _l("Follow-up date"), "date", True),
            Field("method", _l("Method"), "select", True, methods),
            Field("satisfied", _l("Customer satisfied"), "yesno", True, lambda: [("true", _l("Yes")), ("false", _l("No"))]),
            Field("note", _l("Analysis"), "textarea"),
            Field("forwarded_to", _l("Forwarded to"), "text"),
        ]
    return []


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
