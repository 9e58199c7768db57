"""Input schemas: one per transition, shared by the API and the web forms (marshmallow).

Unknown fields are refused (``RAISE``): a client learns at once that it sent something the
contract does not have, e.g. a read-only ``status``.
"""
import datetime as dt
import re
from decimal import Decimal

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from . import states as s
from .vocabulary import N_

REQUIRED = {"required": N_("Missing data for required field.")}
_text = validate.Length(min=1, max=4000, error=N_("Must be between 1 and 4000 characters."))


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
    return validate.Length(max=limit, error=N_("Too long."))


class _Strict(Schema):
    class Meta:
        unknown = RAISE


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


class RegisterSchema(_Strict):
    """§7, §11: what the first responder records (api.md "Complaints")."""

    channel = fields.String(required=True, validate=validate.OneOf(s.CHANNELS), error_messages=REQUIRED)
    received_at = BeijingDateTime(load_default=None)
    complainant_name = fields.String(required=True, validate=validate.Length(min=1, max=64), error_messages=REQUIRED)
    complainant_phone = fields.String(load_default=None, allow_none=True, validate=_short(32))
    complainant_id_number = fields.String(load_default=None, allow_none=True, validate=_short(32))
    complainant_address = fields.String(load_default=None, allow_none=True, validate=_short(200))
    is_delegate = fields.Boolean(load_default=False)
    principal_name = fields.String(load_default=None, allow_none=True, validate=_short(64))
    branch_id = fields.Integer(required=True, error_messages=REQUIRED, strict=True)
    respondent_staff_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    category = fields.String(required=True, validate=validate.OneOf(s.CATEGORIES), error_messages=REQUIRED)
    disputed_fee = fields.Decimal(load_default=None, allow_none=True, places=2, as_string=True,
                                  validate=_amount)
    facts = fields.String(required=True, validate=_text, error_messages=REQUIRED)
    customer_request = fields.String(load_default=None, allow_none=True, validate=_short(4000))
    external_ref = fields.String(load_default=None, allow_none=True, validate=_short(64))

    @validates_schema
    def _delegate(self, data, **kwargs):
        if data.get("is_delegate") and not (data.get("principal_name") or "").strip():
            raise ValidationError(N_("Name the person the complainant acts for (§4(三))."), "principal_name")


class EditSchema(_Strict):
    """PUT: descriptive fields only, with the version the client last saw."""

    version = version_field(required=True)
    category = fields.String(validate=validate.OneOf(s.CATEGORIES))
    facts = fields.String(validate=_text)
    customer_request = fields.String(allow_none=True, validate=_short(4000))
    disputed_fee = fields.Decimal(allow_none=True, places=2, as_string=True,
                                  validate=_amount)
    complainant_phone = fields.String(allow_none=True, validate=_short(32))
    complainant_address = fields.String(allow_none=True, validate=_short(200))


class EligibilitySchema(_Strict):
    """The §4 checklist."""

    service_standard = fields.Boolean(load_default=False)
    fee_dispute = fields.Boolean(load_default=False)
    direct_interest = fields.Boolean(required=True, error_messages=REQUIRED)
    clear_respondent = fields.Boolean(required=True, error_messages=REQUIRED)
    specific_facts = fields.Boolean(required=True, error_messages=REQUIRED)


class AcceptSchema(_Strict):
    level = fields.String(required=True, validate=validate.OneOf(s.LEVELS), error_messages=REQUIRED)
    handling_unit_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    handler_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    note = fields.String(load_default=None, allow_none=True, validate=_short(4000))
    eligibility = fields.Nested(EligibilitySchema, load_default=None, allow_none=True)

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
    reason = fields.String(required=True, validate=validate.OneOf(s.REJECT_REASONS), error_messages=REQUIRED)
    note = fields.String(required=True, validate=_text, error_messages=REQUIRED)


class TransferSchema(_Strict):
    to_unit_id = fields.Integer(required=True, error_messages=REQUIRED, strict=True)
    to_staff_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    level = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(s.LEVELS))
    reason = fields.String(required=True, validate=_text, error_messages=REQUIRED)


