"""Idempotent role synchronisation: make the database match ``roles.ROLE_PERMISSIONS``.

Only the seven built-in roles (and Public) are set. Custom roles (models/custom_role.py) are
left as they are, except that a capability a new version renamed (``capabilities.RENAMED``) is
migrated: the stored code follows the rename and the role keeps what it granted; and a pair a new
version adds to every role's base (``capabilities.BASE``, e.g. one's own notifications, issue 23)
is added to each custom role that lacks it. Nothing is ever taken away from a custom role.
"""
from flask_appbuilder.security.sqla.models import PermissionView

from ..extensions import db
from .roles import ADMIN, ROLE_NAMES, ROLE_PERMISSIONS


class UnknownPermission(RuntimeError):
    """The role table names a (permission, resource) pair that no view declares."""


def sync_roles(appbuilder) -> dict:
    """Create every view's permissions, then set each role's permissions exactly.

    Run it once per deploy (start-up writes nothing). Returns ``{role: count}``.
    Raises ``UnknownPermission`` (and changes nothing) on a name no view declares.
    """
    sm = appbuilder.sm
    # FAB grants each new permission to the Admin role as it creates it: roles come first.
    for role_name in [*ROLE_NAMES, sm.auth_role_public]:
        if sm.find_role(role_name) is None:
            sm.add_role(role_name)
    appbuilder.add_permissions(update_perms=True)
    sm.security_cleanup(appbuilder.baseviews, appbuilder.menu)

    wanted = {}
    missing = []
    for role_name, pairs in ROLE_PERMISSIONS.items():
        views = []
        for permission_name, view_name in pairs:
            pv = sm.find_permission_view_menu(permission_name, view_name)
            if pv is None:
                missing.append(f"{role_name}: {permission_name} on {view_name}")
            else:
                views.append(pv)
        wanted[role_name] = views
    if missing:
        db.session.rollback()
        raise UnknownPermission("Unknown permissions in the role table:\n  " + "\n  ".join(missing))

    wanted[ADMIN] = db.session.query(PermissionView).all()
    counts = {}
    for role_name in [*ROLE_NAMES, sm.auth_role_public]:
        role = sm.find_role(role_name)
        permissions = wanted.get(role_name, [])
        role.permissions = sorted(set(permissions), key=lambda pv: pv.id)
        counts[role_name] = len(role.permissions)
    migrate_renamed_capabilities(sm)
    add_missing_base(sm)
    db.session.commit()
    return counts


def add_missing_base(sm) -> int:
    """Each custom role gets the ``BASE`` pairs it lacks (a new version added them); nothing else of
    it changes. Returns how many roles gained a pair."""
    from sqlalchemy import select

    from ..models.custom_role import CustomRole
    from . import capabilities as caps

    base = [sm.find_permission_view_menu(name, view) for name, view in caps.BASE]
    base = [pv for pv in base if pv is not None]
    changed = 0
    for custom in db.session.execute(select(CustomRole)).scalars():
        held = {pv.id for pv in custom.role.permissions}
        missing = [pv for pv in base if pv.id not in held]
        if missing:
            custom.role.permissions = [*custom.role.permissions, *missing]
            changed += 1
    return changed


def migrate_renamed_capabilities(sm) -> int:
    """Stored custom roles whose capability codes a new version renamed: codes rewritten and the
    role's permissions re-expanded. Roles without a renamed code are not touched. Returns how
    many roles changed."""
    from sqlalchemy import select

    from ..models.custom_role import CustomRole
    from . import capabilities as caps

    changed = 0
    for custom in db.session.execute(select(CustomRole)).scalars():
        stored = list(custom.capabilities or [])
        if not any(code in caps.RENAMED for code in stored):
            continue
        custom.capabilities = caps.normalise(stored)
        views = []
        for permission_name, view_name in sorted(caps.expand(custom.capabilities)):
            pv = sm.find_permission_view_menu(permission_name, view_name)
            if pv is not None:
                views.append(pv)
        custom.role.permissions = views
        changed += 1
    return changed
