"""Input schemas: registration, the edit and one per transition, shared by the API and the web
forms (marshmallow). One module (about 450 lines): every field's form metadata sits beside its rule.

Unknown fields are refused (``RAISE``): a client learns at once that it sent something the
contract does not have, e.g. a read-only ``status``.

A field the pages ask for carries its form in its metadata (``form(...)``: label, widget, help,
choices); ``web/forms.py`` builds every form from the schema, in the order the fields are declared
here. A field without one is the API's only (``external_ref``, ``version``).
"""
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping, Optional, Union

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from . import contact
from . import states as s
from . import vocabulary as v
from .vocabulary import N_

REQUIRED = {"required": N_("Missing data for required field.")}
_text = validate.Length(min=1, max=4000, error=N_("Must be between 1 and 4000 characters."))


class Message(str):
    """A message with values in it: ``str()`` is the English text; ``msgid`` and ``params`` let the
    edge translate it (``i18n.translate_messages``) with the values kept."""

    def __new__(cls, msgid, **params):
        message = super().__new__(cls, msgid % params if params else msgid)
        message.msgid, message.params = msgid, params
        return message


# Grounds of a decision must be understandable on their own: the basis of a ruling or re-ruling
# (§17–§19), the reply to an appeal (§14) and the explanation of a rejection (§4, §8).
MIN_GROUNDS = 10


class Grounds(validate.Length):
    """At least ``min`` characters besides spaces, at most ``max`` (a Length, so the OpenAPI
    document shows both limits)."""

    def __call__(self, value):
        if len(value.strip()) < self.min:
            raise ValidationError(Message(N_("Write at least %(min)d characters (now %(count)d)."),
                                          min=self.min, count=len(value.strip())))
        if len(value) > self.max:
            raise ValidationError(Message(N_("Write at most %(max)d characters."), max=self.max))
        return value


_grounds = Grounds(min=MIN_GROUNDS, max=4000)
GROUNDS_HELP = Message(N_("At least %(min)d characters: the grounds must be understandable on their own."),
                       min=MIN_GROUNDS)


# Money columns are NUMERIC(12, 2): PostgreSQL refuses a larger amount (SQLite would store it).
MAX_AMOUNT = Decimal("9999999999.99")
_amount = [
    validate.Range(min=0, error=N_("Must not be negative.")),
    validate.Range(max=MAX_AMOUNT, error=N_("Must be at most 9999999999.99.")),
]


# The version a client last saw (optimistic locking; an INTEGER column): the edit body must carry
# it, a transition body may. Anything but an integer of that range is refused (400).
MAX_VERSION = 2**31 - 1
_version_range = validate.Range(min=0, max=MAX_VERSION, error=N_("Not a valid integer."))


def version_field(required=False):
    """The ``version`` field: a strict integer (not a float, flag or text) within INTEGER."""
    if required:
        return fields.Integer(required=True, strict=True, validate=_version_range, error_messages=REQUIRED)
    return fields.Integer(load_default=None, allow_none=True, strict=True, validate=_version_range)


def _short(limit):
    """At most ``limit`` characters (marshmallow's message names the limit; translated at the edge)."""
    return validate.Length(max=limit)


