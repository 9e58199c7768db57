"""The web forms as users see them: every transition's form, registration and the edit form,
field by field — name, widget, required mark, label and help (msgids) and where the choices come
from, resolved and compared with what the same source gives. The forms are built from the payload
schemas; these lists are what they must keep rendering."""
import pytest
from flask_babel import force_locale, gettext

from app.domain import transitions as t
from app.domain import vocabulary as v
from app.i18n import choices
from app.security import roles as r
from app.services import classification
from app.services import complaints as svc
from app.web import forms

METHODS = ("vocabulary", "REPLY_METHODS")
ROSTER_HELP = "Members on the roster that day; a recused member cannot be chosen."
FEE_HELP = ("Only for §18(四), and then required when the complaint names a disputed fee; at most the "
            "disputed fee.")
GROUNDS_HELP = "At least 10 characters: the grounds must be understandable on their own."
PHONE_HELP = ("Mobile: 11 digits (13812345678); landline: area code and number (0571-87654321, extension "
              "after a dash).")

# (name, widget, required, label, help, choices): choices is ("vocabulary", NAME), ("answers", pairs)
# or the dynamic source: "units" (the actor's scope), "transfer_units" (… and the county union and its
# departments; anywhere for the discipline office), "branches" (branches in scope), "staff" (staff in
# scope), "handlers" (… but the staff member complained about), "branch_staff" (staff of the branch
# complained about), "roster" (the ruling body's members serving today, recused ones marked), "levels" (both levels for the discipline office, branch level for others).
TRANSITION_FORMS = {
    "accept": [
        ("level", "select", True, "Handling level",
         "Branch level: 10 working days; union level: 20 working days (§12).", "levels"),
        ("handling_unit_id", "select", False, "Handling unit",
         "Default: the branch complained about (branch level).", "units"),
        ("handler_id", "select", False, "Handler", None, "handlers"),
        ("eligibility", "checklist", False, "Conditions of §4", None, ("vocabulary", "ELIGIBILITY")),
        ("note", "textarea", False, "Note", None, None),
    ],
    "reject": [
        ("reason", "select", True, "Reason", None, ("vocabulary", "REJECT_REASONS")),
        ("note", "textarea", True, "Explanation", GROUNDS_HELP, None),
    ],
    "transfer": [
        ("to_unit_id", "select", True, "To unit", None, "transfer_units"),
        ("to_staff_id", "select", False, "To staff member", None, "handlers"),
        ("level", "select", False, "Handling level", None, "levels"),
        ("reason", "textarea", True, "Reason", None, None),
    ],
    "request_extension": [
        ("reason", "textarea", True, "Special circumstances", None, None),
        ("customer_informed_at", "datetime", True, "Customer informed at", None, None),
        ("customer_informed_by", "select", True, "Customer informed by", None, METHODS),
        ("report", "textarea", True, "Written report to the discipline office", None, None),
        ("requested_due_date", "date", True, "Requested new due date", None, None),
    ],
    "decide_extension": [
        ("approved", "yesno", True, "Decision", None, ("answers", (("true", "Approve"), ("false", "Refuse")))),
        ("due_date", "date", False, "New due date", "Default: the date requested.", None),
        ("note", "textarea", False, "Note", None, None),
    ],
    "reply": [
        ("method", "select", True, "Reply method", None, METHODS),
        ("content", "textarea", True, "Reply", "The appeal notice (§14) is added to every reply automatically.", None),
        ("replied_at", "datetime", False, "Replied at", None, None),
        ("customer_received_on", "date", False, "Customer received the reply on",
         "Written replies only: the day the customer received the letter; the 15-day appeal window runs from "
         "it (§14). May be recorded later.", None),
    ],
    "record_receipt": [
        ("customer_received_on", "date", True, "Customer received the reply on",
         "The 15-day appeal window runs from this day (§14).", None),
    ],
    "close": [
        ("note", "textarea", False, "Note", None, None),
    ],
    "follow_up": [
        ("visited_at", "date", True, "Follow-up date", None, None),
        ("method", "select", True, "Method", None, METHODS),
        ("satisfied", "yesno", True, "Customer satisfied", None, ("answers", (("true", "Yes"), ("false", "No")))),
        ("note", "textarea", False, "Analysis", None, None),
        ("forwarded_to", "text", False, "Forwarded to", None, None),
    ],
    "appeal": [
        ("applied_at", "date", True, "Date of the application",
         "At most 15 days after the reply (§14); may be earlier than today.", None),
        ("content", "textarea", True, "What the customer asks", None, None),
    ],
    "decide_appeal": [
        ("decision", "select", True, "Decision", None, ("vocabulary", "APPEAL_DECISIONS")),
        ("content", "textarea", True, "Reply to the applicant", GROUNDS_HELP, None),
        ("replied_at", "datetime", False, "Replied at", None, None),
    ],
    "rule": [
        ("result", "select", True, "Result", None, ("vocabulary", "RULING_RESULTS")),
        ("category", "radio", True, "Category (article)", None, ("vocabulary", "RULING_CATEGORIES")),
        ("verified", "bool", False, "Verified as true (经核实属实)", None, None),
        ("staff_ids", "multiselect", False, "Staff held responsible", None, "branch_staff"),
        ("fee_borne", "number", False, "Fee borne by the responsible person (yuan)", FEE_HELP, None),
        ("basis", "textarea", True, "Basis", GROUNDS_HELP, None),
        ("members", "roster", True, "Members present", ROSTER_HELP, "roster"),
    ],
    "request_reruling": [
        ("reason", "textarea", True, "Why the ruling should be reconsidered", None, None),
    ],
    "decide_reruling": [
        ("result", "select", True, "Result", None, ("vocabulary", "RULING_RESULTS")),
        ("category", "radio", True, "Category (article)", None, ("vocabulary", "RULING_CATEGORIES")),
        ("fee_borne", "number", False, "Fee borne by the responsible person (yuan)", FEE_HELP, None),
        ("basis", "textarea", True, "Basis", GROUNDS_HELP, None),
        ("members", "roster", True, "Members present", ROSTER_HELP, "roster"),
    ],
    "mark_duplicate": [
        ("original_number", "text", True, "Original case number",
         "The case this complaint repeats (the same caller, the same matter), e.g. TS20261128-0007. This case is "
         "closed with a link to it and counted once in the statistics; the mark can be undone.", None),
        ("reason", "textarea", True, "Reason", GROUNDS_HELP, None),
    ],
    "unmark_duplicate": [
        ("reason", "textarea", True, "Reason", GROUNDS_HELP, None),
    ],
    # issue 23: on a page of its own (/complaints/classify/<id>), codes in force on the day of receipt
    "classify": [
        ("channel_code", "select", True, "Business channel (A)",
         "Where the disputed business was done (not how the complaint reached us).", ("jrt", "A")),
        ("business_code", "select", True, "Business type (B)", "The kind of business the complaint is about.",
         ("jrt", "B")),
        ("reason_code", "select", True, "Complaint reason (C)", "What caused the complaint.", ("jrt", "C")),
    ],
}

