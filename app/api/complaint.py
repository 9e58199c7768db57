"""/api/v1/complaint/: register, list, get, edit, transitions, timeline and evidence (api.md)."""
from flask import g, request, send_file
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
from ..services import attachments as evidence, classification, complaints as svc, settings
from ..security.masking import may_search_identity, sees_identity
from ..services.pii import log_identity_search, log_identity_views
from ..services.presenter import attachment_dict, carries_identity, complaint_dict, event_dict
from ..domain.payloads import PAYLOADS, EditSchema, RegisterSchema, transition_body
from ..domain.transitions import BY_NAME
from .base import DomainApi, PerColumnFilters, contract_errors

PK = {"in": "path", "name": "pk", "required": True, "schema": {"type": "integer"}}
# 200/201 answers carry the complaint (api.md "GET /api/v1/complaint/<id>").
COMPLAINT_ANSWER = {"content": {"application/json": {"schema": {
    "type": "object", "properties": {"id": {"type": "integer"}, "result": {"type": "object"}}}}}}
ATTACHMENT_TYPES = sorted({kind for kind, _ in evidence.ALLOWED.values()})
# An evidence file as the API gives it out (services/presenter.py: attachment_dict).
ATTACHMENT = {"type": "object", "properties": {
    "id": {"type": "integer"},
    "filename": {"type": "string", "description": "As the case page shows it: the complainant's identity masked "
                                                  "for a viewer who sees it masked"},
    "content_type": {"type": "string", "enum": ATTACHMENT_TYPES},
    "size": {"type": "integer", "description": "Bytes"},
    "uploaded_at": {"type": "string", "description": "YYYY-MM-DDTHH:MM:SS, Beijing time"},
    "uploaded_by": {"type": "string", "nullable": True, "description": "Name (username), as in the timeline"},
}}


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
        "classification_codes": "read",
        # Evidence: the case page's permissions (web/case.py "attachment", "upload").
        "attachments": "read",
        "attachment": "read",
        "upload": "edit",
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

    @expose("/classification_codes", methods=["GET"])
    @protect()
    @safe
    def classification_codes(self):
        """The JR/T 0169 code table (issue 23): the codes the classify step takes.
        ---
        get:
          description: Every code of the JR/T 0169-2018 code table in the table's order (a code after the
            one above it) — business channel (A), business type (B), complaint reason (C) — with its
            parent, the days it is in force, whether it is in force today and whether a complaint received
            today may carry it (in force, the most detailed level). The classify step takes, for a case,
            the codes selectable on its day of receipt.
          responses:
            200:
              description: The code table
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result:
                        type: array
                        items:
                          type: object
                          properties:
                            id: {type: integer}
                            code: {type: string}
                            name: {type: string}
                            dimension: {type: string, enum: [A, B, C]}
                            parent: {type: string, nullable: true}
                            valid_from: {type: string, format: date, nullable: true}
                            valid_to: {type: string, format: date, nullable: true}
                            position: {type: integer}
                            in_force: {type: boolean}
                            selectable: {type: boolean}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        return self.response(200, result=classification.table_values(svc.today()))

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

    # --- evidence (api.md "Additions": the same rules as the case page) ---------------------

    @expose("/<int:pk>/attachments", methods=["GET"])
    @protect()
    @safe
    @contract_errors
    def attachments(self, pk):
        """The case's evidence files, oldest first: whoever may read the case sees them.
        ---
        get:
          description: The case's evidence files, oldest first, for whoever may read the case (as on the
            case page); file names masked like every free text for a viewer who sees identity masked;
            404 outside the caller's scope.
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200:
              description: The evidence files
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result:
                        type: array
                        items: {$ref: '#/components/schemas/{{self.__class__.__name__}}.attachment'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        rows = evidence.list_for(g.user, pk)
        actor = svc.actor_for(g.user)
        return self.response(200, result=[attachment_dict(row, actor) for row in rows])

    @expose("/<int:pk>/attachments/<int:attachment_id>", methods=["GET"])
    @protect()
    @safe
    @contract_errors
    def attachment(self, pk, attachment_id):
        """One evidence file's content, as a download.
        ---
        get:
          description: The file's bytes with its content type, as a download (Content-Disposition
            attachment, the name as the list shows it; filename* in UTF-8). 404 outside the caller's
            scope, for an unknown file or a file of another case.
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: path, name: attachment_id, required: true, schema: {type: integer}}
          responses:
            200: {$ref: '#/components/responses/attachment_file'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        item, path = evidence.open_for(g.user, pk, attachment_id)
        return send_file(path, mimetype=item.content_type, as_attachment=True,
                         download_name=evidence.shown_filename(svc.actor_for(g.user), item))

    @expose("/<int:pk>/attachments", methods=["POST"])
    @protect()
    @safe
    @contract_errors
    def upload(self, pk):
        """Attach a file (multipart/form-data, field ``file``): 201 with the attachment.
        ---
        post:
          description: Attach a recording or a scan under the case page's rules. The case must be open and
            the caller one who works on it (the discipline office, the branch head over it, its handler or
            whoever registered it); otherwise 403, or 409 for a closed or rejected case. PDF, JPEG, PNG,
            DOCX, XLSX or MP3, its content matching its extension, not empty, at most MAX_ATTACHMENT_BYTES
            (10 MB); otherwise 400 naming the field file. A request larger than the server's limit answers
            413. 404 outside the caller's scope. A refused upload leaves nothing behind.
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    file: {type: string, format: binary}
                  required: [file]
          responses:
            201:
              description: The attachment
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id: {type: integer}
                      result: {$ref: '#/components/schemas/{{self.__class__.__name__}}.attachment'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            409: {$ref: '#/components/responses/409'}
            413: {$ref: '#/components/responses/413'}
        """
        attachment = evidence.save_upload(g.user, pk, request.files.get("file"))
        return self.response(201, id=attachment.id, result=attachment_dict(attachment, svc.actor_for(g.user)))

    # --- the OpenAPI document --------------------------------------------------------------

    def add_apispec_components(self, api_spec):
        super().add_apispec_components(api_spec)
        api_spec.components.response("complaint", {"description": "The complaint", **COMPLAINT_ANSWER})
        api_spec.components.schema(f"{type(self).__name__}.attachment", component=ATTACHMENT)
        api_spec.components.response("attachment_file", {
            "description": "The file, with the content type of its kind",
            "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in ATTACHMENT_TYPES}})
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
