"""投诉分类代码表: the JR/T 0169-2018 code table (issue 23), maintained by the administrator.

Codes are added and changed (text, name, parent, days in force, order; never the dimension) through
``app.services.classification``, which audits every change; they are never deleted — a code leaving
the standard gets its last day in force, and the cases that carry it keep it. These views only
collect the form and show the service's refusals beside their fields, values kept.
"""
from flask import g
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, DatePickerWidget, Select2Widget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField

from ..domain import jrt0169
from ..domain import vocabulary as v
from ..i18n import label, lazy_choices, lazy_labels
from ..models.classification import JrtCode
from ..security import permissions as p
from ..services import classification as service
from .committee import ServiceFormView, _number, _optional

_FIELDS = {
    "code": StringField(_l("Code"), widget=BS3TextFieldWidget(),
                        description=_l("The dimension's letter and the standard's digits, e.g. A0101. Correcting "
                                       "a code's text corrects every complaint that carries it.")),
    "name": StringField(_l("Name"), widget=BS3TextFieldWidget()),
    "dimension": SelectField(_l("Dimension"), choices=lazy_choices(jrt0169.DIMENSION_LABELS), validate_choice=False,
                             description=_l("Fixed once the code exists: complaints carry it in this dimension.")),
    "parent_id": SelectField(_l("Parent code"), choices=[], validate_choice=False, widget=Select2Widget(),
                             description=_l("A code with sub-codes in force is not offered for complaints: the most "
                                            "detailed one is chosen.")),
    "valid_from": StringField(_l("In force from"), widget=DatePickerWidget(),
                              description=_l("Empty: from the beginning.")),
    "valid_to": StringField(_l("In force until"), widget=DatePickerWidget(),
                            description=_l("The last day in force (inclusive); empty: open. A code that leaves the "
                                           "standard is ended here, never deleted: cases received before keep it.")),
    "position": StringField(_l("Order"), default="0", widget=BS3TextFieldWidget(),
                            description=_l("Codes are listed by this number within their dimension.")),
}


def _date(value):
    return value.isoformat() if value else "—"


class JrtCodeView(ServiceFormView):
    """The JR/T 0169 codes, in order: code, name, dimension, parent, days in force."""

    route_base = "/jrt-codes"
    datamodel = SQLAInterface(JrtCode)
    class_permission_name = p.JRT_CODE
    method_permission_name = p.MODEL_VIEW_READ_WRITE
    exclude_route_methods = {"download", "action", "action_post", "delete"}

    list_title = _l("JR/T 0169 code table")
    show_title = _l("JR/T 0169 code")
    add_title = _l("Add JR/T 0169 code")
    edit_title = _l("Edit JR/T 0169 code")
    label_columns = lazy_labels(v.JRT_CODE_LABELS)

    list_columns = ["code", "name", "dimension", "parent", "valid_from", "valid_to", "position"]
    show_columns = list_columns
    add_columns = ["code", "name", "dimension", "parent_id", "valid_from", "valid_to", "position"]
    edit_columns = ["code", "name", "parent_id", "valid_from", "valid_to", "position"]
    search_columns = ["code", "name", "dimension"]
    order_columns = ["code", "position"]
    base_order = ("position", "asc")
    page_size = 100
    formatters_columns = {
        "dimension": lambda value: label(jrt0169.DIMENSION_LABELS, value),
        "parent": lambda value: f"{value.code} {value.name}" if value is not None else "—",
        "valid_from": _date,
        "valid_to": _date,
    }
    add_form_extra_fields = _FIELDS
    edit_form_extra_fields = {name: field for name, field in _FIELDS.items() if name != "dimension"}

    def prepare_form(self, form):
        form.parent_id.choices = [("", "—")] + [(str(row.id), f"{row.code} {row.name}") for row in service.rows()]

    def submitted(self, form, item=None):
        position = _number(form.position.data)
        data = {"code": form.code.data or "", "name": form.name.data or "",
                "parent_id": _number(form.parent_id.data) if form.parent_id.data else None,
                "valid_from": _optional(form.valid_from.data), "valid_to": _optional(form.valid_to.data),
                "position": 0 if position == "" else position}
        if item is None:
            data["dimension"] = form.dimension.data or ""
        return data

    def create(self, data):
        service.create_code(data, g.user)

    def update(self, item, data):
        service.update_code(item.id, data, g.user)

    def remove(self, item):  # never offered (no delete route): codes are kept
        raise NotImplementedError
