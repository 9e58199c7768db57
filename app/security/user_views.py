"""FAB's user pages (``/users/…``) with the security API's duplicate rule, and FAB's raw role
pages (``/roles/…``, the experts' page) with the administration's rules (admin_rules.py).

FAB's own check compares usernames and e-mail addresses letter for letter, so ``Counter`` could be
added beside ``counter``; the login then finds two users for the name and lets neither in. The
add and edit forms here refuse a username or address another user has in any letter case, beside
the field, as the security API does (``security_api.USER_UNIQUE_FIELDS``). "Active" reads 是/否
(FAB shows ``True``); on one's own profile page (``/users/userinfo/``) the roles read by their
names in the user's language, while the administrator's user pages keep the stored role names the
role form and its select box use.
"""
from flask_babel import gettext
from flask_appbuilder.security.sqla.models import User
from flask_appbuilder.security.views import RoleModelView as FabRoleModelView
from flask_appbuilder.security.views import UserDBModelView as FabUserDBModelView
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect
from wtforms.validators import ValidationError

from ..domain.vocabulary import ROLES
from ..errors import DomainError
from ..extensions import db
from ..i18n import label
from .admin_rules import (
    builtin_refusal,
    combines_appeal_and_handling,
    is_builtin,
    refuse_losing_last_admin,
    separation_refusal,
)
from .roles import ROLE_NAMES
from .security_api import USER_UNIQUE_FIELDS, taken


def role_names(roles) -> str:
    """The translated names of ``roles`` (a user's roles), in their order."""
    return "、".join(label(ROLES, role.name) for role in roles or [])


class NotTakenByAnotherUser:
    """WTForms validator: no other user has this value in ``attribute``, letter case aside. On the
    edit form FAB sets ``form._id`` to the user being edited, who may keep its own value."""

    def __init__(self, attribute, message):
        self.attribute = attribute
        self.message = message

    def __call__(self, form, field):
        if taken(User, self.attribute, field.data, getattr(form, "_id", None)):
            raise ValidationError(str(self.message))


class _UserPagesWithoutDuplicates(FabUserDBModelView):
    """The duplicate rule; the page class below keeps FAB's name."""

    validators_columns = {
        attribute: [NotTakenByAnotherUser(attribute, message)] for attribute, message in USER_UNIQUE_FIELDS
    }
    formatters_columns = {"active": lambda value: gettext("Yes") if value else gettext("No")}

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        widgets = super()._get_show_widget(pk, item, widgets=widgets, actions=actions, show_fieldsets=show_fieldsets)
        if show_fieldsets is self.user_show_fieldsets:  # the profile page (userinfo)
            widgets["show"].template_args["formatters_columns"] = {**self.formatters_columns, "roles": role_names}
        return widgets


def _original(item, attribute):
    """The stored value of ``attribute`` before the form changed it."""
    history = inspect(item).attrs[attribute].history
    return history.deleted[0] if history.deleted else getattr(item, attribute)


def _refuse(message):
    """Undo what the form wrote into the session and refuse with ``message`` (FAB flashes it)."""
    db.session.rollback()
    raise PageRefusal(message)


class PageRefusal(Exception):
    """A refused change on a FAB page: FAB flashes the (translated) message, nothing is written."""


class UserDBModelView(_UserPagesWithoutDuplicates):
    """The last active administrator cannot be deactivated, demoted or deleted (issue 20). The
    class keeps FAB's name: its permissions and URLs stay as they are."""

    def pre_update(self, item):
        try:
            refuse_losing_last_admin(item)
        except DomainError as error:
            _refuse(str(error))
        super().pre_update(item)

    def pre_delete(self, item):
        try:
            refuse_losing_last_admin(item, deleting=True)
        except DomainError as error:
            _refuse(str(error))
        super().pre_delete(item)


class RoleModelView(FabRoleModelView):
    """FAB's raw role and permission pages, kept for experts (Admin only) under their own menu entry.
    Built-in roles are refused (their permissions come from roles.py); a role may not both decide
    appeals and handle cases (§14). The class keeps FAB's name: its permissions and URLs stay."""

    list_title = _l("Raw role permissions (experts)")

    def pre_update(self, item):
        if is_builtin(item) or _original(item, "name") in ROLE_NAMES:
            _refuse(builtin_refusal())
        if combines_appeal_and_handling((pv.permission.name, pv.view_menu.name) for pv in item.permissions):
            _refuse(separation_refusal())
        super().pre_update(item)

    def pre_add(self, item):
        if combines_appeal_and_handling((pv.permission.name, pv.view_menu.name) for pv in item.permissions or []):
            _refuse(separation_refusal())
        super().pre_add(item)

    def pre_delete(self, item):
        if is_builtin(item):
            _refuse(builtin_refusal())
        super().pre_delete(item)
