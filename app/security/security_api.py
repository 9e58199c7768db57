"""FAB's security APIs (``/api/v1/security/users|roles|groups|…``) as this application serves them.

On top of FAB's classes:

- token-only: no browser-cookie authentication (the APIs are CSRF-exempt);
- no answer carries a password: FAB's user PUT answered with the submitted fields, the new
  password included — the password is load-only in both user schemas;
- a duplicate (a username or e-mail address of another user, in any letter case, as the login
  resolves names; a role, group or resource name) and a record still in use (a role still
  assigned, a group with members, a user that complaints refer to) answer 409 with a
  translated message, and nothing changes. FAB answered these with 422 and the database's text
  (SQL included), or with 500.

How the answers are reached: FAB's methods call ``pre_add``/``pre_update``/``pre_delete`` and
then write; the checks here raise ``Conflict`` from those hooks. FAB's ``@safe`` turns any
exception into ``response_500``, and its own database handlers call ``response_422`` with the
database's text — both from inside their ``except`` block, so the exception being handled
(``sys.exc_info()``) tells what went wrong. A ``Conflict``, or an ``IntegrityError`` the checks
could not foresee (two requests at once, a foreign key), becomes the 409; any other database
error a plain 500 without details.
"""
import logging
import sys

from flask import request
from flask_appbuilder.security.sqla import apis as fab_apis
from flask_appbuilder.security.sqla.apis.user import schema as fab_user_schema
from flask_appbuilder.security.sqla.apis.user.validator import PasswordComplexityValidator
from flask_appbuilder.security.sqla.models import Group, Role, User
from flask_babel import gettext, lazy_gettext as _l
from marshmallow import fields
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, DomainError, ValidationFailed
from ..extensions import db

log = logging.getLogger(__name__)


def _integrity_error(error) -> bool:
    """True if ``error`` is, or was raised from, a database integrity error."""
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, IntegrityError):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def taken(model, attribute, value, exclude_id=None) -> bool:
    """Whether another row of ``model`` than ``exclude_id`` has ``value`` in ``attribute``, letter
    case aside (the login resolves user names and e-mail addresses that way)."""
    if not isinstance(value, str) or not value:
        return False
    column = getattr(model, attribute)
    query = select(model.id).where(func.lower(column) == value.lower())
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    with db.session.no_autoflush:
        return db.session.execute(query.limit(1)).first() is not None


USER_UNIQUE_FIELDS = (
    ("username", _l("A user with this username already exists (letter case does not matter).")),
    ("email", _l("A user with this e-mail address already exists (letter case does not matter).")),
)


class SecurityApiAnswers:
    """Mixin for FAB's security APIs: token-only, duplicates and records in use answer 409.

    ``unique_fields``: (model attribute, message) pairs that no other row may share, compared
    without regard to letter case. ``in_use_message``: the answer when the database refuses a
    delete because other records refer to the row.
    """

    allow_browser_login = False
    unique_fields = ()
    in_use_message = _l("The record is still used by other records and cannot be deleted.")

    # ---- checks run by FAB's hooks

    def duplicate_of(self, values: dict, exclude_id=None):
        """The message of the first unique field whose value another row already has, or None."""
        for attribute, message in self.unique_fields:
            if taken(self.datamodel.obj, attribute, values.get(attribute), exclude_id):
                return str(message)
        return None

    def in_use(self, item):
        """Why ``item`` may not be deleted although the database would allow it, or None."""
        return None

    def _refuse_duplicates(self, item) -> None:
        message = self.duplicate_of({attribute: getattr(item, attribute, None) for attribute, _m in self.unique_fields},
                                    exclude_id=getattr(item, "id", None))
        if message:
            raise Conflict(message)

    def pre_add(self, item, *args):
        self._refuse_duplicates(item)
        super().pre_add(item, *args)

    def pre_update(self, item, *args):
        self._refuse_duplicates(item)
        super().pre_update(item, *args)

    def pre_delete(self, item):
        message = self.in_use(item)
        if message:
            raise Conflict(message)
        super().pre_delete(item)

    # ---- FAB's error answers

    def response_400(self, message=None):
        """FAB passes marshmallow's (English) messages through: translated here."""
        from ..i18n import translate_messages

        return super().response_400(message=translate_messages(message))

    def response_422(self, message=None):
        if isinstance(message, dict):  # marshmallow's validation messages: FAB's answer
            return super().response_422(message=message)
        return self._database_error_answer()  # FAB would show the database's text

    def response_500(self, message=None):
        error = sys.exc_info()[1]
        if isinstance(error, DomainError) or _integrity_error(error):
            return self._database_error_answer()
        return super().response_500(message=message)

    def _database_error_answer(self):
        error = sys.exc_info()[1]
        db.session.rollback()
        if isinstance(error, DomainError):
            return self.response(error.status, message=error.payload())
        if _integrity_error(error):
            return self.response(409, message=self._conflict_message())
        log.error("%s: database error %s", type(self).__name__, type(error).__name__)
        return super().response_500()

    def _conflict_message(self) -> str:
        """The 409 text for an integrity error the hooks did not foresee."""
        if request.method == "DELETE":
            return str(self.in_use_message)
        body = request.get_json(silent=True)
        pk = (request.view_args or {}).get("pk")
        try:
            exclude_id = int(pk) if pk is not None else None
        except ValueError:
            exclude_id = None
        message = self.duplicate_of(body, exclude_id) if isinstance(body, dict) else None
        return message or gettext("The data conflicts with existing records.")


