"""Organisation tree and staff pages (domain.md §2); a staff page lists the person's rulings (issue 21)."""
from flask import g
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext, lazy_gettext as _l
from wtforms import BooleanField, SelectField
from wtforms.validators import InputRequired

from ..data import rulings as ruling_reads
from ..domain import vocabulary as labels
from ..ids import row_id
from ..i18n import label, lazy_labels
from ..models import OrgUnit, Staff
from ..security import permissions as p
from ..services.org import check_staff, check_unit, check_unit_deletable
from .base import CheckedModelView


class OrgUnitView(CheckedModelView):
    """Organisation units; the tree shows through the parent column and its filter."""

    datamodel = SQLAInterface(OrgUnit)
    class_permission_name = p.ORG_UNIT
    method_permission_name = p.MODEL_VIEW_READ_WRITE

    list_title = _l("Organisation units")
    show_title = _l("Organisation unit")
    add_title = _l("Add organisation unit")
    edit_title = _l("Edit organisation unit")
    label_columns = lazy_labels(labels.ORG_UNIT_LABELS)

    list_columns = ["name", "code", "kind", "parent", "active"]
    show_columns = ["name", "code", "kind", "parent", "active", "supervision_phone"]
    add_columns = ["name", "code", "kind", "parent", "active", "supervision_phone"]
    edit_columns = add_columns
    search_columns = ["name", "code", "kind", "parent", "active"]
    order_columns = ["name", "code", "kind"]
    base_order = ("code", "asc")
    formatters_columns = {
        "kind": lambda value: label(labels.UNIT_KINDS, value),
        "parent": lambda value: value.name if value is not None else "—",
        "active": lambda value: gettext("Yes") if value else gettext("No"),
    }
    add_form_extra_fields = {
        "kind": SelectField(_l("Kind"), choices=list(lazy_labels(labels.UNIT_KINDS).items()), validators=[InputRequired()]),
        "active": BooleanField(_l("Active"), default=True),
    }
    edit_form_extra_fields = add_form_extra_fields

    check_item = staticmethod(check_unit)
    check_delete = staticmethod(check_unit_deletable)


class StaffView(CheckedModelView):
    """Staff members with their unit, position and optional login."""

    datamodel = SQLAInterface(Staff)
    class_permission_name = p.STAFF
    method_permission_name = p.MODEL_VIEW_READ_WRITE

    list_title = _l("Staff members")
    show_title = _l("Staff member")
    add_title = _l("Add staff member")
    edit_title = _l("Edit staff member")
    label_columns = lazy_labels(labels.STAFF_LABELS)

    list_columns = ["name", "employee_no", "unit", "position", "user", "active"]
    show_columns = ["name", "employee_no", "unit", "position", "user", "active"]
    add_columns = ["name", "employee_no", "unit", "position", "user", "active"]
    edit_columns = add_columns
    search_columns = ["name", "employee_no", "unit", "position", "active"]
    order_columns = ["name", "employee_no", "position"]
    base_order = ("employee_no", "asc")
    formatters_columns = {
        "position": lambda value: label(labels.POSITIONS, value),
        "user": lambda value: value.username if value is not None else "—",
        "active": lambda value: gettext("Yes") if value else gettext("No"),
    }
    add_form_extra_fields = {
        "position": SelectField(_l("Position"), choices=list(lazy_labels(labels.POSITIONS).items()), validators=[InputRequired()]),
        "active": BooleanField(_l("Active"), default=True),
    }
    edit_form_extra_fields = add_form_extra_fields

    check_item = staticmethod(check_staff)
    show_template = "org/staff_show.html"

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """FAB's staff page, with the rulings naming the person whose case the viewer may see:
        responsible or not, category, fee borne, and the re-ruling outcome (the case's other
        rulings, which may no longer name them)."""
        staff_id = row_id(pk)
        rows = []
        for ruling in ruling_reads.rulings_of_staff(g.user, staff_id) if staff_id is not None else []:
            row = ruling_reads.ruling_dict(ruling)
            row["held"] = any(member.id == staff_id for member in ruling.staff)
            rows.append(row)
        self.extra_args = {"staff_rulings": rows}
        return super().show(pk)


