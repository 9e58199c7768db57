"""Shared glue for this application's FAB ModelViews."""
from flask_appbuilder import ModelView

from ..errors import DomainError
from ..extensions import db


class CheckedModelView(ModelView):
    """A ModelView whose saves and deletes pass a domain check first.

    A failed check rolls the session back (nothing half-changed survives) and FAB flashes the
    translated message. Subclasses set ``check_item`` and optionally ``check_delete``.
    """

    check_item = None
    check_delete = None
    # No bulk actions and no file columns here: FAB's action dispatch and file download routes
    # would only be attack surface (the download route even fails without UPLOAD_FOLDER).
    exclude_route_methods = {"download", "action", "action_post"}

    def _run(self, check, item):
        if check is None:
            return
        try:
            check(item)
        except DomainError:
            db.session.rollback()
            raise

    def pre_add(self, item):
        self._run(type(self).check_item, item)

    def pre_update(self, item):
        self._run(type(self).check_item, item)

    def pre_delete(self, item):
        self._run(type(self).check_delete, item)
