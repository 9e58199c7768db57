"""FAB data interfaces for the complaint pages and API: eager loading and a cheap total."""
from flask import g, has_request_context
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy.orm import selectinload

from .models.complaint import Complaint
from .security.filters import ORDERED_SCAN_KEY, ComplaintScopeFilter
from .security.request_cache import request_cache
from .security.scope import newest_candidates, scope_count
from .services import totals


class EagerInterface(SQLAInterface):
    """SQLAInterface that eager-loads the named relations of its own model's list queries."""

    def __init__(self, obj, session=None, eager=()):
        super().__init__(obj, session)
        self._eager = tuple(eager)

    def apply_all(self, query, *args, **kwargs):
        query = super().apply_all(query, *args, **kwargs)
        if self._eager:
            query = query.options(*[selectinload(getattr(self.obj, name)) for name in self._eager])
        return query


ORDERED_SCAN_FROM = 2000  # matching cases from which a page walks the list's order
CANDIDATE_DEPTH_AT_MOST = 250  # pages deeper than this walk the list's order


class ComplaintInterface(EagerInterface):
    """The complaint list's interface: when nothing narrows the list (no search filter, and a
    role that sees every case), its total is the kept complaint total, not a count over the
    table; a narrower scope alone adds up one count per way of reaching a case
    (``scope.scope_count``); any search filter counts as FAB does (by index)."""

    def __init__(self, session=None, eager=()):
        super().__init__(Complaint, session, eager)

    def query_count(self, query, filters=None, select_columns=None):
        memo = request_cache()
        memo[ORDERED_SCAN_KEY] = False  # the count itself looks the scope's rows up by id
        count = None
        if self._scope_only(filters):
            # The scope alone: each way of reaching a case counted from its own index, or (a
            # role that sees every case) the kept total.
            count = scope_count(getattr(g, "user", None))
            if count is None:
                count = totals.total()
        if count is None:
            count = super().query_count(query, filters, select_columns)
        # A page of many matching cases is found faster by walking the list's order and testing
        # each case against the scope than by fetching and sorting all of them (a branch head at
        # a million cases: 15k of them); a page of few cases the other way round.
        memo[ORDERED_SCAN_KEY] = count > ORDERED_SCAN_FROM
        return count

    def apply_all(self, query, filters=None, order_column="", order_direction="", page=None, page_size=None,
                  *args, **kwargs):
        """A page of a large scope in order of receipt reads its candidates only: each way's
        first cases through its ordered index (``scope.newest_candidates``), however far back
        the scope's newest cases lie. The scope's own condition still applies."""
        depth = ((page or 0) + 1) * (page_size or 0)
        if (order_column == "received_at" and 0 < depth <= CANDIDATE_DEPTH_AT_MOST
                and request_cache().get(ORDERED_SCAN_KEY) and self._scope_only(filters)):
            candidates = newest_candidates(getattr(g, "user", None), self.obj, order_direction != "asc", depth)
            if candidates is not None:
                query = query.filter(self.obj.id.in_(candidates))
        return super().apply_all(query, filters, order_column, order_direction, page, page_size, *args, **kwargs)

    @staticmethod
    def _scope_only(filters) -> bool:
        return (filters is not None and has_request_context()
                and all(isinstance(flt, ComplaintScopeFilter) for flt in filters.filters))

