"""超时追责 (§13): the cases that ran past their deadline in force, with who held them."""
from flask import g, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext

from ..data import complaints as reads
from ..i18n import vocab as c
from ..input_checks import valid_page_number
from ..security import permissions as p
from ..services import complaints as svc


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
        found = reads.overdue_page(g.user, today, page, self.page_size)
        return self.render_template("complaint/accountability.html", items=found.items, total=found.total,
                                    page=page, pages=(found.total + self.page_size - 1) // self.page_size, c=c,
                                    title=gettext("Overruns without permission (§13)"))
