"""The render floor (issue 22, item 5): the complaint list's first page without Flask-AppBuilder.

Two things live here, once:

- **The list's statements** (``list_plan``): the count and the first page of 25 exactly as
  ``/complaints/list/`` runs them for a user (``app.data.interfaces.ComplaintInterface.query``):
  the kept total, or the scope's count way by way (``plans.scope_count_select``); then, from
  that count (``plans.walks_in_order``), a large scope's page walked in the list's order among
  each way's first cases (``plans.newest_candidates``), else the scope's ids. The page's
  columns (complainant name and phone included) through joins, in the list's order (received
  at, then id, both descending). ``bench/run.py`` times them from its own process as the bare
  SQL floor.
- **The render floor**, ``/benchfloor/list/``: a plain Flask view (a Blueprint, no FAB view,
  widget, filter or pagination class) that runs those two statements for the logged-in user and
  renders the same 25 rows and columns with plain Jinja (``templates/benchfloor/list.html``):
  the list's formatters and masks (``ComplaintView.formatters_columns``: a list never shows a
  complainant in full), its Chinese column labels, and a layout of the same weight as the list
  page's (the same CSS and JS, the navbar with the user's menu, the quick filters, the filter
  menu and the pager as plain HTML; the search box and the navbar's language and user menus are
  the app's own partials). ``bench/run.py`` measures it beside our list
  page and the stock ``ModelView`` and reports both as multiples of it.

The page shows no more than the list page: an anonymous request goes to the login page, a
user without the list's permission gets 403 (the same permission the list page's ``has_access``
checks, read from one query of the user's permission pairs, which also decides the menu), and
the statements carry the user's scope. Loaded in bench mode only (``bench.plugin.init_app``).
"""
import math
from datetime import date, timedelta

from flask import Blueprint, abort, current_app, redirect, render_template, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import and_, literal, select
from sqlalchemy.orm import aliased

from app.data import plans
from app.data.search import IDENTITY_COLUMNS, KEYWORD_ARGUMENT
from app.extensions import db
from app.models import OrgUnit, Staff
from app.models.complaint import Complaint
from app.security import permissions as p
from app.security.scope import complaint_clause
from app.services.totals import total_select
from app.web.case import COMPLAINT_METHODS, ComplaintView

PAGE_SIZE = ComplaintView.page_size
COLUMNS = tuple(ComplaintView.list_columns)
# The list's relations are shown by name; here they are read by name through joins.
NAMED = {"branch", "handling_unit", "handler"}
PAGER_LINKS = 7  # page numbers the list's pager shows at most
# The filter menu, as static HTML: the list's search columns without phone and name (the list
# offers those to the roles that may search by identity only).
FILTERS = tuple(column for column in ComplaintView.search_columns if column not in IDENTITY_COLUMNS)
SEARCH_BOX = {"name": KEYWORD_ARGUMENT, "value": "", "placeholder": _l("Search: case number / text")}

blueprint = Blueprint("BenchFloorView", __name__, url_prefix="/benchfloor", template_folder="templates")


# --- the list's two statements ------------------------------------------------------------------

def count_statement(user):
    """The statement counting the list's cases for ``user``: the kept total when it sees every
    case, the scope's count way by way otherwise (``ComplaintInterface.query_count``)."""
    count = plans.scope_count_select(user)
    if count is None:
        return total_select()
    if count is False:
        return select(literal(0))
    return count


