"""Permission and resource names as constants: the only place these strings are spelled (the
Complaint permission of each workflow transition is declared with it, in domain/transitions.py).

Web views and REST APIs over the same resource share one ``class_permission_name`` and map
their methods onto the same small set of permissions (``can_read``, ``can_write`` …), so a
role grants "read org units" once, for pages and API alike.
"""
from ..domain import transitions as t

READ = "read"
WRITE = "write"

# Resources (FAB "view menus") of this application.
ORG_UNIT = "OrgUnit"
STAFF = "Staff"
COMPLAINT = "Complaint"
PII_LOG = "PiiAccess"
WORK_DAY = "WorkDay"
CALENDAR_YEAR = "CalendarYear"
OPENAPI = "OpenApi"  # GET /api/v1/_openapi: the API's own description (read)
RULING_BODY = "RulingBody"  # issue 21: ruling bodies and their rosters (pages and API: read, write)
# Issue 23: one's own notifications (the header, the list page and the API): read them, open them,
# mark them read. Everyone holds it; nobody reaches another's notifications with it.
NOTIFICATION = "Notification"
NOTIFICATION_METHODS = {"index": READ, "open_one": READ, "read_all": READ, "get_list": READ, "get": READ,
                        "read_one": READ, "read_all_api": READ}

# Method → permission maps for FAB ModelView and ModelRestApi.
MODEL_VIEW_READ_WRITE = {
    "list": READ,
    "show": READ,
    "download": READ,
    "add": WRITE,
    "edit": WRITE,
    "delete": WRITE,
    "action": WRITE,
    "action_post": WRITE,
}
REST_API_READ_WRITE = {
    "get": READ,
    "get_list": READ,
    "info": READ,
    "post": WRITE,
    "put": WRITE,
    "delete": WRITE,
}


# Complaint: pages and API share these; each workflow transition has its own permission, declared
# with the transition (domain/transitions.py).
COMPLAINT_READ = t.READ_PERMISSION
COMPLAINT_EDIT = t.EDIT_PERMISSION
COMPLAINT_REGISTER = t.REGISTER_PERMISSION
COMPLAINT_TRANSITIONS = tuple(transition.permission for transition in t.TRANSITIONS)
COMPLAINT_PERMISSIONS = [
    f"can_{name}" for name in (COMPLAINT_READ, COMPLAINT_EDIT, COMPLAINT_REGISTER, *COMPLAINT_TRANSITIONS)
]


def complaint_permission(name: str) -> str:
    """The Complaint permission granted as ``name``: ``read``, ``edit``, ``register``, or the name of
    a declared transition (its permission); any other name fails (ValueError)."""
    if name in (COMPLAINT_READ, COMPLAINT_EDIT, COMPLAINT_REGISTER):
        return name
    return t.declared(name).permission


# Work calendar month view (read) and file import (write): the same two permissions on
# WorkDay as its list page and API, so the role sync keeps both.
CALENDAR_PAGES_READ_WRITE = {"month": READ, "import_file": WRITE, "import_confirm": WRITE}


def can(name: str) -> str:
    """FAB's stored permission name for ``name`` (``read`` → ``can_read``)."""
    return f"can_{name}"


# Menu entries (FAB "menu_access" permissions are granted on these names).
MENU_ORGANISATION = "Organisation"
MENU_ORG_UNITS = "Org units"
MENU_STAFF = "Staff members"
MENU_COMPLAINTS = "Complaints"
MENU_COMPLAINT_LIST = "Complaint list"
MENU_TODO = "My to-do"
MENU_REGISTER = "Register complaint"
MENU_RULING_QUEUE = "Ruling work list"
MENU_RERULING_QUEUE = "Re-ruling queue"
MENU_APPEAL_QUEUE = "Appeal queue"
MENU_RULING_BODIES = "Ruling bodies"
MENU_ACCOUNTABILITY = "Overdue accountability"
MENU_PII_LOG = "Identity access log"
MENU_WORK_CALENDAR = "Work calendar"
MENU_WORK_DAYS = "Work days"
MENU_CALENDAR_MONTH = "Calendar month view"
MENU_CALENDAR_YEARS = "Calendar years"
MENU_CALENDAR_IMPORT = "Import calendar file"

