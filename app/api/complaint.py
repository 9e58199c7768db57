"""/api/v1/complaint/: register, list, get, edit, transitions and timeline (api.md)."""
from flask import g, request
from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy.orm import joinedload

from ..domain import vocabulary as labels
from ..i18n import lazy_labels
from ..errors import ValidationFailed
from ..data import complaints as reads
from ..data import search
from ..data.interfaces import ComplaintInterface
from ..extensions import db
from ..models.complaint import Complaint
from ..security import permissions as p
from ..security.filters import ComplaintScopeFilter
from ..services import complaints as svc, settings
from ..security.masking import may_search_identity, sees_identity
from ..services.pii import log_identity_search, log_identity_views
from ..services.presenter import carries_identity, complaint_dict, event_dict
from ..domain.payloads import PAYLOADS, EditSchema, RegisterSchema, transition_body
from ..domain.transitions import BY_NAME
from .base import DomainApi, PerColumnFilters, contract_errors

PK = {"in": "path", "name": "pk", "required": True, "schema": {"type": "integer"}}
# 200/201 answers carry the complaint (api.md "GET /api/v1/complaint/<id>").
COMPLAINT_ANSWER = {"content": {"application/json": {"schema": {
    "type": "object", "properties": {"id": {"type": "integer"}, "result": {"type": "object"}}}}}}


