"""联社参数设置: the union's business settings page (Admin; issue 20). The form posts every
field to ``services/settings.update``; a refusal comes back with each message beside its field."""
from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext

from ..domain import settings as d
from ..errors import DomainError
from ..i18n import label
from ..security import permissions as p
from ..services import settings as service


def _submitted(form) -> dict:
    """The posted form as the service takes it: numbers and unit ids as integers where they are
    integers (else the text, refused by the schema), the checkbox as a boolean."""
    data = {}
    for name in d.FIELDS:
        if name == "regulatory_ceiling_enabled":
            data[name] = form.get(name) == "y"
            continue
        value = (form.get(name) or "").strip()
        if name in d.APPEAL_BODY_FIELDS and not value:
            data[name] = None
        elif name in d.APPEAL_BODY_FIELDS or name in d.NUMBER_FIELDS:
            data[name] = int(value) if value.isascii() and value.isdigit() and len(value) < 10 else value
        else:
            data[name] = value
    return data


class SettingsView(BaseView):
    """The settings form and the latest changes (who, when, before → after)."""

    route_base = "/settings"
    default_view = "index"
    class_permission_name = p.SETTINGS
    method_permission_name = p.SETTINGS_READ_WRITE
    base_permissions = [p.can(p.READ), p.can(p.WRITE)]

    def _render(self, values, errors=None, status=200):
        fields = [{
            "name": name, "label": label(d.LABELS, name), "help": gettext(d.HELP[name]),
            "choices": service.body_choices(name) if name in d.APPEAL_BODY_FIELDS else None,
            "bounds": d.BOUNDS.get(name),
        } for name in d.FIELDS]
        page = self.render_template(
            "settings/index.html", title=gettext("Union settings"), fields=fields, values=values,
            errors=errors or {}, changes=service.recent_changes(), field_label=lambda name: label(d.LABELS, name),
        )
        return page, status

    @expose("/", methods=["GET"])
    @has_access
    def index(self):
        """The settings in force."""
        values = service.in_force().values()
        return self._render({name: ("" if value is None else value) for name, value in values.items()})

    @expose("/", methods=["POST"])
    @has_access
    def save(self):
        """Check and save every field; nothing changes when one is refused."""
        data = _submitted(request.form)
        required = [name for name in d.FIELDS if name not in ("regulatory_ceiling_enabled", *d.APPEAL_BODY_FIELDS)]
        try:
            changes = service.update(data, g.user, require=required)
        except DomainError as error:
            payload = error.payload()
            errors = payload if isinstance(payload, dict) else {}
            if not isinstance(payload, dict):
                flash(str(payload), "danger")
            return self._render(data, errors, 400)
        flash(gettext("The settings are saved.") if changes else gettext("Nothing changed."), "success" if changes else "info")
        return redirect(url_for("SettingsView.index"))


