"""我的待办: the cases waiting for the current user's action, overdue first."""
from flask import g
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext

from ..data import complaints as reads
from ..i18n import vocab as c
from ..security import permissions as p
from ..services import complaints as svc, settings
from .home import who_am_i


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
        items = reads.todo(g.user, svc.today(), settings.due_soon_working_days())
        return self.render_template("complaint/todo.html", items=items, **who_am_i(g.user), c=c, gettext=gettext, title=gettext("My to-do"))