class _Strict(Schema):
    """Unknown fields refused; with a ``floor`` (the ``RECEIVED_AT_FLOOR`` day, passed by the services),
    no date or time of the payload may lie before it: every one of them records something that
    happened to the complaint, which cannot be older than the earliest receipt the union keeps."""

    class Meta:
        unknown = RAISE

    def __init__(self, *args, floor: Optional[dt.date] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.floor = floor

    @validates_schema(skip_on_field_errors=False)
    def _not_before_floor(self, data, **kwargs):
        if self.floor is None:
            return
        errors = {}
        for name, value in data.items():
            day = value.date() if isinstance(value, dt.datetime) else value
            if isinstance(day, dt.date) and day < self.floor:
                errors[name] = [Message(N_("Must not be before %(date)s."), date=self.floor.isoformat())]
        if errors:
            raise ValidationError(errors)


# --- how the pages ask for a field -------------------------------------------------------------

# ``roster``: check boxes of a ruling body's members, a recused member shown unticked and disabled
# with the reason (issue 21).
WIDGETS = ("text", "textarea", "select", "radio", "multiselect", "date", "datetime", "bool", "yesno", "number",
           "checklist", "roster")
WIDGETS_WITH_CHOICES = ("select", "radio", "multiselect", "yesno", "checklist", "roster")

# Choices read from the database or from the actor, by name; web/forms.py resolves each one for the
# acting user and the case, offering only what the services accept from that user.
UNITS_IN_SCOPE = "units_in_scope"  # active units the actor's scope covers
# … and, for a transfer up, the county union and its departments; the discipline office may also
# send a case to a unit above the county (§12(三))
TRANSFER_UNITS = "transfer_units"
BRANCHES_IN_SCOPE = "branches_in_scope"  # active branches the actor's scope covers
STAFF_IN_SCOPE = "staff_in_scope"  # active staff the actor's scope covers, with their unit
# … never the staff member complained about (§11: a case is never handed to them)
HANDLERS = "handlers"
STAFF_OF_BRANCH = "staff_of_branch"  # staff of the branch complained about (§18)
BODY_ROSTER = "body_roster"  # the ruling body's members serving today, recused ones marked (§17)
LEVELS_FOR_ACTOR = "levels_for_actor"  # both levels for the discipline office, branch level for others (§12)
# Issue 23: the JR/T 0169 codes a case may carry in each dimension (in force on its day of receipt,
# the most detailed level), from the code table.
JRT_CHANNEL_CODES = "jrt_channel_codes"
JRT_BUSINESS_CODES = "jrt_business_codes"
JRT_REASON_CODES = "jrt_reason_codes"
CHOICE_SOURCES = (UNITS_IN_SCOPE, TRANSFER_UNITS, BRANCHES_IN_SCOPE, STAFF_IN_SCOPE, HANDLERS, STAFF_OF_BRANCH, BODY_ROSTER,
                  LEVELS_FOR_ACTOR, JRT_CHANNEL_CODES, JRT_BUSINESS_CODES, JRT_REASON_CODES)

# The two answers of a yes/no question, as its form words them (``yesno``).
APPROVE_OR_REFUSE = {"true": N_("Approve"), "false": N_("Refuse")}
YES_OR_NO = {"true": N_("Yes"), "false": N_("No")}

FORM = "form"  # the metadata key


@dataclass(frozen=True)
class Widget:
    """How a page asks for a field: label and help are msgids; ``choices`` is a vocabulary mapping
    (code → msgid) or one of ``CHOICE_SOURCES``; ``required`` is the form's mark where it differs
    on purpose from the schema's (None: the schema's); ``follows`` names the unit field of the same
    form whose choice limits this staff field to that unit's staff."""

    label: str
    kind: str
    help: Optional[str] = None
    choices: Union[Mapping[str, str], str, None] = None
    required: Optional[bool] = None
    follows: Optional[str] = None


STAFF_SOURCES = (STAFF_IN_SCOPE, HANDLERS)


def form(label, kind="text", *, help=None, choices=None, required=None, follows=None):
    """The ``metadata`` of a field the pages ask for; a widget that does not exist, choices on a
    widget without any (or none on one that needs them), an unknown source or a ``follows`` on
    anything but a staff select fail at import."""
    if kind not in WIDGETS:
        raise ValueError(f"unknown widget {kind!r}")
    if (choices is not None) != (kind in WIDGETS_WITH_CHOICES):
        raise ValueError(f"a {kind!r} field {'needs' if choices is None else 'takes no'} choices")
    if isinstance(choices, str) and (choices not in CHOICE_SOURCES or kind == "checklist"):
        raise ValueError(f"unknown choice source {choices!r} for a {kind!r} field")
    if follows is not None and choices not in STAFF_SOURCES:
        raise ValueError("only a staff select follows a unit field")
    return {FORM: Widget(label, kind, help, choices, required, follows)}


def widget(field) -> Optional[Widget]:
    """The form of a schema field, or None when only the API takes it."""
    return field.metadata.get(FORM)


# --- dates and times (api.md "Additions", domain.md §10 "Times") --------------------------------

# Beijing time has had no daylight saving since 1991: a fixed offset needs no time-zone database.
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2100, 12, 31)
_BARE_DATE = re.compile(r"\s*\d{4}-\d{2}-\d{2}\s*")
OUT_OF_RANGE = N_("The date must lie between 1900 and 2100.")