class RequestExtensionSchema(_Strict):
    reason = fields.String(required=True, validate=_text, error_messages=REQUIRED)
    customer_informed_at = BeijingDateTime(required=True, error_messages=REQUIRED)
    customer_informed_by = fields.String(required=True, validate=validate.OneOf(s.REPLY_METHODS), error_messages=REQUIRED)
    report = fields.String(required=True, validate=_text, error_messages=REQUIRED)
    requested_due_date = BeijingDate(required=True, error_messages=REQUIRED)


class DecideExtensionSchema(_Strict):
    approved = fields.Boolean(required=True, error_messages=REQUIRED)
    due_date = BeijingDate(load_default=None, allow_none=True)
    note = fields.String(load_default=None, allow_none=True, validate=_short(4000))


class ReplySchema(_Strict):
    """§10, §14: a written reply may record the day the customer received it (or later, through
    ``record_receipt``); the appeal window of a call or visit runs from the reply day."""

    method = fields.String(required=True, validate=validate.OneOf(s.REPLY_METHODS), error_messages=REQUIRED)
    content = fields.String(required=True, validate=_text, error_messages=REQUIRED)
    replied_at = BeijingDateTime(load_default=None, allow_none=True)
    customer_received_on = BeijingDate(load_default=None, allow_none=True)

    @validates_schema
    def _receipt(self, data, **kwargs):
        if data.get("customer_received_on") is not None and data.get("method") != "letter":
            raise ValidationError(N_("Only a written reply has a day of receipt to record."), "customer_received_on")


class RecordReceiptSchema(_Strict):
    customer_received_on = BeijingDate(required=True, error_messages=REQUIRED)


class CloseSchema(_Strict):
    note = fields.String(load_default=None, allow_none=True, validate=_short(4000))


class FollowUpSchema(_Strict):
    visited_at = BeijingDate(required=True, error_messages=REQUIRED)
    method = fields.String(required=True, validate=validate.OneOf(s.REPLY_METHODS), error_messages=REQUIRED)
    satisfied = fields.Boolean(required=True, error_messages=REQUIRED)
    note = fields.String(load_default=None, allow_none=True, validate=_short(4000))
    forwarded_to = fields.String(load_default=None, allow_none=True, validate=_short(200))

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
    applied_at = BeijingDate(required=True, error_messages=REQUIRED)
    content = fields.String(required=True, validate=_text, error_messages=REQUIRED)


class DecideAppealSchema(_Strict):
    decision = fields.String(required=True, validate=validate.OneOf(s.APPEAL_DECISIONS), error_messages=REQUIRED)
    content = fields.String(required=True, validate=_text, error_messages=REQUIRED)
    replied_at = BeijingDateTime(load_default=None, allow_none=True)


class RuleSchema(_Strict):
    result = fields.String(required=True, validate=validate.OneOf(s.RULING_RESULTS), error_messages=REQUIRED)
    category = fields.String(required=True, error_messages=REQUIRED)
    verified = fields.Boolean(required=True, error_messages=REQUIRED)
    staff_ids = fields.List(fields.Integer(strict=True), load_default=list)
    fee_borne = fields.Decimal(load_default=None, allow_none=True, places=2, as_string=True,
                               validate=_amount)
    basis = fields.String(required=True, validate=_text, error_messages=REQUIRED)
    members = fields.String(required=True, validate=validate.Length(min=1, max=500), error_messages=REQUIRED)

    @validates_schema
    def _consistent(self, data, **kwargs):
        _check_ruling(data, require_verified=True)
        if data.get("result") == s.RESPONSIBLE and not data.get("staff_ids"):
            raise ValidationError(N_("Name the staff member(s) held responsible."), "staff_ids")
        if data.get("result") == s.NOT_RESPONSIBLE and data.get("staff_ids"):
            raise ValidationError(N_("A non-responsible ruling holds no staff member responsible (§19)."), "staff_ids")


class RequestRerulingSchema(_Strict):
    reason = fields.String(required=True, validate=_text, error_messages=REQUIRED)


class DecideRerulingSchema(_Strict):
    result = fields.String(required=True, validate=validate.OneOf(s.RULING_RESULTS), error_messages=REQUIRED)
    category = fields.String(required=True, error_messages=REQUIRED)
    basis = fields.String(required=True, validate=_text, error_messages=REQUIRED)
    fee_borne = fields.Decimal(load_default=None, allow_none=True, places=2, as_string=True,
                               validate=_amount)

    @validates_schema
    def _consistent(self, data, **kwargs):
        _check_ruling(data, require_verified=False)


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
