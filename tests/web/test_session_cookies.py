"""Issue 17 item 9a: a session or remember cookie without the user's current epoch is dead.

The cookies are forged the way an attacker who knows the signing key would forge them (Flask's
own session serializer, Flask-Login's remember-cookie encoder), for a user who never logged in
(no epoch row) and for one who did; no login form is involved.
"""
import pytest
from flask_login.utils import encode_cookie

from app.security import roles as r
from tests.conftest import web_login

ADMIN_ONLY = "/users/list/"


def _forged_session(app, user_id, **extra) -> str:
    """A validly signed session cookie naming ``user_id``, as Flask itself would write it."""
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.dumps({"_user_id": str(user_id), "_fresh": True, **extra})


def _forged_remember_cookie(app, user_id) -> str:
    """Flask-Login's remember cookie (``<id>|<hmac>``) for ``user_id``."""
    with app.test_request_context():
        return encode_cookie(str(user_id))


def _refused(response) -> bool:
    return response.status_code == 302 and "/login/" in response.headers["Location"]


@pytest.mark.parametrize("logged_in_before", [False, True], ids=["never-logged-in", "logged-in-before"])
@pytest.mark.parametrize("epoch", ["missing", None, "0123456789abcdef0123456789abcdef"])
def test_a_session_cookie_without_the_current_epoch_opens_no_account(app, users, logged_in_before, epoch):
    admin = users[r.ADMIN]
    if logged_in_before:
        assert web_login(app.test_client(), "admin").status_code == 302
    extra = {} if epoch == "missing" else {"_epoch": epoch}
    forger = app.test_client()
    forger.set_cookie("session", _forged_session(app, admin.id, **extra))
    assert _refused(forger.get(ADMIN_ONLY))
    assert _refused(forger.get("/users/userinfo/"))


@pytest.mark.parametrize("logged_in_before", [False, True], ids=["never-logged-in", "logged-in-before"])
def test_a_remember_cookie_opens_no_account_and_is_cleared(app, users, logged_in_before):
    admin = users[r.ADMIN]
    if logged_in_before:
        assert web_login(app.test_client(), "admin").status_code == 302
    forger = app.test_client()
    forger.set_cookie("remember_token", _forged_remember_cookie(app, admin.id))
    response = forger.get(ADMIN_ONLY)
    assert _refused(response)
    cleared = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=;")]
    assert cleared, "the refused remember cookie is deleted"
    assert _refused(forger.get("/users/userinfo/"))


def test_a_real_login_still_carries_its_epoch_and_works(app, client, users, login):
    login("counter")
    assert client.get("/users/userinfo/").status_code == 200
