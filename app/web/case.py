"""The complaint list and the case pages: list with filters, case page with timeline and one
button per allowed transition, register and edit forms, the printable reply and ruling, evidence."""
from datetime import timedelta

from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext, lazy_gettext as _l
from wtforms import StringField

from ..data import complaints as reads
from ..data import search
from ..data.interfaces import ComplaintInterface
from ..domain import calendar as cal
from ..domain import transitions as t
from ..domain import vocabulary as labels
from ..errors import DomainError, ValidationFailed
from ..i18n import lazy_labels, vocab as c
from ..security import permissions as p
from ..security.filters import ComplaintScopeFilter
from ..security.masking import identity, mask_name, mask_phone, may_search_identity, sees_identity
from ..security.request_cache import request_cache
from ..security.scope import all_units
from ..services import attachments, deadlines
from ..services import complaints as svc
from ..services.calendar import load_calendar
from ..services.pii import log_identity_search, log_identity_views
from ..services.presenter import event_changes
from . import forms

MAX_PAGE_SIZE = 100

COMPLAINT_METHODS = {
    "list": "read",
    "show": "read",
    "add": "register",
    "edit": "edit",
    "transition": "read",
    "print_reply": "read",
    "print_ruling": "read",
    "upload": "edit",
    "attachment": "read",
}


def scoped_units():
    """The units of the user's scope, in code order: one statement per request.

    They are the choices of the list's unit filters, and loading them before the list query
    puts them in the session, so the rows' branch and handling unit need no statement of their
    own (SQLAlchemy takes a many-to-one target from the session when it is there).
    """
    actor = svc.actor_for(g.user)
    return [unit for unit in all_units() if actor.covers(unit.id)]


def _unit_filter_field(column):
    return QuerySelectField(
        lazy_labels(labels.COMPLAINT_LABELS).get(column, column),
        query_func=scoped_units,
        get_pk_func=lambda unit: unit.id,
        allow_blank=True,
        widget=Select2Widget(),
    )


def _error_messages(error):
    """Flat, translated messages of a domain error for flashing."""
    payload = error.payload()
    if isinstance(payload, dict):
        out = []
        for field, messages in payload.items():
            label = gettext(labels.COMPLAINT_LABELS.get(field) or labels.TRANSITION_FIELD_LABELS.get(field) or field)
            for message in messages if isinstance(messages, list) else [messages]:
                # Schema messages are msgids (N_): translate them here, as the page is shown.
                text = gettext(message) if isinstance(message, str) else message
                out.append(f"{label}:{text}")
        return out
    return [str(payload)]


def flash_error(error):
    for message in _error_messages(error):
        flash(message, "danger")


class ComplaintListWidget(ListWidget):
    """FAB's list table with the row buttons made once per page (complaint/list_widget.html)."""

    template = "complaint/list_widget.html"


