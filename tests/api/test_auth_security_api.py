"""API authentication and hardening (issue 6 items 4, 6, 8): real tokens from the real login.

Rate limit and lockout on /api/v1/security/login, token revocation through session epochs
(logout, deactivation, password change), refresh tokens, JSON errors without details, the
token-only rule for every API that changes data and FAB's security APIs for Admin only.
"""
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from flask_appbuilder.api import BaseApi

from app import create_app
from app.extensions import db
from app.security import roles as r
from config import TestConfig
from tests.databases import app_from_template
from tests.conftest import PASSWORD, Factory, bearer, csrf_token, web_login

LOGIN = "/api/v1/security/login"
STRONG = "Better#Pass2026"
LOCKED = "登录失败次数过多"
WRONG = "用户名或密码错误。"
REVOKED = "令牌已失效，请重新登录。"


@contextmanager
def app_with(template_db, **settings):
    """A fresh app over a copy of the template database, with ``settings`` over TestConfig."""
    with app_from_template(template_db, type("Config", (TestConfig,), dict(settings))) as application:
        yield application


def _login(client, username, password=PASSWORD, address="10.0.0.1", refresh=True):
    return client.post(
        LOGIN, json={"username": username, "password": password, "provider": "db", "refresh": refresh},
        environ_base={"REMOTE_ADDR": address},
    )


def _tokens(client, username, password=PASSWORD):
    response = _login(client, username, password)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return bearer(body["access_token"]), bearer(body["refresh_token"])


def _works(client, headers) -> bool:
    return client.get("/api/v1/security/users/", headers=headers).status_code == 200


def _alive(client, headers) -> bool:
    """True while the token authenticates (any answer but 401)."""
    return client.get("/api/v1/orgunit/", headers=headers).status_code != 401


def _refresh(client, refresh_headers):
    return client.post("/api/v1/security/refresh", headers=refresh_headers)


@pytest.fixture
def login_clock(app):
    """The security manager's clock, moved by the test (never slept)."""
    class Clock:
        now = datetime(2026, 3, 2, 9, 0, 0)

        def advance(self, **delta):
            self.now += timedelta(**delta)

    holder = Clock()
    app.appbuilder.sm.clock = lambda: holder.now
    return holder


# ---------------------------------------------------------------- rate limit


def test_api_login_is_rate_limited_per_address(template_db):
    with app_with(template_db, RATELIMIT_ENABLED=True, AUTH_RATE_LIMITED=True, AUTH_RATE_LIMIT="3 per 1 minute") as app:
        Factory(app).user(r.COUNTER_STAFF, "counter")
        client = app.test_client()
        for _ in range(3):
            assert _login(client, "counter", "Wrong#Pass123").status_code == 401
        response = _login(client, "counter")
        assert response.status_code == 429
        assert response.get_json() == {"message": "此地址的登录尝试过于频繁，请稍候一分钟再试。"}
        assert _login(client, "counter", address="10.0.0.2").status_code == 200


# ---------------------------------------------------------------- lockout


def test_api_lockout_after_five_failures_and_its_expiry(client, users, login_clock):
    for _ in range(4):
        response = _login(client, "counter", "Wrong#Pass123")
        assert response.status_code == 401 and response.get_json() == {"message": WRONG}
    response = _login(client, "counter", "Wrong#Pass123")
    assert response.status_code == 429 and LOCKED in response.get_json()["message"]
    assert _login(client, "counter").status_code == 429, "locked even with the right password"
    assert _login(client, "counter", address="10.0.0.99").status_code == 200, "other addresses are not locked"
    login_clock.advance(minutes=15, seconds=1)
    assert _login(client, "counter").status_code == 200


def test_api_lockout_does_not_reveal_whether_an_account_exists(client, users, login_clock):
    answers = {}
    for username in ("counter", "ghost-user"):
        answers[username] = [_login(client, username, "Wrong#Pass123", address=f"10.3.{len(username)}.1")
                             for _ in range(6)]
    for known, unknown in zip(answers["counter"], answers["ghost-user"]):
        assert known.status_code == unknown.status_code
        assert known.get_json() == unknown.get_json()


