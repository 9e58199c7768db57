"""``/api/v1/notification/``: the caller's own notifications (issue 23), the API twin of the
header and of 我的通知.

- ``GET /api/v1/notification/?q=(page:0,page_size:25,unread:!t)`` → ``{"count", "unread", "ids",
  "result"}``, newest first (FAB's list shape; ``unread`` counts the caller's unread ones);
- ``GET /api/v1/notification/<id>`` → ``{"id", "result"}``;
- ``POST /api/v1/notification/<id>/read`` → the notification, marked read (the first time stays);
- ``POST /api/v1/notification/read_all`` → ``{"marked": n}``.

Another user's notification answers 404, as one that does not exist (api.md: never reveal it).
"""
from flask import g, request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_babel import gettext

from .. import clock
from ..data import notifications as reads
from ..input_checks import UnusableInput, parse_api_query
from ..security import permissions as p
from ..services import notifications as service

NOTIFICATION = {"type": "object", "properties": {
    "id": {"type": "integer"},
    "kind": {"type": "string", "enum": list(reads.v.NOTIFICATION_KINDS)},
    "kind_label": {"type": "string"},
    "text": {"type": "string", "description": "What the recipient is asked to do, composed when read"},
    "complaint_id": {"type": "integer"},
    "complaint_number": {"type": "string"},
    "branch": {"type": "string", "description": "The branch complained about"},
    "complainant_name": {"type": "string", "nullable": True,
                         "description": "Masked (张*), as in every list; null when the case left the caller's scope"},
    "may_open": {"type": "boolean", "description": "Whether the caller may still see the case"},
    "created_at": {"type": "string", "description": "YYYY-MM-DDTHH:MM:SS, Beijing time"},
    "read_at": {"type": "string", "nullable": True},
}}
ONE = {"content": {"application/json": {"schema": {
    "type": "object", "properties": {"id": {"type": "integer"}, "result": NOTIFICATION}}}}}
QUERY_KEYS = ("page", "page_size", "unread")


class NotificationApi(BaseApi):
    """The caller's own notifications: list, one, mark one read, mark all read (token-only)."""

    resource_name = "notification"
    allow_browser_login = False
    class_permission_name = p.NOTIFICATION
    method_permission_name = {name: p.NOTIFICATION_METHODS[name]
                              for name in ("get_list", "get", "read_one", "read_all_api")}
    base_permissions = [p.can(p.READ)]
    openapi_spec_tag = "Notifications"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """The caller's notifications, newest first.
        ---
        get:
          description: Only the caller's own. `q` (rison or JSON) may carry `page` (from 0), `page_size`
            (1–100, default 25) and `unread` (true for the unread ones only); any other key is refused.
          parameters:
          - in: query
            name: q
            required: false
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    page: {type: integer, minimum: 0}
                    page_size: {type: integer, minimum: 1, maximum: 100}
                    unread: {type: boolean}
                  additionalProperties: false
          responses:
            200:
              description: One page of the caller's notifications
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      count: {type: integer}
                      unread: {type: integer}
                      ids: {type: array, items: {type: integer}}
                      result: {type: array, items: {type: object}}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        args, errors = self._query()
        if errors:
            return self.response_400(message=errors)
        found = reads.page_of(g.user, args["page"], args["page_size"], args["unread"])
        return self.response(200, count=found.total, unread=found.unread, ids=[item.id for item in found.items],
                             result=[reads.item_dict(item) for item in found.items])

    def _query(self):
        """(page, page_size, unread) from ``q``, or the errors per key (Chinese)."""
        raw = request.args.get("q")
        try:
            parsed = parse_api_query(raw) if raw else {}
        except UnusableInput as error:
            return None, {"q": [str(error)]}
        if not isinstance(parsed, dict):
            return None, {"q": [gettext("Invalid input type.")]}
        errors = {key: [gettext("Unknown field.")] for key in parsed if key not in QUERY_KEYS}
        page, size, unread = parsed.get("page", 0), parsed.get("page_size", reads.PAGE_SIZE), parsed.get("unread", False)
        if isinstance(page, bool) or not isinstance(page, int) or page < 0:
            errors["page"] = [gettext("Must be a whole number from %(low)d to %(high)d.", low=0, high=2 ** 31 - 1)]
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= reads.MAX_PAGE_SIZE:
            errors["page_size"] = [gettext("Must be a whole number from %(low)d to %(high)d.", low=1,
                                           high=reads.MAX_PAGE_SIZE)]
        if not isinstance(unread, bool):
            errors["unread"] = [gettext("Not a valid boolean.")]
        return {"page": page, "page_size": size, "unread": unread}, errors

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One of the caller's notifications; 404 for another's.
        ---
        get:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: The notification, content: {application/json: {schema: {type: object}}}}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        item = reads.one(g.user, pk)
        if item is None:
            return self.response_404()
        return self.response(200, id=item.id, result=reads.item_dict(item))

    @expose("/<int:pk>/read", methods=["POST"])
    @protect()
    @safe
    def read_one(self, pk):
        """Mark one of the caller's notifications read; 404 for another's.
        ---
        post:
          description: The first reading time is kept when it is marked again. Opening the case is the
            client's next call (`GET /api/v1/complaint/<complaint_id>`, 404 when the case left the
            caller's scope; `may_open` says so beforehand).
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: The notification after marking, content: {application/json: {schema: {type: object}}}}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        if service.mark_read(g.user, pk, clock.now()) is None:
            return self.response_404()
        item = reads.one(g.user, pk)
        return self.response(200, id=item.id, result=reads.item_dict(item))

    @expose("/read_all", methods=["POST"])
    @protect()
    @safe
    def read_all_api(self):
        """Mark every unread notification of the caller read.
        ---
        post:
          responses:
            200:
              description: How many were marked
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      marked: {type: integer}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        return self.response(200, marked=service.mark_all_read(g.user, clock.now()))
