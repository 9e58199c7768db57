"""Work lists: the committee's cases awaiting a ruling, the higher body's re-ruling requests,
appeals with their decision deadlines (§14, §17)."""
from flask import g
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from ..data import complaints as reads
from ..i18n import vocab as c
from ..security import permissions as p
from ..services import complaints as svc

TITLES = {
    "rulings": _l("Cases awaiting a ruling"),
    "rerulings": _l("Re-ruling requests"),
    "appeals": _l("Appeals"),
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
        return self.render_template("complaint/queue.html", rows=reads.queue(g.user, name), queue=name,
                                    title=TITLES[name], c=c, today=svc.today())

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
