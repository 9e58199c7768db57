"""Menu and page registration: the one place every page is added to the application."""
from flask_babel import lazy_gettext as _l

from ..security import permissions as p
from .calendar import CalendarYearView, WorkCalendarView, WorkDayView
from .accountability import AccountabilityView
from .case import ComplaintView
from .committee import BodyMemberView, RulingBodyView
from .ledger import LedgerImportView
from .pii_log import PiiAccessView
from .queues import QueueView
from .rulings import RulingView
from .todo import TodoView
from .org import OrgUnitView, StaffView
from .admin_audit import AdminAuditView
from .notifications import NotificationView
from .roles import RoleAdminView


def register(appbuilder) -> None:
    """Add every page and menu entry (called by ``create_app``)."""
    appbuilder.add_view(
        TodoView,
        p.MENU_TODO,
        label=_l("My to-do"),
        icon="fa-tasks",
        category=p.MENU_COMPLAINTS,
        category_label=_l("Complaints"),
        category_icon="fa-comments",
    )
    appbuilder.add_view(
        ComplaintView,
        p.MENU_COMPLAINT_LIST,
        label=_l("Complaint list"),
        icon="fa-list",
        category=p.MENU_COMPLAINTS,
    )
    appbuilder.add_link(
        p.MENU_REGISTER,
        href="/complaints/add",
        label=_l("Register complaint"),
        icon="fa-plus",
        category=p.MENU_COMPLAINTS,
    )
    appbuilder.add_view_no_menu(QueueView)
    # Issue 23: one's own notifications, reached from the bell in the header (no menu entry).
    appbuilder.add_view_no_menu(NotificationView)
    appbuilder.add_link(p.MENU_RULING_QUEUE, href="/queues/rulings", label=_l("Cases awaiting a ruling"),
                        icon="fa-gavel", category=p.MENU_COMPLAINTS)
    appbuilder.add_link(p.MENU_RERULING_QUEUE, href="/queues/rerulings", label=_l("Re-ruling requests"),
                        icon="fa-balance-scale", category=p.MENU_COMPLAINTS)
    appbuilder.add_link(p.MENU_APPEAL_QUEUE, href="/queues/appeals", label=_l("Appeals"),
                        icon="fa-reply-all", category=p.MENU_COMPLAINTS)
    # Issue 21: the ruling bodies and their rosters (责任认定小组), next to the ruling queues.
    appbuilder.add_view(RulingBodyView, p.MENU_RULING_BODIES, label=_l("Ruling bodies"), icon="fa-users",
                        category=p.MENU_COMPLAINTS)
    appbuilder.add_view_no_menu(BodyMemberView)
    # Issue 21: every ruling whose case the user may see.
    appbuilder.add_view(RulingView, p.MENU_RULINGS, label=_l("Ruling records"), icon="fa-legal",
                        category=p.MENU_COMPLAINTS)
    appbuilder.add_view(AccountabilityView, p.MENU_ACCOUNTABILITY, label=_l("Overdue accountability"),
                        icon="fa-exclamation-triangle", category=p.MENU_COMPLAINTS)
    appbuilder.add_view(PiiAccessView, p.MENU_PII_LOG, label=_l("Identity access log"),
                        icon="fa-user-secret", category=p.MENU_COMPLAINTS)
    # Issue 23: the complaint ledger kept before the system, imported (the discipline office, Admin).
    appbuilder.add_view(LedgerImportView, p.MENU_LEDGER_IMPORT, label=_l("Import complaint ledger"),
                        icon="fa-file-excel-o", category=p.MENU_COMPLAINTS)
    appbuilder.add_view(
        OrgUnitView,
        p.MENU_ORG_UNITS,
        label=_l("Org units"),
        icon="fa-sitemap",
        category=p.MENU_ORGANISATION,
        category_label=_l("Organisation"),
        category_icon="fa-building",
    )
    appbuilder.add_view(
        StaffView,
        p.MENU_STAFF,
        label=_l("Staff members"),
        icon="fa-users",
        category=p.MENU_ORGANISATION,
    )
    # Issue 20: the union's business settings (Admin).
    from .settings import SettingsView

    appbuilder.add_view(SettingsView, p.MENU_SETTINGS, label=_l("Union settings"), icon="fa-cogs",
                        category=p.MENU_ORGANISATION)
    appbuilder.add_view(
        WorkCalendarView,
        p.MENU_CALENDAR_MONTH,
        label=_l("Month view"),
        icon="fa-calendar",
        category=p.MENU_WORK_CALENDAR,
        category_label=_l("Work calendar"),
        category_icon="fa-calendar",
    )
    appbuilder.add_view(
        WorkDayView,
        p.MENU_WORK_DAYS,
        label=_l("Work days"),
        icon="fa-calendar-check-o",
        category=p.MENU_WORK_CALENDAR,
    )
    appbuilder.add_view(
        CalendarYearView,
        p.MENU_CALENDAR_YEARS,
        label=_l("Calendar years"),
        icon="fa-calendar-o",
        category=p.MENU_WORK_CALENDAR,
    )
    appbuilder.add_link(
        p.MENU_CALENDAR_IMPORT,
        href="WorkCalendarView.import_file",
        label=_l("Import calendar file"),
        icon="fa-upload",
        category=p.MENU_WORK_CALENDAR,
    )
    # Reports (domain.md §8): dashboard and assessment report, and the Admin's scoring rules.
    from .reports import AssessmentRuleView, ReportView

    appbuilder.add_view(ReportView, p.MENU_DASHBOARD, label=_l("Dashboard"), icon="fa-bar-chart",
                        category=p.MENU_REPORTS, category_label=_l("Reports"), category_icon="fa-line-chart")
    appbuilder.add_link(p.MENU_ASSESSMENT, href="/reports/assessment", label=_l("Assessment report"),
                        icon="fa-check-square-o", category=p.MENU_REPORTS)
    appbuilder.add_view(AssessmentRuleView, p.MENU_ASSESSMENT_RULES, label=_l("Assessment rules"),
                        icon="fa-sliders", category=p.MENU_REPORTS)
    # Issue 23: the quarterly regulatory report (JR/T 0169) and the Admin's code table.
    from .classification import JrtCodeView

    appbuilder.add_link(p.MENU_REGULATORY, href="/reports/regulatory", label=_l("Quarterly regulatory report"),
                        icon="fa-university", category=p.MENU_REPORTS)
    appbuilder.add_view(JrtCodeView, p.MENU_JRT_CODES, label=_l("JR/T 0169 code table"), icon="fa-tags",
                        category=p.MENU_REPORTS)
    # Administration (issue 20): roles by capability and the admin audit log, in FAB's Security menu.
    appbuilder.add_view(RoleAdminView, p.MENU_ROLE_ADMIN, label=_l("Roles"), icon="fa-id-badge",
                        category=p.MENU_SECURITY)
    appbuilder.add_view(AdminAuditView, p.MENU_ADMIN_AUDIT, label=_l("Admin audit log"), icon="fa-history",
                        category=p.MENU_SECURITY)


