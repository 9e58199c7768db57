"""The union's business settings (issue 20): the one place the services, pages and API read them,
and the one path that changes them.

- ``current()`` reads the single ``union_settings`` row once per request (``request_cache``).
  Before the row exists (a database not yet deployed, the test template) the values are those
  ``flask deploy`` would seed: the configuration (environment variables, config.py).
- ``seed()`` (``flask deploy``) writes the row from the configuration when it does not exist,
  and afterwards only fills an appeal body still unchosen once a unit with the configured code
  exists; it never overrides a value the administrator set.
- ``update(data, user)`` (the settings page and ``PUT /api/v1/settings/``) checks everything,
  writes the row and one ``admin_audit`` entry (who, when, each value before and after) in one
  transaction; bad input changes nothing.
"""
import datetime as dt
from dataclasses import asdict, dataclass
from typing import Optional

from flask import current_app
from flask_babel import gettext
from marshmallow import ValidationError
from sqlalchemy import func, select

from .. import clock
from ..domain import settings as d
from ..domain.vocabulary import N_
from ..errors import ValidationFailed
from ..extensions import db
from ..models import OrgUnit
from ..models.admin_audit import AdminAudit
from ..models.complaint import Complaint
from ..models.settings import UnionSettings
from ..security.request_cache import request_cache

ROW_ID = 1
_CACHE_KEY = "union_settings"
# The configuration keys that seed each setting at the first deploy (appeal bodies: unit codes).
SEED_KEYS = {
    "appeal_body_branch_level_id": ("APPEAL_BODY_BRANCH_LEVEL", "LS-JJ"),
    "appeal_body_union_level_id": ("APPEAL_BODY_UNION_LEVEL", "SL"),
    "due_soon_working_days": ("DUE_SOON_WORKING_DAYS", 2),
    "reruling_window_days": ("RERULING_WINDOW_DAYS", 15),
    "extension_max_working_days": ("EXTENSION_MAX_WORKING_DAYS", 10),
    "regulatory_ceiling_enabled": ("REGULATORY_CEILING_ENABLED", True),
    "regulatory_ceiling_days": ("REGULATORY_CEILING_DAYS", 15),
    "regulatory_ceiling_extended_days": ("REGULATORY_CEILING_EXTENDED_DAYS", 30),
    "received_at_floor": ("RECEIVED_AT_FLOOR", "2000-01-01"),
}


@dataclass(frozen=True)
class Settings:
    """The settings as the services use them."""

    appeal_body_branch_level_id: Optional[int]
    appeal_body_union_level_id: Optional[int]
    due_soon_working_days: int
    reruling_window_days: int
    extension_max_working_days: int
    regulatory_ceiling_enabled: bool
    regulatory_ceiling_days: int
    regulatory_ceiling_extended_days: int
    received_at_floor: dt.date
    stored: bool = False  # False: no row yet, the values are the configuration's

    def values(self) -> dict:
        """The settings by field name (``domain.settings.FIELDS``)."""
        data = asdict(self)
        data.pop("stored")
        return data


def _unit_id_by_code(code) -> Optional[int]:
    if not code:
        return None
    return db.session.execute(select(OrgUnit.id).where(OrgUnit.code == str(code))).scalar_one_or_none()


def _configured(name):
    key, default = SEED_KEYS[name]
    value = current_app.config.get(key, default)
    if name == "received_at_floor":
        value = value or default
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    if name in d.APPEAL_BODY_FIELDS:
        return _unit_id_by_code(value)
    if name == "regulatory_ceiling_enabled":
        return bool(value)
    return int(value)


def configured() -> Settings:
    """The values the configuration gives (what ``seed`` writes into a new row)."""
    return Settings(**{name: _configured(name) for name in d.FIELDS})


def _row() -> Optional[UnionSettings]:
    return db.session.get(UnionSettings, ROW_ID)


def _from_row(row: UnionSettings) -> Settings:
    return Settings(**{name: getattr(row, name) for name in d.FIELDS}, stored=True)


