"""Bench-mode hooks: the stock view and the statement counter.

``bench/run.py`` starts gunicorn with ``BENCH_MODE=1``, and only then does the application load
this plugin (``app.load_bench_plugin``); a normal instance never imports it. It adds:

- **The generic peer**: Flask-AppBuilder's stock ``ModelView`` over ``Complaint`` at
  ``/benchstock/list/`` — plain ``SQLAInterface``, no base filters (no scope, no masking), the
  columns and filters of our complaint list with FAB's default display of relations, the same
  page size and order. It is read-only (list and show only) and has no menu entry. Its permissions
  (``can_list``/``can_show`` on ``BenchStockComplaint``) are created, and granted to Admin like
  every permission, by ``BENCH_MODE=1 flask --app run deploy`` (or ``sync-roles``); start-up
  writes nothing, as everywhere else, so any number of workers may start at once.
- **A statement counter**: every SQL statement a request sends to the database is counted, and
  the response carries ``X-SQL-Statements: <n>`` (statements run after the response is
  complete, e.g. while a file streams, are not in the figure).
"""
from flask import g, has_request_context
from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import event

from app.extensions import db
from app.models.complaint import Complaint
from app.web.case import ComplaintView

HEADER = "X-SQL-Statements"
PERMISSION_NAME = "BenchStockComplaint"
_G_KEY = "_bench_sql_statements"


class BenchStockComplaintView(ModelView):
    """FAB's generic CRUD list over the complaint table: the peer our list page is compared with."""

    route_base = "/benchstock"
    datamodel = SQLAInterface(Complaint)
    class_permission_name = PERMISSION_NAME
    # Read-only: writes to cases go through app/services only, in bench mode too.
    base_permissions = ["can_list", "can_show"]
    exclude_route_methods = {"add", "edit", "delete", "download", "action", "action_post"}
    # The columns, filters, page size and order of our list page (ComplaintView), nothing else of
    # it: no scope filter, no formatters (FAB shows the related branch, handling unit and handler
    # by their str()), FAB's own template, FAB's relation filters offering every org unit. The
    # filters must be named: FAB's default offers one per column and relation,
    # including the one-to-many events, attachments and rulings, and fills their drop-downs with
    # every row of those tables — a page no one could open at a million complaints.
    list_columns = list(ComplaintView.list_columns)
    search_columns = list(ComplaintView.search_columns)
    page_size = ComplaintView.page_size
    base_order = ComplaintView.base_order


def _count_statement(conn, cursor, statement, parameters, context, executemany):
    if has_request_context():
        setattr(g, _G_KEY, getattr(g, _G_KEY, 0) + 1)


def _reset_counter():
    # The test client reuses one application context (and so one ``g``) across requests.
    setattr(g, _G_KEY, 0)


def _add_header(response):
    response.headers[HEADER] = str(getattr(g, _G_KEY, 0))
    return response


def statements_so_far() -> int:
    """Statements the current request has sent so far (0 outside bench mode)."""
    return getattr(g, _G_KEY, 0) if has_request_context() else 0


def init_app(app, appbuilder) -> None:
    """Register the bench-only view and the statement counter (the plugin is loaded in bench mode
    only). Called inside ``create_app``'s application context, before ``appbuilder.post_init()``.
    """
    appbuilder.add_view_no_menu(BenchStockComplaintView)
    engine = db.engine
    if not event.contains(engine, "before_cursor_execute", _count_statement):
        event.listen(engine, "before_cursor_execute", _count_statement)
    # First before-request function: the count starts before any other hook can query.
    app.before_request_funcs.setdefault(None, []).insert(0, _reset_counter)
    # After-request functions run in reverse order of registration: the one at the front runs
    # last, after every other hook has had its chance to query.
    app.after_request_funcs.setdefault(None, []).insert(0, _add_header)
    app.logger.warning("BENCH_MODE is on: /benchstock/ and the X-SQL-Statements header are enabled")