MUST_CHANGE_DESCRIPTION = "The user must choose a new password at the next (web) login; until then the API login is refused."
STAFF_ID_DESCRIPTION = ("The id of the staff record the login is linked to (one without a login, see "
                        "/api/v1/staff/); null: none. Linking another record, or none, releases the one held before.")


class UserPostSchema(fab_user_schema.UserPostSchema):
    """FAB's schema with a load-only password (no answer ever carries it), the forced password
    change and the staff record (issue 20)."""

    password = fields.String(required=True, load_only=True, validate=[PasswordComplexityValidator()],
                             metadata={"description": fab_user_schema.password_description})
    must_change_password = fields.Boolean(required=False, metadata={"description": MUST_CHANGE_DESCRIPTION})
    staff_id = fields.Integer(required=False, allow_none=True, strict=True,
                              metadata={"description": STAFF_ID_DESCRIPTION})


class UserPutSchema(fab_user_schema.UserPutSchema):
    """FAB's schema with a load-only password: the PUT answer no longer echoes it."""

    password = fields.String(required=False, load_only=True, validate=[PasswordComplexityValidator()],
                             metadata={"description": fab_user_schema.password_description})
    must_change_password = fields.Boolean(required=False, metadata={"description": MUST_CHANGE_DESCRIPTION})
    staff_id = fields.Integer(required=False, allow_none=True, strict=True,
                              metadata={"description": STAFF_ID_DESCRIPTION})


_NOT_GIVEN = object()


def _link_staff(user, staff_id) -> None:
    """Link ``user`` to staff record ``staff_id`` (None: to none), or refuse with a 400 naming
    ``staff_id`` (``user_staff``); the caller's save commits it with the user."""
    from . import user_staff

    mode = user_staff.NONE if staff_id is None else user_staff.EXISTING
    found = user_staff.problems(mode, user_id=user.id, staff=staff_id)
    if found:
        message = found.get("staff") or next(iter(found.values()))
        if staff_id is not None and user_staff.find_row(user_staff.Staff, staff_id) is None:
            message = gettext("There is no staff record with this id.")
        raise ValidationFailed(message, field="staff_id")
    user_staff.apply(user, mode, staff=staff_id)


class UserApi(SecurityApiAnswers, fab_apis.UserApi):
    """``/api/v1/security/users/``: the last active administrator is never removed, demoted or
    deactivated (409)."""

    unique_fields = USER_UNIQUE_FIELDS
    in_use_message = _l("This user cannot be deleted: complaints, rulings or other records refer to it. "
                        "Deactivate the account instead.")
    add_model_schema = UserPostSchema()
    edit_model_schema = UserPutSchema()
    list_columns = [*fab_apis.UserApi.list_columns, "must_change_password"]
    show_columns = list_columns

    def pre_add(self, item, *args):
        from .admin_rules import refuse_admin_changes_by_non_admin

        refuse_admin_changes_by_non_admin(item)
        super().pre_add(item, *args)
        staff_id = item.__dict__.pop("staff_id", _NOT_GIVEN)  # FAB copied the body's field onto the user
        if staff_id is not _NOT_GIVEN:
            _link_staff(item, staff_id)

    def pre_update(self, item, *args):
        from .admin_rules import refuse_admin_changes_by_non_admin, refuse_losing_last_admin

        refuse_admin_changes_by_non_admin(item)
        refuse_losing_last_admin(item)
        super().pre_update(item, *args)
        item.__dict__.pop("staff_id", None)
        data = args[0] if args else {}
        if isinstance(data, dict) and "staff_id" in data:
            _link_staff(item, data["staff_id"])

    def pre_delete(self, item):
        from .admin_rules import refuse_admin_changes_by_non_admin, refuse_losing_last_admin

        refuse_admin_changes_by_non_admin(item, deleting=True)
        refuse_losing_last_admin(item, deleting=True)
        super().pre_delete(item)


