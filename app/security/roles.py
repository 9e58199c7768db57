"""The role table (domain.md §1) as data: role → (permission, resource) pairs.

Compare line by line with ``../shared/spec/domain.md`` §1. ``flask --app run sync-roles``
makes the database match this table exactly; a name that does not exist fails loudly.
``Admin`` is granted every permission that exists and is not listed here.
"""
from flask_babel import lazy_gettext as _l

from . import permissions as p

ADMIN = "Admin"
DISCIPLINE_OFFICE = "DisciplineOffice"
COMMITTEE = "Committee"
RERULING_BODY = "ReRulingBody"
BRANCH_HEAD = "BranchHead"
COUNTER_STAFF = "CounterStaff"
LEADERSHIP = "Leadership"

ROLE_NAMES = [ADMIN, DISCIPLINE_OFFICE, COMMITTEE, RERULING_BODY, BRANCH_HEAD, COUNTER_STAFF, LEADERSHIP]

# What the role pages show of each built-in role (issue 20): Chinese name, description, scope.
ROLE_LABELS = {
    ADMIN: (_l("System administrator"), _l("Administers users, roles, the organisation and the calendar; "
                                           "does not handle cases."),
            _l("The whole organisation, identity masked")),
    DISCIPLINE_OFFICE: (_l("Discipline and supervision office"),
                        _l("Registers, accepts, assigns and closes complaints; decides extensions and the "
                           "appeals addressed to its unit; runs the assessment."),
                        _l("The whole organisation, identity shown")),
    COMMITTEE: (_l("Responsibility committee member"), _l("Reads every case and records rulings."),
                _l("The whole organisation, identity masked")),
    RERULING_BODY: (_l("Higher ruling body"), _l("Decides the re-ruling requests and appeals addressed to its unit."),
                    _l("Cases brought to its unit, identity masked")),
    BRANCH_HEAD: (_l("Branch head"), _l("Handles its branch's complaints, requests extensions and re-rulings."),
                  _l("Own unit and below, identity shown")),
    COUNTER_STAFF: (_l("Counter staff"), _l("Registers complaints and handles the cases assigned to it."),
                    _l("Cases it registered or handles")),
    LEADERSHIP: (_l("Union leadership (read only)"), _l("Reads lists and statistics."),
                 _l("The whole organisation, identity masked")),
}

# Roles whose scope is the whole organisation regardless of their unit (domain.md §1):
# Admin and the union's offices see everything; committee and leadership see all cases
# (identity masked); the re-ruling body sees the cases brought to it.
GLOBAL_SCOPE_ROLES = {ADMIN, DISCIPLINE_OFFICE, COMMITTEE, RERULING_BODY, LEADERSHIP}


def _read(resource: str):
    return (p.can(p.READ), resource)


def _write(resource: str):
    return (p.can(p.WRITE), resource)


def _menu(name: str):
    return ("menu_access", name)


def _complaint(*names: str):
    """Permissions on the Complaint resource (pages and API alike): ``read``, ``edit``, ``register``
    and transitions by their declared name; a name the transition table does not declare fails here,
    at import."""
    return [(p.can(p.complaint_permission(name)), p.COMPLAINT) for name in names]


COMPLAINT_MENUS = [_menu(p.MENU_COMPLAINTS), _menu(p.MENU_COMPLAINT_LIST), _menu(p.MENU_TODO)]

# Issue 21: every role that sees cases reads the rulings list (scoped like the cases themselves).
RULINGS_READ = [_read(p.RULING), _menu(p.MENU_RULINGS)]
RULINGS_EXPORT = [(p.can(p.RULING_EXPORT), p.RULING)]

# domain.md §5: everyone reads the work calendar (pages, month view, API); only Admin changes it.
CALENDAR_READ = [
    _read(p.WORK_DAY),
    _read(p.CALENDAR_YEAR),
    _menu(p.MENU_WORK_CALENDAR),
    _menu(p.MENU_WORK_DAYS),
    _menu(p.MENU_CALENDAR_MONTH),
    _menu(p.MENU_CALENDAR_YEARS),
]

# Issue 21: the ruling bodies and their rosters (pages and API). The discipline office maintains
# them (Admin holds every permission); those who sit on or read rulings read them.
RULING_BODIES_READ = [_read(p.RULING_BODY), _menu(p.MENU_RULING_BODIES)]
RULING_BODIES_WRITE = [*RULING_BODIES_READ, _write(p.RULING_BODY)]

# Every API user reads the API's description (GET /api/v1/_openapi); Admin holds it anyway.
API_DESCRIPTION = [_read(p.OPENAPI)]
# Issue 23: everyone reads and marks their own notifications (never another's).
OWN_NOTIFICATIONS = [_read(p.NOTIFICATION)]

