"""``/api/v1/settings/``: the union's business settings (api.md "Additions"; Admin only)."""
from flask import g
from flask_appbuilder.api import BaseApi, expose, protect, safe

from ..domain.settings import SettingsOutSchema, SettingsSchema
from ..errors import DomainError
from ..security import permissions as p
from ..services import settings as service
from .base import domain_error_response, json_object


class SettingsApi(BaseApi):
    """Read and change the settings; token-only like every API here."""

    resource_name = "settings"
    allow_browser_login = False
    class_permission_name = p.SETTINGS
    method_permission_name = p.SETTINGS_READ_WRITE
    base_permissions = [p.can(p.READ), p.can(p.WRITE)]
    openapi_spec_tag = "Settings"
    openapi_spec_component_schemas = (SettingsSchema, SettingsOutSchema)

    def _answer(self):
        return self.response(200, result=SettingsOutSchema().dump(service.in_force().values()))

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get(self):
        """The settings in force.
        ---
        get:
          description: Appeal bodies (org unit ids), due-soon working days, re-ruling window, extension
            maximum, regulatory ceiling and the received-at floor.
          responses:
            200:
              description: The settings
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result: {$ref: '#/components/schemas/SettingsOutSchema'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        return self._answer()

    @expose("/", methods=["PUT"])
    @protect()
    @safe
    @json_object
    def put(self, body):
        """Change any of the settings (a missing field keeps its value); audited.
        ---
        put:
          description: Bad input answers 400 with a message per field and changes nothing. An appeal body
            must be a unit above the deciding level (§14); the floor no later than today or the first
            receipt kept; numbers within their bounds.
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/SettingsSchema'}
          responses:
            200:
              description: The settings after the change
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result: {$ref: '#/components/schemas/SettingsOutSchema'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        try:
            service.update(body, g.user)
        except DomainError as error:
            return domain_error_response(self, error)
        return self._answer()