class ComplaintApi(PerColumnFilters, DomainApi):
    """Complaints for the hotline system and scripts; every change goes through the services."""

    resource_name = "complaint"
    datamodel = ComplaintInterface()
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
        "todo": "read",
    }
    exclude_route_methods = {"delete"}
    base_filters = [["id", ComplaintScopeFilter, lambda: None]]
    label_columns = lazy_labels(labels.COMPLAINT_LABELS)
    list_title = _l("Complaints")
    show_title = _l("Complaint")
    add_title = _l("Register complaint")
    edit_title = _l("Edit complaint")

    list_columns = ["id", "number", "status", "received_at", "due_date"]
    show_columns = list_columns
    # What POST and PUT really accept: the services' schemas (``_info`` and the OpenAPI document).
    add_model_schema = RegisterSchema()
    edit_model_schema = EditSchema()
    add_columns = list(RegisterSchema._declared_fields)
    edit_columns = list(EditSchema._declared_fields)
    # Coded columns, the case number, the texts, and the identity searches of data/search.py:
    # phone and name only for the roles that may search them, within the cases whose identity
    # they see (no recovery of masked values, §16). Only coded columns sort.
    search_columns = [
        "number", "status", "channel", "category", "level", "branch_id", "handling_unit_id", "handler_id",
        "received_at", "due_date", "extension_status", "external_ref",
        "complainant_phone", "complainant_name", "facts", "phone_shared",
    ]
    order_columns = ["id", "number", "received_at", "due_date", "status"]
    base_order = ("received_at", "desc")

    def _json_body(self):
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ValidationFailed(gettext("The request body must be a JSON object."))
        return body

    def _result(self, complaint, status=200):
        """The complaint as the caller may see it; an answer carrying full identity — a GET, but also
        a registration, an edit or a transition — is written to the identity access log (§16)."""
        actor = svc.actor_for(g.user)
        result = complaint_dict(complaint, actor, svc.today())
        if sees_identity(actor, complaint):
            log_identity_views(g.user, [complaint.id], "api")
        return self.response(status, id=complaint.id, result=result)

    def info_headless(self, **kwargs):
        """FAB's ``_info``, its filters without phone and name for a role that sees them masked
        (§16). FAB binds ``merge_search_filters`` when it declares ``info``, so the answer is
        trimmed here."""
        payload = {}
        rison_args = kwargs.get("rison", {})
        self.set_response_key_mappings(payload, self.info, rison_args, **rison_args)
        if "filters" in payload and not may_search_identity(svc.actor_for(g.user)):
            for column in search.IDENTITY_COLUMNS:
                payload["filters"].pop(column, None)
        return self.response(200, **payload)

    def pre_get_list(self, data):
        """Replace FAB's rows with the scoped, masked representation (same order); a search by
        phone number or name is written to the identity access log with the cases it found."""
        ids = data.get("ids") or []
        if search.identity_searched():
            log_identity_search(g.user, ids)
        if not ids:
            data["result"] = []
            return
        # A duplicate's original (issue 23) joined in the same statement.
        rows = db.session.execute(svc.scoped_select(g.user).where(Complaint.id.in_(ids))
                                  .options(joinedload(Complaint.duplicate_of))).scalars().all()
        by_id = {row.id: row for row in rows}
        actor = svc.actor_for(g.user)
        today = svc.today()
        # Lists never carry full identity: it is shown (and logged) one case at a time.
        data["result"] = [complaint_dict(by_id[i], actor, today, masked=True) for i in ids if i in by_id]

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    @contract_errors
    def get(self, pk, **kwargs):
        """One complaint, masked for the caller; 404 outside the caller's scope.
        ---
        get:
          description: One complaint, masked for the caller; 404 outside the caller's scope.
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {$ref: '#/components/responses/complaint'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        return self._result(svc.get_for(g.user, pk))

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @contract_errors
    def post(self):
        """Register a complaint (201), or return the first one for a repeated external_ref (200).
        ---
        post:
          description: Register a complaint (201); a repeated external_ref returns the first one (200).
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/{{self.__class__.__name__}}.post'}
          responses:
            200: {$ref: '#/components/responses/complaint'}
            201: {$ref: '#/components/responses/complaint'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            409: {$ref: '#/components/responses/409'}
        """
        complaint, created = svc.register(g.user, self._json_body())
        return self._result(complaint, 201 if created else 200)

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    @contract_errors
    def put(self, pk):
        """Edit descriptive fields; the body must carry the current ``version``.
        ---
        put:
          description: Edit descriptive fields; the body must carry the current version (stale → 409).
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/{{self.__class__.__name__}}.put'}
          responses:
            200: {$ref: '#/components/responses/complaint'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            409: {$ref: '#/components/responses/409'}
        """
        return self._result(svc.edit(g.user, pk, self._json_body()))

    @expose("/<int:pk>/transitions", methods=["GET"])
    @protect()
    @safe
    @contract_errors
    def transitions(self, pk):
        """What the caller may do to this complaint now.
        ---
        get:
          description: The transitions the caller may apply to this complaint now.
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200:
              description: The transitions
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result:
                        type: array
                        items:
                          type: object
                          properties: {name: {type: string}, label: {type: string}}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        complaint = svc.get_for(g.user, pk)
        allowed = svc.available_transitions(g.user, complaint)
        return self.response(200, result=[{"name": tr.name, "label": gettext(tr.label)} for tr in allowed])

    @expose("/<int:pk>/transitions/<name>", methods=["POST"])
    @protect()
    @safe
    @contract_errors
    def apply_transition(self, pk, name):
        """Apply one transition: 200 with the updated complaint, or 400/403/404/409.

        Documented as one path per transition (``add_api_spec``), each with its own body.
        """
        body = self._json_body()
        return self._result(svc.apply(g.user, pk, name, body))

    @expose("/todo", methods=["GET"])
    @protect()
    @safe
    def todo(self):
        """我的待办: the cases waiting for the caller's action, a page at a time.
        ---
        get:
          description: The cases waiting for the caller's action, in the to-do order (overdue open work
            first, then open work by due date, then cases awaiting acceptance oldest first, then closed
            work most recently closed first), with the steps the caller may take on each. Complainant
            identity is masked as in every list. A page reaches at most the first 1000 cases.
          parameters:
          - {in: query, name: page, required: false, schema: {type: integer, minimum: 0, maximum: 999}}
          - {in: query, name: page_size, required: false, schema: {type: integer, minimum: 1, maximum: 100}}
          responses:
            200:
              description: One page of the to-do
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      page: {type: integer}
                      page_size: {type: integer}
                      has_next: {type: boolean}
                      result:
                        type: array
                        items:
                          type: object
                          properties:
                            complaint: {type: object}
                            actions: {type: array, items: {type: string}}
                            overdue: {type: boolean}
                            due_soon: {type: boolean}
                            beyond_ceiling: {type: boolean, nullable: true}
                            reminded_today: {type: boolean}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        errors, numbers = {}, {}
        for name, default, low, high in (("page_size", reads.TODO_PAGE_SIZE, 1, reads.TODO_MAX_PAGE_SIZE),
                                         ("page", 0, 0, reads.TODO_MAX_ITEMS - 1)):
            value = request.args.get(name, "")
            numbers[name] = int(value) if value.isdigit() and low <= int(value) <= high else (default if value == "" else None)
            if numbers[name] is None:
                errors[name] = [gettext("Must be a whole number from %(low)d to %(high)d.", low=low, high=high)]
        if not errors and (numbers["page"] + 1) * numbers["page_size"] > reads.TODO_MAX_ITEMS:
            errors["page"] = [gettext("The to-do reaches its first %(count)d cases only.", count=reads.TODO_MAX_ITEMS)]
        if errors:
            return self.response_400(message=errors)
        today = svc.today()
        page = reads.todo(g.user, today, settings.due_soon_working_days(), numbers["page"], numbers["page_size"])
        actor = svc.actor_for(g.user)
        result = [{"complaint": complaint_dict(item.complaint, actor, today, masked=True),
                   "actions": [action.name for action in item.actions], "overdue": item.overdue,
                   "due_soon": item.due_soon, "beyond_ceiling": item.beyond_ceiling,
                   "reminded_today": item.reminded_today} for item in page.items]
        return self.response(200, result=result, page=page.page, page_size=page.page_size, has_next=page.has_next)

    @expose("/<int:pk>/events", methods=["GET"])
    @protect()
    @safe
    @contract_errors
    def events(self, pk):
        """The case timeline, oldest first.
        ---
        get:
          description: The case timeline, oldest first.
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200:
              description: The events
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result: {type: array, items: {type: object}}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        complaint = svc.get_for(g.user, pk)
        rows = reads.events_of(complaint)
        full = sees_identity(svc.actor_for(g.user), complaint)
        result = [event_dict(event, full) for event in rows]
        if full and carries_identity(rows):
            log_identity_views(g.user, [complaint.id], "api")
        return self.response(200, result=result)

    # --- the OpenAPI document --------------------------------------------------------------

    def add_apispec_components(self, api_spec):
        super().add_apispec_components(api_spec)
        api_spec.components.response("complaint", {"description": "The complaint", **COMPLAINT_ANSWER})
        for name in PAYLOADS:
            api_spec.components.schema(f"{type(self).__name__}.transition.{name}", schema=transition_body(name))

    def add_api_spec(self, api_spec):
        """FAB's paths, with one path per transition instead of ``…/transitions/{name}``: each
        takes its own body, ``PAYLOADS[name]`` plus the optional ``version``."""
        super().add_api_spec(api_spec)
        api_spec._paths.pop(f"{self.route_base}/{{pk}}/transitions/{{name}}", None)  # FAB keeps paths here too
        for name in PAYLOADS:
            api_spec.path(path=f"{self.route_base}/{{pk}}/transitions/{name}",
                          operations={"post": self._transition_operation(name)})

    def _transition_operation(self, name):
        schema = f"#/components/schemas/{type(self).__name__}.transition.{name}"
        responses = {"200": {"$ref": "#/components/responses/complaint"}}
        responses.update({code: {"$ref": f"#/components/responses/{code}"} for code in ("400", "401", "403", "404", "409")})
        return {
            "summary": BY_NAME[name].label,
            "description": f"Apply the transition {name} (api.md \"Workflow\"). One transaction; an event is written.",
            "parameters": [PK],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": schema}}}},
            "responses": responses,
            "security": [{"jwt": []}],
            "tags": [self.openapi_spec_tag or type(self).__name__],
        }
