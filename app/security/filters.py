"""FAB filters that apply the scope rule to every list, show, edit and API read."""
from flask import g
from flask_appbuilder.models.filters import BaseFilter

from .request_cache import request_cache
from .scope import complaint_clause

# Set by the complaint list's count (datamodels.ComplaintInterface) for the page query that follows.
ORDERED_SCAN_KEY = "complaint_scope_ordered_scan"


class ComplaintScopeFilter(BaseFilter):
    """``base_filters = [["id", ComplaintScopeFilter, lambda: None]]`` — the caller's scope."""

    name = "scope"
    arg_name = None

    def apply(self, query, value):
        model = self.datamodel.obj
        ordered = request_cache().get(ORDERED_SCAN_KEY, False)
        return query.filter(complaint_clause(getattr(g, "user", None), model, ordered_scan=ordered))
