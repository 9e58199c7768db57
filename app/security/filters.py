"""FAB filters that apply the scope rule to every list, show, edit and API read."""
from contextlib import contextmanager
from contextvars import ContextVar

from flask import g
from flask_appbuilder.models.filters import BaseFilter

from .scope import case_id_clause, complaint_clause

# Whether the query being built walks its own order and tests each case against the scope
# (``complaint_clause(ordered_scan=True)``). Off unless a list's plan turns it on for its page
# query (``data.interfaces.ComplaintInterface.query``).
_ORDERED_SCAN = ContextVar("complaint_scope_ordered_scan", default=False)


@contextmanager
def scan_in_order(on: bool):
    """Within the block, ``ComplaintScopeFilter`` tests walked cases against the scope when ``on``."""
    token = _ORDERED_SCAN.set(bool(on))
    try:
        yield
    finally:
        _ORDERED_SCAN.reset(token)


class ComplaintScopeFilter(BaseFilter):
    """``base_filters = [["id", ComplaintScopeFilter, lambda: None]]`` — the caller's scope."""

    name = "scope"
    arg_name = None

    def apply(self, query, value):
        model = self.datamodel.obj
        return query.filter(complaint_clause(getattr(g, "user", None), model, ordered_scan=_ORDERED_SCAN.get()))


class CaseRecordScopeFilter(BaseFilter):
    """``base_filters = [["complaint_id", CaseRecordScopeFilter, lambda: None]]`` — a record of a
    case (a ruling) is seen exactly when its case is (``scope.case_id_clause``)."""

    name = "case scope"
    arg_name = None

    def apply(self, query, value):
        return query.filter(case_id_clause(getattr(g, "user", None), self.datamodel.obj.complaint_id))