def beijing_wall_time(value: dt.datetime) -> dt.datetime:
    """``value`` as Beijing wall time without an offset (naive values already are)."""
    if value.tzinfo is None:
        return value
    return value.astimezone(BEIJING).replace(tzinfo=None)


def _in_range(day: dt.date):
    if not EARLIEST <= day <= LATEST:
        raise ValidationError(OUT_OF_RANGE)


class BeijingDateTime(fields.DateTime):
    """An ISO 8601 date-time with or without an offset (``Z``, ``+00:00``, ``+08:00``: converted to
    Beijing wall time; without one it is Beijing time), or a bare date (its midnight)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and _BARE_DATE.fullmatch(value):
            return dt.datetime.combine(BeijingDate()._deserialize(value.strip(), attr, data, **kwargs), dt.time())
        try:
            result = beijing_wall_time(super()._deserialize(value, attr, data, **kwargs))
        except (OverflowError, ValueError):  # an offset that moves it past year 1 or 9999
            raise ValidationError(OUT_OF_RANGE)
        _in_range(result.date())
        return result


class BeijingDate(fields.Date):
    """``YYYY-MM-DD``, or a date-time (with or without an offset): its Beijing date."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and not _BARE_DATE.fullmatch(value):
            try:
                moment = BeijingDateTime()._deserialize(value, attr, data, **kwargs)
            except ValidationError as error:
                if error.messages == [OUT_OF_RANGE]:
                    raise
                raise self.make_error("invalid") from error
            return moment.date()
        day = super()._deserialize(value, attr, data, **kwargs)
        _in_range(day)
        return day


class PhoneNumber(fields.String):
    """A complainant's phone number (``contact.phone_number``): a mobile number kept as its 11
    digits, a landline as entered; empty text is no number."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return contact.phone_number(super()._deserialize(value, attr, data, **kwargs))
        except ValueError as error:
            raise ValidationError(str(error)) from None


class ResidentId(fields.String):
    """A resident ID number (``contact.resident_id``, GB 11643 with python-stdnum); empty text is none."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return contact.resident_id(super()._deserialize(value, attr, data, **kwargs))
        except ValueError as error:
            raise ValidationError(str(error)) from None


PHONE_HELP = N_("Mobile: 11 digits (13812345678); landline: area code and number (0571-87654321, extension "
                "after a dash).")


class RegisterSchema(_Strict):
    """§7, §11: what the first responder records (api.md "Complaints")."""

    channel = fields.String(required=True, validate=validate.OneOf(s.CHANNELS), error_messages=REQUIRED,
                            metadata=form(N_("Channel"), "select", choices=v.CHANNELS))
    received_at = BeijingDateTime(load_default=None, metadata=form(
        N_("Received at"), "datetime", help=N_("When the complaint reached us; may be earlier than now, never later.")))
    complainant_name = fields.String(required=True, validate=validate.Length(min=1, max=64), error_messages=REQUIRED,
                                     metadata=form(N_("Complainant")))
    complainant_phone = PhoneNumber(load_default=None, allow_none=True, validate=_short(32),
                                    metadata=form(N_("Phone"), help=PHONE_HELP))
    complainant_id_number = ResidentId(load_default=None, allow_none=True, metadata=form(
        N_("ID number"), help=N_("Resident ID number, 18 characters; the last one is a check digit (0–9 or X).")))
    complainant_address = fields.String(load_default=None, allow_none=True, validate=_short(200),
                                        metadata=form(N_("Address")))
    is_delegate = fields.Boolean(load_default=False, metadata=form(N_("Acting for another person"), "bool"))
    principal_name = fields.String(load_default=None, allow_none=True, validate=_short(64), metadata=form(
        N_("Principal"), help=N_("Required when the complainant acts for someone else (§4(三)).")))
    branch_id = fields.Integer(required=True, error_messages=REQUIRED, strict=True,
                               metadata=form(N_("Branch complained about"), "select", choices=BRANCHES_IN_SCOPE))
    respondent_staff_id = fields.Integer(load_default=None, allow_none=True, strict=True, metadata=form(
        N_("Staff member complained about"), "select", choices=STAFF_IN_SCOPE, follows="branch_id"))
    category = fields.String(required=True, validate=validate.OneOf(s.CATEGORIES), error_messages=REQUIRED,
                             metadata=form(N_("Category"), "select", choices=v.CATEGORIES))
    disputed_fee = fields.Decimal(load_default=None, allow_none=True, places=2, as_string=True,
                                  validate=_amount, metadata=form(N_("Disputed fee (yuan)"), "number"))
    facts = fields.String(required=True, validate=_text, error_messages=REQUIRED,
                          metadata=form(N_("Facts"), "textarea"))
    customer_request = fields.String(load_default=None, allow_none=True, validate=_short(4000),
                                     metadata=form(N_("Customer's request"), "textarea"))
    # The calling system's own reference (a repeat returns the first complaint): the API's only.
    external_ref = fields.String(load_default=None, allow_none=True, validate=_short(64))

    @validates_schema(skip_on_field_errors=False)
    def _delegate(self, data, **kwargs):
        if data.get("is_delegate") and not (data.get("principal_name") or "").strip():
            raise ValidationError(N_("Name the person the complainant acts for (§4(三))."), "principal_name")


