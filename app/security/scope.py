"""The one row-scope rule (domain.md §1).

A user is linked to one staff record and that to one organisation unit; the user's scope is
that unit and everything below it. Roles in ``GLOBAL_SCOPE_ROLES`` see the whole organisation, as
does a custom role whose scope is ``all`` (capabilities.py); a custom role scoped ``unit`` sees the
cases of its unit's subtree. A user with no staff record and no global role sees nothing.
"""
from dataclasses import dataclass
from typing import FrozenSet, Optional


from sqlalchemy import Boolean, String, and_, any_, false, func, or_, select, true, union_all
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from ..extensions import db
from ..models import OrgUnit, Staff
from .request_cache import request_cache
from .capabilities import SCOPE_ALL
from .roles import GLOBAL_SCOPE_ROLES, ROLE_NAMES


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


def county_ids(unit_id: Optional[int]) -> FrozenSet[int]:
    """The county of ``unit_id``: every unit below the nearest union at or above it (the county union,
    its departments, cooperatives and branches). A union above that one (the municipal or provincial
    union) lies outside. Empty for None or a unit with no union above it."""
    kinds = {unit.id: unit.kind for unit in all_units()}
    parents = {child: parent for parent, children in _children_map().items() for child in children}
    current, seen = unit_id, set()
    while current is not None and current not in seen:
        if kinds.get(current) == "union":
            return subtree_ids(current)
        seen.add(current)
        current = parents.get(current)
    return frozenset()


def staff_of(user) -> Optional[Staff]:
    """The active staff record linked to ``user``, if any."""
    if user is None or not getattr(user, "id", None):
        return None
    memo = request_cache().setdefault("staff_of", {})
    if user.id not in memo:
        state = sa_inspect(user, raiseerr=False)
        if state is not None and "staff_records" not in state.unloaded:
            # Loaded with the user (SecurityManager.get_user_by_id); staff.user_id is unique.
            memo[user.id] = next((staff for staff in user.staff_records if staff.active), None)
        else:
            memo[user.id] = db.session.execute(
                select(Staff).where(Staff.user_id == user.id, Staff.active.is_(True))
            ).scalar_one_or_none()
    return memo[user.id]


def role_names(user) -> set:
    """Names of the user's roles (empty for anonymous users)."""
    return {role.name for role in getattr(user, "roles", None) or []}


def custom_settings(user) -> tuple:
    """(scope, shows_identity) of each custom role ``user`` holds (none for the built-in seven;
    one statement per request otherwise)."""
    return tuple((scope, shows) for scope, shows, _codes in custom_roles_held(user))


def custom_roles_held(user) -> tuple:
    """(scope, shows_identity, capability codes) of each custom role ``user`` holds."""
    roles = [role for role in getattr(user, "roles", None) or [] if role.name not in ROLE_NAMES]
    if not roles:
        return ()
    from ..models.custom_role import CustomRole

    memo = request_cache().setdefault("custom_settings", {})
    key = tuple(sorted(role.id for role in roles))
    if key not in memo:
        rows = db.session.execute(
            select(CustomRole.scope, CustomRole.shows_identity, CustomRole.capabilities)
            .where(CustomRole.role_id.in_(key))
        ).all()
        memo[key] = tuple((scope, bool(shows), tuple(codes or ())) for scope, shows, codes in rows)
    return memo[key]


def custom_scope_everything(user) -> bool:
    """Whether a custom role gives ``user`` the whole organisation."""
    return any(scope == SCOPE_ALL for scope, _shows in custom_settings(user))


def custom_unit_scope(user) -> bool:
    """Whether a custom role gives ``user`` the cases of its unit's subtree."""
    return any(scope != SCOPE_ALL for scope, _shows in custom_settings(user))


def custom_acts_as(user) -> frozenset:
    """The built-in roles whose steps ``user``'s custom roles take (``capabilities.acts_as``)."""
    from .capabilities import acts_as

    found = set()
    for scope, _shows, codes in custom_roles_held(user):
        found |= acts_as(codes, scope)
    return frozenset(found)


def custom_shows_identity(user) -> bool:
    """Whether a custom role of ``user`` shows complainants in full (within its scope)."""
    return any(shows for _scope, shows in custom_settings(user))


def scope_of(user) -> Scope:
    """The user's scope: everything for the union's offices, else its unit's subtree."""
    if user is None or not getattr(user, "is_authenticated", False):
        return NOTHING
    if role_names(user) & GLOBAL_SCOPE_ROLES or custom_scope_everything(user):
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
    return bool(role_names(user) & ALL_COMPLAINTS_ROLES) or custom_scope_everything(user)


def ruled_staff_ids(staff_id):
    """The ids of the complaints whose ruling holds ``staff_id`` responsible (§17)."""
    from ..models.ruling import ruled_staff

    return select(ruled_staff.c.complaint_id).where(ruled_staff.c.staff_id == staff_id)


@dataclass(frozen=True)
class _Way:
    """One way a user reaches cases: the condition on a case row, and the same cases' ids read
    from that condition's own index (for ``ruled_staff`` its link table)."""

    where: object
    ids: object
    # The same cases as conditions each served by an index ordered by the date of receipt
    # (one per unit of a unit list), for ``data.plans.newest_candidates``.
    streams: tuple = ()