def current() -> Settings:
    """The settings in force, read once per request."""
    memo = request_cache()
    if _CACHE_KEY not in memo:
        row = _row()
        # Without a row the appeal bodies are looked up by code only when asked (appeal_body_id).
        memo[_CACHE_KEY] = _from_row(row) if row is not None else _configured_without_bodies()
    return memo[_CACHE_KEY]


def _configured_without_bodies() -> Settings:
    return Settings(**{name: None if name in d.APPEAL_BODY_FIELDS else _configured(name) for name in d.FIELDS})


def in_force() -> Settings:
    """The settings in force with every value resolved (the change path)."""
    row = _row()
    return _from_row(row) if row is not None else configured()


def forget() -> None:
    """Drop this request's copy (after a change)."""
    request_cache().pop(_CACHE_KEY, None)


# --- what the services ask ---------------------------------------------------------------------

def appeal_body_id(union_decision: bool) -> Optional[int]:
    """§14: the unit chosen to decide appeals against the union's own decisions or a branch's."""
    name = "appeal_body_union_level_id" if union_decision else "appeal_body_branch_level_id"
    values = current()
    return getattr(values, name) if values.stored else _configured(name)


def received_at_floor() -> dt.date:
    return current().received_at_floor


def due_soon_working_days() -> int:
    return current().due_soon_working_days


def reruling_window_days() -> int:
    return current().reruling_window_days


def extension_max_working_days() -> int:
    return current().extension_max_working_days


# --- deploy ------------------------------------------------------------------------------------

def seed() -> dict:
    """``flask deploy``: the row written from the configuration when it does not exist; in an
    existing row only an appeal body not chosen yet is filled (from its configured code, once a
    unit has it). Returns what was written ({field: value}); nothing an administrator set changes."""
    row = _row()
    written = {}
    if row is None:
        values = configured().values()
        row = UnionSettings(id=ROW_ID, **values, updated_at=clock.now())
        db.session.add(row)
        written = dict(values)
    else:
        for name in d.APPEAL_BODY_FIELDS:
            if getattr(row, name) is None:
                unit_id = _configured(name)
                if unit_id is not None:
                    setattr(row, name, unit_id)
                    written[name] = unit_id
    db.session.commit()
    forget()
    return written


# --- the change path ---------------------------------------------------------------------------

class SettingsErrors(ValidationFailed):
    """Several field errors at once: ``{field: [messages]}``, translated at the edge."""

    def __init__(self, messages):
        super().__init__(gettext("The input is not valid."))
        self.messages = messages

    def payload(self):
        from ..i18n import translate_messages

        return translate_messages(self.messages)


def _above_branch_level(unit: OrgUnit) -> bool:
    """The body may decide an appeal against some branch's or cooperative's decision (§14)."""
    from .complaints import is_superior

    deciders = db.session.execute(select(OrgUnit).where(OrgUnit.kind.in_(("branch", "cooperative")))).scalars()
    return any(is_superior(unit, decided) for decided in deciders)


def _above_union_level(unit: OrgUnit) -> bool:
    """The body is above a union whose own decisions it would review (§14): a union's ancestor."""
    from ..security.scope import ancestor_ids

    unions = db.session.execute(select(OrgUnit.id).where(OrgUnit.kind == "union")).scalars()
    return any(unit.id in ancestor_ids(union_id) - {union_id} for union_id in unions)


def _check_body(name, unit_id, errors):
    if unit_id is None:  # not chosen: appeals against such decisions are refused until one is
        return
    unit = db.session.get(OrgUnit, unit_id)
    if unit is None or not unit.active:
        errors[name] = [N_("Choose an active organisation unit.")]
    elif name == "appeal_body_branch_level_id" and not _above_branch_level(unit):
        errors[name] = [N_("The appeal body must be a unit above the branches and cooperatives whose decisions "
                           "it reviews (a union or one of its departments).")]
    elif name == "appeal_body_union_level_id" and not _above_union_level(unit):
        errors[name] = [N_("The appeal body for the union's own decisions must be a union above it.")]


