"""FAB's security APIs (``/api/v1/security/users|roles|groups|…``) as this application serves them.

On top of FAB's classes (issue 6 item 8, issue 17 item 10c):

- token-only: no browser-cookie authentication (the APIs are CSRF-exempt);
- no answer carries a password: FAB's user PUT answered with the submitted fields, the new
  password included — the password is load-only in both user schemas.
"""
from flask_appbuilder.security.sqla import apis as fab_apis
from flask_appbuilder.security.sqla.apis.user import schema as fab_user_schema
from flask_appbuilder.security.sqla.apis.user.validator import PasswordComplexityValidator
from marshmallow import fields


class UserPostSchema(fab_user_schema.UserPostSchema):
    """FAB's schema with a load-only password: no answer ever carries it."""

    password = fields.String(required=True, load_only=True, validate=[PasswordComplexityValidator()],
                             metadata={"description": fab_user_schema.password_description})


class UserPutSchema(fab_user_schema.UserPutSchema):
    """FAB's schema with a load-only password: the PUT answer no longer echoes it."""

    password = fields.String(required=False, load_only=True, validate=[PasswordComplexityValidator()],
                             metadata={"description": fab_user_schema.password_description})


class UserApi(fab_apis.UserApi):
    """``/api/v1/security/users/``."""

    allow_browser_login = False
    add_model_schema = UserPostSchema()
    edit_model_schema = UserPutSchema()


def _token_only(base):
    """A subclass of FAB's security API ``base`` that refuses browser-cookie authentication."""
    return type(base.__name__, (base,), {"allow_browser_login": False, "__module__": __name__, "__doc__": base.__doc__})


RoleApi = _token_only(fab_apis.RoleApi)
GroupApi = _token_only(fab_apis.GroupApi)
PermissionApi = _token_only(fab_apis.PermissionApi)
ViewMenuApi = _token_only(fab_apis.ViewMenuApi)
PermissionViewMenuApi = _token_only(fab_apis.PermissionViewMenuApi)
