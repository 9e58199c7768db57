"""/api/v1/complaint/: register, list, get, edit, transitions and timeline (api.md)."""
from flask import request
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import select

from .. import labels
from ..errors import DomainError
from ..extensions import db
from ..models.complaint import Complaint, ComplaintEvent
from ..security import permissions as p
from ..security.filters import ComplaintScopeFilter
from ..services import complaints as svc
from ..services.presenter import complaint_dict, event_dict
from .base import DomainApi


class ComplaintApi(DomainApi):
    """Complaints for the hotline system and scripts; every change goes through the services."""

    resource_name = "complaint"
    datamodel = SQLAInterface(Complaint)
    class_permission_name = p.COMPLAINT
    base_permissions = list(p.COMPLAINT_PERMISSIONS)
    method_permission_name = {
        "get_list": "read",
        "get": "read",
        "info": "read",
        "post": "register",
        "put": "edit",
        "transitions": "read",
        "apply_transition": "read",
        "events": "read",
    }
    exclude_route_methods = {"delete"}
    base_filters = [["id", ComplaintScopeFilter, lambda: None]]
    label_columns = labels.COMPLAINT_LABELS
    list_title = _l("Complaints")
    show_title = _l("Complaint")
    add_title = _l("Register complaint")
    edit_title = _l("Edit complaint")

    list_columns = ["id", "number", "status", "received_at", "due_date"]
    show_columns = list_columns
    add_columns = ["channel", "category", "facts", "customer_request", "disputed_fee"]
    edit_columns = ["category", "facts", "customer_request", "disputed_fee", "complainant_phone", "complainant_address"]
    # Only coded, non-confidential columns filter and sort (issue 6: no recovery of masked values).
    search_columns = [
        "number", "status", "channel", "category", "level", "branch_id", "handling_unit_id", "handler_id",
        "received_at", "due_date", "extension_status", "external_ref",
    ]
    order_columns = ["id", "number", "received_at", "due_date", "status"]
    base_order = ("received_at", "desc")

    def _error(self, error: DomainError):
        db.session.rollback()
        return self.response(error.status, message=error.payload())

    def _json_body(self):
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return None
        return body

    def pre_get_list(self, data):
        """Replace FAB's rows with the scoped, masked representation (same order)."""
        ids = data.get("ids") or []
        if not ids:
            data["result"] = []
            return
        rows = db.session.execute(svc.scoped_select(self._user()).where(Complaint.id.in_(ids))).scalars().all()
        by_id = {row.id: row for row in rows}
        actor = svc.actor_for(self._user())
        today = svc.today()
        data["result"] = [complaint_dict(by_id[i], actor, today) for i in ids if i in by_id]

    @staticmethod
    def _user():
        from flask import g

        return g.user

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk, **kwargs):
        """One complaint, masked for the caller; 404 outside the caller's scope."""
        try:
            complaint = svc.get_for(self._user(), pk)
        except DomainError as error:
            return self._error(error)
        actor = svc.actor_for(self._user())
        return self.response(200, id=complaint.id, result=complaint_dict(complaint, actor, svc.today()))

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def post(self):
        """Register a complaint (201), or return the first one for a repeated external_ref (200)."""
        body = self._json_body()
        if body is None:
            return self.response_400(message=gettext("The request body must be a JSON object."))
        try:
            complaint, created = svc.register(self._user(), body)
        except DomainError as error:
            return self._error(error)
        actor = svc.actor_for(self._user())
        return self.response(201 if created else 200, id=complaint.id,
                             result=complaint_dict(complaint, actor, svc.today()))

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    def put(self, pk):
        """Edit descriptive fields; the body must carry the current ``version``."""
        body = self._json_body()
        if body is None:
            return self.response_400(message=gettext("The request body must be a JSON object."))
        try:
            complaint = svc.edit(self._user(), pk, body)
        except DomainError as error:
            return self._error(error)
        actor = svc.actor_for(self._user())
        return self.response(200, id=complaint.id, result=complaint_dict(complaint, actor, svc.today()))

    @expose("/<int:pk>/transitions", methods=["GET"])
    @protect()
    @safe
    def transitions(self, pk):
        """What the caller may do to this complaint now."""
        try:
            complaint = svc.get_for(self._user(), pk)
        except DomainError as error:
            return self._error(error)
        allowed = svc.available_transitions(self._user(), complaint)
        return self.response(200, result=[{"name": tr.name, "label": gettext(tr.label)} for tr in allowed])

    @expose("/<int:pk>/transitions/<name>", methods=["POST"])
    @protect()
    @safe
    def apply_transition(self, pk, name):
        """Apply one transition: 200 with the updated complaint, or 400/403/404/409."""
        body = self._json_body()
        if body is None:
            return self.response_400(message=gettext("The request body must be a JSON object."))
        try:
            complaint = svc.apply(self._user(), pk, name, body)
        except DomainError as error:
            return self._error(error)
        actor = svc.actor_for(self._user())
        return self.response(200, id=complaint.id, result=complaint_dict(complaint, actor, svc.today()))

    @expose("/<int:pk>/events", methods=["GET"])
    @protect()
    @safe
    def events(self, pk):
        """The case timeline, oldest first."""
        try:
            complaint = svc.get_for(self._user(), pk)
        except DomainError as error:
            return self._error(error)
        rows = db.session.execute(
            select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id)
        ).scalars()
        return self.response(200, result=[event_dict(event) for event in rows])
