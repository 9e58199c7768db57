"""Changing one's own password asks for the current one (a stolen session alone cannot change it).

FAB's ``/resetmypassword/form`` changes the logged-in user's password with nothing but the new
one, so whoever holds an open session — a borrowed desk, a copied cookie — could take the account
over for good. This form adds the current password; a wrong or missing one is refused beside
the field and nothing changes. Wrong current passwords count towards the login lockout of the
account at that address (``ComplaintSecurityManager.check_own_password``), so the form cannot be
used to guess the password either. The administrator's reset of another user's password
(FAB's ``ResetPasswordView``) is unchanged.
"""
from flask import current_app
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.views import ResetMyPasswordView as FabResetMyPasswordView
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, ValidationError


class CurrentPassword:
    """Field validator: the logged-in user's current password (failures counted by the lockout)."""

    def __call__(self, form, field):
        problem = current_app.appbuilder.sm.check_own_password(current_user, field.data or "")
        if problem:
            raise ValidationError(problem)


class NotTheCurrentPassword:
    """Field validator: the new password differs from the current one (a required change, issue 20,
    would otherwise be satisfied by typing the old password twice)."""

    def __call__(self, form, field):
        if field.data and field.data == form.current_password.data:
            raise ValidationError(str(_l("The new password must differ from the current one.")))


class OwnPasswordForm(DynamicForm):
    """Current password first, then the new one twice (the policy applies to the new one)."""

    current_password = PasswordField(
        _l("Current password"),
        description=_l("The password you log in with now."),
        validators=[DataRequired(), CurrentPassword()],
        widget=BS3PasswordFieldWidget(),
    )
    password = PasswordField(
        _l("New password"),
        description=_l("At least 10 characters, with at least three of: upper-case letters, lower-case letters, "
                       "digits, symbols."),
        validators=[DataRequired(), PasswordComplexityValidator(), NotTheCurrentPassword()],
        widget=BS3PasswordFieldWidget(),
    )
    conf_password = PasswordField(
        _l("Confirm the new password"),
        description=_l("Type the new password again."),
        validators=[EqualTo("password", message=_l("The two new passwords differ."))],
        widget=BS3PasswordFieldWidget(),
    )


class ResetMyPasswordView(FabResetMyPasswordView):
    """FAB's own-password view with ``OwnPasswordForm``.

    The class keeps FAB's name, so its permissions (``can_this_form_get/post`` on
    ``ResetMyPasswordView``) and endpoints stay the same.
    """

    form = OwnPasswordForm
    form_title = _l("Change my password")
