"""The union's business settings (issue 20): their names, labels, bounds and input schema,
shared by the settings page and ``PUT /api/v1/settings/`` (the rules about units and complaints
are checked by ``services/settings.py``)."""
import datetime as dt

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from .payloads import BeijingDate, Message
from .vocabulary import N_

# The environment variables that seed each value at the first ``flask deploy`` (config.py).
APPEAL_BODY_FIELDS = ("appeal_body_branch_level_id", "appeal_body_union_level_id")
NUMBER_FIELDS = ("due_soon_working_days", "reruling_window_days", "extension_max_working_days",
                 "regulatory_ceiling_days", "regulatory_ceiling_extended_days")
FIELDS = (*APPEAL_BODY_FIELDS, "due_soon_working_days", "reruling_window_days", "extension_max_working_days",
          "regulatory_ceiling_enabled", "regulatory_ceiling_days", "regulatory_ceiling_extended_days",
          "received_at_floor")

# Bounds of the numbers (inclusive): positive and within what the regulation makes sensible.
BOUNDS = {
    "due_soon_working_days": (1, 10),
    "reruling_window_days": (1, 90),
    "extension_max_working_days": (1, 30),
    "regulatory_ceiling_days": (1, 60),
    "regulatory_ceiling_extended_days": (1, 90),
}
# The earliest received-at floor an administrator may set.
FLOOR_EARLIEST = dt.date(1990, 1, 1)

LABELS = {
    "appeal_body_branch_level_id": N_("Appeal body for decisions of branches and cooperatives"),
    "appeal_body_union_level_id": N_("Appeal body for the union's own decisions"),
    "due_soon_working_days": N_("Due soon (working days)"),
    "reruling_window_days": N_("Re-ruling request window (days)"),
    "extension_max_working_days": N_("Extension maximum (working days)"),
    "regulatory_ceiling_enabled": N_("Regulatory ceiling shown"),
    "regulatory_ceiling_days": N_("Regulatory ceiling (calendar days)"),
    "regulatory_ceiling_extended_days": N_("Regulatory ceiling when extended (calendar days)"),
    "received_at_floor": N_("Earliest date of receipt"),
}
HELP = {
    "appeal_body_branch_level_id": N_("§14: the superior body that decides appeals against a branch's or "
                                      "cooperative's decision (usually the discipline office)."),
    "appeal_body_union_level_id": N_("§14: the superior body that decides appeals against a decision of the "
                                     "union or one of its departments (the union above)."),
    "due_soon_working_days": N_("Cases due within this many working days are marked due soon in to-do lists, "
                                "reminders and statistics."),
    "reruling_window_days": N_("§17: calendar days after a ruling in which a re-ruling may be requested."),
    "extension_max_working_days": N_("§13: an extension reaches at most this many working days beyond the "
                                     "current deadline."),
    "regulatory_ceiling_enabled": N_("Warn when the internal deadline falls after the national calendar-day "
                                     "ceiling."),
    "regulatory_ceiling_days": N_("The national ceiling in calendar days after receipt."),
    "regulatory_ceiling_extended_days": N_("The national ceiling in calendar days when the case is extended."),
    "received_at_floor": N_("No complaint may be received, and nothing about one recorded, before this day."),
}


def _bounded(name):
    low, high = BOUNDS[name]
    return fields.Integer(strict=True, validate=validate.Range(min=low, max=high))


class SettingsSchema(Schema):
    """``PUT /api/v1/settings/``: any of the settings (a missing one keeps its value); unknown fields
    refused. Appeal bodies are org unit ids (null: none chosen, such appeals are refused until one is)."""

    class Meta:
        unknown = RAISE

    appeal_body_branch_level_id = fields.Integer(strict=True, allow_none=True,
                                                 validate=validate.Range(min=1, max=2 ** 31 - 1))
    appeal_body_union_level_id = fields.Integer(strict=True, allow_none=True,
                                                validate=validate.Range(min=1, max=2 ** 31 - 1))
    due_soon_working_days = _bounded("due_soon_working_days")
    reruling_window_days = _bounded("reruling_window_days")
    extension_max_working_days = _bounded("extension_max_working_days")
    regulatory_ceiling_enabled = fields.Boolean()
    regulatory_ceiling_days = _bounded("regulatory_ceiling_days")
    regulatory_ceiling_extended_days = _bounded("regulatory_ceiling_extended_days")
    received_at_floor = BeijingDate()

    @validates_schema
    def _floor_not_too_early(self, data, **kwargs):
        floor = data.get("received_at_floor")
        if floor is not None and floor < FLOOR_EARLIEST:
            raise ValidationError({"received_at_floor": [
                Message(N_("Must not be before %(date)s."), date=FLOOR_EARLIEST.isoformat())]})


class SettingsOutSchema(Schema):
    """``GET /api/v1/settings/``: every setting (appeal bodies as org unit ids, null when none is chosen)."""

    appeal_body_branch_level_id = fields.Integer(allow_none=True)
    appeal_body_union_level_id = fields.Integer(allow_none=True)
    due_soon_working_days = fields.Integer()
    reruling_window_days = fields.Integer()
    extension_max_working_days = fields.Integer()
    regulatory_ceiling_enabled = fields.Boolean()
    regulatory_ceiling_days = fields.Integer()
    regulatory_ceiling_extended_days = fields.Integer()
    received_at_floor = fields.Date()
