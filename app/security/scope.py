"""The one row-scope rule (domain.md §1).

A user is linked to one staff record and that to one organisation unit; the user's scope is
that unit and everything below it. Roles in ``GLOBAL_SCOPE_ROLES`` see the whole organisation.
A user with no staff record and no global role sees nothing.
"""
from dataclasses import dataclass
from typing import FrozenSet, Optional

from flask import g, has_request_context
from sqlalchemy import select

from ..extensions import db
from ..models import OrgUnit, Staff
from .roles import GLOBAL_SCOPE_ROLES


@dataclass(frozen=True)
class Scope:
    """What part of the organisation a user may see: everything, or a set of unit ids."""

    everything: bool
    unit_ids: FrozenSet[int]

    def covers(self, unit_id: Optional[int]) -> bool:
        """True when ``unit_id`` lies inside this scope."""
        return self.everything or (unit_id is not None and unit_id in self.unit_ids)


NOTHING = Scope(False, frozenset())
EVERYTHING = Scope(True, frozenset())


def _children_map():
    """Parent id → child ids for the whole (small) organisation tree, cached per request."""
    if has_request_context() and "_org_children" in g:
        return g._org_children
    children = {}
    for unit_id, parent_id in db.session.execute(select(OrgUnit.id, OrgUnit.parent_id)):
        children.setdefault(parent_id, []).append(unit_id)
    if has_request_context():
        g._org_children = children
    return children


def subtree_ids(unit_id: int) -> FrozenSet[int]:
    """``unit_id`` and the ids of every unit below it."""
    children = _children_map()
    seen = set()
    stack = [unit_id]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        stack.extend(children.get(current, ()))
    return frozenset(seen)


def staff_of(user) -> Optional[Staff]:
    """The active staff record linked to ``user``, if any."""
    if user is None or not getattr(user, "id", None):
        return None
    return db.session.execute(
        select(Staff).where(Staff.user_id == user.id, Staff.active.is_(True))
    ).scalar_one_or_none()


def role_names(user) -> set:
    """Names of the user's roles (empty for anonymous users)."""
    return {role.name for role in getattr(user, "roles", None) or []}


def scope_of(user) -> Scope:
    """The user's scope: everything for the union's offices, else its unit's subtree."""
    if user is None or not getattr(user, "is_authenticated", False):
        return NOTHING
    if role_names(user) & GLOBAL_SCOPE_ROLES:
        return EVERYTHING
    staff = staff_of(user)
    if staff is None:
        return NOTHING
    return Scope(False, subtree_ids(staff.unit_id))
