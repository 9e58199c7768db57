"""我的通知 (issue 23): the current user's notifications — the list, opening one, marking all read.

Only ever the user's own. Opening a notification marks it read and goes to the case when the user
may still see it (the scope rule, checked at that moment); otherwise it says so and stays on the
list. Opening and marking are POSTs carrying the CSRF token (they change a row).
"""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext

from .. import clock
from ..data import notifications as reads
from ..input_checks import valid_page_number
from ..security import permissions as p
from ..services import notifications as service


class NotificationView(BaseView):
    """我的通知: the list (newest first, unread marked), open one, mark all read."""

    route_base = "/notifications"
    default_view = "index"
    class_permission_name = p.NOTIFICATION
    base_permissions = [p.can(p.READ)]
    method_permission_name = {name: p.NOTIFICATION_METHODS[name] for name in ("index", "open_one", "read_all")}

    @expose("/")
    @has_access
    def index(self):
        page = request.args.get("page", "0")  # refused before the view unless a page number
        page = int(page) if valid_page_number(page) else 0
        unread_only = request.args.get("unread") == "1"
        found = reads.page_of(g.user, page, reads.PAGE_SIZE, unread_only)
        pages = (found.total + reads.PAGE_SIZE - 1) // reads.PAGE_SIZE
        return self.render_template("notifications/list.html", found=found, pages=pages, unread_only=unread_only,
                                    title=gettext("My notifications"))

    @expose("/open/<int:pk>", methods=["POST"])
    @has_access
    def open_one(self, pk):
        item = reads.one(g.user, pk)
        if item is None:
            abort(404)
        service.mark_read(g.user, pk, clock.now())
        if not item.visible:
            flash(gettext("Complaint %(number)s is no longer among the cases you may see; the notification is "
                          "marked as read.", number=item.number), "warning")
            return redirect(url_for("NotificationView.index"))
        return redirect(url_for("ComplaintView.show", pk=item.complaint_id))

    @expose("/read-all", methods=["POST"])
    @has_access
    def read_all(self):
        done = service.mark_all_read(g.user, clock.now())
        flash(gettext("%(count)d notification(s) marked as read.", count=done), "success")
        return redirect(url_for("NotificationView.index"))
