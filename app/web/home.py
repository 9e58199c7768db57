"""The landing page: the statistics dashboard for the discipline office and leadership; for
everyone else who you are, your unit and what you can open."""
from flask import g, request
from flask_appbuilder import IndexView, expose

from ..reports.period import may
from ..security.permissions import REPORT_READ
from ..domain.vocabulary import ROLES
from ..i18n import label
from ..security.roles import DISCIPLINE_OFFICE, LEADERSHIP
from ..security.scope import role_names, scope_of, staff_of


DASHBOARD_HOME_ROLES = {DISCIPLINE_OFFICE, LEADERSHIP}


class HomeView(IndexView):
    """Index page; shows the user's roles, staff record and scope."""

    index_template = "home.html"

    @expose("/")
    def index(self):
        user = g.user if getattr(g.user, "is_authenticated", False) else None
        context = {}
        if user is not None and role_names(user) & DASHBOARD_HOME_ROLES and may(user, REPORT_READ):
            # The discipline office and leadership land on the statistics dashboard.
            from .reports import render_dashboard

            home = {"roles": [label(ROLES, name) for name in sorted(role_names(user))],
                    "staff": staff_of(user)}
            return render_dashboard(self, request.args, home=home)
        if user is not None:
            staff = staff_of(user)
            scope = scope_of(user)
            context = {
                "roles": [label(ROLES, name) for name in sorted(role_names(user))],
                "staff": staff,
                "scope_everything": scope.everything,
                "scope_count": len(scope.unit_ids),
            }
        return self.render_template(self.index_template, appbuilder=self.appbuilder, **context)
