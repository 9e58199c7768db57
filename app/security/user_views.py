"""FAB's user pages (``/users/…``) with the security API's duplicate rule.

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
from flask_appbuilder.security.views import UserDBModelView as FabUserDBModelView
from wtforms.validators import ValidationError

from ..domain.vocabulary import ROLES
from ..i18n import label
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


class UserDBModelView(FabUserDBModelView):
    """The class keeps FAB's name: its permissions and URLs stay as they are."""

    validators_columns = {
        attribute: [NotTakenByAnotherUser(attribute, message)] for attribute, message in USER_UNIQUE_FIELDS
    }
    formatters_columns = {"active": lambda value: gettext("Yes") if value else gettext("No")}

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        widgets = super()._get_show_widget(pk, item, widgets=widgets, actions=actions, show_fieldsets=show_fieldsets)
        if show_fieldsets is self.user_show_fieldsets:  # the profile page (userinfo)
            widgets["show"].template_args["formatters_columns"] = {**self.formatters_columns, "roles": role_names}
        return widgets
