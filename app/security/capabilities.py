"""Capabilities: what an administrator grants a custom role, named in Chinese by business task.

Each capability expands to exactly the FAB (permission, resource) pairs it needs, built from the
same pieces as the role table (``roles.py``) — nothing is spelled twice. Every custom role also
gets ``BASE`` (own profile and password, reading the work calendar and the API's description, its
own notifications).

A capability renamed by a new version goes into ``RENAMED`` (old code → new code): stored custom
roles are migrated by ``sync-roles`` instead of losing the capability.

§14 (regulation.zh.md): the person who handled a case does not decide its appeal, so no capability
set combines ``decide_appeal`` with ``handle`` (``conflicts``).
"""
from dataclasses import dataclass
from typing import Iterable, Tuple

from flask_babel import lazy_gettext as _l

from ..domain import transitions as t

from . import permissions as p
from .roles import (
    API_DESCRIPTION,
    CALENDAR_READ,
    COMPLAINT_MENUS,
    REGULATORY,
    OWN_NOTIFICATIONS,
    REPORT_MENUS,
    RULING_BODIES_READ,
    RULING_BODIES_WRITE,
    RULINGS_EXPORT,
    RULINGS_READ,
    _complaint,
    _menu,
    _read,
    _report,
    _write,
)

SCOPE_UNIT = "unit"  # its own unit and every unit below it
SCOPE_ALL = "all"  # the whole organisation
SCOPES = (SCOPE_UNIT, SCOPE_ALL)
SCOPE_LABELS = {SCOPE_UNIT: _l("Own unit and below"), SCOPE_ALL: _l("The whole organisation")}


@dataclass(frozen=True)
class Capability:
    code: str
    label: object  # lazy msgid
    group: object  # lazy msgid: the business task it belongs to
    pairs: Tuple[Tuple[str, str], ...]


GROUP_CASES = _l("Handling complaints")
GROUP_RULINGS = _l("Rulings and appeals")
GROUP_REPORTS = _l("Statistics")
GROUP_ADMIN = _l("Administration")

_READ_CASES = [*_complaint("read"), *COMPLAINT_MENUS, *RULINGS_READ]

CAPABILITIES = (
    Capability("read", _l("View complaints"), GROUP_CASES, tuple(_READ_CASES)),
    Capability("register", _l("Register complaints"), GROUP_CASES,
               (*_READ_CASES, *_complaint("register", "edit"), _menu(p.MENU_REGISTER))),
    Capability("handle", _l("Accept, transfer, reply and close"), GROUP_CASES,
               (*_READ_CASES, *_complaint("edit", "accept", "reject", "transfer", "request_extension", "reply",
                                          "record_receipt", "close", "follow_up", "appeal", "request_reruling",
                                          "classify"))),
    Capability("decide_extension", _l("Approve extensions"), GROUP_CASES,
               (*_READ_CASES, *_complaint("decide_extension"))),
    Capability("rule", _l("Record rulings"), GROUP_RULINGS,
               (*_READ_CASES, *_complaint("rule"), _menu(p.MENU_RULING_QUEUE), *RULING_BODIES_READ)),
    Capability("decide_reruling", _l("Decide re-rulings"), GROUP_RULINGS,
               (*_READ_CASES, *_complaint("decide_reruling"), _menu(p.MENU_RERULING_QUEUE), *RULING_BODIES_READ)),
    Capability("decide_appeal", _l("Decide appeals"), GROUP_RULINGS,
               (*_READ_CASES, *_complaint("decide_appeal"), _menu(p.MENU_APPEAL_QUEUE))),
    Capability("accountability", _l("Overdue accountability"), GROUP_RULINGS,
               (*_READ_CASES, _menu(p.MENU_ACCOUNTABILITY))),
    Capability("identity_log", _l("Read the identity access log"), GROUP_RULINGS,
               (_read(p.PII_LOG), _menu(p.MENU_COMPLAINTS), _menu(p.MENU_PII_LOG))),
    Capability("statistics", _l("Statistics and export"), GROUP_REPORTS,
               (*_report("read", "assess", "export"), *REPORT_MENUS, _menu(p.MENU_ASSESSMENT), *RULINGS_EXPORT,
                *REGULATORY)),
    Capability("calendar", _l("Maintain the work calendar"), GROUP_ADMIN,
               (_write(p.WORK_DAY), _write(p.CALENDAR_YEAR), _menu(p.MENU_CALENDAR_IMPORT))),
    Capability("organisation", _l("Maintain units and staff"), GROUP_ADMIN,
               (_read(p.ORG_UNIT), _write(p.ORG_UNIT), _read(p.STAFF), _write(p.STAFF), _menu(p.MENU_ORGANISATION),
                _menu(p.MENU_ORG_UNITS), _menu(p.MENU_STAFF), _menu(p.MENU_COMPLAINTS), *RULING_BODIES_WRITE)),
    Capability("users", _l("Manage users and roles"), GROUP_ADMIN,
               (*[(name, p.FAB_USER_VIEW) for name in p.FAB_USER_VIEW_PERMISSIONS],
                *[(name, p.FAB_USER_API) for name in p.FAB_USER_API_PERMISSIONS],
                *[(name, p.FAB_RESET_PASSWORD_VIEW) for name in p.FAB_RESET_PASSWORD_PERMISSIONS],
                _read(p.ROLE_ADMIN), _write(p.ROLE_ADMIN), _read(p.ADMIN_AUDIT), _menu(p.MENU_SECURITY),
                _menu(p.MENU_LIST_USERS), _menu(p.MENU_ROLE_ADMIN), _menu(p.MENU_ADMIN_AUDIT))),
)
BY_CODE = {capability.code: capability for capability in CAPABILITIES}
GROUPS = (GROUP_CASES, GROUP_RULINGS, GROUP_REPORTS, GROUP_ADMIN)

