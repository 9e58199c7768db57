"""/api/v1/ruling/: every ruling whose case the caller may see (issue 21), read-only."""
from flask import g
from flask_appbuilder.api import expose, protect, safe
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from ..data import rulings as reads
from ..domain import vocabulary as v
from ..extensions import db
from ..i18n import lazy_labels
from ..ids import row_id
from ..models.ruling import Ruling
from ..security import permissions as p
from ..security.filters import CaseRecordScopeFilter
from ..security.scope import all_units
from .base import DomainApi, PerColumnFilters

class RulingApi(PerColumnFilters, DomainApi):
    """Rulings and re-rulings with their case number, branch, staff held responsible and where
    they stand; scoped like the cases (404 outside the scope); no complainant data."""

    resource_name = "ruling"
    # FAB reads the page's ids only; ``pre_get_list`` loads those rulings with their case and staff.
    datamodel = reads.RulingInterface(eager=())
    class_permission_name = p.RULING
    base_permissions = list(p.RULING_PERMISSIONS)
    method_permission_name = p.RULING_METHODS
    include_route_methods = {"get", "get_list"}
    base_filters = [["complaint_id", CaseRecordScopeFilter, lambda: None]]
    label_columns = lazy_labels(v.RULING_LABELS)
    list_title = _l("Ruling records")
    show_title = _l("Ruling records")

    list_columns = ["id"]
    show_columns = ["id"]
    search_columns = list(reads.SEARCH_COLUMNS)
    order_columns = ["id", *reads.ORDER_COLUMNS]
    base_order = ("ruled_on", "desc")

    def _rows(self, ids):
        all_units()  # the cases' branches then come from the session
        rows = db.session.execute(
            reads.scoped_select(g.user).where(Ruling.id.in_(ids))
            .options(joinedload(Ruling.complaint), selectinload(Ruling.staff))
        ).scalars().all()
        return {row.id: row for row in rows}

    def pre_get_list(self, data):
        """Replace FAB's rows with the ruling as ``data.rulings.ruling_dict`` shows it (same order)."""
        ids = data.get("ids") or []
        by_id = self._rows(ids) if ids else {}
        data["result"] = [reads.ruling_dict(by_id[i]) for i in ids if i in by_id]

    @expose("/<pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk, **kwargs):
        """One ruling; 404 outside the caller's scope.
        ---
        get:
          description: One ruling or re-ruling, with its case number and where it stands; 404 when its case is
            outside the caller's scope.
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: The ruling, content: {application/json: {schema: {type: object}}}}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        ruling_id = row_id(pk)
        found = self._rows([ruling_id]).get(ruling_id) if ruling_id is not None else None
        if found is None:
            return self.response_404()
        return self.response(200, id=found.id, result=reads.ruling_dict(found))
