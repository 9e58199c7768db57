"""Fixtures of the fuzz tests (issue 17, item 14): the checks every answer must pass (the county with
complaints in every state, ``cases``, is tests/conftest.py's).

The tests in this folder carry the ``fuzz`` marker (``pytest -m fuzz`` runs them alone,
``-m 'not fuzz'`` skips them); ``make test`` and ``make test-postgres`` run them.
"""
import re

import pytest


# What must never reach a client: a stack trace, the database layer's names, SQL or a driver's
# constraint message.
LEAKS = re.compile(r"Traceback|sqlalchemy|sqlalche\.me|psycopg|sqlite3|File \"/|\[SQL|constraint failed"
                   r"|violates [a-z ]*constraint|IntegrityError|DataError", re.IGNORECASE)


def pytest_collection_modifyitems(items):
    for item in items:
        if "/tests/fuzz/" in str(item.fspath):
            item.add_marker(pytest.mark.fuzz)


def problem(status, body) -> str:
    """Why an answer is unacceptable ("" when it is fine): any 5xx, or a leak in the body."""
    if status >= 500:
        return f"answered {status}"
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    found = LEAKS.search(text)
    if found:
        return f"body shows {found.group(0)!r}"
    return ""


def restore_user(app, role, username, password):
    """Put back a user a generated request changed (password, roles, deactivated)."""
    from app.extensions import db

    db.session.rollback()
    sm = app.appbuilder.sm
    user = sm.find_user(username=username)
    user.active = True
    user.roles = [sm.find_role(role)]
    db.session.commit()
    sm.reset_password(user.id, password)


@pytest.fixture
def answers_500(app):
    """Unhandled errors become the 500 a user would see (the test app re-raises them)."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app
