"""The landing page: the statistics dashboard for the discipline office and leadership; 我的待办
for those who act on cases (handlers, branch heads, the committee, the higher ruling body); for
everyone else who you are, your unit and what you can open."""
from flask import g, redirect, request, url_for
from flask_appbuilder import IndexView, expose

from ..reports.period import may
from ..security.permissions import REPORT_READ
from ..domain.vocabulary import ROLES
from ..i18n import label
from ..security.roles import (BRANCH_HEAD, COMMITTEE, COUNTER_STAFF, DISCIPLINE_OFFICE, LEADERSHIP, RERULING_BODY,
                              ROLE_NAMES)
from ..security.scope import role_names, scope_of, staff_of


DASHBOARD_HOME_ROLES = {DISCIPLINE_OFFICE, LEADERSHIP}
TODO_HOME_ROLES = {COUNTER_STAFF, BRANCH_HEAD, COMMITTEE, RERULING_BODY}


def who_am_i(user) -> dict:
    """The user's roles, staff record and data scope, as the landing pages show them."""
    scope = scope_of(user)
    return {
        "roles": [label(ROLES, name) for name in sorted(role_names(user))],
        "staff": staff_of(user),
        "scope_everything": scope.everything,
        "scope_count": len(scope.unit_ids),
    }


class HomeView(IndexView):
    """Index page; shows the user's roles, staff record and scope."""

    index_template = "home.html"

    @staticmethod
    def _custom_role_with_work(user) -> bool:
        """A custom role (issue 20) whose capabilities bring work (handling, rulings, …) lands on
        我的待办 like the built-in role it stands in for, when it may open the list."""
        from ..data.complaints import has_work
        from ..services.complaints import actor_for

        if role_names(user) & set(ROLE_NAMES):
            return False
        actor = actor_for(user)
        return "can_read" in actor.permissions and has_work(actor)

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
        if user is not None and (role_names(user) & TODO_HOME_ROLES or self._custom_role_with_work(user)):
            return redirect(url_for("TodoView.index"))
        if user is not None:
            context = who_am_i(user)
        return self.render_template(self.index_template, appbuilder=self.appbuilder, **context)
