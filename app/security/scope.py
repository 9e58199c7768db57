"""The one row-scope rule (domain.md §1).

A user is linked to one staff record and that to one organisation unit; the user's scope is
that unit and everything below it. Roles in ``GLOBAL_SCOPE_ROLES`` see the whole organisation.
A user with no staff record and no global role sees nothing.
"""
from dataclasses import dataclass
from typing import FrozenSet, Optional


from sqlalchemy import false, or_, select, true, union

from ..extensions import db
from ..models import OrgUnit, Staff
from ..workflow import states
from .request_cache import request_cache
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


def all_units():
    """Every unit of the (small) organisation tree in code order: one statement per request,
    shared by the scope rule, the unit filters and the unit choices of the forms."""
    memo = request_cache()
    if "org_units" not in memo:
        memo["org_units"] = db.session.execute(select(OrgUnit).order_by(OrgUnit.code)).scalars().all()
    return memo["org_units"]


def _children_map():
    """Parent id → child ids for the whole organisation tree, cached per request."""
    memo = request_cache()
    if "org_children" not in memo:
        children = {}
        for unit in all_units():
            children.setdefault(unit.parent_id, []).append(unit.id)
        memo["org_children"] = children
    return memo["org_children"]


def ancestor_ids(unit_id: Optional[int]) -> FrozenSet[int]:
    """``unit_id`` and every unit above it (empty for None)."""
    parents = {}
    for parent_id, children in _children_map().items():
        for child in children:
            parents[child] = parent_id
    seen = set()
    current = unit_id
    while current is not None and current not in seen:
        seen.add(current)
        current = parents.get(current)
    return frozenset(seen)


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
    memo = request_cache().setdefault("staff_of", {})
    if user.id not in memo:
        memo[user.id] = db.session.execute(
            select(Staff).where(Staff.user_id == user.id, Staff.active.is_(True))
        ).scalar_one_or_none()
    return memo[user.id]


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


# Roles that see every complaint (identity masked unless masking.sees_identity says otherwise).
ALL_COMPLAINTS_ROLES = {"Admin", "DisciplineOffice", "Committee", "Leadership"}


def sees_every_complaint(user) -> bool:
    """Whether ``complaint_clause`` is no restriction for ``user``."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(role_names(user) & ALL_COMPLAINTS_ROLES)


def ruled_staff_ids(staff_id):
    """The ids of the complaints whose ruling holds ``staff_id`` responsible (§17)."""
    from ..models.ruling import ruled_staff

    return select(ruled_staff.c.complaint_id).where(ruled_staff.c.staff_id == staff_id)


def scope_ids(user):
    """The ids of the complaints ``user`` may see as one select (a union of one id query per
    way of reaching a case, each on its own index), ``None`` when ``user`` sees every complaint
    and ``False`` when it sees none. See ``complaint_clause`` for the rule."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if sees_every_complaint(user):
        return None
    names = role_names(user)
    staff = staff_of(user)
    # (One OR across columns and a subquery would make the database read every case to count a
    # branch head's list: 355 ms at a million.)
    from ..models.complaint import Complaint

    parts = []
    if "BranchHead" in names and staff is not None:
        units = sorted(subtree_ids(staff.unit_id))
        not_about_me = or_(Complaint.respondent_staff_id.is_(None), Complaint.respondent_staff_id != staff.id)
        parts.append(select(Complaint.id).where(Complaint.branch_id.in_(units), not_about_me))
        parts.append(select(Complaint.id).where(Complaint.handling_unit_id.in_(units), not_about_me))
    if "CounterStaff" in names:
        parts.append(select(Complaint.id).where(Complaint.created_by_id == user.id))
        if staff is not None:
            parts.append(select(Complaint.id).where(Complaint.handler_id == staff.id))
    if "ReRulingBody" in names:
        parts.append(select(Complaint.id).where(Complaint.reruling_status.in_((states.RERULING_REQUESTED, states.RERULING_DECIDED))))
        if staff is not None:
            parts.append(select(Complaint.id).where(Complaint.appeal_unit_id.in_(sorted(subtree_ids(staff.unit_id)))))
    if staff is not None:
        parts.append(ruled_staff_ids(staff.id))
    if not parts:
        return False
    return parts[0] if len(parts) == 1 else union(*parts)


def complaint_clause(user, complaint_model, ordered_scan=False):
    """The SQL condition selecting the complaints ``user`` may see (domain.md §1, issue 6).

    - Admin, DisciplineOffice, Committee, Leadership: every complaint;
    - BranchHead: complaints against, or handled by, a unit of its subtree — except a complaint
      that names the branch head itself (it goes to the discipline office);
    - CounterStaff: complaints it registered or that are assigned to it;
    - ReRulingBody: complaints with a re-ruling request, and appeals sent to its unit (§14, §17);
    - any staff member: the complaints whose ruling holds it responsible (§17);
    - anyone else (and a login without an active staff record): none.

    ``ordered_scan``: test membership in the scope while the query walks its own order (for a
    page of a large scope), instead of fetching every case of the scope and sorting them.
    """
    ids = scope_ids(user)
    if ids is None:
        return true()
    if ids is False:
        return false()
    if ordered_scan:
        # "+ 0": the id is a value to test, not a key to look rows up by. "IS TRUE": PostgreSQL
        # then tests it against the scope's ids hashed once (a hashed SubPlan); a bare IN is
        # pulled up into a join that compared every walked row with every id (2.4 s for a
        # branch head at a million cases, 42 ms this way). SQLite plans both alike.
        return (complaint_model.id + 0).in_(ids).is_(true())
    return complaint_model.id.in_(ids)


def clauses_for_ruled_staff(complaint_model, staff_id):
    """Complaints whose ruling holds ``staff_id`` responsible."""
    return complaint_model.id.in_(ruled_staff_ids(staff_id))
