"""Permission and resource names as constants: the only place these strings are spelled.

Web views and REST APIs over the same resource share one ``class_permission_name`` and map
their methods onto the same small set of permissions (``can_read``, ``can_write`` …), so a
role grants "read org units" once, for pages and API alike.
"""

READ = "read"
WRITE = "write"

# Resources (FAB "view menus") of this application.
ORG_UNIT = "OrgUnit"
STAFF = "Staff"

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


def can(name: str) -> str:
    """FAB's stored permission name for ``name`` (``read`` → ``can_read``)."""
    return f"can_{name}"


# Menu entries (FAB "menu_access" permissions are granted on these names).
MENU_ORGANISATION = "Organisation"
MENU_ORG_UNITS = "Org units"
MENU_STAFF = "Staff members"

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
