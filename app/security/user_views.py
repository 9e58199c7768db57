"""FAB's user pages (``/users/…``) as this application's one user form, and FAB's raw role pages
(``/roles/…``, the experts' page) with the administration's rules (admin_rules.py).

The user form (issue 20 item 4) creates the login and links or creates its staff record
(``user_staff``), in Chinese throughout, and returns to the list. FAB's own check compares
usernames and e-mail addresses letter for letter, so ``Counter`` could be added beside
``counter``; the login then finds two users for the name and lets neither in. The add and edit
forms here refuse a username or address another user has in any letter case, beside the field, as
the security API does (``security_api.USER_UNIQUE_FIELDS``).
"""
from flask import abort, current_app, flash, has_request_context, redirect, request, url_for
from flask_appbuilder.fields import QuerySelectField, QuerySelectMultipleField
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget, Select2ManyWidget, Select2Widget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.security.sqla.models import Role, User
from flask_appbuilder.security.views import ResetPasswordView as FabResetPasswordView
from flask_appbuilder.security.views import RoleModelView as FabRoleModelView
from flask_appbuilder.security.views import UserGroupModelView as FabUserGroupModelView
from flask_appbuilder.security.views import UserDBModelView as FabUserDBModelView
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_appbuilder.views import expose
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import inspect, select
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from ..domain.vocabulary import POSITIONS, ROLES
from ..errors import DomainError
from ..extensions import db
from ..i18n import label, lazy_labels
from ..ids import row_id
from . import user_staff
from .admin_rules import (
    acting_user,
    admin_only_refusal,
    builtin_refusal,
    combines_appeal_and_handling,
    is_administrator,
    is_builtin,
    last_admin_refusal,
    other_active_admins,
    refuse_admin_changes_by_non_admin,
    refuse_losing_last_admin,
    separation_refusal,
)
from .roles import ADMIN, ROLE_NAMES
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


def role_label(role) -> str:
    """A role as the pages show it: a built-in role by its Chinese name, a custom role by its own."""
    return label(ROLES, role.name) if role is not None else ""


def _roles_text(roles) -> str:
    return "、".join(role_label(role) for role in (roles or [])) or "—"


def _yes_no(value) -> str:
    return gettext("Yes") if value else gettext("No")


def _assignable_roles():
    """Every role but FAB's anonymous one (``AUTH_ROLE_PUBLIC``): built-in roles first, in the
    table's order, then custom roles by name."""
    public = current_app.config.get("AUTH_ROLE_PUBLIC", "Public")
    query = select(Role).where(Role.name != public)
    if not is_administrator(acting_user()):  # a user manager grants no more than it holds
        query = query.where(Role.name != ADMIN)
    roles = db.session.execute(query).scalars().all()
    order = {name: index for index, name in enumerate(ROLE_NAMES)}
    return sorted(roles, key=lambda role: (order.get(role.name, len(order)), role.name))


def _edited_user_id():
    """The id of the user an edit form is about (from the URL), or None on the add form."""
    return row_id((request.view_args or {}).get("pk")) if has_request_context() else None


def _staff_for_form():
    return user_staff.linkable_staff(_edited_user_id())


def _roles_required(form, field):
    if not field.data:
        raise ValidationError(gettext("Choose at least one role."))


def _was_active_admin(user_id):
    user = db.session.get(User, user_id) if user_id is not None else None
    return user is not None and bool(user.active) and any(role.name == ADMIN for role in user.roles)


def _keeps_an_active_admin_on_deactivation(form, field):
    """Issue 20: the last active administrator is not deactivated (beside 启用)."""
    user_id = getattr(form, "_id", None)
    if not field.data and _was_active_admin(user_id) and other_active_admins(user_id) == 0:
        raise ValidationError(last_admin_refusal())


def _keeps_an_active_admin_on_roles(form, field):
    """Issue 20: the last active administrator keeps the Admin role (beside 角色)."""
    user_id = getattr(form, "_id", None)
    active = form.active.data if "active" in form else True
    if (active and not any(role.name == ADMIN for role in (field.data or []))
            and _was_active_admin(user_id) and other_active_admins(user_id) == 0):
        raise ValidationError(last_admin_refusal())


