"""Operational logs as JSON lines, and the audit of administrative changes.

- **Request log** (logger ``complaints.request``): one line per request with the method, the
  path without its query string, the status, the duration in milliseconds and the user's id.
  Nothing else: no query parameters, form fields, addresses, names or user agents, so the
  log holds no complainant or staff data (§16).
- **Job log** (logger ``complaints.job``): ``log_job(name, **counts)`` writes one line with a
  scheduled job's result (the reminder command's counts, an archive run …).
- **Admin audit**: every created, changed or deleted login, role or group is written to
  ``admin_audit`` in the same transaction as the change (web pages, security API, CLI and the
  role sync alike), and one line goes to ``complaints.audit``. Passwords are recorded only
  as "changed"; names and e-mail addresses only as the names of the changed fields.

The ``complaints`` loggers write to standard error (journald under systemd) unless logging
is configured otherwise; tests see them through pytest's ``caplog``.
"""
import json
import logging
import sys
import time

from flask import g, has_request_context, request
from sqlalchemy import event, inspect, select
from werkzeug.local import LocalProxy

LOGGER = "complaints"
REQUEST_LOGGER = "complaints.request"
JOB_LOGGER = "complaints.job"
AUDIT_LOGGER = "complaints.audit"
MAX_PATH_LENGTH = 200

_START_KEY = "complaints.request_start"


def _emit(logger_name: str, entry: dict) -> None:
    logging.getLogger(logger_name).info(json.dumps(entry, ensure_ascii=False, default=str, sort_keys=True))


def _ensure_handler(app) -> None:
    """Send the ``complaints`` loggers to standard error, once per process (not in tests)."""
    logger = logging.getLogger(LOGGER)
    logger.setLevel(logging.INFO)
    if app.testing or logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.propagate = False


# --- who is acting (without touching the database) -----------------------------------------

def _loaded_user():
    """The request's user if it is already resolved (session or token), else ``None``."""
    if not has_request_context():
        return None
    # Flask-Login's resolved session user, then the token user that the JWT loader puts in
    # g.user (an unresolved LocalProxy is left alone: resolving it would query the database).
    for candidate in (g.get("_login_user"), g.get("user")):
        if candidate is None or isinstance(candidate, LocalProxy):
            continue
        if getattr(candidate, "is_authenticated", False):
            return candidate
    return None


def current_user_id():
    """The id of the logged-in user of this request, or ``None`` (anonymous, CLI, job)."""
    user = _loaded_user()
    if user is None:
        return None
    return inspect(user).identity[0] if inspect(user).identity else None


# --- request log ---------------------------------------------------------------------------

def _start_timer():
    request.environ[_START_KEY] = time.perf_counter()


def _log_request(response):
    started = request.environ.get(_START_KEY)
    duration = (time.perf_counter() - started) * 1000 if started is not None else None
    _emit(REQUEST_LOGGER, {
        "event": "request",
        "method": request.method,
        "path": request.path[:MAX_PATH_LENGTH],
        "status": response.status_code,
        "duration_ms": round(duration, 1) if duration is not None else None,
        "user_id": current_user_id(),
    })
    return response


# --- job log -------------------------------------------------------------------------------

def log_job(name: str, **counts) -> dict:
    """Log the result of a scheduled job as one JSON line; returns the logged entry.

    ``counts`` are the job's figures (``log_job("remind", due_soon=3, overdue=1, mailed=2)``);
    they must not contain personal data.
    """
    from .. import clock

    entry = {"event": "job", "job": name, "at": clock.now().isoformat(), **counts}
    _emit(JOB_LOGGER, entry)
    return entry


# --- admin audit ---------------------------------------------------------------------------

# Bookkeeping columns FAB changes on every login or save: not an administrative change.
_USER_BOOKKEEPING = {"last_login", "login_count", "fail_login_count", "created_on", "changed_on",
                     "created_by_fk", "changed_by_fk"}
# Column values worth recording; every other changed column is recorded by name only.
_RECORDED_VALUES = {"username", "active", "name", "label", "description", "capabilities", "scope",
                    "shows_identity", "must_change_password"}


