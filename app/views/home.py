"""The landing page: who you are, your unit and what you can open."""
from flask import g
from flask_appbuilder import IndexView, expose

from ..security.roles import ROLE_LABELS
from ..security.scope import role_names, scope_of, staff_of


class HomeView(IndexView):
    """Index page; shows the user's roles, staff record and scope."""

    index_template = "home.html"

    @expose("/")
    def index(self):
        user = g.user if getattr(g.user, "is_authenticated", False) else None
        context = {}
        if user is not None:
            staff = staff_of(user)
            scope = scope_of(user)
            context = {
                "roles": [ROLE_LABELS.get(name, name) for name in sorted(role_names(user))],
                "staff": staff,
                "scope_everything": scope.everything,
                "scope_count": len(scope.unit_ids),
            }
        return self.render_template(self.index_template, appbuilder=self.appbuilder, **context)
