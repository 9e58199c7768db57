"""Application factory for 客户投诉管理系统."""
import logging

from flask import Flask
from flask_appbuilder import AppBuilder
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import csrf, db, init_migrations, mail, render_sqlite_hints

log = logging.getLogger(__name__)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite enforces foreign keys only when asked, on every connection.

    Parallel writers (several threads or gunicorn workers): a writer waits up to 5 s for the
    write lock instead of failing, and a file database runs in WAL mode, where readers never
    block the writer nor the writer the readers (the mode is stored in the file; in-memory
    databases ignore it).
    """
    module = type(dbapi_connection).__module__
    if module.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA journal_mode")
        if cursor.fetchone()[0].lower() not in ("wal", "memory"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


# What the scheduled jobs' application (``jobs.py``, ``views=False``) leaves out of Flask-AppBuilder:
# its security pages and API, the OpenAPI and menu APIs, and our index page (``FAB_INDEX_VIEW``,
# whose import brings every page module).
JOBS_FAB_CONFIG = {"FAB_ADD_SECURITY_VIEWS": False, "FAB_ADD_SECURITY_API": False, "FAB_ADD_OPENAPI_VIEWS": False,
                   "FAB_ADD_MENU_API": False, "FAB_INDEX_VIEW": None}


def create_app(config=None, views=True) -> Flask:
    """Build the application.

    ``config`` is a config class or mapping; by default ``config.Config`` (read from the
    environment). Extensions are initialised in the order Flask-AppBuilder needs:
    CSRF first (so FAB's API blueprints are exempted), then the database, then AppBuilder.

    ``views=False``: the application of the scheduled jobs (``jobs.py``: ``flask --app jobs
    remind``, ``backup``): the same configuration, database, keys, models, session listeners and
    security manager, without a page or an API to serve, ``/health`` or the migration tools (Flask-Migrate,
    Alembic) — a timer's command starts in about four fifths of the time (4.37 → 3.49 s, medians on one
    machine; leaving out the migration tools later saved about 0.1 s more, within that machine's noise;
    importing Flask-AppBuilder itself is most of what is left). Only commands that need no view are registered on it (``cli.register_jobs``); role and
    permission sync, which reads the registered views, and ``flask db`` are not among them.
    """
    from config import Config

    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(Config)
    if config is not None:
        if isinstance(config, dict):
            app.config.update(config)
        else:
            app.config.from_object(config)
    Config.validate(app.config)
    if not views:
        app.config.update(JOBS_FAB_CONFIG)
    from config import identity_keyring

    from .crypto import install as install_identity_cipher

    # The complainant's identity keys (issue 24): held by the app, never in its config or logs.
    keyring, keyring_file = identity_keyring(app.config)
    install_identity_cipher(app, keyring, keyring_file, bool(app.config.get("IDENTITY_ENCRYPTION", True)))
    from .security.passwords import validate_password

    # FAB wants the callable itself; one policy for web forms, security API and CLI.
    app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", validate_password)
    _ensure_sqlite_dir(app)

    csrf.init_app(app)
    mail.init_app(app)
    with app.app_context():
        db.init_app(app)
        render_sqlite_hints(db.engine)
        if views:
            init_migrations(app, _migrations_dir())
        from . import models  # noqa: F401  (register mappers before AppBuilder)

        appbuilder = AppBuilder(update_perms=app.config.get("FAB_UPDATE_PERMS", False))
        appbuilder.init_app(app, db.session)
        from . import fab_filters

        fab_filters.install()
        from .reports import monthly, repeats

        monthly.install()
        repeats.install()
        if views:
            from . import api, web

            web.register(appbuilder)
            app.before_request(web.refuse_impossible_requests)
            # Before Flask-WTF's CSRF check (registered by csrf.init_app above), which reads the form first.
            app.before_request_funcs.setdefault(None, []).insert(0, web.refuse_unnamed_form_parts)
            app.after_request(_log_refused_query)
            api.register(appbuilder)
            load_bench_plugin(app, appbuilder)
        appbuilder.post_init()

    from .security import headers

    headers.init_app(app)
    from .i18n import html_lang

    app.jinja_env.globals["html_lang"] = html_lang
    from .services.committee import present_names

    app.jinja_env.globals["ruling_members"] = present_names  # who sat on a ruling (issue 21)
    from .data.notifications import HEADER_COUNT_CAP, current_header

    app.jinja_env.globals["notification_header"] = current_header  # the header's bell (issue 23)
    app.jinja_env.globals["notification_count_cap"] = HEADER_COUNT_CAP
    from .security import password_change

    password_change.init_app(app)
    from .ops import observability

    observability.init_app(app)
    if views:
        from .ops import health

        health.init_app(app)  # /health, for the load balancer: served by the web application only

    from . import cli

    if views:
        cli.register(app)
    else:
        cli.register_jobs(app)
    return app


def load_bench_plugin(app: Flask, appbuilder) -> None:
    """Bench mode only: import the plugin named by ``BENCH_PLUGIN`` (``bench.plugin``: the stock
    view, the statement counter and ``flask seed-bench``) and let it register itself. Without
    ``BENCH_MODE`` nothing of it is imported and none of it exists."""
    if not app.config.get("BENCH_MODE"):
        return
    import importlib

    importlib.import_module(app.config["BENCH_PLUGIN"]).init_app(app, appbuilder)


def _log_refused_query(response):
    """A list request refused for an undeclared filter, sort column or page size is
    logged as a warning — the path and parameter names only (values may carry personal data)."""
    from flask import request

    if response.status_code == 400 and request.method == "GET" and request.args:
        log.warning("refused list query on %s (parameters: %s)", request.path, ", ".join(sorted(request.args)))
    return response


def _migrations_dir() -> str:
    import os

    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def _ensure_sqlite_dir(app: Flask) -> None:
    """Create the directory of a file-based SQLite database (default: instance/)."""
    import os

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:///:memory:"):
        directory = os.path.dirname(uri[len("sqlite:///"):])
        if directory:
            os.makedirs(directory, exist_ok=True)
