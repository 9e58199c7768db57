"""Report pages (domain.md §8): the dashboard, the assessment report (考核表), the Excel
download, and the administrator's page for the scoring rules.

Figures come from ``app.reports``; every query there is scoped to the caller and restricted to a
unit inside the caller's scope. No page here shows complainant identity.
"""
from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext, lazy_gettext as _l
from wtforms import BooleanField, DecimalField, StringField
from wtforms.validators import InputRequired, Length, NumberRange

from ..data import search
from ..errors import DomainError, NotFound
from ..models.assessment import AssessmentRule
from ..reports import export, regulatory, statistics
from ..reports.key_figures import figure_rows
from ..reports.period import max_years, may, parse_period, parse_quarter, previous_quarter, units_for_picker
from ..reports.rules import load_rules
from ..security import permissions as p
from ..services import complaints as svc
from ..domain import jrt0169
from ..domain import states as s
from ..domain import vocabulary as v
from ..i18n import label, vocab as c

REPORT_METHODS = {"dashboard": p.REPORT_READ, "assessment": p.REPORT_ASSESS, "export": p.REPORT_EXPORT,
                  "regulatory": p.REPORT_REGULATORY, "regulatory_export": p.REPORT_REGULATORY}
CHART_COLOURS = ["#305496", "#ed7d31", "#70ad47", "#ffc000", "#5b9bd5", "#a5a5a5", "#9e480e", "#264478", "#636363"]


def can(permission: str) -> bool:
    """The current user holds ``permission`` on the Report resource."""
    return bool(g.user and g.user.is_authenticated) and may(g.user, permission)


def chart_data(data) -> dict:
    """The series the dashboard's charts draw (labels translated here, numbers from the summary)."""
    months = data["by_month"]
    branches = data["by_branch"]
    return {
        "colours": CHART_COLOURS,
        "trend": {
            "labels": [row["month"] for row in months],
            "series": [
                {"label": gettext("Received"), "data": [row["received"] for row in months]},
                {"label": gettext("Replied"), "data": [row["replied"] for row in months]},
                {"label": gettext("Overdue"), "data": [row["overdue"] for row in months]},
            ],
        },
        "channel": {
            "labels": [label(v.CHANNELS, code) for code in s.CHANNELS],
            "data": [data["by_channel"][code] for code in s.CHANNELS],
        },
        "category": {
            "labels": [label(v.CATEGORIES, code) for code in s.CATEGORIES],
            "data": [data["by_category"][code] for code in s.CATEGORIES],
        },
        "branch": {
            "labels": [row["branch"] for row in branches],
            "series": [
                {"label": label(v.CATEGORIES, code), "data": [row["by_category"][code] for row in branches]}
                for code in s.CATEGORIES
            ],
        },
        "rulings": {
            "labels": [f"§{code[:2]}({'一二三四五'[int(code[3]) - 1]})" for code in statistics.RULING_CATEGORIES],
            "data": [data["rulings"]["by_category"][code] for code in statistics.RULING_CATEGORIES],
            "responsible": [code in statistics.RESPONSIBLE_CATEGORIES for code in statistics.RULING_CATEGORIES],
        },
    }


def render_dashboard(view, args, status=200, home=None):
    """The dashboard for the current user and ``args`` (start, end, unit_id); a bad period shows
    the form with the error (400), a unit outside the scope is "not found" (404)."""
    user = g.user
    today = svc.today()
    context = {
        "title": gettext("Complaint statistics"),
        "units": units_for_picker(user),
        "args": args,
        "c": c,
        "s": s,
        "can_export": can(p.REPORT_EXPORT),
        "can_assess": can(p.REPORT_ASSESS),
        "max_years": max_years(),
        "home": home,
        "data": None,
        "error": None,
    }
    try:
        period = parse_period(user, args, today)
    except NotFound:
        abort(404)
    except DomainError as error:
        context["error"] = str(error)
        return view.render_template("reports/dashboard.html", **context), 400
    data = statistics.summary(user, period, today)
    context.update(
        period=period,
        data=data,
        figures=figure_rows(data),
        attention=statistics.attention(user, period, today),
        charts=chart_data(data),
        # The repeat complainants' cases: the complaint list, masked like every list.
        repeats_list=url_for("ComplaintView.list", **{search.REPEATS_ARGUMENT: search.repeats_value(
            period.start, period.end, period.unit.id if period.unit is not None else None)}),
    )
    return view.render_template("reports/dashboard.html", **context), status