def check(data, require=()) -> dict:
    """The settings ``data`` would give (merged with the current ones), or ``SettingsErrors``; the
    fields named in ``require`` must be in ``data`` (the page sends every field)."""
    if not isinstance(data, dict):
        raise ValidationFailed(gettext("Invalid input type."))
    missing = {name: [N_("Missing data for required field.")] for name in require if data.get(name) in (None, "")}
    data = {name: value for name, value in data.items() if name not in missing}
    try:
        loaded = d.SettingsSchema().load(data)
    except ValidationError as error:
        raise SettingsErrors({**error.messages, **missing})
    if missing:
        raise SettingsErrors(missing)
    merged = {**in_force().values(), **loaded}
    errors = {}
    for name in d.APPEAL_BODY_FIELDS:
        _check_body(name, merged[name], errors)
    floor = merged["received_at_floor"]
    today = clock.now().date()
    earliest = db.session.execute(select(func.min(Complaint.received_at))).scalar()
    if floor > today:
        errors["received_at_floor"] = [N_("This date cannot be in the future.")]
    elif earliest is not None and floor > earliest.date():
        from ..domain.payloads import Message

        errors["received_at_floor"] = [Message(N_("A complaint was received on %(date)s; the floor cannot be later."),
                                               date=earliest.date().isoformat())]
    if merged["regulatory_ceiling_extended_days"] < merged["regulatory_ceiling_days"]:
        errors["regulatory_ceiling_extended_days"] = [N_("The extended ceiling cannot be shorter than the ceiling.")]
    if errors:
        raise SettingsErrors(errors)
    return merged


def _shown(name, value):
    """A value as the audit keeps it: a unit by name and code, a date as YYYY-MM-DD."""
    if value is None:
        return None
    if name in d.APPEAL_BODY_FIELDS:
        unit = db.session.get(OrgUnit, value)
        return f"{unit.name} [{unit.code}] #{unit.id}" if unit is not None else f"#{value}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def update(data, user, require=()) -> dict:
    """Check ``data`` and write it with its audit entry (one transaction). Returns the changes
    ({field: {"before", "after"}}); empty when nothing differs (then nothing is written)."""
    merged = check(data, require)
    row = _row()
    before = _from_row(row).values() if row is not None else configured().values()
    changes = {name: {"before": _shown(name, before[name]), "after": _shown(name, merged[name])}
               for name in d.FIELDS if before[name] != merged[name]}
    if not changes and row is not None:
        return {}
    now = clock.now()
    if row is None:
        row = UnionSettings(id=ROW_ID)
        db.session.add(row)
    for name in d.FIELDS:
        setattr(row, name, merged[name])
    row.updated_at = now
    row.updated_by_id = getattr(user, "id", None)
    db.session.add(AdminAudit(
        at=now, actor_id=getattr(user, "id", None),
        actor_name=getattr(user, "username", None) or "system", target_type="settings", target_id=ROW_ID,
        target_name="union_settings", action="update", changes=changes,
    ))
    db.session.commit()
    forget()
    return changes


def recent_changes(limit: int = 10):
    """The latest audited changes of the settings, newest first (shown on the settings page)."""
    return db.session.execute(
        select(AdminAudit).where(AdminAudit.target_type == "settings").order_by(AdminAudit.id.desc()).limit(limit)
    ).scalars().all()


def body_choices(name):
    """Active units offered as the appeal body ``name``: unions and departments for a branch's or
    cooperative's decision, unions for the union's own (the rule itself is checked on saving)."""
    kinds = ("union", "department") if name == "appeal_body_branch_level_id" else ("union",)
    return db.session.execute(
        select(OrgUnit).where(OrgUnit.active.is_(True), OrgUnit.kind.in_(kinds)).order_by(OrgUnit.code)
    ).scalars().all()
