"""Shared glue for this application's FAB ModelViews."""
from flask import abort, request
from flask_appbuilder import ModelView

from ..data.checks import DomainChecks


class CheckedModelView(DomainChecks, ModelView):
    """A ModelView whose saves and deletes pass a domain check first (``DomainChecks``); FAB
    flashes the translated message of a failed one."""

    # No bulk actions and no file columns here: FAB's action dispatch and file download routes
    # would only be attack surface (the download route even fails without UPLOAD_FOLDER).
    exclude_route_methods = {"download", "action", "action_post"}


MAX_PAGE_SIZE = 100


def check_list_arguments(view) -> None:
    """Sorting and page size of ``view``'s list only on declared terms: an undeclared sort column,
    a direction other than asc/desc or a page size outside 1..MAX_PAGE_SIZE answers 400 (FAB would
    sort by any column, a hole in scope and masking, or answer 500)."""
    name = view.__class__.__name__
    order = request.args.get(f"_oc_{name}")
    if order is not None and order not in view.order_columns:
        abort(400)
    if request.args.get(f"_od_{name}") not in (None, "asc", "desc"):
        abort(400)
    size = request.args.get(f"psize_{name}")
    if size is not None and (not size.isdigit() or not 0 < int(size) <= MAX_PAGE_SIZE):
        abort(400)