class ReportView(BaseView):
    """统计分析: dashboard, assessment report and Excel download, scoped to the caller."""

    route_base = "/reports"
    default_view = "dashboard"
    class_permission_name = p.REPORT
    base_permissions = list(p.REPORT_PERMISSIONS)
    method_permission_name = REPORT_METHODS

    @expose("/dashboard")
    @has_access
    def dashboard(self):
        return render_dashboard(self, request.args)

    @expose("/assessment")
    @has_access
    def assessment(self):
        """考核表 per branch and per staff member (§3, §9; scoring rules as data)."""
        user = g.user
        today = svc.today()
        context = {
            "title": gettext("Assessment report"),
            "units": units_for_picker(user),
            "args": request.args,
            "can_export": can(p.REPORT_EXPORT),
            "max_years": max_years(),
            "report": None,
            "error": None,
            "categories": statistics.RESPONSIBLE_CATEGORIES,
            "c": c,
        }
        try:
            period = parse_period(user, request.args, today)
        except NotFound:
            abort(404)
        except DomainError as error:
            context["error"] = str(error)
            return self.render_template("reports/assessment.html", **context), 400
        context.update(period=period, report=statistics.assessment(user, period, today, load_rules()))
        return self.render_template("reports/assessment.html", **context)

    @expose("/export")
    @has_access
    def export(self):
        """The Excel workbook of the period (summary, assessment if allowed, case list); above
        ``EXPORT_MAX_CASES`` cases, back to the dashboard with a message instead."""
        user = g.user
        today = svc.today()
        try:
            period = parse_period(user, request.args, today)
        except NotFound:
            abort(404)
        except DomainError:
            return render_dashboard(self, request.args)  # shows the form with the error (400)
        assess = can(p.REPORT_ASSESS)
        try:
            handle = export.export_workbook(user, period, today, assess, load_rules() if assess else None)
        except export.TooManyCases as error:  # nothing written, nothing logged
            flash(str(error), "danger")
            return redirect(url_for(".dashboard", **period.query_args()))
        return send_file(handle, mimetype=export.XLSX_MIMETYPE, as_attachment=True,
                         download_name=export.download_name(period), max_age=0)

    @expose("/regulatory")
    @has_access
    def regulatory(self):
        """Issue 23: the quarterly regulatory report of JR/T 0169 (counts by A × B × C and handling
        time), scoped to the caller."""
        return render_regulatory(self, request.args)

    @expose("/regulatory/export")
    @has_access
    def regulatory_export(self):
        """The quarterly regulatory report as a workbook; a bad quarter shows the page's form with
        the message (400)."""
        user = g.user
        today = svc.today()
        try:
            quarter = parse_quarter(user, request.args, today)
        except NotFound:
            abort(404)
        except DomainError:
            return render_regulatory(self, request.args)
        data = regulatory.quarterly(user, quarter, today)
        return send_file(export.regulatory_workbook(data, today), mimetype=export.XLSX_MIMETYPE, as_attachment=True,
                         download_name=export.regulatory_download_name(data), max_age=0)


def recent_quarters(today, count=8):
    """The last ``count`` quarters before ``today``'s, newest first (the quarter field's suggestions)."""
    year, number = previous_quarter(today)
    out = []
    for _ in range(count):
        out.append(f"{year}-Q{number}")
        year, number = (year - 1, 4) if number == 1 else (year, number - 1)
    return out


def render_regulatory(view, args):
    """The quarterly regulatory report for ``args`` (quarter, unit_id): a bad quarter shows the form
    with the message beside the field (400); a unit outside the scope is "not found" (404)."""
    user = g.user
    today = svc.today()
    context = {
        "title": gettext("Quarterly regulatory report (JR/T 0169-2018)"),
        "units": units_for_picker(user),
        "args": args,
        "quarters": recent_quarters(today),
        "dimensions": jrt0169.DIMENSIONS,
        "dimension_labels": jrt0169.DIMENSION_LABELS,
        "data": None,
        "error": None,
        "quarter": None,
    }
    try:
        quarter = parse_quarter(user, args, today)
    except NotFound:
        abort(404)
    except DomainError as error:
        context["error"] = str(error)
        return view.render_template("reports/regulatory.html", **context), 400
    data = regulatory.quarterly(user, quarter, today)
    context.update(quarter=quarter, data=data, notes=export.regulatory_notes(data),
                   handling=export.handling_rows(data), cube=regulatory.layout(data))
    return view.render_template("reports/regulatory.html", **context), 200


ASSESSMENT_RULE_LABELS = {
    "key": _l("Key"),
    "label": _l("Rule"),
    "basis": _l("Article"),
    "points": _l("Points per occurrence"),
    "active": _l("Active"),
    "position": _l("Order"),
}


class AssessmentRuleView(ModelView):
    """考核规则: points per occurrence of each counted event; the administrator edits label,
    points and the active flag. Keys are fixed by the report, so rules are not added or deleted
    here (switch one off instead); ``flask deploy`` writes the defaults."""

    datamodel = SQLAInterface(AssessmentRule)
    class_permission_name = p.ASSESSMENT_RULE
    method_permission_name = p.MODEL_VIEW_READ_WRITE
    exclude_route_methods = {"add", "delete", "download", "action", "action_post"}

    list_title = _l("Assessment rules")
    show_title = _l("Assessment rule")
    add_title = _l("Add assessment rule")
    edit_title = _l("Edit assessment rule")
    label_columns = ASSESSMENT_RULE_LABELS
    description_columns = {
        "points": _l("Points added per occurrence in the period; a negative number is a deduction."),
        "active": _l("Inactive rules are shown but not counted."),
    }
    formatters_columns = {
        "active": lambda value: gettext("Yes") if value else gettext("No"),
        "points": lambda value: f"{float(value):g}" if value is not None else "",
    }
    list_columns = ["label", "basis", "points", "active"]
    show_columns = ["key", "label", "basis", "points", "active"]
    edit_columns = ["label", "basis", "points", "active"]
    search_columns = ["label", "active"]
    order_columns = ["label", "points"]
    base_order = ("position", "asc")
    edit_form_extra_fields = {
        "label": StringField(_l("Rule"), validators=[InputRequired(), Length(max=100)]),
        "basis": StringField(_l("Article"), validators=[Length(max=100)]),
        "points": DecimalField(_l("Points per occurrence"), places=2,
                               validators=[InputRequired(), NumberRange(min=-1000, max=1000)],
                               description=description_columns["points"]),
        "active": BooleanField(_l("Active"), description=description_columns["active"]),
    }


