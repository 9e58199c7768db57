"""Complaint pages: list with filters, case page with timeline and one button per allowed
transition, register and edit forms, the printable written reply, evidence, and 我的待办."""
from datetime import timedelta

from flask import abort, current_app, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, ModelView, expose, has_access
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.widgets import ListWidget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import func, select, union_all
from sqlalchemy.orm import selectinload

from ..domain import vocabulary as labels
from ..errors import DomainError
from ..datamodels import ComplaintInterface
from ..extensions import db
from ..input_checks import valid_page_number
from ..models import OrgUnit
from ..models.complaint import Complaint, ComplaintEvent
from ..security import permissions as p
from ..security.filters import ComplaintScopeFilter
from ..security.masking import identity, sees_identity
from ..security.scope import all_units
from ..services.pii import log_identity_views
from ..services.presenter import event_changes
from ..models.audit import PiiAccess
from ..models.reminder import Reminder
from ..services import attachments, deadlines
from ..services import complaints as svc
from ..services.calendar import load_calendar
from ..domain import calendar as cal
from ..domain import states as s
from ..domain import transitions as t
from ..i18n import lazy_labels, vocab as c
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
    list_columns = ["number", "received_at", "branch", "category", "status", "level", "handling_unit", "handler", "due_date"]
    search_columns = ["number", "status", "channel", "category", "level", "branch", "handling_unit", "received_at",
                      "due_date", "extension_status"]
    # The unit filters offer the user's scope only, from one cached statement (FAB's default
    # would query every unit, with a count, once per field).
    search_form_extra_fields = {"branch": _unit_filter_field("branch"), "handling_unit": _unit_filter_field("handling_unit")}
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
            ]
        }
        scoped_units()  # before the list query: the rows' units then come from the session
        return super().list()

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
        events = db.session.execute(
            select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id)
        ).scalars().all()
        action_forms = [
            (tr, forms.transition_fields(tr.name, actor, complaint)) for tr in allowed
        ]
        ceiling, beyond_ceiling = deadlines.regulatory_ceiling(complaint)
        who = identity(actor, complaint)
        full_identity = sees_identity(actor, complaint)
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
                from ..errors import ValidationFailed

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


class TodoView(BaseView):
    """我的待办: the cases waiting for the current user's action, overdue first."""

    route_base = "/todo"
    default_view = "index"
    class_permission_name = p.COMPLAINT
    base_permissions = list(p.COMPLAINT_PERMISSIONS)
    method_permission_name = {"index": "read"}

    @expose("/")
    @has_access
    def index(self):
        actor = svc.actor_for(g.user)
        today = svc.today()
        rows = sorted(todo_candidates(g.user, actor, today), key=lambda c: todo_order(c, today))
        calendar = load_calendar()
        reminded = set(db.session.execute(
            select(Reminder.complaint_id).where(Reminder.day == today, Reminder.complaint_id.in_([c.id for c in rows]))
        ).scalars())
        items = []
        for complaint in rows:
            actions = t.available(complaint, actor, today)
            if not actions:
                continue
            if len(items) == TODO_LIMIT:
                break
            soon = complaint.due_date is not None and complaint.status == s.PROCESSING and cal.due_soon(
                calendar, today, complaint.due_date, current_app.config.get("DUE_SOON_WORKING_DAYS", 2))
            items.append((complaint, actions, svc.is_overdue(complaint, today), soon,
                          deadlines.regulatory_ceiling(complaint)[1], complaint.id in reminded))
        return self.render_template("complaint/todo.html", items=items, c=c, gettext=gettext, title=gettext("My to-do"))


QUEUES = {
    # name: (title, condition for the acting user, order)
    "rulings": (_l("Cases awaiting a ruling"),
                lambda actor: Complaint.status.in_(s.RULEABLE) & Complaint.ruling_result.is_(None),
                lambda: Complaint.received_at),
    # §17: the requests addressed to the user's unit (the higher ruling body).
    "rerulings": (_l("Re-ruling requests"),
                  lambda actor: (Complaint.reruling_status == s.RERULING_REQUESTED)
                  & (Complaint.reruling_unit_id == actor.unit_id),
                  lambda: Complaint.reruling_requested_at),
    # §14: an appeal shows only to its appeal unit.
    "appeals": (_l("Appeals"),
                lambda actor: (Complaint.status == s.APPEALED) & (Complaint.appeal_unit_id == actor.unit_id),
                lambda: Complaint.appeal_decision_due),
}