class EditSchema(_Strict):
    """PUT: descriptive fields only, with the version the client last saw."""

    # The edit page sends every field it shows, so it marks category and facts required (an API
    # client sends what changes); it carries ``version`` in a hidden input and offers the contact
    # fields only to those who see them in full (web/forms.py ``edit_fields``).
    version = version_field(required=True)
    category = fields.String(validate=validate.OneOf(s.CATEGORIES),
                             metadata=form(N_("Category"), "select", choices=v.CATEGORIES, required=True))
    facts = fields.String(validate=_text, metadata=form(N_("Facts"), "textarea", required=True))
    customer_request = fields.String(allow_none=True, validate=_short(4000),
                                     metadata=form(N_("Customer's request"), "textarea"))
    disputed_fee = fields.Decimal(allow_none=True, places=2, as_string=True,
                                  validate=_amount, metadata=form(N_("Disputed fee (yuan)"), "number"))
    complainant_phone = PhoneNumber(allow_none=True, validate=_short(32), metadata=form(N_("Phone"), help=PHONE_HELP))
    complainant_address = fields.String(allow_none=True, validate=_short(200), metadata=form(N_("Address")))


class EligibilitySchema(_Strict):
    """The §4 checklist."""

    service_standard = fields.Boolean(load_default=False)
    fee_dispute = fields.Boolean(load_default=False)
    direct_interest = fields.Boolean(required=True, error_messages=REQUIRED)
    clear_respondent = fields.Boolean(required=True, error_messages=REQUIRED)
    specific_facts = fields.Boolean(required=True, error_messages=REQUIRED)


def _note(label=N_("Note")):
    return fields.String(load_default=None, allow_none=True, validate=_short(4000), metadata=form(label, "textarea"))


def _level(**kwargs):
    return fields.String(validate=validate.OneOf(s.LEVELS), **kwargs)


def _reply_method(label, **kwargs):
    return fields.String(required=True, validate=validate.OneOf(s.REPLY_METHODS), error_messages=REQUIRED,
                         metadata=form(label, "select", choices=v.REPLY_METHODS, **kwargs))


def _long_text(label, kind="textarea", grounds=False, **kwargs):
    """A required text of 1 to 4000 characters; the grounds of a decision (``grounds``) at least
    ``MIN_GROUNDS`` of them."""
    if grounds:
        kwargs["help"] = GROUNDS_HELP
    return fields.String(required=True, validate=_grounds if grounds else _text, error_messages=REQUIRED,
                         metadata=form(label, kind, **kwargs))