class _StaffLinkCheck:
    """Runs ``user_staff.problems`` once per form and reports each message beside its own field."""

    def __init__(self, field_name):
        self.field_name = field_name

    def __call__(self, form, field):
        if field.errors:  # not a choice the list offers: said already
            return
        found = getattr(form, "_staff_problems", None)
        if found is None:
            found = user_staff.problems(
                form.staff_mode.data, user_id=getattr(form, "_id", None), staff=form.staff_record.data,
                employee_no=form.employee_no.data, unit=form.staff_unit.data, position=form.staff_position.data,
            )
            form._staff_problems = found
        message = found.get(self.field_name)
        if message:
            raise ValidationError(message)


_NAME_VALIDATORS = [DataRequired(), Length(max=64)]
_EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an e-mail address such as wang@example.cn."))


class UserDBModelView(_UserPagesWithoutDuplicates):
    """One form for a login and its staff record (issue 20 item 4).

    - names in Chinese order: 姓 (FAB's ``last_name``) before 名 (``first_name``); shown joined;
    - roles by their Chinese names (FAB's anonymous role is not offered), at least one;
    - the staff record: none, an existing one without a login, or a new one in a unit and position
      chosen from lists (``user_staff``); every problem is shown beside its field, values kept;
    - "must change the password at the next login" (``must_change_password``);
    - the last active administrator cannot be deactivated or lose Admin — refused beside the field
      here, and again before saving (``refuse_losing_last_admin``) for any other path;
    - after saving, the user list.

    The class keeps FAB's name: its permissions and URLs stay as they are."""

    list_title = _l("Users")
    show_title = _l("User")
    add_title = _l("Add user")
    edit_title = _l("Edit user")

    label_columns = {
        "get_full_name": _l("Name"),
        "last_name": _l("Family name (姓)"),
        "first_name": _l("Given name (名)"),
        "username": _l("Username"),
        "email": _l("E-mail"),
        "active": _l("Active"),
        "roles": _l("Roles"),
        "groups": _l("Groups"),
        "password": _l("Password"),
        "conf_password": _l("Confirm the password"),
        "must_change_password": _l("Must change the password at the next login"),
        "staff_records": _l("Staff record"),
        "staff_mode": _l("Staff record"),
        "staff_record": _l("Existing staff record"),
        "employee_no": _l("Employee number"),
        "staff_unit": _l("Unit"),
        "staff_position": _l("Position"),
        "last_login": _l("Last login"),
        "login_count": _l("Logins"),
        "fail_login_count": _l("Failed logins"),
        "created_on": _l("Created on"),
        "created_by": _l("Created by"),
        "changed_on": _l("Changed on"),
        "changed_by": _l("Changed by"),
    }
    description_columns = {
        "last_name": _l("The family name, written first: for 王小明, 王."),
        "first_name": _l("The given name: for 王小明, 小明."),
        "username": _l("The name typed at the login (letter case does not matter)."),
        "email": _l("Each user has their own address."),
        "active": _l("Someone who leaves is deactivated, not deleted: the cases and logs keep their name. "
                     "A deactivated user cannot log in."),
        "roles": _l("What the user may do. Built-in roles are fixed; custom roles are built under "
                    "Security → Roles."),
        "must_change_password": _l("At the next login the user must choose a new password before doing "
                                   "anything else."),
        "staff_mode": _l("A user who handles complaints needs a staff record: its unit decides which cases the "
                         "user sees."),
        "staff_record": _l("Only staff records without a login are offered."),
        "employee_no": _l("For a new staff record: the employee number, unique."),
        "staff_unit": _l("For a new staff record: the unit the person works in."),
        "staff_position": _l("For a new staff record: the position."),
    }

    list_columns = ["get_full_name", "username", "roles", "staff_records", "active", "must_change_password"]
    show_fieldsets = [
        (_l("User info"), {"fields": ["username", "active", "must_change_password", "roles", "login_count"]}),
        (_l("Personal info"), {"fields": ["last_name", "first_name", "email", "staff_records"], "expanded": True}),
        (_l("Audit info"), {"fields": ["last_login", "fail_login_count", "created_on", "created_by",
                                       "changed_on", "changed_by"], "expanded": False}),
    ]
    user_show_fieldsets = [
        (_l("User info"), {"fields": ["username", "roles", "login_count"]}),
        (_l("Personal info"), {"fields": ["last_name", "first_name", "email", "staff_records"], "expanded": True}),
    ]
    search_columns = ["username", "last_name", "first_name", "email", "active", "roles", "must_change_password"]
    search_form_extra_fields = {
        "roles": QuerySelectField(_l("Roles"), query_func=_assignable_roles, get_pk_func=lambda role: role.id,
                                  get_label=role_label, widget=Select2Widget()),
    }
    order_columns = ["username", "last_name", "first_name", "email", "active"]

    _staff_columns = ["staff_mode", "staff_record", "employee_no", "staff_unit", "staff_position"]
    add_columns = ["last_name", "first_name", "username", "email", "password", "conf_password", "roles", "active",
                   "must_change_password", *_staff_columns]
    edit_columns = ["last_name", "first_name", "username", "email", "roles", "active", "must_change_password",
                    *_staff_columns]

    formatters_columns = {
        "active": _yes_no,
        "must_change_password": _yes_no,
        "roles": _roles_text,
        "groups": lambda groups: "、".join(group.label or group.name for group in (groups or [])) or "—",
        "staff_records": lambda records: "、".join(user_staff.staff_label(r) for r in (records or [])) or "—",
        "login_count": lambda value: value or 0,
        "fail_login_count": lambda value: value or 0,
        "last_login": lambda value: value.strftime("%Y-%m-%d %H:%M") if value else "—",
        "created_on": lambda value: value.strftime("%Y-%m-%d %H:%M") if value else "—",
        "changed_on": lambda value: value.strftime("%Y-%m-%d %H:%M") if value else "—",
        "created_by": lambda value: value.get_full_name() if value is not None else "—",
        "changed_by": lambda value: value.get_full_name() if value is not None else "—",
    }

    validators_columns = {
        **_UserPagesWithoutDuplicates.validators_columns,
        "last_name": _NAME_VALIDATORS,
        "first_name": _NAME_VALIDATORS,
        "username": [DataRequired(), Length(max=128), *_UserPagesWithoutDuplicates.validators_columns["username"]],
        "email": [DataRequired(), Length(max=320), _EMAIL, *_UserPagesWithoutDuplicates.validators_columns["email"]],
    }

    _shared_extra_fields = {
        "roles": QuerySelectMultipleField(
            _l("Roles"), query_func=_assignable_roles, get_pk_func=lambda role: role.id, get_label=role_label,
            widget=Select2ManyWidget(), validators=[_roles_required, _keeps_an_active_admin_on_roles],
        ),
        "active": BooleanField(_l("Active"), default=True, validators=[_keeps_an_active_admin_on_deactivation]),
        "must_change_password": BooleanField(_l("Must change the password at the next login"), default=False),
        "staff_mode": SelectField(_l("Staff record"), choices=list(user_staff.MODES.items()), default=user_staff.NONE,
                                  widget=Select2Widget(),
                                  validators=[_StaffLinkCheck("staff_mode")]),
        "staff_record": QuerySelectField(
            _l("Existing staff record"), query_func=_staff_for_form, get_pk_func=lambda staff: staff.id,
            get_label=user_staff.staff_label, allow_blank=True, blank_text="—", widget=Select2Widget(),
            validators=[_StaffLinkCheck("staff")],
        ),
        "employee_no": StringField(_l("Employee number"), filters=[lambda v: v.strip() if isinstance(v, str) else v],
                                   widget=BS3TextFieldWidget(), validators=[_StaffLinkCheck("employee_no")]),
        "staff_unit": QuerySelectField(
            _l("Unit"), query_func=user_staff.unit_choices, get_pk_func=lambda unit: unit.id,
            get_label=lambda unit: unit.name, allow_blank=True, blank_text="—", widget=Select2Widget(),
            validators=[_StaffLinkCheck("unit")],
        ),
        "staff_position": SelectField(_l("Position"), choices=list(lazy_labels(POSITIONS).items()),
                                      default="counter_staff", widget=Select2Widget(),
                                      validators=[_StaffLinkCheck("position")]),
    }
    add_form_extra_fields = {
        **_UserPagesWithoutDuplicates.add_form_extra_fields,
        "password": PasswordField(
            _l("Password"), widget=BS3PasswordFieldWidget(),
            description=_l("At least 10 characters, with at least three of: upper-case letters, lower-case "
                           "letters, digits, symbols."),
            validators=[DataRequired(), PasswordComplexityValidator()],
        ),
        "conf_password": PasswordField(
            _l("Confirm the password"), widget=BS3PasswordFieldWidget(),
            description=_l("Type the password again."),
            validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
        ),
        **_shared_extra_fields,
    }
    edit_form_extra_fields = _shared_extra_fields

    # ---- the form around the staff record

    def prefill_form(self, form, pk):
        """The edit form opens with the staff record the user holds."""
        record = user_staff.linked_staff(db.session.get(User, row_id(pk)))
        form.staff_mode.data = user_staff.EXISTING if record is not None else user_staff.NONE
        form.staff_record.data = record

    def _link_staff(self, item):
        """Apply the staff choice the form left on ``item`` (FAB's ``populate_obj`` copies every field)."""
        mode = getattr(item, "staff_mode", None)
        if mode is None:
            return
        found = user_staff.problems(mode, user_id=item.id, staff=getattr(item, "staff_record", None),
                                    employee_no=getattr(item, "employee_no", None),
                                    unit=getattr(item, "staff_unit", None), position=getattr(item, "staff_position", None))
        if found:  # the form checked this a moment ago: only a concurrent change gets here
            _refuse(next(iter(found.values())))
        user_staff.apply(item, mode, staff=getattr(item, "staff_record", None),
                         employee_no=getattr(item, "employee_no", None), unit=getattr(item, "staff_unit", None),
                         position=getattr(item, "staff_position", None), name=user_staff.full_name(item))

    def pre_add(self, item):
        try:
            refuse_admin_changes_by_non_admin(item)
        except DomainError as error:
            _refuse(str(error))
        super().pre_add(item)
        self._link_staff(item)

    def pre_update(self, item):
        try:
            refuse_admin_changes_by_non_admin(item)
            refuse_losing_last_admin(item)
        except DomainError as error:
            _refuse(str(error))
        super().pre_update(item)
        self._link_staff(item)

    def pre_delete(self, item):
        try:
            refuse_admin_changes_by_non_admin(item, deleting=True)
            refuse_losing_last_admin(item, deleting=True)
        except DomainError as error:
            _refuse(str(error))
        super().pre_delete(item)

    # ---- after saving: the list

    def _list_redirect(self):
        return redirect(url_for(f"{type(self).__name__}.list"))

    def post_add_redirect(self):
        return self._list_redirect()

    def post_edit_redirect(self):
        return self._list_redirect()

    def post_delete_redirect(self):
        return self._list_redirect()


