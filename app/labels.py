"""Column labels shared by pages and API (one dict per resource)."""
from flask_babel import lazy_gettext as _l

ORG_UNIT_LABELS = {
    "id": _l("ID"),
    "name": _l("Name"),
    "code": _l("Code"),
    "kind": _l("Kind"),
    "parent": _l("Parent unit"),
    "parent_id": _l("Parent unit"),
    "active": _l("Active"),
    "children": _l("Sub-units"),
    "staff": _l("Staff members"),
}

STAFF_LABELS = {
    "id": _l("ID"),
    "name": _l("Name"),
    "employee_no": _l("Employee number"),
    "unit": _l("Unit"),
    "unit_id": _l("Unit"),
    "position": _l("Position"),
    "active": _l("Active"),
    "user": _l("Login"),
    "user_id": _l("Login"),
}