class QueueView(BaseView):
    """Work lists: the committee's cases awaiting a ruling, the higher body's re-ruling requests,
    appeals with their decision deadlines (§14, §17). Scoped and masked like every list."""

    route_base = "/queues"
    default_view = "rulings"
    class_permission_name = p.COMPLAINT
    base_permissions = list(p.COMPLAINT_PERMISSIONS)
    method_permission_name = {"rulings": "read", "rerulings": "read", "appeals": "read"}

    def _render(self, name):
        title, condition, order = QUEUES[name]
        rows = db.session.execute(
            svc.scoped_select(g.user).where(condition(svc.actor_for(g.user))).order_by(order(), Complaint.id)
            .options(selectinload(Complaint.branch), selectinload(Complaint.handling_unit))
            .limit(500)
        ).scalars().all()
        return self.render_template("complaint/queue.html", rows=rows, queue=name, title=title, c=c,
                                    today=svc.today())

    @expose("/rulings")
    @has_access
    def rulings(self):
        return self._render("rulings")

    @expose("/rerulings")
    @has_access
    def rerulings(self):
        return self._render("rerulings")

    @expose("/appeals")
    @has_access
    def appeals(self):
        return self._render("appeals")


class PiiAccessView(ModelView):
    """The PII access log for the discipline office: read and filter, never change (§16)."""

    route_base = "/pii-log"
    datamodel = SQLAInterface(PiiAccess)
    class_permission_name = p.PII_LOG
    method_permission_name = {"list": "read", "show": "read"}
    include_route_methods = {"list", "show"}
    list_title = _l("Identity access log")
    show_title = _l("Identity access")
    add_title = _l("Identity access log")
    edit_title = _l("Identity access log")
    label_columns = lazy_labels(labels.PII_LOG_LABELS)
    list_columns = ["at", "username", "complaint", "channel"]
    show_columns = list_columns
    search_columns = ["at", "username", "complaint", "channel"]
    order_columns = ["at", "username", "channel"]
    base_order = ("at", "desc")
    formatters_columns = {"channel": lambda v: c.label(c.PII_CHANNELS, v)}


class AccountabilityView(BaseView):
    """超时追责 (§13): cases that ran past their deadline in force — an approved extension's date
    included (未经许可超时) — with the unit and handler that held them on the day they became
    overdue. Scoped like every list."""

    route_base = "/accountability"
    default_view = "index"
    class_permission_name = p.COMPLAINT
    base_permissions = list(p.COMPLAINT_PERMISSIONS)
    method_permission_name = {"index": "read"}
    page_size = 50

    @expose("/")
    @has_access
    def index(self):
        today = svc.today()
        page = request.args.get("page", "0")  # refused before the view unless a page number
        page = int(page) if valid_page_number(page) else 0
        base = svc.scoped_select(g.user).where(deadlines.overdue_clause(today))
        total = db.session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
        rows = db.session.execute(
            base.order_by(Complaint.due_date, Complaint.id)
            .options(selectinload(Complaint.branch))
            .limit(self.page_size).offset(page * self.page_size)
        ).scalars().all()
        holders = deadlines.holders_at_deadline(rows)
        units = {u.id: u for u in db.session.execute(select(OrgUnit).where(
            OrgUnit.id.in_({h[0] for h in holders.values() if h[0]}))).scalars()}
        from ..models import Staff

        staff = {m.id: m for m in db.session.execute(select(Staff).where(
            Staff.id.in_({h[1] for h in holders.values() if h[1]}))).scalars()}
        calendar = load_calendar()
        items = []
        for complaint in rows:
            unit_id, handler_id = holders.get(complaint.id, (None, None))
            end = complaint.replied_at.date() if complaint.replied_at else today
            items.append((complaint, units.get(unit_id), staff.get(handler_id),
                          cal.working_days_between(calendar, complaint.due_date, end)))
        return self.render_template("complaint/accountability.html", items=items, total=total, page=page,
                                    pages=(total + self.page_size - 1) // self.page_size, c=c,
                                    title=gettext("Overruns without permission (§13)"))