def _audited():
    from flask_appbuilder.security.sqla.models import Group, Role, User

    from ..models.custom_role import CustomRole

    # A custom role's capabilities, scope and identity flag are recorded as the role's change.
    # Memberships are recorded on both sides that the change touched (FAB's user form edits
    # User.roles; its role API edits Role.user), so no path goes unrecorded.
    return ((User, "user", "username", ("roles", "groups")),
            (Role, "role", "name", ("permissions", "user", "groups")),
            (Group, "group", "name", ("users", "roles")),
            (CustomRole, "role", "role", ()))


def _label(obj) -> str:
    """A related object's name without loading anything (role, group, user, permission)."""
    state = inspect(obj)
    for key in ("name", "username"):
        if key in state.dict:
            return state.dict[key]
    permission = state.dict.get("permission")
    view = state.dict.get("view_menu")
    if permission is not None and view is not None:
        return f"{inspect(permission).dict.get('name')} on {inspect(view).dict.get('name')}"
    return f"#{state.identity[0] if state.identity else '?'}"


def _name(value):
    """A target's name: the value itself, or a related object's name (a custom role's role)."""
    return value if value is None or isinstance(value, str) else _label(value)


def _changes(state, collections) -> dict:
    changes = {}
    fields = []
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key == "id" or key in _USER_BOOKKEEPING:
            continue
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        fields.append(key)
        if key in _RECORDED_VALUES:
            changes[key] = {"from": history.deleted[0] if history.deleted else None,
                            "to": history.added[0] if history.added else None}
    for key in collections:
        if key not in state.mapper.relationships:
            continue
        history = state.attrs[key].history
        added = sorted(_label(obj) for obj in history.added)
        removed = sorted(_label(obj) for obj in history.deleted)
        if added or removed:
            fields.append(key)
            changes[key] = {"added": added, "removed": removed}
    if fields:
        changes["fields"] = sorted(fields)
    return changes


def _actor(connection):
    """(id, name) of whoever makes the change: the request's user, else the system (CLI, jobs)."""
    user = _loaded_user()
    if user is None:
        return None, "system" if not has_request_context() else "anonymous"
    from flask_appbuilder.security.sqla.models import User

    state = inspect(user)
    user_id = state.identity[0] if state.identity else None
    name = state.dict.get("username")
    if name is None and user_id is not None:
        name = connection.execute(select(User.username).where(User.id == user_id)).scalar()
    return user_id, name or f"#{user_id}"


def _audit_after_flush(session, flush_context):
    """Write one ``admin_audit`` row per user, role or group created, changed or deleted."""
    audited = _audited()
    rows = []
    for obj, action in ([(o, "create") for o in session.new] + [(o, "update") for o in session.dirty]
                        + [(o, "delete") for o in session.deleted]):
        for model, target_type, name_key, collections in audited:
            if not isinstance(obj, model):
                continue
            state = inspect(obj)
            if action == "update":
                changes = _changes(state, collections)
                if not changes:
                    break
            elif action == "create":
                changes = _changes(state, collections)
                changes.pop("fields", None)
            else:
                changes = None
            rows.append({
                "target_type": target_type,
                "target_id": state.identity[0] if state.identity else state.dict.get("id"),
                "target_name": _name(state.dict.get(name_key)),
                "action": action,
                "changes": changes or None,
            })
            break
    if not rows:
        return
    from ..models.admin_audit import AdminAudit
    from .. import clock

    connection = session.connection()
    actor_id, actor_name = _actor(connection)
    at = clock.now()
    for row in rows:
        row.update(at=at, actor_id=actor_id, actor_name=actor_name)
    connection.execute(AdminAudit.__table__.insert(), rows)
    for row in rows:
        _emit(AUDIT_LOGGER, {
            "event": "admin_audit", "action": row["action"], "target_type": row["target_type"],
            "target_id": row["target_id"], "actor_id": actor_id,
            "fields": (row["changes"] or {}).get("fields", []),
        })


def _install_audit() -> None:
    from flask_sqlalchemy.session import Session

    if not event.contains(Session, "after_flush", _audit_after_flush):
        event.listen(Session, "after_flush", _audit_after_flush)


def init_app(app) -> None:
    """Request log (timer first, log last), job and audit loggers, the admin audit listener."""
    _ensure_handler(app)
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request(_log_request)
    _install_audit()