def ways(user, model, walk=False):
    """The ways ``user`` reaches cases, largest first; ``None`` when it sees every complaint.
    See ``complaint_clause`` for the rule. ``walk``: the conditions test a case the query has
    already found and use no index (``column + 0``), so the database walks the query's order
    instead of collecting every case of the scope from the indexes and sorting them.
    Built once per request (a list's count and page both need them)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    memo = request_cache().setdefault("scope_ways", {})
    key = (user.id, model, walk)
    if key not in memo:
        memo[key] = _build_ways(user, model, walk)
    return memo[key]


def _build_ways(user, model, walk):
    if sees_every_complaint(user):
        return None
    names = role_names(user)
    staff = staff_of(user)

    def col(name):
        column = getattr(model, name)
        if not walk:
            return column
        return column + ("" if isinstance(column.type, String) else 0)  # ("+" on text: "||")

    def way(condition, streams=None):
        return _Way(condition, select(model.id).where(condition), tuple(streams or ()))

    ways = []
    if ("BranchHead" in names or custom_unit_scope(user)) and staff is not None:
        units = sorted(subtree_ids(staff.unit_id))
        not_about_me = or_(model.respondent_staff_id.is_(None), model.respondent_staff_id != staff.id)
        ways.append(way(and_(col("branch_id").in_(units), not_about_me),
                        [and_(model.branch_id == unit, not_about_me) for unit in units]))
        ways.append(way(and_(col("handling_unit_id").in_(units), not_about_me),
                        [and_(model.handling_unit_id == unit, not_about_me) for unit in units]))
    if "CounterStaff" in names:
        ways.append(way(col("created_by_id") == user.id))
        if staff is not None:
            ways.append(way(col("handler_id") == staff.id))
    if "ReRulingBody" in names and staff is not None:
        # Only the cases brought to its unit: re-ruling requests and appeals addressed to it.
        ways.append(way(col("reruling_unit_id") == staff.unit_id))
        ways.append(way(col("appeal_unit_id") == staff.unit_id))
    if staff is not None:
        ruled = ruled_staff_ids(staff.id)
        ways.append(_Way(col("id").in_(ruled), ruled))
    return ways


def ids_of(reached):
    """The ids of the cases the ways ``reached`` reach as one select: one id query per way, each
    on its own index (an id may come more than once; one OR across columns and a subquery would
    make the database read every case of the table)."""
    return reached[0].ids if len(reached) == 1 else union_all(*[w.ids for w in reached])


def complaint_clause(user, complaint_model, ordered_scan=False):
    """The SQL condition selecting the complaints ``user`` may see (domain.md §1).

    - Admin, DisciplineOffice, Committee, Leadership: every complaint;
    - BranchHead: complaints against, or handled by, a unit of its subtree — except a complaint
      that names the branch head itself (it goes to the discipline office);
    - CounterStaff: complaints it registered or that are assigned to it;
    - ReRulingBody: the re-ruling requests and the appeals addressed to its own unit (§14, §17);
    - any staff member: the complaints whose ruling holds it responsible (§17);
    - anyone else (and a login without an active staff record): none.

    ``ordered_scan``: test each case the query walks in its own order against the conditions
    (for a page of a large scope), instead of collecting the scope's ids and fetching and
    sorting all of them. A branch head's first page at a million cases: 4.6 → 0.4 ms.
    """
    reached = ways(user, complaint_model, walk=ordered_scan)
    if reached is None:
        return true()
    if not reached:
        return false()
    if ordered_scan:
        # "IS TRUE": PostgreSQL then tests the ruled cases' ids hashed once (a hashed SubPlan);
        # a bare IN is pulled up into a join that compares every walked row with every id.
        return or_(*[w.where for w in reached]).is_(true())
    return complaint_model.id.in_(ids_of(reached))


def clauses_for_ruled_staff(complaint_model, staff_id):
    """Complaints whose ruling holds ``staff_id`` responsible (a handful per person)."""
    return _AmongFew(complaint_model.id, ruled_staff_ids(staff_id).scalar_subquery())


class _AmongFew(ColumnElement):
    """SQL: ``column`` is one of the few values ``subquery`` gives. ``IN (…)`` in general; on
    PostgreSQL ``= ANY(ARRAY(…))``: the values are read once (an InitPlan, here from
    ``ruling_staff``'s staff index) and the rows fetched by them. As ``IN (…)`` its planner
    estimated the other conditions of a branch head's re-ruling to-do (open, ruled) as the smaller
    side and scanned every open ruled case for a semi join: 95–177 ms at 1M, 1.2 ms this way."""

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a comparison: no "= 1" where booleans are integers (SQLite)
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("subquery", InternalTraversal.dp_clauseelement)]

    def __init__(self, column, subquery):
        self.column, self.subquery = column, subquery


@compiles(_AmongFew)
def _among_few(element, compiler, **kw):
    return compiler.process(element.column.in_(element.subquery.element), **kw)


@compiles(_AmongFew, "postgresql")
def _among_few_postgresql(element, compiler, **kw):
    return compiler.process(element.column == any_(func.array(element.subquery)), **kw)


def case_id_clause(user, column):
    """The SQL condition that ``column`` (a complaint id, e.g. ``Ruling.complaint_id``) names a
    case ``user`` may see: the complaint scope rule above, applied to a record of a case. Each
    way of reaching a case is read from its own index (``ids_of``)."""
    from ..models.complaint import Complaint

    reached = ways(user, Complaint)
    if reached is None:
        return true()
    if not reached:
        return false()
    return column.in_(ids_of(reached))
