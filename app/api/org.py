"""REST resources /api/v1/orgunit/ and /api/v1/staff/ (spec/api.md)."""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from marshmallow.validate import OneOf

from ..domain import vocabulary as labels
from ..i18n import lazy_labels
from ..models import OrgUnit, Staff
from ..security import permissions as p
from ..services.org import check_staff, check_unit, check_unit_deletable
from .base import DomainApi


class OrgUnitApi(DomainApi):
    """Organisation units: Admin writes, the discipline office reads."""

    resource_name = "orgunit"
    datamodel = SQLAInterface(OrgUnit)
    class_permission_name = p.ORG_UNIT
    method_permission_name = p.REST_API_READ_WRITE
    label_columns = lazy_labels(labels.ORG_UNIT_LABELS)
    list_title = _l("Organisation units")
    show_title = _l("Organisation unit")
    add_title = _l("Add organisation unit")
    edit_title = _l("Edit organisation unit")

    list_columns = ["id", "name", "code", "kind", "parent_id", "supervision_phone"]
    show_columns = list_columns
    add_columns = ["name", "code", "kind", "parent_id", "supervision_phone"]
    edit_columns = add_columns
    search_columns = ["name", "code", "kind", "parent_id"]
    order_columns = ["id", "name", "code", "kind"]
    validators_columns = {"kind": OneOf(list(labels.UNIT_KINDS))}

    check_item = staticmethod(check_unit)
    check_delete = staticmethod(check_unit_deletable)


class StaffApi(DomainApi):
    """Staff members: Admin writes, the discipline office reads."""

    resource_name = "staff"
    datamodel = SQLAInterface(Staff)
    class_permission_name = p.STAFF
    method_permission_name = p.REST_API_READ_WRITE
    label_columns = lazy_labels(labels.STAFF_LABELS)
    list_title = _l("Staff members")
    show_title = _l("Staff member")
    add_title = _l("Add staff member")
    edit_title = _l("Edit staff member")

    list_columns = ["id", "name", "employee_no", "unit_id", "position", "user_id", "active"]
    show_columns = list_columns
    add_columns = ["name", "employee_no", "unit_id", "position", "user_id", "active"]
    edit_columns = add_columns
    search_columns = ["name", "employee_no", "unit_id", "position", "active"]
    order_columns = ["id", "name", "employee_no", "position"]
    validators_columns = {"position": OneOf(list(labels.POSITIONS))}

    check_item = staticmethod(check_staff)
