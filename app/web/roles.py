"""Roles by capability (issue 20): the seven built-in roles read-only, custom roles built from
capabilities named in Chinese. FAB's raw permission editing stays on its own page (the experts'
page, ``/roles/list/``, Admin only); this page is ``/role-admin/``."""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from sqlalchemy import select

from ..errors import DomainError
from ..extensions import db
from ..ids import row_id
from ..security import capabilities as caps
from ..security import permissions as p
from ..security import roles as r
from ..services import roles as service


def _matrix(pairs):
    """(group label, [(capability label, "all" | "part" | None)]) rows of a role's permissions."""
    granted = caps.describe_pairs(pairs)
    return [(group, [(c.label, granted.get(c.code)) for c in caps.CAPABILITIES if c.group == group])
            for group in caps.GROUPS]


def _builtin(name):
    from flask_appbuilder.security.sqla.models import PermissionView

    if name == r.ADMIN:
        pairs = [(pv.permission.name, pv.view_menu.name) for pv in db.session.query(PermissionView).all()]
    else:
        pairs = r.ROLE_PERMISSIONS.get(name, [])
    label, description, scope = r.ROLE_LABELS[name]
    return dict(label=label, description=description, scope=scope, matrix=_matrix(pairs))


class RoleAdminView(BaseView):
    """List, show, add, edit and delete roles by capability (Admin, or a role with 用户与权限管理)."""

    route_base = "/role-admin"
    default_view = "list"
    class_permission_name = p.ROLE_ADMIN
    method_permission_name = {"list": p.READ, "show": p.READ, "builtin": p.READ, "add": p.WRITE,
                              "edit": p.WRITE, "delete": p.WRITE}

    @expose("/")
    @has_access
    def list(self):
        builtin = [(name, r.ROLE_LABELS[name]) for name in r.ROLE_NAMES]
        return self.render_template("security/roles_list.html", title=gettext("Roles"), builtin=builtin,
                                    custom=service.custom_roles(), scope_labels=caps.SCOPE_LABELS)

    @expose("/builtin/<name>")
    @has_access
    def builtin(self, name):
        if name not in r.ROLE_NAMES:
            abort(404)
        return self.render_template("security/role_show.html", title=gettext("Built-in role"), builtin=True,
                                    role=_builtin(name), edit_url=None)

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        role = self._custom(pk)
        if not hasattr(role, "custom"):
            return role
        custom = role.custom
        shown = dict(label=role.name, description=custom.description, scope=caps.SCOPE_LABELS[custom.scope],
                     shows_identity=custom.shows_identity,
                     matrix=_matrix([(pv.permission.name, pv.view_menu.name) for pv in role.permissions]))
        return self.render_template("security/role_show.html", title=gettext("Custom role"), builtin=False,
                                    role=shown, edit_url=url_for(".edit", pk=role.id), pk=role.id)

    def _custom(self, pk):
        try:
            role = service.get(pk)
        except DomainError:
            abort(404)
        if role.name in r.ROLE_NAMES:
            return redirect(url_for(".builtin", name=role.name))
        if role.custom is None:
            abort(404)
        return role

    def _form(self, values, title, action, errors=None):
        return self.render_template("security/role_form.html", title=title, values=values, action=action,
                                    errors=errors or {}, capabilities=caps.CAPABILITIES, groups=caps.GROUPS,
                                    scopes=caps.SCOPE_LABELS)

    def _submitted(self):
        return dict(name=request.form.get("name", ""), description=request.form.get("description", ""),
                    capabilities=request.form.getlist("capabilities"), scope=request.form.get("scope", ""),
                    shows_identity=request.form.get("shows_identity") == "y")

    def _save(self, values, title, action, role_id=None):
        try:
            role = service.save(values["name"], values["description"], values["capabilities"], values["scope"],
                                values["shows_identity"], role_id=role_id)
        except DomainError as error:
            db.session.rollback()
            if error.status == 403:
                flash(str(error), "danger")
                return redirect(url_for(".list"))
            return self._form(values, title, action, {error.field or "form": str(error)})
        flash(gettext("The role has been saved."), "success")
        return redirect(url_for(".show", pk=role.id))

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        title = gettext("New custom role")
        if request.method == "GET":
            values = dict(name="", description="", capabilities=[], scope=caps.SCOPE_UNIT, shows_identity=False)
            return self._form(values, title, url_for(".add"))
        return self._save(self._submitted(), title, url_for(".add"))

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        role = self._refuse_builtin_or_missing(pk)
        if not hasattr(role, "custom"):
            return role
        title = gettext("Edit custom role")
        if request.method == "GET":
            custom = role.custom
            values = dict(name=role.name, description=custom.description, capabilities=caps.normalise(custom.capabilities),
                          scope=custom.scope, shows_identity=custom.shows_identity)
            return self._form(values, title, url_for(".edit", pk=role.id))
        return self._save(self._submitted(), title, url_for(".edit", pk=role.id), role_id=role.id)

    @expose("/delete/<pk>", methods=["POST"])
    @has_access
    def delete(self, pk):
        role = self._refuse_builtin_or_missing(pk)
        if not hasattr(role, "custom"):
            return role
        try:
            service.delete(role.id)
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
            return redirect(url_for(".show", pk=role.id))
        flash(gettext("The role has been deleted."), "success")
        return redirect(url_for(".list"))

    def _refuse_builtin_or_missing(self, pk):
        """The custom role ``pk``; a redirect with the refusal for a built-in role; 404 otherwise."""
        from flask_appbuilder.security.sqla.models import Role

        role_id = row_id(pk)
        role = db.session.execute(select(Role).where(Role.id == role_id)).scalar_one_or_none() if role_id else None
        if role is None:
            abort(404)
        if role.name in r.ROLE_NAMES:
            from ..security.admin_rules import builtin_refusal

            flash(builtin_refusal(), "danger")
            return redirect(url_for(".builtin", name=role.name))
        if role.custom is None:
            abort(404)
        return role