class UserGroupModelView(FabUserGroupModelView):
    """FAB's group pages with roles and members named in Chinese, not as Python lists
    (``[Admin]``). Keeps FAB's name."""

    formatters_columns = {
        "roles": _roles_text,
        "users": lambda users: "、".join(f"{user.get_full_name()}({user.username})" for user in (users or [])) or "—",
    }


class AdminResetPasswordForm(DynamicForm):
    """An administrator sets another user's password; by default the user must change it at the
    next login (the administrator knows it)."""

    password = PasswordField(
        _l("New password"), widget=BS3PasswordFieldWidget(),
        description=_l("At least 10 characters, with at least three of: upper-case letters, lower-case letters, "
                       "digits, symbols."),
        validators=[DataRequired(), PasswordComplexityValidator()],
    )
    conf_password = PasswordField(
        _l("Confirm the new password"), widget=BS3PasswordFieldWidget(), description=_l("Type the new password again."),
        validators=[EqualTo("password", message=_l("The two new passwords differ."))],
    )
    must_change_password = BooleanField(
        _l("Must change the password at the next login"), default=True,
        description=_l("Recommended: you know this password, the user should not keep it."),
    )


class ResetPasswordView(FabResetPasswordView):
    """FAB's administrator reset of another user's password (``/resetpassword/form?pk=…``), with the
    forced change at the next login; an unknown user is a 404, not a failure. Keeps FAB's name."""

    form = AdminResetPasswordForm
    form_title = _l("Set a new password")

    def _target(self):
        """The user whose password is set; 404 when there is none, 403 for an administrator's
        account when the one resetting is not an administrator."""
        user = db.session.get(User, row_id(request.args.get("pk"))) if row_id(request.args.get("pk")) else None
        if user is None:
            abort(404)
        if is_administrator(user) and not is_administrator(acting_user()):
            flash(admin_only_refusal(), "danger")
            abort(403)
        return user

    @expose("/form", methods=["GET"])
    @has_access
    def this_form_get(self):
        self._target()
        return super().this_form_get()

    @expose("/form", methods=["POST"])
    @has_access
    def this_form_post(self):
        self._target()
        return super().this_form_post()

    def form_post(self, form):
        user = self._target()
        self.appbuilder.sm.reset_password(user.id, form.password.data,
                                          must_change=bool(form.must_change_password.data))
        flash(gettext("The password of %(name)s was changed.", name=user.username), "info")
        return redirect(url_for(f"{self.appbuilder.sm.userdbmodelview.__name__}.show", pk=user.id))


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
