"""``GET /api/v1/_openapi``: the OpenAPI 3 document of every API (api.md "Conventions").

Served to logged-in API users (JWT; every role holds ``can_read`` on ``OpenApi``), 401 for
anonymous callers; never to a browser cookie (the API is token-only). FAB registers its own
document view only together with its Swagger UI (``FAB_API_SWAGGER_UI``), which loads its
assets from a CDN: the UI stays off and this view is registered instead.

The document is generated, never written by hand: FAB builds each path from the method's
docstring and each body from the API's marshmallow schemas (apispec's MarshmallowPlugin), the
complaint API adds one path per transition from ``domain.payloads.PAYLOADS`` — so a field
added to a schema is in the document at once. ``install()`` makes FAB's generator complete:

- a method that overrides a documented FAB method without a spec of its own (``SecurityApi.login``)
  keeps the spec of the method it overrides;
- a method documented nowhere gets its summary line and the standard error answers instead of
  an empty operation (an OpenAPI operation must list its responses).
"""
import warnings
from decimal import Decimal

from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_appbuilder.api.manager import OpenApi
from marshmallow import fields

from ..security import permissions as p

ERROR_ANSWERS = ("400", "401", "403", "404")


def _error_answer(description: str) -> dict:
    """An error answer of the contract: ``{"message": ...}`` (``MESSAGE``, set by ``finish``)."""
    return {"description": description,
            "content": {"application/json": {"schema": {"type": "object", "properties": {"message": {}}}}}}


CONFLICT = _error_answer("Not allowed in the current state, or a stale version")
TOO_LARGE = _error_answer("The request is larger than the server accepts (MAX_CONTENT_LENGTH)")
# Error answers carry ``{"message": text}`` or, for validation, ``{"message": {field: [texts]}}``.
MESSAGE = {"oneOf": [{"type": "string"}, {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}]}


class OpenApiView(OpenApi):
    """The OpenAPI document (JSON) of one API version."""

    allow_browser_login = False
    class_permission_name = p.OPENAPI
    method_permission_name = {"get": p.READ}
    base_permissions = [p.can(p.READ)]
    openapi_spec_tag = "OpenAPI"

    @expose("/<version>/_openapi")
    @protect()
    @safe
    def get(self, version):
        """The OpenAPI document of this API version.
        ---
        get:
          description: The OpenAPI 3 document of every endpoint of this API version.
          parameters:
          - {in: path, name: version, required: true, schema: {type: string}}
          responses:
            200:
              description: The OpenAPI document
              content:
                application/json:
                  schema: {type: object}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        document = build_document(version)
        if document is None:
            return self.response_404()
        return self.response(200, **document)


def _decimal_bounds(converter, field, ret=None, **kwargs):
    """apispec writes a Decimal field's range as text ("9999999999.99"); OpenAPI wants numbers."""
    if not isinstance(field, fields.Decimal) or not ret:
        return {}
    return {key: float(ret[key]) for key in ("minimum", "maximum") if isinstance(ret.get(key), (str, Decimal))}


def _create_api_spec(version: str):
    spec = OpenApiView._create_api_spec(version)
    for plugin in spec.plugins:
        if isinstance(plugin, MarshmallowPlugin):
            plugin.converter.add_attribute_function(_decimal_bounds)
    return spec


def build_document(version: str):
    """The document of ``version`` as a dict, or None when no API has that version."""
    spec = _create_api_spec(version)
    found = False
    with warnings.catch_warnings():
        # FAB's security APIs name some of their schemas twice; apispec resolves them anyway.
        warnings.filterwarnings("ignore", category=UserWarning, module=r"apispec\.")
        for view in current_app.appbuilder.baseviews:
            if isinstance(view, BaseApi) and view.version == version:
                view.add_api_spec(spec)
                found = True
    if not found:
        return None
    return finish(spec.to_dict())


def finish(document: dict) -> dict:
    """Fit FAB's document to this application: tokens only (API keys are off), the contract's
    error bodies, 409 where an answer can be a conflict, 413 where a body can be too large."""
    components = document.setdefault("components", {})
    schemes = components.setdefault("securitySchemes", {})
    schemes.pop("api_key", None)
    schemes["jwt"] = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    responses = components.setdefault("responses", {})
    responses["409"] = CONFLICT
    responses["413"] = TOO_LARGE
    for answer in responses.values():
        for content in (answer.get("content") or {}).values():
            properties = content.get("schema", {}).get("properties")
            if properties is not None and "message" in properties:
                properties["message"] = MESSAGE
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            if "security" in operation:
                operation["security"] = [{"jwt": []}]
    return document


# --- FAB's generator, completed ---------------------------------------------------------------

def _has_spec(func) -> bool:
    return "---" in (getattr(func, "__doc__", None) or "")


def _documented(api_class, func):
    """``func``, or the method of the same name higher up ``api_class``'s bases that has a spec."""
    if _has_spec(func):
        return func
    for base in api_class.__mro__[1:]:
        candidate = base.__dict__.get(func.__name__)
        if candidate is not None and _has_spec(candidate):
            return candidate
    return func


def default_operation(func) -> dict:
    """The operation of a method documented nowhere: its summary line and the error answers."""
    summary = ((getattr(func, "__doc__", None) or func.__name__).strip().splitlines() or [func.__name__])[0]
    operation = {"summary": summary, "responses": {"200": {"description": "OK"}}}
    operation["responses"].update({code: {"$ref": f"#/components/responses/{code}"} for code in ERROR_ANSWERS})
    return operation


def _operation_helper(self, path=None, operations=None, methods=None, func=None, **kwargs):
    source = _documented(type(self), func)
    _original_operation_helper(self, path=path, operations=operations, methods=methods, func=source, **kwargs)
    for method in methods or ():
        operation = operations.get(method.lower())
        if not operation or "responses" not in operation:
            operation = {**default_operation(func), **(operation or {})}
            if self.get_method_permission(func.__name__):
                operation["security"] = [{"jwt": []}]
            operations[method.lower()] = operation


_original_operation_helper = BaseApi.operation_helper


def install() -> None:
    """Complete FAB's OpenAPI generator (idempotent)."""
    BaseApi.operation_helper = _operation_helper
