"""责任认定小组: the ruling bodies and their rosters (§17, issue 21).

Admin and the discipline office maintain them; the committee, the higher ruling body and the
leadership read. Every add, edit and delete goes through ``app.services.committee_roster``: these
views only collect the form and show the service's refusals beside their fields, values kept.
"""
from flask import abort, flash, g, request
from flask_appbuilder import ModelView
from flask_appbuilder.urltools import get_order_args, get_page_args, get_page_size_args
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, DatePickerWidget, Select2Widget
from flask_babel import gettext, lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField

from ..data.interfaces import RulingBodyInterface
from ..domain import committee as c
from ..errors import DomainError
from ..extensions import db
from flask_appbuilder.models.sqla.interface import SQLAInterface
from ..i18n import label, lazy_choices, lazy_labels
from ..ids import row_id
from ..models.committee import BodyMember, RulingBody
from ..security import permissions as p
from ..services import committee_roster as service


def _yes_no(value):
    return gettext("Yes") if value else gettext("No")


def _date(value):
    return value.isoformat() if value else "—"


def _number(text):
    """A whole number as the service takes it; other text as it is (the service refuses it)."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else text


def _optional(text):
    text = (text or "").strip()
    return text or None


_MEMBER_FIELDS = {
    "body_id": SelectField(_l("Ruling body"), choices=[], validate_choice=False, widget=Select2Widget()),
    "staff_id": SelectField(_l("Staff member"), choices=[], validate_choice=False, widget=Select2Widget()),
    "role": SelectField(_l("Committee role"), choices=lazy_choices(c.MEMBER_ROLE_LABELS), validate_choice=False,
                        description=_l("At most one chair may serve on any day.")),
    "term_from": StringField(_l("Term from"), widget=DatePickerWidget()),
    "term_to": StringField(_l("Term to (inclusive; empty: open)"), widget=DatePickerWidget(),
                           description=_l("To end a term, set its last day. A member who sat on a ruling cannot be "
                                          "deleted.")),
}

_BODY_FIELDS = {
    "name": StringField(_l("Name"), widget=BS3TextFieldWidget()),
    "kind": SelectField(_l("Kind"), choices=lazy_choices(c.BODY_KIND_LABELS), validate_choice=False),
    "unit_id": SelectField(_l("Unit"), choices=[], validate_choice=False, widget=Select2Widget(),
                           description=_l("The unit the body belongs to: the union's committee rules the cases of "
                                          "the union's branches.")),
    "quorum_percent": StringField(_l("Quorum percentage"), default="50", widget=BS3TextFieldWidget(),
                                  description=_l("Those present must be more than this percentage (0–99) of the "
                                                 "voting members serving that day who are not recused; 50 means "
                                                 "more than half.")),
    "chair_required": BooleanField(_l("Chair or deputy chair must be present"), default=True),
    "active": BooleanField(_l("Active"), default=True),
}


class ServiceFormView(ModelView):
    """A ModelView whose add, edit and delete call a service. A refusal comes back beside its
    field (or above the form), the values kept; nothing is written."""

    exclude_route_methods = {"download", "action", "action_post"}

    def prepare_form(self, form):
        """Set the choices of the form's select fields (they depend on the data)."""

    def preset(self, form):
        """Fill a new form's defaults from the request (GET)."""

    def submitted(self, form, item=None) -> dict:
        raise NotImplementedError

    def create(self, data):
        raise NotImplementedError

    def update(self, item, data):
        raise NotImplementedError

    def remove(self, item):
        raise NotImplementedError

    def _refused(self, form, error):
        db.session.rollback()
        payload = error.payload()
        if not isinstance(payload, dict):
            flash(str(payload), "danger")
            return
        for name, messages in payload.items():
            messages = messages if isinstance(messages, list) else [messages]
            if name in form and form[name].widget is not None:
                form[name].errors = [*form[name].errors, *[str(m) for m in messages]]
            else:
                flash(" ".join(str(m) for m in messages), "danger")

    def _add(self):
        form = self.add_form.refresh()
        self.prepare_form(form)
        if request.method == "POST":
            if form.validate():
                try:
                    self.create(self.submitted(form))
                except DomainError as error:
                    self._refused(form, error)
                else:
                    flash(self.add_row_message, "success")
                    return None
        else:
            self.preset(form)
            self.update_redirect()
        return self._get_add_widget(form=form)

    def _edit(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        pk = self.datamodel.get_pk_value(item)
        if request.method == "POST":
            form = self.edit_form.refresh(request.form)
            form._id = pk
            self.prepare_form(form)
            if form.validate():
                try:
                    self.update(item, self.submitted(form, item))
                except DomainError as error:
                    self._refused(form, error)
                else:
                    flash(self.edit_row_message, "success")
                    return None
        else:
            form = self.edit_form.refresh(obj=item)
            self.prepare_form(form)
            self.update_redirect()
        widgets = self._get_edit_widget(form=form)
        return self._get_related_views_widgets(item, filters={}, orders=get_order_args(), pages=get_page_args(),
                                               page_sizes=get_page_size_args(), widgets=widgets)

    def _delete(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        try:
            self.remove(item)
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            flash(self.delete_row_message, "success")
        self.update_redirect()


class BodyMemberView(ServiceFormView):
    """A body's roster: every term, current and past, with its committee role."""

    datamodel = SQLAInterface(BodyMember)
    class_permission_name = p.RULING_BODY
    method_permission_name = p.MODEL_VIEW_READ_WRITE

    list_title = _l("Members of ruling bodies")
    show_title = _l("Member of a ruling body")
    add_title = _l("Add member")
    edit_title = _l("Change member's role or term")
    label_columns = lazy_labels(c.MEMBER_LABELS)

    list_columns = ["body", "staff", "role", "term_from", "term_to"]
    show_columns = list_columns
    add_columns = ["body_id", "staff_id", "role", "term_from", "term_to"]
    edit_columns = ["role", "term_from", "term_to"]
    search_columns = ["body", "role", "term_from", "term_to"]
    order_columns = ["role", "term_from", "term_to"]
    base_order = ("term_from", "desc")
    formatters_columns = {
        "role": lambda value: label(c.MEMBER_ROLE_LABELS, value),
        "term_from": _date,
        "term_to": _date,
        "body": lambda value: value.name if value is not None else "",
        "staff": lambda value: value.name if value is not None else "",
    }
    add_form_extra_fields = _MEMBER_FIELDS
    edit_form_extra_fields = {name: _MEMBER_FIELDS[name] for name in ("role", "term_from", "term_to")}

    def prepare_form(self, form):
        if "body_id" in form:
            form.body_id.choices = [("", "")] + [(str(body.id), body.name) for body in
                                                 db.session.query(RulingBody).order_by(RulingBody.id)]
        if "staff_id" in form:
            form.staff_id.choices = [("", "")] + [(str(i), text) for i, text in service.staff_choices()]

    def preset(self, form):
        body_id = row_id(request.args.get("_flt_0_body"))
        if body_id is not None and "body_id" in form:
            form.body_id.data = str(body_id)

    def submitted(self, form, item=None):
        data = {"role": form.role.data or "", "term_from": _optional(form.term_from.data) or "",
                "term_to": _optional(form.term_to.data)}
        if item is None:
            data["body_id"] = _number(form.body_id.data)
            data["staff_id"] = _number(form.staff_id.data)
        if not data["term_from"]:
            data.pop("term_from")
        if not data["role"]:
            data.pop("role")
        return data

    def create(self, data):
        service.add_member(data, g.user)

    def update(self, item, data):
        for name in ("role", "term_from"):
            data.setdefault(name, None)
        service.update_member(item.id, data, g.user)

    def remove(self, item):
        service.delete_member(item.id, g.user)


class RulingBodyView(ServiceFormView):
    """The ruling bodies: kind, unit, members serving today, quorum rule; the show page lists the
    roster (current and past terms)."""

    datamodel = RulingBodyInterface(RulingBody)
    class_permission_name = p.RULING_BODY
    method_permission_name = p.MODEL_VIEW_READ_WRITE
    exclude_route_methods = {"download", "action", "action_post", "delete"}
    related_views = [BodyMemberView]

    list_title = _l("Ruling bodies")
    show_title = _l("Ruling body")
    add_title = _l("Add ruling body")
    edit_title = _l("Edit ruling body")
    label_columns = lazy_labels(c.BODY_LABELS)

    list_columns = ["name", "kind", "unit", "serving_today", "quorum_rule", "active"]
    show_columns = ["name", "kind", "unit", "serving_today", "quorum_rule", "active"]
    add_columns = ["name", "kind", "unit_id", "quorum_percent", "chair_required", "active"]
    edit_columns = ["name", "unit_id", "quorum_percent", "chair_required", "active"]
    search_columns = ["name", "kind", "active"]
    order_columns = ["name", "kind"]
    base_order = ("id", "asc")
    formatters_columns = {
        "kind": lambda value: label(c.BODY_KIND_LABELS, value),
        "unit": lambda value: value.name if value is not None else "",
        "active": _yes_no,
    }
    add_form_extra_fields = _BODY_FIELDS
    edit_form_extra_fields = {name: field for name, field in _BODY_FIELDS.items() if name != "kind"}

    def prepare_form(self, form):
        form.unit_id.choices = [("", "")] + [(str(i), text) for i, text in service.unit_choices()]

    def submitted(self, form, item=None):
        data = {"name": form.name.data or "", "unit_id": _number(form.unit_id.data),
                "quorum_percent": _number(form.quorum_percent.data),
                "chair_required": bool(form.chair_required.data), "active": bool(form.active.data)}
        if item is None:
            data["kind"] = form.kind.data or ""
        return data

    def create(self, data):
        service.create_body(data, g.user)

    def update(self, item, data):
        service.update_body(item.id, data, g.user)