REGISTER_FORM = [
    ("channel", "select", True, "Channel", None, ("vocabulary", "CHANNELS")),
    ("received_at", "datetime", False, "Received at",
     "When the complaint reached us; may be earlier than now, never later.", None),
    ("complainant_name", "text", True, "Complainant", None, None),
    ("complainant_phone", "text", False, "Phone", PHONE_HELP, None),
    ("complainant_id_number", "text", False, "ID number",
     "Resident ID number, 18 characters; the last one is a check digit (0–9 or X).", None),
    ("complainant_address", "text", False, "Address", None, None),
    ("is_delegate", "bool", False, "Acting for another person", None, None),
    ("principal_name", "text", False, "Principal", "Required when the complainant acts for someone else (§4(三)).",
     None),
    ("branch_id", "select", True, "Branch complained about", None, "branches"),
    ("respondent_staff_id", "select", False, "Staff member complained about", None, "staff"),
    ("category", "select", True, "Category", None, ("vocabulary", "CATEGORIES")),
    ("disputed_fee", "number", False, "Disputed fee (yuan)", None, None),
    ("facts", "textarea", True, "Facts", None, None),
    ("customer_request", "textarea", False, "Customer's request", None, None),
]

EDIT_FORM = [
    ("category", "select", True, "Category", None, ("vocabulary", "CATEGORIES")),
    ("facts", "textarea", True, "Facts", None, None),
    ("customer_request", "textarea", False, "Customer's request", None, None),
    ("disputed_fee", "number", False, "Disputed fee (yuan)", None, None),
]
EDIT_FORM_WITH_CONTACT = EDIT_FORM + [
    ("complainant_phone", "text", False, "Phone", PHONE_HELP, None),
    ("complainant_address", "text", False, "Address", None, None),
]

# Staff selects that follow a unit select of the same form: (form, staff field) → unit field.
FOLLOWS = {
    ("register", "respondent_staff_id"): "branch_id",
    ("accept", "handler_id"): "handling_unit_id",
    ("transfer", "to_staff_id"): "to_unit_id",
}


