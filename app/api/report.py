"""/api/v1/report/: the period's figures as JSON and as an Excel workbook (api.md "Reports")."""
from flask import g, request, send_file
from flask_appbuilder.api import BaseApi, expose, protect, safe

from ..errors import DomainError
from ..reports import export, regulatory, statistics
from ..reports.period import may, parse_period, parse_quarter
from ..reports.rules import load_rules
from ..security import permissions as p
from ..services import complaints as svc
from .base import domain_error_response

_COUNT = {"type": "integer", "minimum": 0}
_CODE = {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}}}
_DIMENSION = {"type": "object", "properties": {
    "dimension": {"type": "string", "enum": ["A", "B", "C"]},
    "total": _COUNT, "unclassified": _COUNT,
    "rows": {"type": "array", "items": {"type": "object", "properties": {
        "code": {"type": "string"}, "name": {"type": "string"}, "parent": {"type": "string", "nullable": True},
        "depth": _COUNT, "subtotal": {"type": "boolean", "description": "Other codes lie below this one"},
        "count": {**_COUNT, "description": "Complaints carrying the code or one below it"},
        "confirmed": _COUNT, "own": {**_COUNT, "description": "Complaints carrying exactly this code"}}}}}}
# The quarterly regulatory report as GET /api/v1/report/regulatory answers it (issue 23).
REGULATORY_SCHEMA = {"type": "object", "properties": {
    "quarter": {"type": "string", "description": "YYYY-Qn"},
    "period": {"type": "object", "properties": {
        "start": {"type": "string", "format": "date"}, "end": {"type": "string", "format": "date"},
        "unit_id": {"type": "integer", "nullable": True}, "unit": {"type": "string", "nullable": True}}},
    "today": {"type": "string", "format": "date"},
    "counted": {**_COUNT, "description": "Received in the quarter, in scope; no duplicate, no rejected complaint"},
    "confirmed": _COUNT, "unconfirmed": _COUNT,
    "unclassified": {**_COUNT, "description": "Without a code in some dimension (all unconfirmed)"},
    "left_out": {"type": "object", "properties": {"duplicates": _COUNT, "rejected": _COUNT}},
    "dimensions": {"type": "object", "properties": {"A": _DIMENSION, "B": _DIMENSION, "C": _DIMENSION}},
    "combinations": {"type": "array", "items": {"type": "object", "properties": {
        "channel": _CODE, "business": _CODE, "reason": _CODE, "count": _COUNT, "confirmed": _COUNT}}},
    "handling": {"type": "object", "properties": {
        "replied": _COUNT, "within_10": _COUNT, "within_20": _COUNT, "beyond_20": _COUNT, "not_replied": _COUNT,
        "on_time": _COUNT, "overdue": _COUNT, "overdue_open": _COUNT, "extended": _COUNT,
        "average_working_days_to_reply": {"type": "number", "nullable": True}}},
}}


