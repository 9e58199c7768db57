"""FAB filters that apply the scope rule to every list, show, edit and API read."""
from flask import g
from flask_appbuilder.models.filters import BaseFilter

from .scope import complaint_clause


class ComplaintScopeFilter(BaseFilter):
    """``base_filters = [["id", ComplaintScopeFilter, lambda: None]]`` — the caller's scope."""

    name = "scope"
    arg_name = None

    def apply(self, query, value):
        model = self.datamodel.obj
        return query.filter(complaint_clause(getattr(g, "user", None), model))
