"""导入投诉台账: the complaint ledger import page (issue 23) — upload → column mapping → preview →
import. Every step calls ``services/ledger.py``; the file stays on the server between the steps
(``ledger_upload``, the page carries a random token bound to the user); nothing is written before
the last step, and then all rows or none."""
from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext
from sqlalchemy import select

from ..domain import ledger as d
from ..domain import vocabulary as v
from ..errors import DomainError
from ..extensions import db
from ..i18n import label
from ..models import OrgUnit
from ..models.admin_audit import AdminAudit
from ..security import permissions as p
from ..services import complaints as svc
from ..services import ledger as service

RECENT_IMPORTS = 10


def _branches():
    """Active branches in the user's scope: the choices of the branch for rows that name none."""
    actor = svc.actor_for(g.user)
    units = db.session.execute(select(OrgUnit).where(OrgUnit.active.is_(True), OrgUnit.kind == "branch")
                               .order_by(OrgUnit.code)).scalars()
    return [unit for unit in units if actor.covers(unit.id)]


def _recent():
    return db.session.execute(select(AdminAudit).where(AdminAudit.target_type == "ledger")
                              .order_by(AdminAudit.id.desc()).limit(RECENT_IMPORTS)).scalars().all()


def _posted_mapping(ledger):
    """The mapping chosen on the page: ``map-<n>`` is the field of the ledger's n-th header."""
    return {header: (request.form.get(f"map-{index}") or d.IGNORE).strip()
            for index, header in enumerate(ledger.headers)}


class LedgerImportView(BaseView):
    """The four steps of a ledger import (the discipline office and Admin)."""

    route_base = "/ledger"
    default_view = "index"
    class_permission_name = p.LEDGER_IMPORT
    method_permission_name = p.LEDGER_IMPORT_METHODS
    base_permissions = [p.can(p.LEDGER_IMPORT_PERMISSION)]

    def _page(self, template, status=200, **values):
        return self.render_template(template, title=gettext("Import complaint ledger"), max_rows=d.MAX_ROWS,
                                    max_mb=d.MAX_FILE_BYTES // (1024 * 1024), **values), status

    def _upload_page(self, status=200, errors=None):
        return self._page("ledger/upload.html", status, branches=_branches(), recent=_recent(), errors=errors or {},
                          fields=[(name, service.field_label(name), "、".join(d.FIELDS[name][1])) for name in d.FIELD_NAMES],
                          required=set(d.REQUIRED_FIELDS))

    def _mapping_page(self, token, ledger, mapping, branch_id, status=200, errors=None):
        return self._page("ledger/mapping.html", status, token=token, ledger=ledger, mapping=mapping,
                          branch_id=branch_id, branches=_branches(), errors=errors or {},
                          fields=[(name, service.field_label(name)) for name in d.FIELD_NAMES],
                          required=set(d.REQUIRED_FIELDS))

    def _result_page(self, token, result, branch_id, status=200):
        return self._page("ledger/preview.html", status, token=token, result=result, branch_id=branch_id,
                          statuses=v.STATUSES, categories=v.CATEGORIES, rulings=v.RULING_RESULTS, label=label,
                          headers=list(enumerate(result.ledger.headers)))

    def _kept(self):
        """The user's kept upload and its ledger (the sheet posted), or a flash and the upload page."""
        upload = service.upload_of(g.user, request.form.get("token"))
        ledger = service.read_ledger(upload.filename, upload.content, request.form.get("sheet") or None)
        return upload, ledger

    @expose("/", methods=["GET"])
    @has_access
    def index(self):
        """Step 1: choose the file (and the branch of rows that name none)."""
        return self._upload_page()

    @expose("/upload", methods=["POST"])
    @has_access
    def upload(self):
        """Step 2: the file is read and kept; its columns are shown with the fields they fill."""
        upload = request.files.get("file")
        if upload is None or not getattr(upload, "filename", ""):
            return self._upload_page(400, {"file": [gettext("Choose a ledger file to upload.")]})
        content = upload.read(d.MAX_FILE_BYTES + 1)
        branch_id = request.form.get("default_branch") or ""
        try:
            token, ledger = service.keep_upload(g.user, upload.filename, content)
        except DomainError as error:
            return self._upload_page(400, {"file": [str(error)]})
        return self._mapping_page(token, ledger, service.mapping_for(ledger), branch_id)

    @expose("/mapping", methods=["POST"])
    @has_access
    def mapping(self):
        """Step 2 again, for another sheet of the workbook (its columns, mapped as saved)."""
        try:
            upload, ledger = self._kept()
        except DomainError as error:
            flash(str(error), "danger")
            return redirect(url_for("LedgerImportView.index"))
        return self._mapping_page(upload.token, ledger, service.mapping_for(ledger),
                                  request.form.get("default_branch") or "")

    @expose("/preview", methods=["POST"])
    @has_access
    def preview(self):
        """Step 3: the mapping is checked and saved for next time; every row is checked and shown as
        the case it would become (nothing is written)."""
        try:
            upload, ledger = self._kept()
        except DomainError as error:
            flash(str(error), "danger")
            return redirect(url_for("LedgerImportView.index"))
        mapping = _posted_mapping(ledger)
        branch_id = request.form.get("default_branch") or ""
        try:
            service.default_branch(g.user, branch_id)
            service.check_mapping(ledger, mapping, default_branch=bool(branch_id))
        except service.MappingErrors as error:
            return self._mapping_page(upload.token, ledger, mapping, branch_id, 400, error.payload())
        except DomainError as error:
            return self._mapping_page(upload.token, ledger, mapping, branch_id, 400, {"_branch": [str(error)]})
        service.save_mapping(ledger, mapping, g.user)
        result = service.import_ledger(g.user, ledger, mapping, default_branch_id=branch_id or None, dry_run=True)
        return self._result_page(upload.token, result, branch_id, 200)

    @expose("/run", methods=["POST"])
    @has_access
    def run(self):
        """Step 4: every row checked again and all imported in one transaction — or none, and the
        preview again with the reasons."""
        try:
            upload, ledger = self._kept()
        except DomainError as error:
            flash(str(error), "danger")
            return redirect(url_for("LedgerImportView.index"))
        mapping = _posted_mapping(ledger)
        branch_id = request.form.get("default_branch") or ""
        try:
            result = service.import_ledger(g.user, ledger, mapping, default_branch_id=branch_id or None)
        except service.MappingErrors as error:
            return self._mapping_page(upload.token, ledger, mapping, branch_id, 400, error.payload())
        except DomainError as error:
            flash(str(error), "danger")
            return self._mapping_page(upload.token, ledger, mapping, branch_id, 400)
        if result.errors:
            return self._result_page(upload.token, result, branch_id, 400)
        service.forget_upload(upload)
        return self._result_page(None, result, branch_id)
