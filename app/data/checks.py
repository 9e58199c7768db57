"""The domain checks FAB's generic add, edit and delete pass first (pages and API alike)."""
from ..errors import DomainError
from ..extensions import db


class DomainChecks:
    """Mixin for a FAB ModelView or ModelRestApi: ``check_item`` runs before an add or an edit,
    ``check_delete`` before a delete. A failed check rolls the session back (nothing half-changed
    survives) and raises the translated domain error for the page or API to answer."""

    check_item = None
    check_delete = None

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
