"""责任认定记录 (issue 21): every ruling in one read-only list, scoped like the cases, each row
opening its case; its Excel export."""
from flask import g, request, send_file, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.urltools import get_filter_args, get_order_args
from flask_babel import gettext, lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import SelectField

from ..data import rulings as reads
from ..domain import vocabulary as v
from ..i18n import label, lazy_choices, lazy_labels
from ..reports import export
from ..security import permissions as p
from ..security.filters import CaseRecordScopeFilter
from ..security.scope import staff_of
from .base import check_list_arguments
from .case import scoped_units

EXPORT_MAX_ROWS = 20000  # rulings are a few hundred a year; more is not a list to export


def _case_link(complaint):
    if complaint is None:
        return "—"
    return Markup('<a href="{}">{}</a>').format(url_for("ComplaintView.show", pk=complaint.id), complaint.number)


def _standing(code):
    text = label(v.RULING_STANDINGS, code)
    style = {"final": "label-success", "replaced": "label-default", "requested": "label-warning"}.get(code, "label-info")
    return Markup('<span class="label {}">{}</span>').format(style, text)


def _staff_filter_field():
    return QuerySelectField(
        _l("Staff held responsible"),
        query_func=lambda: reads.ruled_staff_choices(g.user),
        get_pk_func=lambda staff: staff.id,
        get_label=lambda staff: staff.name,
        allow_blank=True,
        widget=Select2Widget(),
    )


def _branch_filter_field():
    return QuerySelectField(
        _l("Branch complained about"),
        query_func=scoped_units,
        get_pk_func=lambda unit: unit.id,
        get_label=lambda unit: unit.name,
        allow_blank=True,
        widget=Select2Widget(),
    )


class RulingView(ModelView):
    """责任认定记录: every ruling and re-ruling whose case the user may see (``CaseRecordScopeFilter``
    on list and export alike), no complainant column; the case number opens the case. No add,
    edit, delete or show: rulings are recorded on the case page (``rule``, ``decide_reruling``)."""

    route_base = "/rulings"
    datamodel = reads.RulingInterface()
    class_permission_name = p.RULING
    base_permissions = list(p.RULING_PERMISSIONS)
    method_permission_name = p.RULING_METHODS
    include_route_methods = {"list", "export"}
    base_filters = [["complaint_id", CaseRecordScopeFilter, lambda: None]]

    list_title = _l("Ruling records")
    show_title = _l("Ruling records")
    add_title = _l("Ruling records")
    edit_title = _l("Ruling records")
    label_columns = lazy_labels(v.RULING_LABELS)
    list_columns = ["complaint", "kind", "result", "category", "complaint.branch", "staff", "fee_borne", "ruled_on",
                    "members_present", "standing"]
    search_columns = list(reads.SEARCH_COLUMNS)
    search_form_extra_fields = {
        "complaint": _branch_filter_field(),
        "staff": _staff_filter_field(),
        "kind": SelectField(_l("Kind"), choices=[("", "")] + lazy_choices(v.RULING_KINDS)
                            + lazy_choices(v.RULING_STANDINGS)),
        "result": SelectField(_l("Result"), choices=[("", "")] + lazy_choices(v.RULING_RESULTS)),
        "category": SelectField(_l("Ruling category"), choices=[("", "")] + lazy_choices(v.RULING_CATEGORIES)),
    }
    order_columns = list(reads.ORDER_COLUMNS)
    base_order = ("ruled_on", "desc")
    page_size = 25
    formatters_columns = {
        "complaint": _case_link,
        "kind": lambda code: label(v.RULING_KINDS, code),
        "result": lambda code: label(v.RULING_RESULTS, code),
        "category": reads.category_label,
        "complaint.branch": lambda unit: unit.name if unit is not None else "—",
        "staff": lambda staff: "、".join(member.name for member in staff) or "—",
        "fee_borne": lambda fee: "—" if fee is None else fee,
        "ruled_on": lambda day: day.isoformat() if day else "—",
        "members_present": lambda text: escape(text) if text else "—",
        "standing": _standing,
    }
    list_template = "ruling/list.html"

    def _quick_links(self):
        links = [
            (_l("Final"), {reads.list_argument("kind", reads.FilterStanding): "final"}),
            (_l("Replaced by the re-ruling"), {reads.list_argument("kind", reads.FilterStanding): "replaced"}),
            (_l("Re-ruling requested"), {reads.list_argument("kind", reads.FilterStanding): "requested"}),
        ]
        if staff_of(g.user) is not None:
            links.insert(0, (_l("My rulings"), {reads.list_argument("staff", reads.FilterMine): "1"}))
        return links

    @expose("/list/")
    @has_access
    def list(self):
        check_list_arguments(self)
        scoped_units()  # before the list query: the cases' branches then come from the session
        self.extra_args = {
            "quick": self._quick_links(),
            "can_export": self.appbuilder.sm.has_access(p.can(p.RULING_EXPORT), p.RULING),
            "export_args": {key: value for key, value in request.args.items(multi=True)
                            if key.startswith(("_flt_", "_oc_", "_od_"))},
        }
        return super().list()

    @expose("/export/")
    @has_access
    def export(self):
        """The list as filtered and sorted on the page, every row of it, as an Excel sheet: the
        same filters and the same scope as the page."""
        check_list_arguments(self)
        scoped_units()
        get_filter_args(self._filters)
        order_column, order_direction = get_order_args().get(self.__class__.__name__, ("", ""))
        if not order_column:
            order_column, order_direction = self.base_order
        joined = self._filters.get_joined_filters(self._base_filters)
        count, rows = self.datamodel.query(joined, order_column, order_direction, page=0, page_size=EXPORT_MAX_ROWS)
        headers, values = reads.export_rows(rows)
        handle = export.table_workbook(gettext("Ruling records"), headers, values, {6: export.MONEY, 7: export.DAY})
        return send_file(handle, mimetype=export.XLSX_MIMETYPE, as_attachment=True,
                         download_name=f"{gettext('Ruling records')}.xlsx", max_age=0)
