"""FAB data interfaces for the complaint pages and API: eager loading and a cheap total."""
from flask import g, has_request_context
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy.orm import selectinload

from .models.complaint import Complaint
from .security.filters import ComplaintScopeFilter
from .security.scope import sees_every_complaint
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


class ComplaintInterface(EagerInterface):
    """The complaint list's interface: when nothing narrows the list (no search filter, and a
    role that sees every case), its total is the kept complaint total, not a count over the
    table; any filter or a narrower scope counts as FAB does (by index)."""

    def __init__(self, session=None, eager=()):
        super().__init__(Complaint, session, eager)

    def query_count(self, query, filters=None, select_columns=None):
        if self._unnarrowed(filters):
            kept = totals.total()
            if kept is not None:
                return kept
        return super().query_count(query, filters, select_columns)

    @staticmethod
    def _unnarrowed(filters) -> bool:
        if filters is None or not has_request_context():
            return False
        if not all(isinstance(flt, ComplaintScopeFilter) for flt in filters.filters):
            return False
        return sees_every_complaint(getattr(g, "user", None))
