"""``GET /health``: is this instance able to serve? For load balancers, systemd and monitoring.

Answers 200 ``{"status": "ok"}`` when the database answers and its schema is at the
migrations' head, otherwise 503 with which check failed. Open to anonymous callers, so it
says nothing else: no versions, revisions, paths, host names or error texts (those go to the
server log).
"""
import logging

from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from ..extensions import db

log = logging.getLogger(__name__)

blueprint = Blueprint("health", __name__)


def expected_heads(app) -> frozenset:
    """The head revision(s) of the migration scripts, read once per process."""
    heads = app.extensions.get("health_migration_heads")
    if heads is None:
        config = AlembicConfig()
        config.set_main_option("script_location", app.extensions["migrate"].directory)
        heads = frozenset(ScriptDirectory.from_config(config).get_heads())
        app.extensions["health_migration_heads"] = heads
    return heads


def check() -> dict:
    """``{"database": "ok"|"error", "migrations": "ok"|"pending"|"error"}``."""
    result = {"database": "error", "migrations": "error"}
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            result["database"] = "ok"
            current = frozenset(MigrationContext.configure(connection).get_current_heads())
    except Exception:  # any failure means "not healthy"; the details stay in the server log
        log.exception("health check: database unavailable")
        return result
    try:
        heads = expected_heads(current_app)
    except Exception:
        log.exception("health check: cannot read the migration scripts")
        return result
    result["migrations"] = "ok" if current == heads else "pending"
    return result


@blueprint.route("/health")
def health():
    checks = check()
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "unavailable", **checks}
    return jsonify(body), 200 if healthy else 503


def init_app(app) -> None:
    """Register ``/health`` (no login: FAB protects only its own views)."""
    app.register_blueprint(blueprint)