class RoleApi(SecurityApiAnswers, fab_apis.RoleApi):
    """``/api/v1/security/roles/``: an assigned role is not deleted (FAB silently unassigned it); a
    built-in role is neither changed nor deleted, nor its permissions or users set (403); no role
    both decides appeals and handles cases (400, §14)."""

    unique_fields = (("name", _l("A role with this name already exists.")),)

    def put_headless(self, pk):
        """A built-in role is refused before FAB loads the request into it (403); renaming a custom
        role to a built-in name is a duplicate (409)."""
        from .admin_rules import builtin_refusal, is_builtin

        role = self.datamodel.get(pk, self._base_filters)
        if is_builtin(role):
            return self.response(403, message=builtin_refusal())
        return super().put_headless(pk)

    def pre_delete(self, item):
        from .admin_rules import refuse_builtin

        refuse_builtin(item)
        super().pre_delete(item)

    def refusal_for(self, role_id, action):
        """The refusal answer for FAB's role sub-resources, or None: a built-in role's permissions
        are never set; the Admin role's users only while an active administrator remains; a
        custom role's permissions never combine appeals and handling (§14)."""
        from flask_appbuilder.security.sqla.models import PermissionView

        from .admin_rules import (builtin_refusal, combines_appeal_and_handling, is_builtin,
                                  last_admin_refusal, separation_refusal)
        from .roles import ADMIN

        role = db.session.get(Role, role_id)
        body = request.get_json(silent=True)
        if role is None or not isinstance(body, dict):
            return None  # FAB answers 404 / 400
        if action == "permissions":
            if is_builtin(role):
                return self.response(403, message=builtin_refusal())
            ids = body.get("permission_view_menu_ids")
            if isinstance(ids, list) and all(isinstance(i, int) for i in ids):
                pvs = db.session.query(PermissionView).filter(PermissionView.id.in_(ids)).all()
                if combines_appeal_and_handling((pv.permission.name, pv.view_menu.name) for pv in pvs):
                    return self.response(400, message=separation_refusal())
        if action == "users" and role.name == ADMIN:
            ids = body.get("user_ids")
            if isinstance(ids, list) and all(isinstance(i, int) for i in ids):
                kept = select(func.count()).select_from(User).where(User.id.in_(ids), User.active.is_(True))
                if not db.session.execute(kept).scalar():
                    return self.response(409, message=last_admin_refusal())
        return None

    def in_use(self, item):
        holders = select(func.count()).select_from(User).where(User.roles.any(Role.id == item.id))
        groups = select(func.count()).select_from(Group).where(Group.roles.any(Role.id == item.id))
        if db.session.execute(holders).scalar() or db.session.execute(groups).scalar():
            return gettext("This role is still assigned to users or groups and cannot be deleted. "
                           "Remove it from them first.")
        return None


class GroupApi(SecurityApiAnswers, fab_apis.GroupApi):
    """``/api/v1/security/groups/``: a group with members is not deleted."""

    unique_fields = (("name", _l("A group with this name already exists.")),)

    def in_use(self, item):
        members = select(func.count()).select_from(User).where(User.groups.any(Group.id == item.id))
        if db.session.execute(members).scalar():
            return gettext("This group still has members and cannot be deleted. Remove them first.")
        return None


def _answering(base):
    """FAB's read-mostly security API ``base`` with this module's answers."""
    return type(base.__name__, (SecurityApiAnswers, base), {"__module__": __name__, "__doc__": base.__doc__})


PermissionApi = _answering(fab_apis.PermissionApi)
ViewMenuApi = _answering(fab_apis.ViewMenuApi)
PermissionViewMenuApi = _answering(fab_apis.PermissionViewMenuApi)


class _QuietRefusals(logging.Filter):
    """FAB's ``@safe`` logs every exception with its traceback; a ``Conflict`` raised by the
    checks above is an answer (409), not an error."""

    def filter(self, record) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DomainError))


def quiet_refusals() -> None:
    """Install the filter on FAB's API logger (once)."""
    logger = logging.getLogger("flask_appbuilder.api")
    if not any(isinstance(existing, _QuietRefusals) for existing in logger.filters):
        logger.addFilter(_QuietRefusals())


def _guarded(name, route, methods, permission, action):
    """FAB's RoleApi method ``name`` behind ``RoleApi.refusal_for``, exposed as FAB exposes it."""
    from flask_appbuilder.api import expose, safe
    from flask_appbuilder.security.decorators import permission_name, protect

    base = getattr(fab_apis.RoleApi, name)

    def method(self, role_id):
        answer = self.refusal_for(role_id, action)
        return answer if answer is not None else base(self, role_id)

    method.__name__ = name
    method.__doc__ = base.__doc__
    return expose(route, methods=methods)(protect()(safe(permission_name(permission)(method))))


RoleApi.add_role_permissions = _guarded("add_role_permissions", "/<int:role_id>/permissions", ["POST"],
                                        "add_role_permissions", "permissions")
RoleApi.update_role_users = _guarded("update_role_users", "/<int:role_id>/users", ["PUT"],
                                     "update_role_users", "users")