ROLE_PERMISSIONS = {
    DISCIPLINE_OFFICE: [
        *p.SELF_SERVICE,
        _read(p.ORG_UNIT),
        _read(p.STAFF),
        _menu(p.MENU_ORGANISATION),
        _menu(p.MENU_ORG_UNITS),
        _menu(p.MENU_STAFF),
        # §3, §7, §13: registers, accepts/rejects, assigns, transfers, approves extensions,
        # handles union-level cases, replies, closes, follows up.
        *_complaint("read", "edit", "register", "accept", "reject", "transfer", "decide_extension",
                    "reply", "record_receipt", "close", "follow_up", "appeal", "decide_appeal"),
        # Issue 23: merges a second complaint about the same matter into the first, and undoes it.
        *_complaint("mark_duplicate", "unmark_duplicate"),
        # Issue 23: confirms or corrects the JR/T 0169 classification of the cases it handles.
        *_complaint("classify"),
        *COMPLAINT_MENUS,
        *RULINGS_READ,
        *RULINGS_EXPORT,
        _menu(p.MENU_REGISTER),
        _menu(p.MENU_RULING_QUEUE),
        _menu(p.MENU_APPEAL_QUEUE),
        _menu(p.MENU_ACCOUNTABILITY),
        # §16: reads the identity access log (nobody can change it).
        _read(p.PII_LOG),
        _menu(p.MENU_PII_LOG),
        *CALENDAR_READ,
        *RULING_BODIES_WRITE,
        # Issue 23: imports the complaint ledger kept before the system.
        (p.can(p.LEDGER_IMPORT_PERMISSION), p.LEDGER_IMPORT),
        _menu(p.MENU_LEDGER_IMPORT),
    ],
    # §17–§19: reads every case (identity masked) and records rulings.
    COMMITTEE: [*p.SELF_SERVICE, *_complaint("read", "rule"), *COMPLAINT_MENUS, _menu(p.MENU_RULING_QUEUE),
                *RULINGS_READ, *RULINGS_EXPORT, *CALENDAR_READ, *RULING_BODIES_READ],
    # §17: decides re-rulings (final); §14: decides appeals sent to its unit (the union's own
    # decisions). Sees only those cases.
    RERULING_BODY: [*p.SELF_SERVICE, *_complaint("read", "decide_reruling", "decide_appeal"), *COMPLAINT_MENUS,
                    _menu(p.MENU_RERULING_QUEUE), _menu(p.MENU_APPEAL_QUEUE), *RULINGS_READ, *CALENDAR_READ,
                    *RULING_BODIES_READ],
    # §11, §12, §15: handles, transfers up, requests extensions, replies, follows up.
    BRANCH_HEAD: [
        *p.SELF_SERVICE,
        *_complaint("read", "edit", "register", "accept", "transfer", "request_extension", "reply",
                    "record_receipt", "close", "follow_up", "request_reruling", "classify"),
        *COMPLAINT_MENUS,
        *RULINGS_READ,
        *RULINGS_EXPORT,
        _menu(p.MENU_REGISTER),
        *CALENDAR_READ,
    ],
    # §11 首问责任制: registers what it receives, handles within its authority (as handler),
    # hands over to the branch head.
    COUNTER_STAFF: [
        *p.SELF_SERVICE,
        *_complaint("read", "edit", "register", "transfer", "request_extension", "reply", "record_receipt",
                    "close", "request_reruling", "classify"),
        *COMPLAINT_MENUS,
        *RULINGS_READ,
        _menu(p.MENU_REGISTER),
        *CALENDAR_READ,
    ],
    # Reads lists and statistics, identity masked.
    LEADERSHIP: [*p.SELF_SERVICE, *_complaint("read"), _menu(p.MENU_COMPLAINTS), _menu(p.MENU_COMPLAINT_LIST),
                 _menu(p.MENU_ACCOUNTABILITY), *RULINGS_READ, *RULINGS_EXPORT, *CALENDAR_READ, *RULING_BODIES_READ],
}


# Reports (domain.md §1, §8). The discipline office runs the assessment (§3 考核) and
# leadership reads every report: dashboard, assessment and export. A branch head sees its own
# branch's figures and exports them (scope: its unit's subtree). The committee reads the
# dashboard (rulings by category serve its work) but neither assesses nor exports case lists.
# Counter staff and the re-ruling body have no reports.
def _report(*names: str):
    return [(p.can(name), p.REPORT) for name in names]


REPORT_MENUS = [_menu(p.MENU_REPORTS), _menu(p.MENU_DASHBOARD)]
# Issue 23: the quarterly regulatory report (JR/T 0169): the discipline office sends it up,
# leadership reads it, a branch head sees its own unit's figures.
REGULATORY = [*_report(p.REPORT_REGULATORY), _menu(p.MENU_REGULATORY)]
REPORT_GRANTS = {
    DISCIPLINE_OFFICE: [*_report("read", "assess", "export"), *REPORT_MENUS, _menu(p.MENU_ASSESSMENT), *REGULATORY],
    LEADERSHIP: [*_report("read", "assess", "export"), *REPORT_MENUS, _menu(p.MENU_ASSESSMENT), *REGULATORY],
    BRANCH_HEAD: [*_report("read", "export"), *REPORT_MENUS, *REGULATORY],
    COMMITTEE: [*_report("read"), *REPORT_MENUS],
}
for _role, _pairs in REPORT_GRANTS.items():
    ROLE_PERMISSIONS[_role] = [*ROLE_PERMISSIONS[_role], *_pairs]
for _role in ROLE_PERMISSIONS:
    ROLE_PERMISSIONS[_role] = [*ROLE_PERMISSIONS[_role], *API_DESCRIPTION, *OWN_NOTIFICATIONS]