def test_web_and_api_failures_count_together(client, users, login_clock):
    client.environ_base["REMOTE_ADDR"] = "10.0.0.1"
    for _ in range(3):
        web_login(client, "counter", "Wrong#Pass123")
    for _ in range(2):
        _login(client, "counter", "Wrong#Pass123", address="10.0.0.1")
    assert _login(client, "counter", address="10.0.0.1").status_code == 429


def test_login_input_errors_are_400_in_chinese(client, users):
    assert client.post(LOGIN, data="username=admin").status_code == 400
    response = client.post(LOGIN, json={"username": "admin", "provider": "db"})
    assert response.status_code == 400 and "password" in response.get_json()["message"]
    response = client.post(LOGIN, json={"username": "admin", "password": PASSWORD, "provider": "ldap"})
    assert response.status_code == 400 and response.get_json() == {"message": "不支持的登录方式。"}


# ---------------------------------------------------------------- token revocation


def test_tokens_carry_the_users_session_epoch(app, client, users):
    import jwt

    access, refresh = _tokens(client, "counter")
    key = app.config["JWT_SECRET_KEY"] if app.config.get("JWT_SECRET_KEY") else app.config["SECRET_KEY"]
    for headers in (access, refresh):
        claims = jwt.decode(headers["Authorization"][7:], key, algorithms=["HS256"])
        assert claims["epoch"] and claims["sub"] == str(users[r.COUNTER_STAFF].id)
    assert app.config["JWT_ACCESS_TOKEN_EXPIRES"] <= timedelta(minutes=15)


def test_api_logout_revokes_access_and_refresh_tokens(client, users):
    access, refresh = _tokens(client, "admin")
    other_access, _ = _tokens(client, "admin")
    assert _works(client, access)
    response = client.post("/api/v1/security/logout", headers=access)
    assert response.status_code == 200
    for headers in (access, other_access):
        response = client.get("/api/v1/security/users/", headers=headers)
        assert response.status_code == 401 and response.get_json() == {"message": REVOKED}
    assert _refresh(client, refresh).status_code == 401
    fresh, _ = _tokens(client, "admin")
    assert _works(client, fresh)


def test_web_logout_revokes_the_users_tokens(app, client, users, login):
    access, refresh = _tokens(client, "counter")
    login("counter")
    client.post("/logout/", data={"csrf_token": csrf_token(client, "/logout/")})
    assert not _alive(client, access)
    assert _refresh(client, refresh).status_code == 401


def test_deactivation_through_the_security_api_kills_the_jwt_at_once(client, users, api):
    victim_access, victim_refresh = _tokens(client, "counter")
    assert _alive(client, victim_access)
    user_id = users[r.COUNTER_STAFF].id
    response = client.put(f"/api/v1/security/users/{user_id}", headers=api("admin"), json={"active": False})
    assert response.status_code == 200, response.get_json()
    response = client.get("/api/v1/orgunit/", headers=victim_access)
    assert response.status_code == 401 and "message" in response.get_json()
    assert _refresh(client, victim_refresh).status_code == 401
    assert _login(client, "counter").status_code == 401, "an inactive account cannot log in"
    # reactivation does not bring the old tokens back
    client.put(f"/api/v1/security/users/{user_id}", headers=api("admin"), json={"active": True})
    assert not _alive(client, victim_access)
    assert _login(client, "counter").status_code == 200


def test_deactivation_on_the_web_user_page_kills_the_jwt(app, client, users, login):
    victim_access, _ = _tokens(client, "counter")
    login("admin")
    user = users[r.COUNTER_STAFF]
    role_id = app.appbuilder.sm.find_role(r.COUNTER_STAFF).id
    response = client.post(
        f"/users/edit/{user.id}",
        data={"first_name": "counter", "last_name": "测试", "username": "counter", "email": "counter@test.invalid",
              "roles": str(role_id), "csrf_token": csrf_token(client, f"/users/edit/{user.id}")},
    )
    assert response.status_code == 302
    assert not _alive(client, victim_access)


