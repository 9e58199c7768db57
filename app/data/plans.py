"""Query plans: how the complaint pages read a scope fast at a million cases, beside the scope
rule itself (``security.scope``), which says *which* cases; this module only chooses *how*.

- ``scope_count``: a list's total without collecting the scope's ids (one count per way);
- ``walks_in_order``: from how many matching cases a page walks the list's order, testing each
  case against the scope, instead of fetching and sorting every case of the scope;
- ``newest_candidates``: the few ids among which a page in order of receipt lies.

Every plan returns the same rows as the plain scope clause (tests/web/test_list_scope_plans.py).
"""
from sqlalchemy import func, select, true, union_all

from ..extensions import db
from ..models.complaint import Complaint
from ..security.scope import ways

ORDERED_SCAN_FROM = 2000  # matching cases from which a page walks the list's order
CANDIDATE_DEPTH_AT_MOST = 250  # pages deeper than this walk the list's order


def walks_in_order(count: int) -> bool:
    """Whether a page of ``count`` matching cases walks the list's order (see the module doc):
    a page of many matching cases is found faster by walking the list's order and testing each
    case against the scope than by fetching and sorting all of them (a branch head at a million
    cases: 15k of them); a page of few cases the other way round."""
    return count > ORDERED_SCAN_FROM


STREAMS_AT_MOST = 16  # more units than this: the page walks the list's order instead


def newest_candidates(user, model, descending: bool, depth: int):
    """The ids among which the first ``depth`` cases of ``user``'s scope in order of receipt
    lie, or ``None`` when the scope has no such form.

    Each way of reaching a case, unit by unit, gives its own first ``depth`` cases from an
    index ordered by the date of receipt: (branch, received) and (handling unit, received). Every
    case among the scope's first ``depth`` is among its own way's first ``depth``, so a page
    needs only these few candidates (at most ways × units × depth), wherever in the table the
    scope's newest cases lie. Only the branch head's ways have such indexes; the other ways
    reach few cases and are read whole."""
    reached = ways(user, model)
    if not reached or not any(way.streams for way in reached):
        return None
    conditions = [condition for way in reached for condition in (way.streams or (way.where,))]
    if len(conditions) > STREAMS_AT_MOST:
        return None
    order = (model.received_at.desc(), model.id.desc()) if descending else (model.received_at, model.id)
    firsts = [select(model.id).where(condition).order_by(*order).limit(depth).subquery() for condition in conditions]
    return union_all(*[select(first.c.id) for first in firsts])


def scope_count_select(user):
    """The statement counting the complaints ``user`` may see; ``None`` when it sees every
    complaint and ``False`` when it sees none.

    Each way counts only the cases no earlier way reached, so the counts add up without
    collecting the ids (a branch head at a million cases: its branch's cases from one index,
    the cases it handles for other branches from another, each read alone: 4.6 → 1.6 ms)."""
    reached = ways(user, Complaint)
    if reached is None:
        return None
    if not reached:
        return False
    counts = []
    for position, current in enumerate(reached):
        not_earlier = [earlier.where.is_not(true()) for earlier in reached[:position]]
        counts.append(select(func.count()).select_from(Complaint)
                      .where(current.where, *not_earlier).scalar_subquery())
    return select(sum(counts[1:], counts[0]))


def scope_count(user):
    """How many complaints ``user`` may see (``scope_count_select``), ``None`` when it sees
    every complaint."""
    statement = scope_count_select(user)
    if statement is None:
        return None
    if statement is False:
        return 0
    return db.session.execute(statement).scalar_one()


def read_by_index(query, index):
    """``query`` (a select of the complaint table) read through the index named ``index`` on
    SQLite (``INDEXED BY``; None: as the planner chooses). SQLite chooses between indexes by the
    statistics ``ANALYZE`` sampled; with a status fixed, several indexes start with the part's
    equalities and it may walk one in the order asked while testing millions of rows. The to-do's
    parts name the index whose columns are their equalities and then their order, so each reads
    about as many rows as the page needs whatever the statistics. PostgreSQL keeps its planner
    (its statistics are per column and its plans of these parts were right)."""
    if index is None:
        return query
    return query.with_hint(Complaint, f"INDEXED BY {index}", dialect_name="sqlite")

