"""Issue 17 item 10a: failed logins are counted per resolved account, not per typed string.

FAB's login accepts the username (case-insensitive) or the account's e-mail address, so the
lockout must count both spellings of one account together, on the web form and the API login
alike; names that resolve to no account are counted by their normalised text, and locking an
unknown name looks exactly like locking a real one.
"""
from datetime import datetime

import pytest

from app.extensions import db
from tests.conftest import PASSWORD, count_queries, web_login

LOGIN_API = "/api/v1/security/login"
WRONG_PASSWORD = "Wrong#Pass123"
LOCKED = "登录失败次数过多"
WRONG = "用户名或密码错误。"


@pytest.fixture
def frozen(app):
    app.appbuilder.sm.clock = lambda: datetime(2026, 3, 2, 9, 0, 0)


def _web_client(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _web_attempt(client, name, password):
    """The message the login page shows after one attempt ('' when it logged in)."""
    response = web_login(client, name, password)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    return LOCKED if LOCKED in page else WRONG if WRONG in page else ""


def _api_attempt(client, name, password, address):
    return client.post(LOGIN_API, json={"username": name, "password": password, "provider": "db"},
                       environ_base={"REMOTE_ADDR": address})


# Every spelling FAB's login accepts for the account: the username in any case, the e-mail address.
SPELLINGS = ["counter", "counter@test.invalid", "COUNTER", "counter@test.invalid", "Counter"]


def test_failures_under_the_username_and_the_email_lock_the_one_account(app, users, frozen):
    desk = _web_client(app, "10.7.0.1")
    for name in SPELLINGS[:4]:
        assert _web_attempt(desk, name, WRONG_PASSWORD) == WRONG
    assert _web_attempt(desk, SPELLINGS[4], WRONG_PASSWORD) == LOCKED
    for name in ("counter", "counter@test.invalid"):
        assert _web_attempt(desk, name, PASSWORD) == LOCKED, name
        assert _api_attempt(app.test_client(), name, PASSWORD, "10.7.0.1").status_code == 429, name
    # still per (account, address): the owner's own desk is not locked
    assert _web_attempt(_web_client(app, "10.7.0.2"), "counter@test.invalid", PASSWORD) == ""


def test_api_failures_under_both_names_count_together(app, client, users, frozen):
    for name in SPELLINGS[:4]:
        assert _api_attempt(client, name, WRONG_PASSWORD, "10.8.0.1").status_code == 401
    response = _api_attempt(client, "counter@test.invalid", WRONG_PASSWORD, "10.8.0.1")
    assert response.status_code == 429 and LOCKED in response.get_json()["message"]
    assert _api_attempt(client, "counter", PASSWORD, "10.8.0.1").status_code == 429
    assert _api_attempt(client, "counter", PASSWORD, "10.8.0.2").status_code == 200


def test_a_success_under_the_email_clears_the_username_failures(app, users, frozen):
    desk = _web_client(app, "10.7.1.1")
    for _ in range(4):
        _web_attempt(desk, "counter", WRONG_PASSWORD)
    assert _api_attempt(app.test_client(), "counter@test.invalid", PASSWORD, "10.7.1.1").status_code == 200
    for _ in range(4):
        assert _web_attempt(desk, "counter", WRONG_PASSWORD) == WRONG


def test_unknown_names_are_counted_by_their_normalised_text_and_answered_alike(app, client, users, frozen):
    for name in ("ghost", " GHOST", "Ghost ", "ghost"):
        known = _api_attempt(client, "counter", WRONG_PASSWORD, "10.9.0.1")
        unknown = _api_attempt(client, name, WRONG_PASSWORD, "10.9.0.2")
        assert (known.status_code, known.get_json()) == (unknown.status_code, unknown.get_json()) == (401, {"message": WRONG})
    known = _api_attempt(client, "counter@test.invalid", WRONG_PASSWORD, "10.9.0.1")
    unknown = _api_attempt(client, "ghost", WRONG_PASSWORD, "10.9.0.2")
    assert known.status_code == unknown.status_code == 429
    assert known.get_json() == unknown.get_json()
    # an unknown e-mail-like name is its own key, like any other unknown text
    assert _api_attempt(client, "ghost@test.invalid", WRONG_PASSWORD, "10.9.0.2").status_code == 401


def test_a_locked_attempt_costs_the_same_statements_for_known_and_unknown_names(app, client, users, frozen):
    for _ in range(5):
        _api_attempt(client, "counter", WRONG_PASSWORD, "10.9.1.1")
        _api_attempt(client, "ghost", WRONG_PASSWORD, "10.9.1.2")
    counts = {}
    for name, address in (("counter@test.invalid", "10.9.1.1"), ("ghost", "10.9.1.2")):
        with count_queries() as queries:
            assert _api_attempt(client, name, PASSWORD, address).status_code == 429
        counts[name] = queries.count
    assert counts["counter@test.invalid"] == counts["ghost"], counts


def test_failures_are_stored_under_the_account_id_or_the_normalised_name(app, users, frozen):
    from app.models import LoginFailure
    from app.security import roles as r

    for name in ("counter@test.invalid", "COUNTER",
                 "Counter@test.invalid",  # FAB matches the e-mail address exactly: no account
                 " counter "):  # nor does it trim the username
        web_login(_web_client(app, "10.7.2.1"), name, WRONG_PASSWORD)
    rows = {(row.account, row.failures) for row in db.session.query(LoginFailure)}
    assert rows == {(f"user:{users[r.COUNTER_STAFF].id}", 2), ("name:counter@test.invalid", 1), ("name:counter", 1)}
