"""The complaint list and the case pages: list with filters, case page with timeline and one
button per allowed transition, register and edit forms, the printable documents (intake form,
reply, ruling, appeal decision, extension report), evidence."""
from datetime import datetime, timedelta

from flask import abort, flash, g, jsonify, redirect, request, send_file, url_for
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
from ..domain.letters import split_greeting
from ..domain.payloads import EARLIEST, LATEST
from ..errors import DomainError
from ..extensions import db
from ..i18n import lazy_labels, vocab as c
from ..security import permissions as p
from ..security.filters import ComplaintScopeFilter
from ..security.masking import identity, mask_name, mask_phone, mask_text, may_search_identity, sees_identity
from ..security.request_cache import request_cache
from ..security.scope import all_units
from ..services import attachments, classification, deadlines, story
from ..services import complaints as svc
from ..services.calendar import load_calendar
from ..services.pii import log_identity_search, log_identity_views
from . import forms
from .base import check_list_arguments


COMPLAINT_METHODS = {
    "list": "read",
    "show": "read",
    "add": "register",
    "edit": "edit",
    "transition": "read",
    "print_intake": "read",
    "deadlines": "register",
    "print_reply": "read",
    "print_ruling": "read",
    "print_appeal": "read",
    "print_extension": "read",
    "upload": "edit",
    "attachment": "read",
    # Issue 23: the classification's own page (the ``classify`` transition's form).
    "classify": t.declared("classify").permission,
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


def flash_error(error):
    """Flash a refusal of a page without a form of its own to show it beside (an evidence upload)."""
    for message in forms.errors_of(error, []).general:
        flash(message, "danger")


def refused(error):
    """A refused form is shown again: nothing of the attempt may stay in the session (a rule may
    refuse after a handler set a value), so what the page shows is what is stored."""
    db.session.rollback()
    if error.status == 404:
        abort(404)
    return error.status


def deadline_hint(received, calendar):
    """What registering on ``received`` (a date) sets as the deadline of each level (§12): N working
    days after the day of receipt; the level, and so the deadline, is fixed on acceptance. A date in
    a year whose work calendar is not published says so."""
    shown = {}
    for level in ("branch", "union"):
        deadline = cal.handling_deadline(calendar, received, level)
        shown[level] = deadline.date.isoformat() if not deadline.provisional else gettext(
            "%(date)s (provisional: the work calendar of %(year)s is not published yet; recomputed when it is)",
            date=deadline.date.isoformat(), year=deadline.date.year)
    return gettext("Expected deadline: branch level %(branch)s, union level %(union)s; fixed on acceptance.",
                   branch=shown["branch"], union=shown["union"])


def _day(value):
    """The date of a parsed date-time field (an ISO text), or None when it is not one or lies outside
    the dates a payload takes."""
    try:
        day = datetime.fromisoformat(value).date() if isinstance(value, str) else None
    except ValueError:
        return None
    return day if day is not None and EARLIEST <= day <= LATEST else None


def _latest(events, name):
    """The payload of the latest ``name`` event (``{}`` when there is none)."""
    for event in reversed(events):
        if event.name == name:
            return event.payload or {}
    return {}


def decision_facts(complaint, events):
    """What a decision rests on, shown beside its form (§13, §14, §17): the extension request
    for ``decide_extension``, the reply and the appeal for ``decide_appeal``, the ruling and the
    request for ``decide_reruling``. ``{transition: [(label, value)]}``; values are shown as they
    are shown elsewhere on the same page to the same viewer."""
    request_ = _latest(events, "request_extension")
    ruling = complaint.rulings[0] if complaint.rulings else None
    return {
        "decide_extension": [
            (_l("Requested new due date"), request_.get("requested_due_date") or complaint.extension_requested_due),
            (_l("Current due date"), complaint.due_date),
            (_l("Special circumstances"), request_.get("reason")),
            (_l("Written report to the discipline office"), request_.get("report")),
            (_l("Customer informed at"), (request_.get("customer_informed_at") or "").replace("T", " ")[:16]),
            (_l("Customer informed by"), c.label(c.REPLY_METHODS, request_.get("customer_informed_by"))),
        ],
        "decide_appeal": [
            (_l("Replied at"), complaint.replied_at.strftime("%Y-%m-%d %H:%M") if complaint.replied_at else None),
            (_l("Reply method"), c.label(c.REPLY_METHODS, complaint.reply_method)),
            (_l("Reply"), complaint.reply_content),
            (_l("Date of the application"), complaint.appeal_applied_on),
            (_l("What the customer asks"), complaint.appeal_content),
            (_l("Decision due"), complaint.appeal_decision_due),
        ],
        "decide_reruling": [] if ruling is None else [
            (_l("Ruled on"), ruling.ruled_on),
            (_l("Result"), f"{c.label(c.RULING_RESULTS, ruling.result)} · "
                           f"{c.label(c.RULING_CATEGORIES, ruling.category)}"),
            (_l("Staff held responsible"), "、".join(member.name for member in ruling.staff) or None),
            (_l("Fee borne (yuan)"), ruling.fee_borne),
            (_l("Basis"), ruling.basis),
            (_l("Re-ruling requested at"), complaint.reruling_requested_at.strftime("%Y-%m-%d %H:%M")
             if complaint.reruling_requested_at else None),
            (_l("Why the ruling should be reconsidered"), complaint.reruling_reason),
        ],
    }


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
        check_list_arguments(self)
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
            complaint = reads.case_for_page(g.user, pk)
        except DomainError:
            abort(404)
        actor = svc.actor_for(g.user)
        today = svc.today()
        allowed = svc.available_transitions(g.user, complaint, today)
        events = reads.events_of(complaint)
        # A step with a page of its own (``OWN_PAGE``) is a link: its form is not built here.
        action_forms = [
            (tr, None if tr.name in t.OWN_PAGE else forms.transition_fields(tr.name, actor, complaint)) for tr in allowed
        ]
        # A refused transition form comes back open, as it was sent, with its messages (transition()).
        refused_form = g.pop("refused_form", None) or {}
        ceiling, beyond_ceiling = deadlines.regulatory_ceiling(complaint)
        who = identity(actor, complaint)
        full_identity = sees_identity(actor, complaint)
        same_caller, more_same_caller = search.same_caller(g.user, complaint)
        page = self.render_template(
            "complaint/show.html",
            complaint=complaint,
            who=who,
            overdue=svc.is_overdue(complaint, today),
            events=story.timeline(events, complaint, full_identity, reads.timeline_names(events)),
            action_forms=action_forms,
            facts=decision_facts(complaint, events),
            # A to-do badge opens its action's form (?action=<transition>).
            open_action=refused_form.get("name") or request.args.get("action"),
            form_values={refused_form["name"]: refused_form["values"]} if refused_form else {},
            form_errors={refused_form["name"]: refused_form["errors"]} if refused_form else {},
            confirm_first=t.CONFIRM_FIRST,
            own_page=t.OWN_PAGE,
            can_edit=svc.edit_refusal(actor, complaint) is None,
            text=lambda value: mask_text(value, complaint, full_identity),
            ceiling=ceiling,
            beyond_ceiling=beyond_ceiling,
            c=c,
            gettext=gettext,
            title=gettext("Complaint %(number)s", number=complaint.number),
            same_caller=same_caller,
            duplicates=story.merged_duplicates(events),
            same_caller_list=url_for(".list", **{search.SAME_CALLER_ARGUMENT: complaint.id}) if more_same_caller else None,
        )
        if full_identity:
            # Logged after rendering: the log's commit must not expire what the page still reads.
            log_identity_views(g.user, [complaint.id], "page")
        return page

    @expose("/transition/<int:pk>/<name>", methods=["POST"])
    @has_access
    def transition(self, pk, name):
        """Apply one transition from its form on the case page.

        A step that cannot be undone (``CONFIRM_FIRST``) is checked as if applied and summed up for
        confirmation first; the summary's form sends the same values back with ``confirmed=1`` (or
        ``back=1``: to the form, values kept). A refused form comes back on the case page, open,
        with the values as sent and each message beside its field."""
        if name not in t.BY_NAME:
            abort(404)
        if name in t.OWN_PAGE:  # its form is on a page of its own, which answers the same POST
            return getattr(self, name)(pk)
        fields = None
        try:
            complaint = svc.get_for(g.user, pk)
            fields = forms.transition_fields(name, svc.actor_for(g.user), complaint)
            if request.form.get("back"):
                return self._case_form(pk, name, fields, forms.FormErrors(), 200)
            data = forms.parse(fields, request.form)
            data["version"] = forms.form_version(request.form.get("version"))
            if name in t.CONFIRM_FIRST and request.form.get("confirmed") != "1":
                svc.apply(g.user, pk, name, data, dry_run=True)
                return self._confirmation(svc.get_for(g.user, pk), name, fields)
            svc.apply(g.user, pk, name, data)
        except DomainError as error:
            status = refused(error)
            return self._case_form(pk, name, fields or [], forms.errors_of(error, fields or []), status)
        flash(gettext("%(action)s: done.", action=gettext(t.BY_NAME[name].label)), "success")
        return redirect(url_for(".show", pk=pk))

    def _case_form(self, pk, name, fields, errors, status):
        """The case page with the form of transition ``name`` open, as it was sent, with ``errors``."""
        g.refused_form = {"name": name, "values": request.form, "errors": errors}
        return self.show(pk), status

    def _confirmation(self, complaint, name, fields):
        """What the step will write, to be confirmed: the case, its status before and after, and
        each value entered, with the label and the wording of the form."""
        transition = t.BY_NAME[name]
        return self.render_template(
            "complaint/confirm.html",
            complaint=complaint,
            transition=transition,
            warning=t.CONFIRM_FIRST[name],
            before=complaint.status,
            after=transition.target or complaint.status,
            rows=forms.summary(fields, request.form),
            sent=[(key, value) for key, value in request.form.items(multi=True)
                  if key not in ("csrf_token", "confirmed", "back")],
            c=c,
            gettext=gettext,
            title=gettext("Confirm: %(action)s", action=gettext(transition.label)),
        )

    # --- the JR/T 0169 classification (issue 23) ------------------------------------------------

    @expose("/classify/<int:pk>", methods=["GET", "POST"])
    @has_access
    def classify(self, pk):
        """确认分类: the handler confirms (or corrects) the three JR/T 0169 codes registration
        suggested — the ``classify`` transition, on a page of its own. A refused form comes back
        with each message beside its field and the values as sent; a step the user may not take
        now is explained on the case page."""
        actor = svc.actor_for(g.user)
        try:
            complaint = svc.get_for(g.user, pk, for_page=True)
        except DomainError:
            abort(404)
        refusal = t.check(t.declared("classify"), complaint, actor, svc.today())
        if refusal is not None:
            flash(gettext(refusal.message), "danger")
            return redirect(url_for(".show", pk=pk))
        fields = forms.transition_fields("classify", actor, complaint)
        values, errors, status = classification.codes_of(complaint), forms.FormErrors(), 200
        if request.method == "POST":
            data = forms.parse(fields, request.form)
            data["version"] = forms.form_version(request.form.get("version"))
            try:
                svc.apply(g.user, pk, "classify", data)
            except DomainError as error:
                status = refused(error)
                errors, values = forms.errors_of(error, fields), request.form
                complaint = svc.get_for(g.user, pk, for_page=True)
            else:
                flash(gettext("%(action)s: done.", action=gettext(t.declared("classify").label)), "success")
                return redirect(url_for(".show", pk=pk))
        return self.render_template(
            "complaint/classify.html", complaint=complaint, fields=fields, values=values, errors=errors,
            title=gettext("Classification of complaint %(number)s (JR/T 0169)", number=complaint.number), c=c,
        ), status

    # --- register and edit ------------------------------------------------------------------

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        actor = svc.actor_for(g.user)
        fields = forms.register_fields(actor)
        values, errors, status = {}, forms.FormErrors(), 200
        if request.method == "POST":
            values = request.form
            data = forms.parse(fields, request.form)
            try:
                complaint, _ = svc.register(g.user, data)
            except DomainError as error:
                status = refused(error)
                errors = forms.errors_of(error, fields)
            else:
                flash(gettext("Complaint %(number)s registered.", number=complaint.number), "success")
                return redirect(url_for(".show", pk=complaint.id))
        received = forms.parse([f for f in fields if f.name == "received_at"], values).get("received_at")
        return self.render_template(
            "complaint/form.html", fields=fields, values=values, errors=errors, title=self.add_title,
            action=url_for(".add"), version=None,
            notes={"received_at": deadline_hint(_day(received) or svc.today(), load_calendar())},
            deadlines_url=url_for(".deadlines"),
        ), status

    @expose("/deadlines")
    @has_access
    def deadlines(self):
        """The register form's deadline note for another day of receipt (``?received_at=``, a date
        or the form's date-time): JSON ``{"text"}``; today for a missing or unusable value."""
        day = _day(forms.parse([forms.Field("received_at", "", "datetime")], request.args).get("received_at"))
        return jsonify(text=deadline_hint(day or svc.today(), load_calendar()))

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
                svc.edit(g.user, pk, data, require=[f.name for f in fields if f.required])
            except DomainError as error:
                status = refused(error)
                errors = forms.errors_of(error, fields)
                values = request.form
            else:
                flash(gettext("Saved."), "success")
                return redirect(url_for(".show", pk=pk))
        else:
            values, errors, status = {f.name: getattr(complaint, f.name) for f in fields}, forms.FormErrors(), 200
            if full_identity:
                log_identity_views(g.user, [complaint.id], "page")
        return self.render_template(
            "complaint/form.html", fields=fields, values=values, errors=errors, title=self.edit_title,
            action=url_for(".edit", pk=pk), version=complaint.version,
        ), status

    # --- printable documents: intake form, written reply, ruling, appeal decision, extension ----

    def _printout(self, pk, template, shows_identity, exists=lambda complaint: True, **extra):
        """A printable document of case ``pk`` (404 outside the scope or when it has none): the
        complainant's identity and the texts masked per viewer; a full view of identity logged."""
        try:
            complaint = reads.case_for_page(g.user, pk)
        except DomainError:
            abort(404)
        if not exists(complaint):
            abort(404)
        actor = svc.actor_for(g.user)
        full = sees_identity(actor, complaint)
        values = {name: make(complaint) for name, make in extra.items()}
        page = self.render_template(
            template, complaint=complaint, who=identity(actor, complaint), c=c,
            text=lambda value: mask_text(value, complaint, full), **values,
        )
        if full and shows_identity:
            # Logged after rendering: the log's commit must not expire what the page still reads.
            log_identity_views(g.user, [complaint.id], "print")
        return page

    @expose("/print_intake/<int:pk>")
    @has_access
    def print_intake(self, pk):
        """受理登记表: the registration record, printed at the counter and signed (§7, §11)."""
        return self._printout(pk, "complaint/print_intake.html", shows_identity=True)

    @expose("/print_reply/<int:pk>")
    @has_access
    def print_reply(self, pk):
        """书面回复 (§10(二)) with the appeal notice (§14); one greeting at its head."""
        return self._printout(
            pk, "complaint/print_reply.html", shows_identity=True,
            exists=lambda complaint: complaint.replied_at is not None,
            letter=lambda complaint: split_greeting(
                complaint.reply_content, (complaint.complainant_name, complaint.principal_name)),
            supervision_phone=svc.replying_unit_phone,
        )

    @expose("/print_ruling/<int:pk>")
    @has_access
    def print_ruling(self, pk):
        """责任认定书 and, after a re-ruling, the final decision (§17)."""
        return self._printout(pk, "complaint/print_ruling.html", shows_identity=False,
                              exists=lambda complaint: bool(complaint.rulings))

    @expose("/print_appeal/<int:pk>")
    @has_access
    def print_appeal(self, pk):
        """复议决定书: the superior body's decision on the customer's appeal (§14)."""
        return self._printout(pk, "complaint/print_appeal.html", shows_identity=True,
                              exists=lambda complaint: complaint.appeal_decided_at is not None)

    @expose("/print_extension/<int:pk>")
    @has_access
    def print_extension(self, pk):
        """延期申请报告: each request for more time, the customer informed, and the decision (§13)."""
        return self._printout(
            pk, "complaint/print_extension.html", shows_identity=False,
            exists=lambda complaint: complaint.extension_status != "none",
            requests=lambda complaint: story.extension_requests(reads.events_of(complaint)),
        )

    # --- evidence ---------------------------------------------------------------------------

    @expose("/upload/<int:pk>", methods=["POST"])
    @has_access
    def upload(self, pk):
        try:
            attachments.save_upload(g.user, pk, request.files.get("file"))
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
        response = send_file(path, mimetype=item.content_type, as_attachment=True,
                             download_name=attachments.shown_filename(svc.actor_for(g.user), item))
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        return response