class ComplaintView(ModelView):
    """投诉单: the list and the case pages (all changes go through services)."""

    route_base = "/complaints"
    # Units need no loading of their own: all_units() (one statement per request, run before the
    # list query) has put every unit in the session, where the rows' many-to-one finds them.
    datamodel = ComplaintInterface(eager=("handler",))
    class_permission_name = p.COMPLAINT
    base_permissions = list(p.COMPLAINT_PERMISSIONS)
    method_permission_name = COMPLAINT_METHODS
    exclude_route_methods = {"delete", "download", "action", "action_post"}
    base_filters = [["id", ComplaintScopeFilter, lambda: None]]

    list_title = _l("Complaints")
    show_title = _l("Complaint")
    add_title = _l("Register complaint")
    edit_title = _l("Edit complaint")
    # A copy: FAB adds English prettified names for unlabelled columns to this dict in place,
    # which would otherwise leak into labels.COMPLAINT_LABELS (used for the error messages).
    label_columns = lazy_labels(labels.COMPLAINT_LABELS)
    # The complainant columns are always masked: a list never carries full identity (§16); it is
    # shown, and logged, one case at a time.
    list_columns = ["number", "received_at", "complainant_name", "complainant_phone", "branch", "category", "status",
                    "level", "handling_unit", "handler", "due_date"]
    # Phone and name only for the roles that may search them (``_get_search_widget``; the
    # filters refuse the others, data/search.py).
    search_columns = ["number", "complainant_phone", "complainant_name", "facts", "status", "channel", "category",
                      "level", "branch", "handling_unit", "received_at", "due_date", "extension_status",
                      "phone_shared"]
    # The unit filters offer the user's scope only, from one cached statement (FAB's default
    # would query every unit, with a count, once per field).
    search_form_extra_fields = {
        "branch": _unit_filter_field("branch"),
        "handling_unit": _unit_filter_field("handling_unit"),
        "facts": StringField(_l("Facts")),
        "phone_shared": StringField(_l("Repeat caller")),
    }
    order_columns = ["number", "received_at", "due_date", "status"]
    base_order = ("received_at", "desc")
    page_size = 25
    formatters_columns = {
        "status": lambda v: c.label(c.STATUSES, v),
        "category": lambda v: c.label(c.CATEGORIES, v),
        "level": lambda v: c.label(c.LEVELS, v),
        "channel": lambda v: c.label(c.CHANNELS, v),
        "extension_status": lambda v: c.label(c.EXTENSIONS, v),
        "received_at": lambda v: v.strftime("%Y-%m-%d %H:%M") if v else "",
        "due_date": lambda v: v.isoformat() if v else "—",
        "handler": lambda v: v.name if v else "—",
        "handling_unit": lambda v: v.name if v else "—",
        "branch": lambda v: v.name if v else "—",
        "complainant_name": mask_name,
        "complainant_phone": lambda v: mask_phone(v) or "—",
    }
    list_template = "complaint/list.html"
    list_widget = ComplaintListWidget

    # --- list: sorting and page size only on declared terms -----------------------------------

    @expose("/list/")
    @has_access
    def list(self):
        name = self.__class__.__name__
        order = request.args.get(f"_oc_{name}")
        if order is not None and order not in self.order_columns:
            abort(400)
        if request.args.get(f"_od_{name}") not in (None, "asc", "desc"):
            abort(400)
        size = request.args.get(f"psize_{name}")
        if size is not None and (not size.isdigit() or not 0 < int(size) <= MAX_PAGE_SIZE):
            abort(400)
        today = svc.today()
        calendar = load_calendar()
        soon = cal.add_working_days(calendar, today, 2).date
        self.extra_args = {
            "quick": [
                (_l("Overdue"), {"_flt_0_status": "processing", "_flt_2_due_date": today.isoformat()}),
                (_l("Due within 2 working days"), {"_flt_0_status": "processing", "_flt_1_due_date": (today - timedelta(days=1)).isoformat(), "_flt_2_due_date": (soon + timedelta(days=1)).isoformat()}),
                (_l("Awaiting acceptance"), {"_flt_0_status": "registered"}),
                (_l("Extension requested"), {"_flt_0_extension_status": "requested"}),
            ],
            "search_box": {
                "name": search.KEYWORD_ARGUMENT,
                "value": request.args.get(search.KEYWORD_ARGUMENT, ""),
                "placeholder": (_l("Search: case number / phone / name / text") if self._identity_search_offered()
                                else _l("Search: case number / text")),
            },
        }
        scoped_units()  # before the list query: the rows' units then come from the session
        page = super().list()
        if search.identity_searched():
            # Logged after rendering: the log's commit must not expire what the page still reads.
            log_identity_search(g.user, request_cache().get("listed_complaints", []))
        return page

    @staticmethod
    def _identity_search_offered() -> bool:
        return may_search_identity(svc.actor_for(g.user))

    def _get_list_widget(self, filters, **kwargs):
        widgets = super()._get_list_widget(filters, **kwargs)
        # The cases this page lists: an identity search logs them (``list``).
        request_cache()["listed_complaints"] = list(widgets["list"].template_args.get("pks") or [])
        return widgets

    def _get_search_widget(self, form=None, exclude_cols=None, widgets=None):
        """FAB's filter menu, without phone and name for a role that sees them masked (§16)."""
        widgets = widgets or {}
        hidden = () if self._identity_search_offered() else search.IDENTITY_COLUMNS
        widgets["search"] = self.search_widget(
            route_base=self.route_base,
            form=form,
            include_cols=[column for column in self.search_columns if column not in hidden],
            exclude_cols=exclude_cols or [],
            filters=self._filters,
        )
        return widgets

    # --- case page --------------------------------------------------------------------------

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        try:
            complaint = svc.get_for(g.user, pk, for_page=True)
        except DomainError:
            abort(404)
        actor = svc.actor_for(g.user)
        today = svc.today()
        allowed = svc.available_transitions(g.user, complaint, today)
        events = reads.events_of(complaint)
        action_forms = [
            (tr, forms.transition_fields(tr.name, actor, complaint)) for tr in allowed
        ]
        ceiling, beyond_ceiling = deadlines.regulatory_ceiling(complaint)
        who = identity(actor, complaint)
        full_identity = sees_identity(actor, complaint)
        same_caller, more_same_caller = search.same_caller(g.user, complaint)
        page = self.render_template(
            "complaint/show.html",
            complaint=complaint,
            who=who,
            overdue=svc.is_overdue(complaint, today),
            events=[(event, event_changes(event, full_identity)) for event in events],
            action_forms=action_forms,
            can_edit=svc.edit_refusal(actor, complaint) is None,
            labels=lazy_labels(labels.COMPLAINT_LABELS),
            ceiling=ceiling,
            beyond_ceiling=beyond_ceiling,
            c=c,
            gettext=gettext,
            title=gettext("Complaint %(number)s", number=complaint.number),
            same_caller=same_caller,
            same_caller_list=url_for(".list", **{search.SAME_CALLER_ARGUMENT: complaint.id}) if more_same_caller else None,
        )
        if full_identity:
            # Logged after rendering: the log's commit must not expire what the page still reads.
            log_identity_views(g.user, [complaint.id], "page")
        return page

    @expose("/transition/<int:pk>/<name>", methods=["POST"])
    @has_access
    def transition(self, pk, name):
        """Apply one transition from its form on the case page."""
        if name not in t.BY_NAME:
            abort(404)
        try:
            complaint = svc.get_for(g.user, pk)
            fields = forms.transition_fields(name, svc.actor_for(g.user), complaint)
            data = forms.parse(fields, request.form)
            data["version"] = forms.form_version(request.form.get("version"))
            svc.apply(g.user, pk, name, data)
        except DomainError as error:
            if error.status == 404:
                abort(404)
            flash_error(error)
        else:
            flash(gettext("%(action)s: done.", action=gettext(t.BY_NAME[name].label)), "success")
        return redirect(url_for(".show", pk=pk))

    # --- register and edit ------------------------------------------------------------------

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        actor = svc.actor_for(g.user)
        fields = forms.register_fields(actor)
        values = {}
        if request.method == "POST":
            values = request.form
            data = forms.parse(fields, request.form)
            try:
                complaint, _ = svc.register(g.user, data)
            except DomainError as error:
                flash_error(error)
            else:
                flash(gettext("Complaint %(number)s registered.", number=complaint.number), "success")
                return redirect(url_for(".show", pk=complaint.id))
        return self.render_template(
            "complaint/form.html", fields=fields, values=values, title=self.add_title,
            action=url_for(".add"), version=None,
        )

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        actor = svc.actor_for(g.user)
        try:
            complaint = svc.get_for(g.user, pk)
        except DomainError:
            abort(404)
        full_identity = sees_identity(actor, complaint)
        fields = forms.edit_fields(actor, full_identity)
        if request.method == "POST":
            data = forms.parse(fields, request.form)
            # EditSchema takes the version as a strict integer; a form sends text.
            version = forms.form_version(request.form.get("version"))
            data["version"] = "" if version is None else version
            try:
                svc.edit(g.user, pk, data)
            except DomainError as error:
                flash_error(error)
                values = request.form
            else:
                flash(gettext("Saved."), "success")
                return redirect(url_for(".show", pk=pk))
        else:
            values = {f.name: getattr(complaint, f.name) for f in fields}
            if full_identity:
                log_identity_views(g.user, [complaint.id], "page")
        return self.render_template(
            "complaint/form.html", fields=fields, values=values, title=self.edit_title,
            action=url_for(".edit", pk=pk), version=complaint.version,
        )

    # --- printable written reply (书面回复) ------------------------------------------------------

    @expose("/print_reply/<int:pk>")
    @has_access
    def print_reply(self, pk):
        try:
            complaint = svc.get_for(g.user, pk)
        except DomainError:
            abort(404)
        if complaint.replied_at is None:
            abort(404)
        actor = svc.actor_for(g.user)
        if sees_identity(actor, complaint):
            log_identity_views(g.user, [complaint.id], "print")
        return self.render_template(
            "complaint/print_reply.html", complaint=complaint, who=identity(actor, complaint), c=c,
        )

    @expose("/print_ruling/<int:pk>")
    @has_access
    def print_ruling(self, pk):
        """责任认定书 and, after a re-ruling, the final decision (§17)."""
        try:
            complaint = svc.get_for(g.user, pk)
        except DomainError:
            abort(404)
        if not complaint.rulings:
            abort(404)
        return self.render_template("complaint/print_ruling.html", complaint=complaint, c=c)

    # --- evidence ---------------------------------------------------------------------------

    @expose("/upload/<int:pk>", methods=["POST"])
    @has_access
    def upload(self, pk):
        upload = request.files.get("file")
        try:
            if upload is None:
                raise ValidationFailed(gettext("Choose a file to attach."), field="file")
            attachments.save(g.user, pk, upload.filename, upload.stream)
        except DomainError as error:
            if error.status == 404:
                abort(404)
            flash_error(error)
        else:
            flash(gettext("File attached."), "success")
        return redirect(url_for(".show", pk=pk))

    @expose("/attachment/<int:pk>/<int:attachment_id>")
    @has_access
    def attachment(self, pk, attachment_id):
        try:
            item, path = attachments.open_for(g.user, pk, attachment_id)
        except DomainError:
            abort(404)
        response = send_file(path, mimetype=item.content_type, as_attachment=True, download_name=item.filename)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        return response


