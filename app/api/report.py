"""/api/v1/report/: the period's figures as JSON and as an Excel workbook (api.md "Reports")."""
from flask import g, request, send_file
from flask_appbuilder.api import BaseApi, expose, protect, safe

from ..errors import DomainError
from ..reports import export, statistics
from ..reports.period import may, parse_period
from ..reports.rules import load_rules
from ..security import permissions as p
from ..services import complaints as svc
from .base import domain_error_response


class ReportApi(BaseApi):
    """Statistics scoped to the caller; token-only like every API here."""

    resource_name = "report"
    allow_browser_login = False
    class_permission_name = p.REPORT
    base_permissions = list(p.REPORT_PERMISSIONS)
    method_permission_name = {"summary": p.REPORT_READ, "export": p.REPORT_EXPORT}
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
