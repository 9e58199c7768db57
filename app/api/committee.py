"""``/api/v1/committee/``: the ruling bodies and their rosters (issue 21). The same service and
permissions as the 责任认定小组 pages: Admin and the discipline office write; the committee, the
higher ruling body and the leadership read. Bad input answers 400 with a message per field and
changes nothing; an unknown id answers 404."""
from flask import g, request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_babel import gettext
from marshmallow import Schema, fields
from sqlalchemy import select

from ..errors import DomainError
from ..extensions import db
from ..ids import row_id
from ..models.committee import BodyMember, RulingBody
from ..security import permissions as p
from ..services import committee_roster as service
from .base import domain_error_response, json_object


class BodyMemberOutSchema(Schema):
    """One term on a body's roster."""

    id = fields.Integer()
    body_id = fields.Integer()
    staff_id = fields.Integer()
    staff_name = fields.String()
    role = fields.String()
    term_from = fields.String(metadata={"format": "date"})
    term_to = fields.String(allow_none=True, metadata={"format": "date"})


class RulingBodyOutSchema(Schema):
    """A ruling body (its members only on the item)."""

    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    unit_id = fields.Integer()
    unit_name = fields.String()
    quorum_percent = fields.Integer()
    chair_required = fields.Boolean()
    active = fields.Boolean()
    members = fields.List(fields.Nested(BodyMemberOutSchema))


def _body(body: RulingBody, members=False) -> dict:
    values = {"id": body.id, "name": body.name, "kind": body.kind, "unit_id": body.unit_id,
              "unit_name": body.unit.name if body.unit is not None else "", "quorum_percent": body.quorum_percent,
              "chair_required": body.chair_required, "active": body.active}
    if members:
        values["members"] = [service.member_values(member) for member in body.members]
    return values


class CommitteeApi(BaseApi):
    """Ruling bodies (``/``) and their members (``/members/``); token-only like every API here."""

    resource_name = "committee"
    allow_browser_login = False
    class_permission_name = p.RULING_BODY
    method_permission_name = {"get_list": p.READ, "get": p.READ, "post": p.WRITE, "put": p.WRITE,
                              "get_members": p.READ, "post_member": p.WRITE, "put_member": p.WRITE,
                              "delete_member": p.WRITE}
    base_permissions = [p.can(p.READ), p.can(p.WRITE)]
    openapi_spec_tag = "Ruling bodies"
    openapi_spec_component_schemas = (service.RulingBodySchema, service.RulingBodyUpdateSchema,
                                      service.BodyMemberSchema, service.BodyMemberUpdateSchema,
                                      RulingBodyOutSchema, BodyMemberOutSchema)

    def _write(self, action, status=200):
        try:
            result = action()
        except DomainError as error:
            return domain_error_response(self, error)
        return self.response(status, result=result)

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """The ruling bodies.
        ---
        get:
          description: Every ruling body (committee and higher body), without their members.
          responses:
            200:
              description: The bodies
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result: {type: array, items: {$ref: '#/components/schemas/RulingBodyOutSchema'}}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        bodies = db.session.execute(select(RulingBody).order_by(RulingBody.id)).scalars().all()
        return self.response(200, result=[_body(body) for body in bodies])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One ruling body with its roster (current and past terms).
        ---
        get:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200:
              description: The body
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result: {$ref: '#/components/schemas/RulingBodyOutSchema'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        try:
            body = service.get_body(pk)
        except DomainError as error:
            return domain_error_response(self, error)
        return self.response(200, result=_body(body, members=True))

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @json_object
    def post(self, body):
        """Create a ruling body; audited.
        ---
        post:
          description: Name, kind (committee or higher), an active unit (one body of each kind per unit),
            quorum percent 0–99, whether the chair or a deputy must be present, active.
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/RulingBodySchema'}
          responses:
            201:
              description: The body created
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result: {$ref: '#/components/schemas/RulingBodyOutSchema'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        return self._write(lambda: _body(service.create_body(body, g.user), members=True), 201)

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    @json_object
    def put(self, pk, body):
        """Change a ruling body (a missing field keeps its value); audited.
        ---
        put:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/RulingBodyUpdateSchema'}
          responses:
            200:
              description: The body after the change
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result: {$ref: '#/components/schemas/RulingBodyOutSchema'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        return self._write(lambda: _body(service.update_body(pk, body, g.user), members=True))

    @expose("/members/", methods=["GET"])
    @protect()
    @safe
    def get_members(self):
        """The members of the ruling bodies, current and past terms.
        ---
        get:
          parameters:
          - {in: query, name: body_id, required: false, schema: {type: integer, minimum: 1, maximum: 2147483647},
             description: only the members of this body}
          responses:
            200:
              description: The members
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result: {type: array, items: {$ref: '#/components/schemas/BodyMemberOutSchema'}}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        query = select(BodyMember).order_by(BodyMember.body_id, BodyMember.id)
        if "body_id" in request.args:
            body_id = row_id(request.args.get("body_id"))
            if body_id is None:
                return self.response_400(message={"body_id": [gettext("Not a valid integer.")]})
            query = query.where(BodyMember.body_id == body_id)
        members = db.session.execute(query).scalars().all()
        return self.response(200, result=[service.member_values(member) for member in members])

    @expose("/members/", methods=["POST"])
    @protect()
    @safe
    @json_object
    def post_member(self, body):
        """Add a member to a body's roster; audited.
        ---
        post:
          description: An active staff member, a role (chair, deputy, member, secretary), a term (term_to
            inclusive, open when empty). No two overlapping terms of one staff member on one body; at most
            one chair serving on any day.
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/BodyMemberSchema'}
          responses:
            201:
              description: The member added
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result: {$ref: '#/components/schemas/BodyMemberOutSchema'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        return self._write(lambda: service.member_values(service.add_member(body, g.user)), 201)

    @expose("/members/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    @json_object
    def put_member(self, pk, body):
        """Change a member's role or term; end a term by setting term_to; audited.
        ---
        put:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/BodyMemberUpdateSchema'}
          responses:
            200:
              description: The member after the change
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result: {$ref: '#/components/schemas/BodyMemberOutSchema'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        return self._write(lambda: service.member_values(service.update_member(pk, body, g.user)))

    @expose("/members/<int:pk>", methods=["DELETE"])
    @protect()
    @safe
    def delete_member(self, pk):
        """Delete a member entered by mistake; refused (400) once the member sat on a ruling of the body.
        ---
        delete:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200:
              description: Deleted
              content:
                application/json:
                  schema: {type: object, properties: {message: {type: string}}}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        try:
            service.delete_member(pk, g.user)
        except DomainError as error:
            return domain_error_response(self, error)
        return self.response(200, message=gettext("Deleted."))
