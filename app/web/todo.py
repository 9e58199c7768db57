"""我的待办: the cases waiting for the current user's action, overdue first, a page at a time."""
from flask import abort, g, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext

from ..data import complaints as reads
from ..i18n import vocab as c
from ..security import permissions as p
from ..services import complaints as svc, settings
from .home import who_am_i


def todo_page_number(value) -> int:
    """The ``page`` argument of the to-do (from 0): a whole number within TODO_MAX_ITEMS, else
    None (the caller answers 400)."""
    if value is None or value == "":
        return 0
    if not value.isdigit():
        return None
    page = int(value)
    return page if (page + 1) * reads.TODO_PAGE_SIZE <= reads.TODO_MAX_ITEMS else None


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
        page = todo_page_number(request.args.get("page"))
        if page is None:
            abort(400)
        todo = reads.todo(g.user, svc.today(), settings.due_soon_working_days(), page)
        return self.render_template("complaint/todo.html", todo=todo, items=todo.items, **who_am_i(g.user), c=c,
                                    gettext=gettext, title=gettext("My to-do"))