def test_password_change_through_the_api_revokes_tokens(client, users, api):
    access, refresh = _tokens(client, "counter")
    user_id = users[r.COUNTER_STAFF].id
    response = client.put(f"/api/v1/security/users/{user_id}", headers=api("admin"), json={"password": STRONG})
    assert response.status_code == 200, response.get_json()
    assert not _alive(client, access)
    assert _refresh(client, refresh).status_code == 401
    assert _login(client, "counter", STRONG).status_code == 200


def test_own_password_change_on_the_web_revokes_refresh_tokens(client, users, login):
    access, refresh = _tokens(client, "counter")
    login("counter")
    client.post(
        "/resetmypassword/form",
        data={"current_password": PASSWORD, "password": STRONG, "conf_password": STRONG,
              "csrf_token": csrf_token(client, "/resetmypassword/form")},
    )
    assert _refresh(client, refresh).status_code == 401
    assert not _alive(client, access)


def test_a_valid_refresh_token_still_works_and_carries_the_epoch(client, users):
    access, refresh = _tokens(client, "admin")
    response = _refresh(client, refresh)
    assert response.status_code == 200
    assert _works(client, bearer(response.get_json()["access_token"]))


@pytest.mark.parametrize(
    "headers, message",
    [
        ({}, "请先登录：请求中没有有效的令牌。"),
        ({"Authorization": "Bearer not-a-jwt"}, "令牌无效，请重新登录。"),
        ({"Authorization": "Basic YWRtaW46eA=="}, "请先登录：请求中没有有效的令牌。"),
    ],
)
def test_token_problems_are_401_with_a_chinese_message(client, users, headers, message):
    response = client.get("/api/v1/orgunit/", headers=headers)
    assert response.status_code == 401
    assert response.get_json() == {"message": message}


def test_an_expired_token_is_refused(template_db):
    with app_with(template_db, JWT_ACCESS_TOKEN_EXPIRES=timedelta(seconds=-1)) as app:
        Factory(app).user(r.ADMIN, "admin")
        client = app.test_client()
        access, _ = _tokens(client, "admin")
        response = client.get("/api/v1/orgunit/", headers=access)
        assert response.status_code == 401
        assert response.get_json() == {"message": "令牌已过期，请重新登录。"}


def test_a_token_signed_with_another_key_is_refused(client, users):
    import jwt

    forged = jwt.encode({"sub": str(users[r.ADMIN].id), "type": "access", "epoch": "x", "fresh": True},
                        "a-guessed-secret-of-thirty-two-bytes!", algorithm="HS256")
    response = client.get("/api/v1/security/users/", headers=bearer(forged))
    assert response.status_code == 401


@pytest.mark.parametrize("logged_in_before", [False, True], ids=["never-logged-in", "logged-in-before"])
@pytest.mark.parametrize("claims", [{}, {"epoch": None}, {"epoch": ""}], ids=["no-claim", "null", "empty"])
def test_a_validly_signed_token_without_the_epoch_is_refused(app, client, users, logged_in_before, claims):
    """Issue 17 item 9a: the API side — a token must carry the user's current epoch."""
    import time
    import uuid

    import jwt

    if logged_in_before:
        _tokens(client, "admin")
    now = int(time.time())
    payload = {"sub": str(users[r.ADMIN].id), "type": "access", "fresh": True, "jti": str(uuid.uuid4()),
               "iat": now, "nbf": now, "exp": now + 300, **claims}
    key = app.config.get("JWT_SECRET_KEY") or app.config["SECRET_KEY"]
    forged = jwt.encode(payload, key, algorithm="HS256")
    response = client.get("/api/v1/security/users/", headers=bearer(forged))
    assert response.status_code == 401


# ---------------------------------------------------------------- password policy on the API


@pytest.mark.parametrize("password", ["short1A!", "alllowercaseletters", "1234567890123"])
def test_security_api_refuses_weak_passwords_on_create_and_update(app, client, users, api, password):
    headers = api("admin")
    role_id = app.appbuilder.sm.find_role(r.COUNTER_STAFF).id
    response = client.post(
        "/api/v1/security/users/", headers=headers,
        json={"username": "weak", "first_name": "a", "last_name": "b", "email": "weak@test.invalid",
              "password": password, "active": True, "roles": [role_id]},
    )
    assert response.status_code in (400, 422)
    assert app.appbuilder.sm.find_user(username="weak") is None
    user = users[r.COUNTER_STAFF]
    before = user.password
    response = client.put(f"/api/v1/security/users/{user.id}", headers=headers, json={"password": password})
    assert response.status_code in (400, 422)
    db.session.expire_all()
    assert app.appbuilder.sm.find_user(username="counter").password == before


