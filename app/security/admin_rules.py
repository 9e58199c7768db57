"""The administration's safety rules (issue 20), shared by the pages, the security API and the
role service:

- the seven built-in roles keep their code-defined permissions: editing or deleting one is refused;
- the last active administrator cannot be removed, demoted or deactivated;
- no role may combine deciding appeals with handling cases (§14), checked on its permissions.
"""
from flask_appbuilder.security.sqla.models import Role, User
from flask_babel import gettext
from sqlalchemy import func, inspect, select

from ..errors import Conflict, PermissionDenied
from ..extensions import db
from . import permissions as p
from .roles import ADMIN, ROLE_NAMES


def is_builtin(role) -> bool:
    return role is not None and role.name in ROLE_NAMES


def builtin_refusal() -> str:
    return gettext("Built-in roles are defined by the system and cannot be changed or deleted. "
                   "Create a custom role instead.")


def refuse_builtin(role, original_name=None) -> None:
    """PermissionDenied (403) when ``role`` is, or was (``original_name``), a built-in role."""
    if is_builtin(role) or (original_name in ROLE_NAMES):
        raise PermissionDenied(builtin_refusal())


def last_admin_refusal() -> str:
    return gettext("This is the last active administrator: it cannot be removed, demoted or deactivated. "
                   "Give another active user the Admin role first.")


def other_active_admins(user_id) -> int:
    """Active users holding Admin other than ``user_id`` (as stored, without flushing)."""
    query = (select(func.count()).select_from(User)
             .where(User.active.is_(True), User.roles.any(Role.name == ADMIN)))
    if user_id is not None:
        query = query.where(User.id != user_id)
    with db.session.no_autoflush:
        return db.session.execute(query).scalar() or 0


def refuse_losing_last_admin(user, deleting=False) -> None:
    """Conflict (409) when the change to ``user`` (already applied to the object, not yet
    flushed) leaves no active administrator."""
    with db.session.no_autoflush:
        stays_admin = (not deleting and bool(user.active)
                       and any(role.name == ADMIN for role in (user.roles or [])))
    if stays_admin:
        return
    if user.id is None:
        return
    if _was_active_admin(user) and other_active_admins(user.id) == 0:
        raise Conflict(last_admin_refusal())


def is_administrator(user) -> bool:
    return user is not None and any(role.name == ADMIN for role in (getattr(user, "roles", None) or []))


def acting_user():
    """The user making the request (web session or API token), or None outside a request."""
    from flask import current_app, has_request_context

    if not has_request_context():
        return None
    user = current_app.appbuilder.sm.current_user
    return user if getattr(user, "is_authenticated", False) else None


def refuse_admin_changes_by_non_admin(user, deleting=False) -> None:
    """PermissionDenied (403) when someone who is not an administrator (a custom role holding
    用户与权限管理) grants the administrator role, or changes, resets or deletes an administrator's
    account: managing users never lets one give oneself or others more than one holds."""
    actor = acting_user()
    if actor is None or is_administrator(actor):
        return
    with db.session.no_autoflush:
        becomes_admin = not deleting and is_administrator(user)
    if becomes_admin or (user.id is not None and _was_admin(user)):
        raise PermissionDenied(admin_only_refusal())


def admin_only_refusal() -> str:
    return gettext("Only an administrator may grant the administrator role or change an administrator's account.")


def _was_admin(user) -> bool:
    roles_history = inspect(user).attrs.roles.history
    if roles_history.has_changes():
        before = list(roles_history.unchanged) + list(roles_history.deleted)
    else:
        before = list(user.roles or [])
    return any(role.name == ADMIN for role in before)


def _was_active_admin(user) -> bool:
    """Whether ``user`` was an active administrator before the pending change."""
    state = inspect(user)
    active_history = state.attrs.active.history
    was_active = active_history.deleted[0] if active_history.deleted else user.active
    roles_history = state.attrs.roles.history
    before = list(roles_history.unchanged) + list(roles_history.deleted) if roles_history.has_changes() else list(user.roles or [])
    return bool(was_active) and any(role.name == ADMIN for role in before)


HANDLING = frozenset(p.can(name) for name in ("accept", "reject", "transfer", "reply", "close"))
DECIDES_APPEALS = p.can("decide_appeal")


def combines_appeal_and_handling(pairs) -> bool:
    """§14: a permission set that both decides appeals and handles cases."""
    names = {name for name, view in pairs if view == p.COMPLAINT}
    return DECIDES_APPEALS in names and bool(names & HANDLING)


def separation_refusal() -> str:
    return gettext("A role cannot both decide appeals and handle cases (accept, transfer, reply, close): "
                   "§14 requires that appeals are decided by someone who did not handle the case.")