def _msgid(text):
    """A label's msgid (no English catalog: English shows the msgid itself)."""
    if text is None:
        return None
    with force_locale("en"):
        return str(text)


def _expected_choices(source, actor, complaint):
    if source is None:
        return None
    if source == "units":
        return forms.unit_choices(actor)
    if source == "transfer_units":
        return forms.transfer_unit_choices(actor, complaint)
    if source == "handlers":
        return forms.staff_choices(actor, leave_out=complaint.respondent_staff_id)
    if source == "levels":
        return forms.level_choices(actor)
    if source == "branches":
        return forms.unit_choices(actor, ["branch"])
    if source == "staff":
        return forms.staff_choices(actor)
    if source == "branch_staff":
        return forms.branch_staff_choices(complaint.branch_id)
    if source == "roster":
        return [(value, label) for value, label, _ in forms.roster_choices(complaint)]
    kind, value = source
    if kind == "jrt":
        return classification.choices(value, complaint.received_at.date())
    if kind == "vocabulary":
        return choices(getattr(v, value))
    assert kind == "answers"
    return [(code, gettext(msgid)) for code, msgid in value]


def _shown(fields):
    """What the page renders of each field, choices resolved (translated: zh)."""
    rows = []
    for f in fields:
        resolved = [(code, str(label)) for code, label in f.items] if f.kind == "checklist" else (
            [(option[0], str(option[1])) for option in f.choices()] if f.choices is not None else None)
        rows.append((f.name, f.kind, f.required, _msgid(f.label), _msgid(f.help), resolved, str(f.label)))
    return rows


def _pinned(spec, actor, complaint):
    rows = []
    for name, kind, required, label, help_text, source in spec:
        resolved = _expected_choices(source, actor, complaint)
        rows.append((name, kind, required, label, help_text, resolved, gettext(label)))
    return rows


@pytest.fixture
def case(users, make_complaint):
    return make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T09:00:00")


@pytest.fixture
def actors(app, users):
    with app.test_request_context():
        return {role: svc.actor_for(users[role]) for role in (r.DISCIPLINE_OFFICE, r.BRANCH_HEAD)}


def test_every_declared_transition_has_a_pinned_form():
    assert set(TRANSITION_FORMS) == set(t.BY_NAME)


@pytest.mark.parametrize("role", [r.DISCIPLINE_OFFICE, r.BRANCH_HEAD])
@pytest.mark.parametrize("name", list(TRANSITION_FORMS))
def test_transition_form(app, actors, case, role, name):
    with app.test_request_context(), force_locale("zh"):
        actor = actors[role]
        shown = _shown(forms.transition_fields(name, actor, case))
        assert shown == _pinned(TRANSITION_FORMS[name], actor, case)
    if name in ("accept", "transfer", "rule"):  # the dynamic choices are not empty here
        assert all(row[5] for row in shown if row[1] in ("select", "multiselect", "roster") and row[0] != "level")


@pytest.mark.parametrize("role", [r.DISCIPLINE_OFFICE, r.BRANCH_HEAD])
def test_register_and_edit_forms(app, actors, case, role):
    with app.test_request_context(), force_locale("zh"):
        actor = actors[role]
        assert _shown(forms.register_fields(actor)) == _pinned(REGISTER_FORM, actor, case)
        assert _shown(forms.edit_fields(actor, False)) == _pinned(EDIT_FORM, actor, case)
        assert _shown(forms.edit_fields(actor, True)) == _pinned(EDIT_FORM_WITH_CONTACT, actor, case)


@pytest.mark.parametrize("role", [r.DISCIPLINE_OFFICE, r.BRANCH_HEAD])
def test_staff_selects_follow_their_unit(app, actors, case, role):
    """Each staff select that follows a unit select knows every option's unit; no other field follows."""
    with app.test_request_context(), force_locale("zh"):
        actor = actors[role]
        forms_ = {"register": forms.register_fields(actor),
                  **{name: forms.transition_fields(name, actor, case) for name in TRANSITION_FORMS}}
        follows = {(form, f.name): f.follows for form, fields in forms_.items() for f in fields if f.follows}
        assert follows == FOLLOWS
        for (form, name), unit_field in FOLLOWS.items():
            staff = next(f for f in forms_[form] if f.name == name)
            assert any(f.name == unit_field for f in forms_[form])
            units = staff.option_units()
            assert set(units) == {value for value, _ in staff.choices()}
            from app.models import Staff
            from app.extensions import db
            assert all(db.session.get(Staff, int(value)).unit_id == unit for value, unit in units.items())
        accept = {f.name: f for f in forms_["accept"]}
        assert accept["handling_unit_id"].default_unit == case.branch_id
