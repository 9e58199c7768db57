"""Issue 17 item 10b: changing one's own password needs the current password.

``/resetmypassword/form`` (FAB's ResetMyPasswordView, replaced through the security manager)
asks for the current password; a wrong or missing one is refused beside the field and changes
nothing — no new hash, no new session epoch. Wrong current passwords count towards the login
lockout of the account at that address, so the form is no guessing oracle. The administrator's
reset of another user's password (``/resetpassword/form``) is unchanged.
"""
import re
from datetime import datetime

import pytest

from app.extensions import db
from app.models.auth import SessionEpoch
from app.security import roles as r
from tests.conftest import PASSWORD, csrf_token, web_login

FORM = "/resetmypassword/form"
STRONG = "Better#Pass2026"
WRONG_CURRENT = "当前密码不正确。"
LOCKED = "登录失败次数过多"


def _logged_in(client) -> bool:
    return client.get("/users/userinfo/").status_code == 200


def _row_of(html: str, field: str) -> str:
    """The form's table row holding the input named ``field``."""
    for row in re.findall(r"<tr>.*?</tr>", html, re.S):
        if f'name="{field}"' in row:
            return row
    raise AssertionError(f"no row with {field}")


def _change(client, **fields):
    data = {"password": STRONG, "conf_password": STRONG, "csrf_token": csrf_token(client, FORM), **fields}
    return client.post(FORM, data=data)


def _state(app, user_id):
    db.session.expire_all()
    user = app.appbuilder.sm.get_user_by_id(user_id)
    epoch = db.session.get(SessionEpoch, user_id)
    return user.password, epoch.epoch if epoch else None


@pytest.fixture
def frozen(app):
    app.appbuilder.sm.clock = lambda: datetime(2026, 3, 2, 9, 0, 0)


def test_the_form_asks_for_the_current_password_first(client, users, login):
    login("counter")
    html = client.get(FORM).get_data(as_text=True)
    names = re.findall(r'<input[^>]*name="(current_password|password|conf_password)"', html)
    assert names == ["current_password", "password", "conf_password"]
    assert "当前密码" in _row_of(html, "current_password")


@pytest.mark.parametrize("current", [None, "", "Wrong#Pass123"], ids=["missing", "empty", "wrong"])
def test_a_wrong_or_missing_current_password_changes_nothing(app, client, users, login, frozen, current):
    user_id = users[r.COUNTER_STAFF].id
    login("counter")
    other = app.test_client()
    web_login(other, "counter")
    before = _state(app, user_id)
    extra = {} if current is None else {"current_password": current}
    response = _change(client, **extra)
    assert response.status_code == 200
    row = _row_of(response.get_data(as_text=True), "current_password")
    assert "alert-danger" in row
    if current:
        assert WRONG_CURRENT in row
    assert _state(app, user_id) == before, "no new hash, no new epoch"
    assert _logged_in(client) and _logged_in(other)
    assert web_login(app.test_client(), "counter", STRONG).status_code == 302
    fresh = app.test_client()
    web_login(fresh, "counter", PASSWORD)
    assert _logged_in(fresh), "the old password still works"


def test_the_right_current_password_changes_it(app, client, users, login):
    login("counter")
    other = app.test_client()
    web_login(other, "counter")
    response = _change(client, current_password=PASSWORD)
    assert response.status_code == 302
    assert _logged_in(client) and not _logged_in(other)
    fresh = app.test_client()
    web_login(fresh, "counter", STRONG)
    assert _logged_in(fresh)


def test_wrong_current_passwords_count_towards_the_login_lockout(app, users, frozen):
    desk = app.test_client()
    desk.environ_base["REMOTE_ADDR"] = "10.5.5.5"
    web_login(desk, "counter")
    assert _logged_in(desk)
    for _ in range(4):
        assert WRONG_CURRENT in _change(desk, current_password="Wrong#Pass123").get_data(as_text=True)
    assert LOCKED in _change(desk, current_password="Wrong#Pass123").get_data(as_text=True)
    # locked: even the right current password is refused, and so is a login at this address
    before = _state(app, users[r.COUNTER_STAFF].id)
    assert LOCKED in _change(desk, current_password=PASSWORD).get_data(as_text=True)
    assert _state(app, users[r.COUNTER_STAFF].id) == before
    again = app.test_client()
    again.environ_base["REMOTE_ADDR"] = "10.5.5.5"
    web_login(again, "counter")
    assert not _logged_in(again)


def test_the_admin_reset_of_another_users_password_is_unchanged(app, client, users, login):
    login("admin")
    user_id = users[r.COUNTER_STAFF].id
    html = client.get(f"/resetpassword/form?pk={user_id}").get_data(as_text=True)
    assert 'name="current_password"' not in html
    response = client.post(
        f"/resetpassword/form?pk={user_id}",
        data={"password": STRONG, "conf_password": STRONG, "csrf_token": csrf_token(client, f"/resetpassword/form?pk={user_id}")},
    )
    assert response.status_code == 302
    fresh = app.test_client()
    web_login(fresh, "counter", STRONG)
    assert _logged_in(fresh)