ID_ARGUMENTS = ("pk", "role_id", "attachment_id")


def refuse_unnamed_form_parts():
    """400 (translated) for a form part without a readable name, before any other hook
    (``app.input_checks.refuse_unnamed_form_parts``)."""
    from flask import request

    from ..input_checks import refuse_unnamed_form_parts as refuse

    refuse(request)


def refuse_impossible_requests():
    """Answer 404, before any view runs, to what no row or action can match.

    - FAB's generic ``/<view>/download/<file>`` routes serve file columns, which no view here
      has; for FAB's own security pages they would only fail.
    - An id no row can have (not a positive integer within the column's range): PostgreSQL
      refuses such an integer inside a query, where SQLite simply finds nothing; FAB's generic
      pages and APIs would pass it to the database and fail.
    - FAB's row-action routes with an action name the view does not have (FAB fails looking it
      up), or with selected rows that are not ids.
    - FAB's ``PUT /api/v1/security/users/<pk>`` for a user that does not exist (FAB's UserApi
      edits the missing row and fails).

    And 400 (translated) to input no view can use: a NUL character or a lone surrogate in the
    arguments, form or JSON body, a page number or size that is not a small integer, an API
    ``q`` that is neither rison nor JSON (``app.input_checks``).
    """
    from flask import abort, current_app, request

    from ..ids import row_id
    from ..input_checks import refuse_unusable_input

    refuse_unusable_input(request)

    endpoint = request.endpoint or ""
    if endpoint.endswith(".download"):
        abort(404)
    args = request.view_args or {}
    if any(name in args and row_id(args[name]) is None for name in ID_ARGUMENTS):
        abort(404)
    if endpoint.endswith((".action", ".action_post")):
        view = getattr(current_app.view_functions.get(endpoint), "__self__", None)
        name = args.get("name") if endpoint.endswith(".action") else request.form.get("action")
        if name not in (getattr(view, "actions", None) or {}):
            abort(404)
        if any(row_id(pk) is None for pk in request.form.getlist("rowid")):
            abort(404)
    if request.method == "PUT" and "pk" in args:
        from flask_appbuilder.security.sqla.apis import UserApi

        view = getattr(current_app.view_functions.get(endpoint), "__self__", None)
        if isinstance(view, UserApi) and view.datamodel.get(row_id(args["pk"])) is None:
            abort(404)