class AcceptSchema(_Strict):
    level = _level(required=True, error_messages=REQUIRED, metadata=form(
        N_("Handling level"), "select", choices=LEVELS_FOR_ACTOR,
        help=N_("Branch level: 10 working days; union level: 20 working days (§12).")))
    handling_unit_id = fields.Integer(load_default=None, allow_none=True, strict=True, metadata=form(
        N_("Handling unit"), "select", choices=UNITS_IN_SCOPE,
        help=N_("Default: the branch complained about (branch level).")))
    handler_id = fields.Integer(load_default=None, allow_none=True, strict=True,
                                metadata=form(N_("Handler"), "select", choices=HANDLERS, follows="handling_unit_id"))
    eligibility = fields.Nested(EligibilitySchema, load_default=None, allow_none=True,
                                metadata=form(N_("Conditions of §4"), "checklist", choices=v.ELIGIBILITY))
    note = _note()

    @validates_schema
    def _eligible(self, data, **kwargs):
        checklist = data.get("eligibility")
        if checklist is None:
            return
        meets = (checklist["service_standard"] or checklist["fee_dispute"]) and all(
            checklist[k] for k in ("direct_interest", "clear_respondent", "specific_facts")
        )
        if not meets:
            raise ValidationError(
                N_("The complaint does not meet the conditions of §4; reject it instead."), "eligibility"
            )


class RejectSchema(_Strict):
    reason = fields.String(required=True, validate=validate.OneOf(s.REJECT_REASONS), error_messages=REQUIRED,
                           metadata=form(N_("Reason"), "select", choices=v.REJECT_REASONS))
    note = _long_text(N_("Explanation"), grounds=True)


class TransferSchema(_Strict):
    to_unit_id = fields.Integer(required=True, error_messages=REQUIRED, strict=True,
                                metadata=form(N_("To unit"), "select", choices=TRANSFER_UNITS))
    to_staff_id = fields.Integer(load_default=None, allow_none=True, strict=True,
                                 metadata=form(N_("To staff member"), "select", choices=HANDLERS, follows="to_unit_id"))
    level = _level(load_default=None, allow_none=True,
                   metadata=form(N_("Handling level"), "select", choices=LEVELS_FOR_ACTOR))
    reason = _long_text(N_("Reason"))


class RequestExtensionSchema(_Strict):
    reason = _long_text(N_("Special circumstances"))
    customer_informed_at = BeijingDateTime(required=True, error_messages=REQUIRED,
                                           metadata=form(N_("Customer informed at"), "datetime"))
    customer_informed_by = _reply_method(N_("Customer informed by"))
    report = _long_text(N_("Written report to the discipline office"))
    requested_due_date = BeijingDate(required=True, error_messages=REQUIRED,
                                     metadata=form(N_("Requested new due date"), "date"))


class DecideExtensionSchema(_Strict):
    approved = fields.Boolean(required=True, error_messages=REQUIRED,
                              metadata=form(N_("Decision"), "yesno", choices=APPROVE_OR_REFUSE))
    due_date = BeijingDate(load_default=None, allow_none=True,
                           metadata=form(N_("New due date"), "date", help=N_("Default: the date requested.")))
    note = _note()


class ReplySchema(_Strict):
    """§10, §14: a written reply may record the day the customer received it (or later, through
    ``record_receipt``); the appeal window of a call or visit runs from the reply day."""

    method = _reply_method(N_("Reply method"))
    content = _long_text(N_("Reply"), help=N_("The appeal notice (§14) is added to every reply automatically."))
    replied_at = BeijingDateTime(load_default=None, allow_none=True, metadata=form(N_("Replied at"), "datetime"))
    customer_received_on = BeijingDate(load_default=None, allow_none=True, metadata=form(
        N_("Customer received the reply on"), "date",
        help=N_("Written replies only: the day the customer received the letter; the 15-day appeal "
                "window runs from it (§14). May be recorded later.")))

    @validates_schema
    def _receipt(self, data, **kwargs):
        if data.get("customer_received_on") is not None and data.get("method") != "letter":
            raise ValidationError(N_("Only a written reply has a day of receipt to record."), "customer_received_on")


class RecordReceiptSchema(_Strict):
    customer_received_on = BeijingDate(required=True, error_messages=REQUIRED, metadata=form(
        N_("Customer received the reply on"), "date", help=N_("The 15-day appeal window runs from this day (§14).")))


class CloseSchema(_Strict):
    note = _note()