TODO_LIMIT = 200
# Statuses in which a case still waits for its handler, head or the office (not closed work).
ACTIVE = (s.REGISTERED, s.PROCESSING, s.REPLIED, s.APPEALED)


def _by_due():
    return (Complaint.due_date.is_(None), Complaint.due_date, Complaint.received_at, Complaint.id)


def _newest(column):
    return (column.desc(), Complaint.id.desc())


def _todo_parts(actor, today):
    """What may need ``actor``, as (condition, order) pairs: each kind of work is read with its
    own index-friendly order and limit, so the page costs the same at a million cases as at a
    thousand. The transition table then decides exactly what each case offers."""
    parts = []
    if actor.has_role(t.COMMITTEE):
        parts.append((Complaint.status.in_(s.RULEABLE) & Complaint.ruling_result.is_(None), _newest(Complaint.received_at)))
    if actor.has_role(t.RERULING_BODY) and actor.unit_id is not None:
        parts.append(((Complaint.reruling_status == s.RERULING_REQUESTED) & (Complaint.reruling_unit_id == actor.unit_id),
                      (Complaint.reruling_requested_at, Complaint.id)))
    if actor.unit_id is not None:
        parts.append(((Complaint.status == s.APPEALED) & (Complaint.appeal_unit_id == actor.unit_id),
                      (Complaint.appeal_decision_due, Complaint.id)))
    if actor.staff_id is not None:
        from ..security.scope import clauses_for_ruled_staff

        parts.append(((Complaint.reruling_status == s.RERULING_NONE) & Complaint.ruling_result.isnot(None)
                      & (Complaint.reruling_deadline.is_(None) | (Complaint.reruling_deadline >= today))
                      & clauses_for_ruled_staff(Complaint, actor.staff_id), _newest(Complaint.ruled_on)))
        parts.append(((Complaint.handler_id == actor.staff_id) & Complaint.status.in_(ACTIVE), _by_due()))
    if actor.has_role(t.DISCIPLINE_OFFICE):
        parts.append((Complaint.status == s.REGISTERED, _by_due()))
        parts.append(((Complaint.extension_status == s.EXT_REQUESTED) & (Complaint.status == s.PROCESSING), _by_due()))
        parts.append(((Complaint.level == "union") & Complaint.status.in_(ACTIVE), _by_due()))
        parts.append(((Complaint.status == s.CLOSED) & Complaint.followed_up_at.is_(None), _newest(Complaint.closed_at)))
    if actor.has_role(t.BRANCH_HEAD) and actor.unit_ids:
        units = sorted(actor.unit_ids)
        parts.append((Complaint.handling_unit_id.in_(units) & Complaint.status.in_(ACTIVE), _by_due()))
        parts.append(((Complaint.status == s.REGISTERED) & Complaint.branch_id.in_(units), _by_due()))
        parts.append(((Complaint.status == s.CLOSED) & Complaint.followed_up_at.is_(None)
                      & Complaint.handling_unit_id.in_(units), _newest(Complaint.closed_at)))
    return parts


def todo_candidates(user, actor, today, limit=TODO_LIMIT):
    """The cases of ``user``'s to-do candidates in one statement: the ids of each kind of work
    (its own order and limit) united, then the cases with their units and handler."""
    parts = _todo_parts(actor, today)
    if not parts:
        return []
    scope = svc.scoped_select(user).whereclause
    ids = union_all(*[
        select(Complaint.id).where(scope, condition).order_by(*order).limit(limit).subquery().select()
        for condition, order in parts
    ]).subquery()
    query = (
        select(Complaint).where(Complaint.id.in_(select(ids.c.id)))
        # the guards of a ruled case read its ruled staff: one statement for all rows
        .options(selectinload(Complaint.handler), selectinload(Complaint.ruled_staff))
    )
    all_units()  # the rows' units then come from the session
    return db.session.execute(query).scalars().all()


def todo_order(complaint, today):
    """Overdue open work first, then open work by due date, then follow-ups, rulings and other
    work without a deadline, most recent first."""
    if complaint.status in ACTIVE and complaint.due_date is not None:
        return (0 if complaint.due_date < today else 1, complaint.due_date.toordinal(), complaint.id)
    recent = complaint.closed_at or complaint.received_at
    return (2, -recent.toordinal() if recent else 0, -complaint.id)