# Every custom role: own profile and password, the calendar and the API's description to read, its
# own notifications (issue 23).
BASE = (*p.SELF_SERVICE, *CALENDAR_READ, *API_DESCRIPTION, *OWN_NOTIFICATIONS)

# Old capability code → its code now (a new version renames; stored roles are migrated).
RENAMED = {"reply_close": "handle", "appeals": "decide_appeal", "reports": "statistics"}

# §14: who handled the case does not decide its appeal.
CONFLICTING = (frozenset({"handle", "decide_appeal"}),)


def current_code(code: str) -> str:
    """``code`` as this version names it (following renames)."""
    seen = set()
    while code in RENAMED and code not in seen:
        seen.add(code)
        code = RENAMED[code]
    return code


def normalise(codes: Iterable[str]) -> list:
    """Stored codes renamed to today's, unknown ones dropped, in declaration order."""
    wanted = {current_code(code) for code in codes or ()}
    return [capability.code for capability in CAPABILITIES if capability.code in wanted]


def unknown(codes: Iterable[str]) -> list:
    return sorted({code for code in codes or () if current_code(code) not in BY_CODE})


def expand(codes: Iterable[str]) -> frozenset:
    """The exact FAB (permission, resource) pairs of a custom role with these capabilities."""
    pairs = set(BASE)
    for code in normalise(codes):
        pairs.update(BY_CODE[code].pairs)
    return frozenset(pairs)


def conflicts(codes: Iterable[str]) -> bool:
    """True when the set combines capabilities §14 keeps apart."""
    present = set(normalise(codes))
    return any(pair <= present for pair in CONFLICTING)


def describe_pairs(pairs: Iterable[Tuple[str, str]]) -> dict:
    """A role's permissions as a readable matrix: capability code → "all" or "part" (what of it
    the pairs grant), for the capabilities they touch beyond ``BASE``."""
    held = set(pairs)
    matrix = {}
    for capability in CAPABILITIES:
        own = set(capability.pairs) - set(BASE) - set(_READ_CASES) if capability.code != "read" else set(capability.pairs)
        if not own:
            continue
        granted = own & held
        if granted:
            matrix[capability.code] = "all" if granted == own else "part"
    return matrix


# The built-in roles whose steps a capability takes in the transition table's guards (which ask
# who acts, not only which permission is held): handling within one's unit is the branch head's
# part, across the organisation the discipline office's; approving extensions is the discipline
# office's; rulings the committee's; re-rulings the higher ruling body's. Deciding appeals needs no
# role: the guard asks for the appeal unit named on the case. What a custom role may see (scope,
# identity) is never widened by this: masking and scope read the roles themselves.
def acts_as(codes: Iterable[str], scope: str) -> frozenset:
    present = set(normalise(codes))
    roles = set()
    if "handle" in present:
        roles.add(t.DISCIPLINE_OFFICE if scope == SCOPE_ALL else t.BRANCH_HEAD)
    if "decide_extension" in present:
        roles.add(t.DISCIPLINE_OFFICE)
    if "rule" in present:
        roles.add(t.COMMITTEE)
    if "decide_reruling" in present:
        roles.add(t.RERULING_BODY)
    return frozenset(roles)