class FollowUpSchema(_Strict):
    visited_at = BeijingDate(required=True, error_messages=REQUIRED, metadata=form(N_("Follow-up date"), "date"))
    method = _reply_method(N_("Method"))
    satisfied = fields.Boolean(required=True, error_messages=REQUIRED,
                               metadata=form(N_("Customer satisfied"), "yesno", choices=YES_OR_NO))
    note = _note(N_("Analysis"))
    forwarded_to = fields.String(load_default=None, allow_none=True, validate=_short(200),
                                 metadata=form(N_("Forwarded to")))

    @validates_schema
    def _analysis(self, data, **kwargs):
        if data.get("satisfied") is False and not (data.get("note") or "").strip():
            raise ValidationError(N_("Record the analysis of why the customer is still not satisfied (§15)."), "note")


def _check_ruling(data, require_verified):
    result, category = data.get("result"), data.get("category")
    if result in s.RULING_CATEGORIES and category not in s.RULING_CATEGORIES[result]:
        raise ValidationError(N_("The category does not belong to the result: §18 (一)–(五) for a responsible "
                                 "complaint, §19 (一)–(四) for a non-responsible one."), "category")
    if data.get("fee_borne") is not None and category != s.FEE_CATEGORY:
        raise ValidationError(N_("A fee is borne only for a fee dispute caused by an operating error (§18(四))."), "fee_borne")
    if require_verified and result == s.RESPONSIBLE and not data.get("verified"):
        raise ValidationError(N_("A responsible ruling requires the facts to be verified as true (经核实属实)."), "verified")


class AppealSchema(_Strict):
    applied_at = BeijingDate(required=True, error_messages=REQUIRED, metadata=form(
        N_("Date of the application"), "date", help=N_("At most 15 days after the reply (§14); may be earlier than today.")))
    content = _long_text(N_("What the customer asks"))


class DecideAppealSchema(_Strict):
    decision = fields.String(required=True, validate=validate.OneOf(s.APPEAL_DECISIONS), error_messages=REQUIRED,
                             metadata=form(N_("Decision"), "select", choices=v.APPEAL_DECISIONS))
    content = _long_text(N_("Reply to the applicant"), grounds=True)
    replied_at = BeijingDateTime(load_default=None, allow_none=True, metadata=form(N_("Replied at"), "datetime"))


# A ruling and the re-ruling that replaces it share these fields (§17–§19).

def _ruling_result():
    return fields.String(required=True, validate=validate.OneOf(s.RULING_RESULTS), error_messages=REQUIRED,
                         metadata=form(N_("Result"), "select", choices=v.RULING_RESULTS))


def _ruling_category():
    """One of §18 (一)–(五), §19 (一)–(四); checked against the result by ``_check_ruling``."""
    return fields.String(required=True, error_messages=REQUIRED,
                         validate=validate.OneOf([code for codes in s.RULING_CATEGORIES.values() for code in codes]),
                         metadata=form(N_("Category (article)"), "radio", choices=v.RULING_CATEGORIES))


def _fee_borne():
    return fields.Decimal(load_default=None, allow_none=True, places=2, as_string=True, validate=_amount, metadata=form(
        N_("Fee borne by the responsible person (yuan)"), "number",
        help=N_("Only for §18(四), and then required when the complaint names a disputed fee; at most the "
                "disputed fee.")))


def _members_present():
    """§17, issue 21: who sat, chosen from the body's roster serving that day (staff ids); quorum,
    recusal and the recorder among them are checked by ``services/committee.check_present``."""
    return fields.List(fields.Integer(strict=True), required=True, error_messages=REQUIRED,
                       validate=validate.Length(min=1, max=50, error=N_("Choose the members present.")),
                       metadata=form(N_("Members present"), "roster", choices=BODY_ROSTER,
                                     help=N_("Members on the roster that day; a recused member cannot be chosen.")))


