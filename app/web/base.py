"""Shared glue for this application's FAB ModelViews."""
from flask_appbuilder import ModelView

from ..data.checks import DomainChecks


class CheckedModelView(DomainChecks, ModelView):
    """A ModelView whose saves and deletes pass a domain check first (``DomainChecks``); FAB
    flashes the translated message of a failed one."""

    # No bulk actions and no file columns here: FAB's action dispatch and file download routes
    # would only be attack surface (the download route even fails without UPLOAD_FOLDER).
    exclude_route_methods = {"download", "action", "action_post"}