class ReportApi(BaseApi):
    """Statistics scoped to the caller; token-only like every API here."""

    resource_name = "report"
    allow_browser_login = False
    class_permission_name = p.REPORT
    base_permissions = list(p.REPORT_PERMISSIONS)
    method_permission_name = {"summary": p.REPORT_READ, "export": p.REPORT_EXPORT,
                              "regulatory": p.REPORT_REGULATORY, "regulatory_export": p.REPORT_REGULATORY}
    openapi_spec_tag = "Reports"

    def _period(self):
        return parse_period(g.user, request.args, svc.today())

    def _error(self, error: DomainError):
        return domain_error_response(self, error)

    @expose("/summary", methods=["GET"])
    @protect()
    @safe
    def summary(self):
        """The figures of ``start``–``end`` (dates of receipt) for ``unit_id`` or the caller's scope.
        ---
        get:
          description: Counts by status, channel, category, branch and month, on-time rate, overdue,
            rulings, fees borne, appeals, follow-up satisfaction, repeat complainants.
          parameters:
          - {in: query, name: start, schema: {type: string, format: date}}
          - {in: query, name: end, schema: {type: string, format: date}}
          - {in: query, name: unit_id, schema: {type: integer}}
          responses:
            200: {description: The figures}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        try:
            period = self._period()
        except DomainError as error:
            return self._error(error)
        return self.response(200, result=statistics.summary(g.user, period, svc.today()))

    @expose("/export", methods=["GET"])
    @protect()
    @safe
    def export(self):
        """The same figures, the assessment (for roles that assess) and the case list as .xlsx.
        ---
        get:
          description: More than EXPORT_MAX_CASES cases (default 300,000) is refused with 400.
          parameters:
          - {in: query, name: start, schema: {type: string, format: date}}
          - {in: query, name: end, schema: {type: string, format: date}}
          - {in: query, name: unit_id, schema: {type: integer}}
          responses:
            200: {description: An Excel workbook}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        try:
            period = self._period()
        except DomainError as error:
            return self._error(error)
        assess = may(g.user, p.REPORT_ASSESS)
        try:
            handle = export.export_workbook(g.user, period, svc.today(), assess, load_rules() if assess else None)
        except export.TooManyCases as error:  # 400, nothing written, nothing logged
            return self._error(error)
        return send_file(handle, mimetype=export.XLSX_MIMETYPE, as_attachment=True,
                         download_name=export.download_name(period), max_age=0)

    # --- the quarterly regulatory report of JR/T 0169 (issue 23) ------------------------------------

    def _quarter(self):
        return parse_quarter(g.user, request.args, svc.today())

    @expose("/regulatory", methods=["GET"])
    @protect()
    @safe
    def regulatory(self):
        """The quarterly regulatory report (JR/T 0169-2018) of ``quarter`` for ``unit_id`` or the caller's scope.
        ---
        get:
          description: The complaints received in the quarter (duplicates and complaints not accepted left out,
            and counted), in the caller's scope, by business channel (A), business type (B) and complaint
            reason (C) — each dimension's codes in the table's order, a code above others counting theirs
            (subtotal) — every A × B × C combination, and by handling time (working days from receipt to
            reply, on time or overdue). Says how many are confirmed, unconfirmed (counted under the
            suggested codes) and unclassified. No complainant data. A bad quarter answers 400 on the field
            quarter; a unit outside the caller's scope 404.
          parameters:
          - {in: query, name: quarter, description: 'YYYY-Qn, e.g. 2026-Q3; default the last whole quarter', schema: {type: string, pattern: '^[0-9]{4}-?Q[1-4]$'}}
          - {in: query, name: unit_id, schema: {type: integer}}
          responses:
            200:
              description: The quarterly report
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result: {$ref: '#/components/schemas/{{self.__class__.__name__}}.regulatory'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        try:
            quarter = self._quarter()
        except DomainError as error:
            return self._error(error)
        return self.response(200, result=regulatory.quarterly(g.user, quarter, svc.today()))

    @expose("/regulatory/export", methods=["GET"])
    @protect()
    @safe
    def regulatory_export(self):
        """The quarterly regulatory report as .xlsx: the same figures as ``/regulatory``.
        ---
        get:
          description: The quarterly regulatory report as an Excel workbook (the counts, handling time and
            one table per dimension; the A × B × C rows with their subtotals). Same answers as /regulatory.
          parameters:
          - {in: query, name: quarter, schema: {type: string, pattern: '^[0-9]{4}-?Q[1-4]$'}}
          - {in: query, name: unit_id, schema: {type: integer}}
          responses:
            200: {description: An Excel workbook}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        try:
            quarter = self._quarter()
        except DomainError as error:
            return self._error(error)
        today = svc.today()
        data = regulatory.quarterly(g.user, quarter, today)
        return send_file(export.regulatory_workbook(data, today), mimetype=export.XLSX_MIMETYPE, as_attachment=True,
                         download_name=export.regulatory_download_name(data), max_age=0)

    def add_apispec_components(self, api_spec):
        super().add_apispec_components(api_spec)
        api_spec.components.schema(f"{type(self).__name__}.regulatory", component=REGULATORY_SCHEMA)