class RuleSchema(_Strict):
    result = _ruling_result()
    category = _ruling_category()
    # A checkbox always answers (unticked: false), so the form marks it optional; §18 needs it ticked
    # for a responsible ruling, which ``_check_ruling`` says beside the field.
    verified = fields.Boolean(required=True, error_messages=REQUIRED,
                              metadata=form(N_("Verified as true (经核实属实)"), "bool", required=False))
    staff_ids = fields.List(fields.Integer(strict=True), load_default=list,
                            metadata=form(N_("Staff held responsible"), "multiselect", choices=STAFF_OF_BRANCH))
    fee_borne = _fee_borne()
    basis = _long_text(N_("Basis"), grounds=True)
    members = _members_present()

    @validates_schema
    def _consistent(self, data, **kwargs):
        _check_ruling(data, require_verified=True)
        if data.get("result") == s.RESPONSIBLE and not data.get("staff_ids"):
            raise ValidationError(N_("Name the staff member(s) held responsible."), "staff_ids")
        if data.get("result") == s.NOT_RESPONSIBLE and data.get("staff_ids"):
            raise ValidationError(N_("A non-responsible ruling holds no staff member responsible (§19)."), "staff_ids")


class RequestRerulingSchema(_Strict):
    reason = _long_text(N_("Why the ruling should be reconsidered"))


# The higher body's final ruling: the staff held responsible stay those of the ruling (§17).
class DecideRerulingSchema(_Strict):
    result = _ruling_result()
    category = _ruling_category()
    fee_borne = _fee_borne()
    basis = _long_text(N_("Basis"), grounds=True)
    members = _members_present()

    @validates_schema
    def _consistent(self, data, **kwargs):
        _check_ruling(data, require_verified=False)


# Issue 23: the discipline office merges a second complaint about the same matter into the first.
CASE_NUMBER = re.compile(r"TS\d{8}-\d{4,}")


class CaseNumber(fields.String):
    """A case number as a clerk knows it (``TS20261128-0007``): spaces dropped, letters in capitals."""

    def _deserialize(self, value, attr, data, **kwargs):
        number = "".join(super()._deserialize(value, attr, data, **kwargs).split()).upper()
        if not CASE_NUMBER.fullmatch(number):
            raise ValidationError(N_("Enter a case number such as TS20261128-0007."))
        return number


class MarkDuplicateSchema(_Strict):
    """The case this one duplicates (the same caller, the same matter) and why."""

    original_number = CaseNumber(required=True, error_messages=REQUIRED, validate=_short(24), metadata=form(
        N_("Original case number"),
        help=N_("The case this complaint repeats (the same caller, the same matter), e.g. TS20261128-0007. "
                "This case is closed with a link to it and counted once in the statistics; the mark can be undone.")))
    reason = _long_text(N_("Reason"), grounds=True)


class UnmarkDuplicateSchema(_Strict):
    """Why the mark is undone: the case returns to the status it had before."""

    reason = _long_text(N_("Reason"), grounds=True)


# Issue 23: the handler confirms (or corrects) the JR/T 0169 classification registration suggested.
def _jrt_code(label, source, help):
    """A code of the JR/T 0169 table (text such as ``A0101``); the service checks it against the table."""
    return fields.String(required=True, error_messages=REQUIRED, validate=validate.Length(min=1, max=16),
                         metadata=form(label, "select", choices=source, help=help))


class ClassifySchema(_Strict):
    """The three codes of JR/T 0169-2018, each the most detailed one in force on the day the
    complaint was received; sending the codes the case carries confirms them."""

    channel_code = _jrt_code(N_("Business channel (A)"), JRT_CHANNEL_CODES,
                             N_("Where the disputed business was done (not how the complaint reached us)."))
    business_code = _jrt_code(N_("Business type (B)"), JRT_BUSINESS_CODES,
                              N_("The kind of business the complaint is about."))
    reason_code = _jrt_code(N_("Complaint reason (C)"), JRT_REASON_CODES, N_("What caused the complaint."))


def __getattr__(name):
    """``PAYLOADS`` (transition name → schema) is derived from the transition table, which names
    the schemas above and so imports this module: it is read from there on first use."""
    if name == "PAYLOADS":
        from .transitions import PAYLOADS

        return PAYLOADS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_BODIES = {}


def transition_body(name):
    """The whole JSON body of transition ``name``: its payload schema plus the optional
    ``version`` (what the API accepts and the OpenAPI document describes)."""
    from .transitions import PAYLOADS

    if name not in _BODIES:
        payload = PAYLOADS[name]
        _BODIES[name] = type(f"{payload.__name__[:-len('Schema')]}BodySchema", (payload,),
                             {"version": version_field(), "__doc__": payload.__doc__})
    return _BODIES[name]