# FAB's own self-service views every logged-in user needs (own profile, own password).
SELF_SERVICE = [
    ("can_userinfo", "UserDBModelView"),
    ("resetmypassword", "UserDBModelView"),
    ("userinfoedit", "UserDBModelView"),
    ("can_this_form_get", "ResetMyPasswordView"),
    ("can_this_form_post", "ResetMyPasswordView"),
    ("can_this_form_get", "UserInfoEditView"),
    ("can_this_form_post", "UserInfoEditView"),
]

# Reports (domain.md §8): dashboard and summary (read), the assessment report (assess),
# Excel export (export); assessment scoring rules (AssessmentRule: read/write, Admin).
REPORT = "Report"
REPORT_READ = "read"
REPORT_ASSESS = "assess"
REPORT_EXPORT = "export"
# Issue 23: the quarterly regulatory report of JR/T 0169 (page, workbook and API).
REPORT_REGULATORY = "regulatory"
REPORT_PERMISSIONS = [f"can_{name}" for name in (REPORT_READ, REPORT_ASSESS, REPORT_EXPORT, REPORT_REGULATORY)]
ASSESSMENT_RULE = "AssessmentRule"
MENU_REPORTS = "Reports"
MENU_DASHBOARD = "Dashboard"
MENU_ASSESSMENT = "Assessment report"
MENU_ASSESSMENT_RULES = "Assessment rules"
MENU_REGULATORY = "Quarterly regulatory report"
# Issue 23: the JR/T 0169 code table (read and write, Admin only: page alike).
JRT_CODE = "JrtCode"
MENU_JRT_CODES = "JR/T 0169 codes"

# The union's business settings (issue 20): read and write, Admin only (page and API alike).
SETTINGS = "UnionSettings"
SETTINGS_READ_WRITE = {"index": READ, "save": WRITE, "get": READ, "put": WRITE}
MENU_SETTINGS = "Union settings"

# Administration (issue 20): the role pages by capability, and the admin audit log page.
ROLE_ADMIN = "RoleAdmin"
ADMIN_AUDIT = "AdminAudit"
MENU_SECURITY = "Security"  # FAB's own menu category
MENU_ROLE_ADMIN = "Roles by capability"
MENU_ADMIN_AUDIT = "Admin audit log"
MENU_LIST_USERS = "List Users"  # FAB's user list menu entry
MENU_LIST_ROLES = "List Roles"  # FAB's raw role editing (the experts' page)
# FAB's user pages and user API: the permissions user management needs.
FAB_USER_VIEW = "UserDBModelView"
FAB_USER_API = "User"
FAB_USER_VIEW_PERMISSIONS = ("can_list", "can_show", "can_add", "can_edit", "can_delete", "resetpasswords")
FAB_USER_API_PERMISSIONS = ("can_get", "can_post", "can_put", "can_delete", "can_info")
# FAB's form for an administrator's reset of another user's password (the user list's 重设密码).
# (a view name, not a password: bandit B105 is a false positive here)
FAB_RESET_PASSWORD_VIEW = "ResetPasswordView"  # nosec B105
FAB_RESET_PASSWORD_PERMISSIONS = ("can_this_form_get", "can_this_form_post")

# The rulings list (issue 21, 责任认定记录): read (page and API) and its Excel export. Read-only:
# rulings are recorded by the ``rule`` and ``decide_reruling`` transitions.
RULING = "Ruling"
RULING_EXPORT = "export"
RULING_PERMISSIONS = [can(READ), can(RULING_EXPORT)]
RULING_METHODS = {"list": READ, "export": RULING_EXPORT, "get": READ, "get_list": READ}
MENU_RULINGS = "Ruling records"

# Issue 23: importing a complaint ledger (投诉登记台账): one permission for the page's steps and the
# command (``flask import-ledger`` checks it for the user it imports as). The discipline office holds it
# (Admin holds every permission); no capability of a custom role carries it.
LEDGER_IMPORT = "LedgerImport"
LEDGER_IMPORT_PERMISSION = "import"
LEDGER_IMPORT_METHODS = {"index": LEDGER_IMPORT_PERMISSION, "upload": LEDGER_IMPORT_PERMISSION,
                         "mapping": LEDGER_IMPORT_PERMISSION, "preview": LEDGER_IMPORT_PERMISSION,
                         "run": LEDGER_IMPORT_PERMISSION}
MENU_LEDGER_IMPORT = "Import complaint ledger"
