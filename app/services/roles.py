"""Custom roles (issue 20): the one change path of a role built from capabilities.

``save`` creates or changes one: the FAB role's permissions are set to exactly the capabilities'
expansion (security/capabilities.py), and the capability codes, scope and identity flag are kept
beside it (models/custom_role.py). Built-in roles are refused; so is a set that decides appeals
and handles cases (§14). Every change lands in the admin audit (ops/observability.py) in the same
transaction.
"""
from flask import current_app
from flask_appbuilder.security.sqla.models import Role
from flask_babel import gettext
from sqlalchemy import func, select

from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..ids import row_id
from ..models.custom_role import CustomRole
from ..security import capabilities as caps
from ..security.admin_rules import refuse_builtin, separation_refusal

NAME_MAX = 64
DESCRIPTION_MAX = 200


def _permission_views(pairs):
    sm = current_app.appbuilder.sm
    views = []
    for permission_name, view_name in sorted(pairs):
        pv = sm.find_permission_view_menu(permission_name, view_name)
        if pv is not None:  # a resource this deployment does not register (none today)
            views.append(pv)
    return views


def validate(name, description, codes, scope, shows_identity, role_id=None) -> dict:
    """The checked values, or ValidationFailed with a translated message naming the field."""
    name = (name or "").strip()
    description = (description or "").strip()
    if not name:
        raise ValidationFailed(gettext("Enter the role's name."), field="name")
    if len(name) > NAME_MAX:
        raise ValidationFailed(gettext("The name is too long (at most %(n)d characters).", n=NAME_MAX), field="name")
    if len(description) > DESCRIPTION_MAX:
        raise ValidationFailed(gettext("The description is too long (at most %(n)d characters).",
                                       n=DESCRIPTION_MAX), field="description")
    query = select(Role.id).where(func.lower(Role.name) == name.lower())
    if role_id is not None:
        query = query.where(Role.id != role_id)
    if db.session.execute(query).first() is not None:
        raise ValidationFailed(gettext("A role with this name already exists."), field="name")
    codes = list(codes or [])
    if caps.unknown(codes):
        raise ValidationFailed(gettext("Unknown capability."), field="capabilities")
    codes = caps.normalise(codes)
    if not codes:
        raise ValidationFailed(gettext("Choose at least one capability."), field="capabilities")
    if caps.conflicts(codes):
        raise ValidationFailed(separation_refusal(), field="capabilities")
    if scope not in caps.SCOPES:
        raise ValidationFailed(gettext("Choose the role's scope."), field="scope")
    return dict(name=name, description=description, capabilities=codes, scope=scope,
                shows_identity=bool(shows_identity))


def get(role_id) -> Role:
    role = db.session.get(Role, row_id(role_id)) if row_id(role_id) is not None else None
    if role is None:
        raise NotFound(gettext("Role not found."))
    return role


def save(name, description, codes, scope, shows_identity, role_id=None) -> Role:
    """Create (``role_id`` None) or change a custom role; commit once."""
    role = get(role_id) if role_id is not None else None
    if role is not None:
        refuse_builtin(role)
    values = validate(name, description, codes, scope, shows_identity, role.id if role is not None else None)
    if role is None:
        role = Role(name=values["name"])
        db.session.add(role)
        role.custom = CustomRole()
    elif role.custom is None:
        role.custom = CustomRole()
    role.name = values["name"]
    role.permissions = _permission_views(caps.expand(values["capabilities"]))
    role.custom.description = values["description"]
    role.custom.capabilities = values["capabilities"]
    role.custom.scope = values["scope"]
    role.custom.shows_identity = values["shows_identity"]
    db.session.commit()
    return role


def delete(role_id) -> None:
    """Delete a custom role that nobody holds."""
    from flask_appbuilder.security.sqla.models import Group, User

    role = get(role_id)
    refuse_builtin(role)
    holders = select(func.count()).select_from(User).where(User.roles.any(Role.id == role.id))
    groups = select(func.count()).select_from(Group).where(Group.roles.any(Role.id == role.id))
    if db.session.execute(holders).scalar() or db.session.execute(groups).scalar():
        raise Conflict(gettext("This role is still assigned to users or groups and cannot be deleted. "
                               "Remove it from them first."))
    db.session.delete(role)
    db.session.commit()


def custom_roles():
    """Every custom role with its row, by name."""
    return db.session.execute(select(Role).join(CustomRole).order_by(Role.name)).scalars().all()