# ---------------------------------------------------------------- token-only, Admin-only


def _changes_data(view) -> bool:
    for attr_name in dir(type(view)):
        for _url, methods in getattr(getattr(type(view), attr_name, None), "_urls", ()) or ():
            if set(methods) & {"POST", "PUT", "PATCH", "DELETE"}:
                return True
    return False


def test_every_api_that_changes_data_refuses_browser_cookies(app):
    apis = [view for view in app.appbuilder.baseviews if isinstance(view, BaseApi)]
    changing = [view for view in apis if _changes_data(view)]
    assert {"UserApi", "RoleApi", "OrgUnitApi"} <= {type(view).__name__ for view in changing}
    offenders = [type(view).__name__ for view in changing if view.allow_browser_login]
    assert offenders == []


def test_a_web_session_cannot_drive_the_security_api(app, client, users, login):
    login("admin")
    role_id = app.appbuilder.sm.find_role(r.COUNTER_STAFF).id
    response = client.post(
        "/api/v1/security/users/",
        json={"username": "viacookie", "first_name": "a", "last_name": "b", "email": "c@test.invalid",
              "password": STRONG, "active": True, "roles": [role_id]},
    )
    assert response.status_code == 401
    assert app.appbuilder.sm.find_user(username="viacookie") is None


SECURITY_APIS = ["users/", "roles/", "groups/", "permissions/", "resources/", "permissions-resources/"]


@pytest.mark.parametrize("username", ["discipline", "committee", "reruling", "branchhead", "counter", "leader"])
def test_fab_security_apis_are_admin_only(client, users, api, username):
    headers = api(username)
    for path in SECURITY_APIS:
        assert client.get(f"/api/v1/security/{path}", headers=headers).status_code == 403, path
    assert client.post("/api/v1/security/roles/", headers=headers, json={"name": "Hacker"}).status_code == 403
    assert client.put(f"/api/v1/security/users/{users[r.ADMIN].id}", headers=headers, json={"active": False}).status_code == 403


def test_admin_reaches_every_security_api(client, users, api):
    for path in SECURITY_APIS:
        assert client.get(f"/api/v1/security/{path}", headers=api("admin")).status_code == 200, path


# ---------------------------------------------------------------- JSON errors


def _assert_clean_json(response, status):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"message"} and body["message"]
    text = response.get_data(as_text=True)
    for leak in ("Traceback", "SELECT", "sqlalchemy", "File \"", "Fatal error", "Not found", "Forbidden"):
        assert leak not in text
    return body["message"]


def test_api_errors_are_json_without_details(client, users, api):
    assert _assert_clean_json(client.get("/api/v1/orgunit/"), 401)
    assert _assert_clean_json(client.get("/api/v1/security/users/", headers=api("counter")), 403) == "您没有执行此操作的权限。"
    assert _assert_clean_json(client.get("/api/v1/orgunit/999999", headers=api("admin")), 404) == "页面或记录不存在，或您无权查看。"
    assert _assert_clean_json(client.get("/api/v1/no-such-resource/"), 404) == "页面或记录不存在，或您无权查看。"
    assert _assert_clean_json(client.delete(LOGIN), 405) == "此处不允许该操作。"
    assert "Allow" in client.delete(LOGIN).headers


def test_api_500_is_json_without_details(template_db):
    def crash():
        raise RuntimeError("SELECT phone FROM complaint WHERE id = 13800138000")

    with app_with(template_db, PROPAGATE_EXCEPTIONS=False) as app:
        app.add_url_rule("/api/v1/crash", "crash", crash)
        message = _assert_clean_json(app.test_client().get("/api/v1/crash"), 500)
        assert message == "系统内部错误，已记录。请稍后再试或联系系统管理员。"