def page_statement(user, matching: int):
    """The first page of ``PAGE_SIZE`` for ``user`` when ``matching`` cases match, with the plan
    the list page chooses from that count, the list's columns, and the list's order."""
    ordered = plans.walks_in_order(matching)
    clause = complaint_clause(user, Complaint, ordered_scan=ordered)
    if ordered:
        candidates = plans.newest_candidates(user, Complaint, True, PAGE_SIZE)
        if candidates is not None:
            clause = and_(clause, Complaint.id.in_(candidates))
    branch, handling, handler = aliased(OrgUnit), aliased(OrgUnit), aliased(Staff)
    return (
        select(Complaint.id, Complaint.number, Complaint.received_at, Complaint.complainant_name,
               Complaint.complainant_phone, branch.name.label("branch"), Complaint.category, Complaint.status,
               Complaint.level, handling.name.label("handling_unit"), handler.name.label("handler"),
               Complaint.due_date)
        .join(branch, Complaint.branch_id == branch.id)
        .outerjoin(handling, Complaint.handling_unit_id == handling.id)
        .outerjoin(handler, Complaint.handler_id == handler.id)
        .where(clause)
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
        .limit(PAGE_SIZE)
    )


def list_plan(user, session_):
    """(count statement, matching cases, first-page statement) of the list for ``user``, as the
    list page runs them: the count is run here (on ``session_``), since the page's plan depends
    on it."""
    count = count_statement(user)
    matching = session_.execute(count).scalar() or 0
    return count, matching, page_statement(user, matching)


# --- the page -----------------------------------------------------------------------------------

def _cell(column, value):
    """A value as the list page shows it (its formatters; relations by name, or "—")."""
    if column in NAMED:
        return value or "—"
    formatter = ComplaintView.formatters_columns.get(column)
    return formatter(value) if formatter else value


def _menu(pairs):
    """The navbar's menu as FAB's shows it to a user with ``pairs``: (item, visible children)."""
    visible = [item for item in current_app.appbuilder.menu.get_list() if ("menu_access", item.name) in pairs]
    return [(item, [child for child in item.childs or () if child and child.name != "-"
                    and ("menu_access", child.name) in pairs]) for item in visible]


def _pager(matching: int):
    """Page numbers (0-based) the pager links to, and the last page."""
    last = max(math.ceil(matching / PAGE_SIZE) - 1, 0)
    return list(range(min(last + 1, PAGER_LINKS))), last


@blueprint.route("/list/")
def list_page():
    if not current_user.is_authenticated:
        return redirect(current_app.appbuilder.get_url_for_login)
    user = current_user._get_current_object()
    pairs = current_app.appbuilder.sm.role_permission_pairs(user.roles)
    if (f"can_{COMPLAINT_METHODS['list']}", p.COMPLAINT) not in pairs:
        abort(403)
    _, matching, page = list_plan(user, db.session)
    rows = [(row.id, [_cell(column, row[column]) for column in COLUMNS])
            for row in db.session.execute(page).mappings()]
    today = date.today()
    pages, last = _pager(matching)
    return render_template(
        "benchfloor/list.html",
        rows=rows,
        matching=matching,
        pages=pages,
        last=last,
        labels=[ComplaintView.label_columns[column] for column in COLUMNS],
        ordered=set(ComplaintView.order_columns),
        columns=COLUMNS,
        filters=[(column, ComplaintView.label_columns[column]) for column in FILTERS],
        menu=_menu(pairs),
        can_edit=(f"can_{COMPLAINT_METHODS['edit']}", p.COMPLAINT) in pairs,
        can_add=(f"can_{COMPLAINT_METHODS['add']}", p.COMPLAINT) in pairs,
        today=today.isoformat(),
        yesterday=(today - timedelta(days=1)).isoformat(),
        soon=(today + timedelta(days=3)).isoformat(),
        locale=session.get("locale") or current_app.config.get("BABEL_DEFAULT_LOCALE", "en"),
        # The list page's search box and the navbar's language and user menus are the app's own
        # partials (complaint/_search_box.html, appbuilder/navbar_right.html), plain Jinja.
        search_box=SEARCH_BOX,
        appbuilder=current_app.appbuilder,
        languages=current_app.appbuilder.languages,
    )


def init_app(app) -> None:
    """Register ``/benchfloor/list/`` (bench mode only)."""
    app.register_blueprint(blueprint)
