"""The admin audit log page (issue 20): who changed which user or role, when, before and after.
Read-only: the audit is append-only (models/admin_audit.py)."""
import json

from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext, lazy_gettext as _l
from markupsafe import Markup, escape

from ..models.admin_audit import AdminAudit
from ..security import capabilities as caps
from ..security import permissions as p

TARGET_TYPES = {"user": _l("User"), "role": _l("Role"), "group": _l("Group"), "body": _l("Ruling body"),
                "jrt_code": _l("JR/T 0169 code"),
                "ledger": _l("Complaint ledger import")}
ACTIONS = {"create": _l("Created"), "update": _l("Changed"), "delete": _l("Deleted")}
FIELDS = {
    "username": _l("Username"), "active": _l("Active"), "name": _l("Name"), "label": _l("Label"),
    "roles": _l("Roles"), "groups": _l("Groups"), "permissions": _l("Permissions"), "user": _l("Users"),
    "users": _l("Users"), "first_name": _l("First name"), "last_name": _l("Last name"), "email": _l("E-mail"),
    "password": _l("Password"), "description": _l("Description"), "capabilities": _l("Capabilities"),
    "scope": _l("Scope"), "shows_identity": _l("Complainant identity"),
    "must_change_password": _l("Must change the password at the next login"),
    # Ruling bodies (issue 21): a body's fields and its members' terms.
    "kind": _l("Kind"), "unit": _l("Unit"), "quorum_percent": _l("Quorum percentage"),
    "chair_required": _l("Chair or deputy chair must be present"), "member": _l("Member"),
    # The JR/T 0169 code table (issue 23).
    "code": _l("Code"), "dimension": _l("Dimension"), "parent": _l("Parent code"),
    "valid_from": _l("In force from"), "valid_to": _l("In force until"), "position": _l("Order"),
    # A complaint ledger import (issue 23): the file, its rows, what was imported.
    "file": _l("File"), "sheet": _l("Sheet"), "sha256": _l("SHA-256 of the file"), "rows": _l("Rows"),
    "imported": _l("Complaints imported"), "skipped": _l("Rows imported before"),
}


def _value(value):
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if value is None:
        return "—"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def describe_changes(changes) -> Markup:
    """The recorded changes as lines: field: before → after, or added / removed."""
    if not changes:
        return Markup("—")
    lines = []
    for key, change in changes.items():
        if key == "fields":
            continue
        label = str(FIELDS.get(key, key))
        if isinstance(change, dict) and ("from" in change or "to" in change):
            lines.append(Markup("{}:{} → {}").format(label, _value(change.get("from")), _value(change.get("to"))))
        elif isinstance(change, dict) and key == "permissions":
            parts = []
            for word, items in (("added", change.get("added")), ("removed", change.get("removed"))):
                if items:
                    pairs = [tuple(item.split(" on ", 1)) for item in items if " on " in item]
                    names = "、".join(str(c.label) for c in caps.CAPABILITIES if c.code in caps.describe_pairs(pairs))
                    text = gettext("%(count)d permissions", count=len(items)) + (f"({names})" if names else "")
                    parts.append(gettext("added %(items)s", items=text) if word == "added"
                                 else gettext("removed %(items)s", items=text))
            lines.append(Markup("{}:{}").format(label, ";".join(parts)))
        elif not isinstance(change, (dict, list)):  # a fact of the entry (a ledger import's file and rows)
            lines.append(Markup("{}:{}").format(label, _value(change)))
        elif isinstance(change, dict):
            parts = []
            if change.get("added"):
                parts.append(gettext("added %(items)s", items=", ".join(map(str, change["added"]))))
            if change.get("removed"):
                parts.append(gettext("removed %(items)s", items=", ".join(map(str, change["removed"]))))
            lines.append(Markup("{}:{}").format(label, ";".join(parts)))
    others = [str(FIELDS.get(name, name)) for name in changes.get("fields", []) if name not in changes]
    if others:
        lines.append(escape(gettext("Also changed: %(fields)s", fields="、".join(others))))
    return Markup("<br>").join(lines) or "—"


class AdminAuditView(ModelView):
    """Every change to users and roles, newest first; nobody changes it."""

    route_base = "/admin-audit"
    datamodel = SQLAInterface(AdminAudit)
    class_permission_name = p.ADMIN_AUDIT
    method_permission_name = {"list": p.READ, "show": p.READ}
    include_route_methods = {"list", "show"}
    list_title = _l("Admin audit log")
    show_title = _l("Admin audit entry")
    add_title = _l("Admin audit log")
    edit_title = _l("Admin audit log")
    label_columns = {"at": _l("Time (UTC)"), "actor_name": _l("Changed by"), "target_type": _l("Kind"),
                     "target_name": _l("Changed record"), "action": _l("Action"), "changes": _l("Before and after")}
    list_columns = ["at", "actor_name", "action", "target_type", "target_name", "changes"]
    show_columns = list_columns
    search_columns = ["at", "actor_name", "target_name"]
    order_columns = ["at", "actor_name", "target_name"]
    base_order = ("at", "desc")
    formatters_columns = {
        "target_type": lambda v: TARGET_TYPES.get(v, v),
        "action": lambda v: ACTIONS.get(v, v),
        "changes": describe_changes,
    }
