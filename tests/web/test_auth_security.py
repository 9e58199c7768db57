"""Web authentication and hardening (issue 6 items 4, 5, 6, 8), with real logins.

Rate limit and lockout, session epochs (logout, replayed cookies, deactivation, password
changes), the password policy on every path, security headers and cookies, open redirects,
error pages, CSRF and the per-request permission cache.
"""
import re
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest

from app import create_app
from app.extensions import db
from app.security import roles as r
from tests.conftest import PASSWORD, Factory, count_queries, csrf_token, web_login
from config import TestConfig
from tests.databases import app_from_template

STRONG = "Better#Pass2026"
WEAK = ["short1A!", "alllowercaseletters", "NoDigitsOrSymbols", "1234567890123"]

LOCKED = "登录失败次数过多"
WRONG = "用户名或密码错误。"
POLICY = "密码至少 10 位"


@contextmanager
def app_with(template_db, routes=None, **settings):
    """A fresh app over a copy of the template database, with ``settings`` over TestConfig."""
    config = type("Config", (TestConfig,), dict(settings))
    with app_from_template(template_db, config) as application:
        if routes is not None:
            routes(application)
        yield application


class Clock:
    """A settable clock for the security manager: time is passed in, never slept."""

    def __init__(self, app):
        self.now = datetime(2026, 3, 2, 9, 0, 0)
        app.appbuilder.sm.clock = lambda: self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


def _client_at(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _login_page_text(client, username, password):
    response = web_login(client, username, password)
    assert response.status_code == 302
    return client.get(response.headers["Location"]).get_data(as_text=True)


def _logged_in(client) -> bool:
    return client.get("/users/userinfo/").status_code == 200


def _csrf_in(response):
    """The CSRF token of the first form in ``response``."""
    for tag in re.findall(r"<input[^>]*>", response.get_data(as_text=True)):
        if 'name="csrf_token"' in tag:
            return re.search(r'value="([^"]+)"', tag).group(1)
    raise AssertionError("no CSRF token")


def _session_cookie(client):
    return client.get_cookie("session").value


# ---------------------------------------------------------------- rate limit


def test_web_login_is_rate_limited_per_address(template_db):
    with app_with(template_db, RATELIMIT_ENABLED=True, AUTH_RATE_LIMITED=True, AUTH_RATE_LIMIT="3 per 1 minute") as app:
        Factory(app).user(r.COUNTER_STAFF, "counter")
        client = _client_at(app, "10.0.0.1")
        for _ in range(3):
            assert web_login(client, "counter", "Wrong#Pass123").status_code == 302
        response = web_login(client, "counter", PASSWORD)
        assert response.status_code == 429
        assert "此地址的登录尝试过于频繁" in response.get_data(as_text=True)
        assert not _logged_in(client)
        # the login page itself (GET) and other addresses are not limited
        assert client.get("/login/").status_code == 200
        assert web_login(_client_at(app, "10.0.0.2"), "counter", PASSWORD).status_code == 302


def test_login_rate_limit_is_configurable_and_off_in_test_config(client, users):
    for _ in range(12):
        web_login(client, "nobody", "Wrong#Pass123")
    assert web_login(client, "admin", PASSWORD).status_code == 302


# ---------------------------------------------------------------- lockout


def test_five_failures_lock_the_account_at_that_address_even_with_the_right_password(app, users):
    clock = Clock(app)
    desk = _client_at(app, "10.1.1.5")
    for n in range(4):
        assert WRONG in _login_page_text(desk, "counter", "Wrong#Pass123")
    page = _login_page_text(desk, "counter", "Wrong#Pass123")
    assert LOCKED in page and "15 分钟" in page
    clock.advance(minutes=5)
    page = _login_page_text(desk, "counter", PASSWORD)
    assert LOCKED in page and "10 分钟" in page
    assert not _logged_in(desk)


def test_an_attacker_cannot_lock_the_owner_out_from_another_address(app, users):
    Clock(app)
    attacker = _client_at(app, "10.9.9.9")
    for _ in range(8):
        web_login(attacker, "counter", "Wrong#Pass123")
    assert LOCKED in _login_page_text(attacker, "counter", PASSWORD)
    owner = _client_at(app, "10.1.1.5")
    web_login(owner, "counter", PASSWORD)
    assert _logged_in(owner)


def test_lockout_expires_after_the_configured_duration(app, users):
    clock = Clock(app)
    desk = _client_at(app, "10.1.1.5")
    for _ in range(5):
        web_login(desk, "counter", "Wrong#Pass123")
    clock.advance(minutes=14, seconds=59)
    assert LOCKED in _login_page_text(desk, "counter", PASSWORD)
    clock.advance(seconds=2)
    web_login(desk, "counter", PASSWORD)
    assert _logged_in(desk)


def test_unknown_usernames_get_the_same_messages_and_lock_the_same_way(app, users):
    Clock(app)
    known, unknown = _client_at(app, "10.2.0.1"), _client_at(app, "10.2.0.2")
    for _ in range(4):
        known_page = _login_page_text(known, "counter", "Wrong#Pass123")
        unknown_page = _login_page_text(unknown, "no-such-user", "Wrong#Pass123")
        assert WRONG in known_page and WRONG in unknown_page
    known_page = _login_page_text(known, "counter", "Wrong#Pass123")
    unknown_page = _login_page_text(unknown, "no-such-user", "Wrong#Pass123")
    assert LOCKED in known_page and LOCKED in unknown_page
    assert "counter" not in unknown_page and "不存在" not in unknown_page


def test_a_successful_login_clears_the_failures(app, users):
    Clock(app)
    desk = _client_at(app, "10.1.1.5")
    for _ in range(4):
        web_login(desk, "counter", "Wrong#Pass123")
    web_login(desk, "counter", PASSWORD)
    assert _logged_in(desk)
    desk.post("/logout/", data={"csrf_token": csrf_token(desk, "/logout/")})
    for _ in range(4):
        assert WRONG in _login_page_text(desk, "counter", "Wrong#Pass123")


def test_forwarded_for_is_ignored_unless_a_proxy_is_configured(app, users, template_db):
    from app.models import LoginFailure

    Clock(app)
    spoofed = {"X-Forwarded-For": "10.66.66.66"}
    client = _client_at(app, "10.1.1.5")
    client.post("/login/", headers=spoofed, data={"username": "counter", "password": "x",
                                                   "csrf_token": csrf_token(client)})
    assert {row.address for row in db.session.query(LoginFailure)} == {"10.1.1.5"}
    db.session.remove()
    with app_with(template_db, TRUSTED_PROXY_COUNT=1) as proxied:
        client = _client_at(proxied, "127.0.0.1")
        client.post("/login/", headers=spoofed, data={"username": "counter", "password": "x",
                                                       "csrf_token": csrf_token(client)})
        assert {row.address for row in db.session.query(LoginFailure)} == {"10.66.66.66"}


def test_lockout_counts_are_stored_in_the_database_for_every_worker(app, users):
    from app.models import LoginFailure

    Clock(app)
    web_login(_client_at(app, "10.1.1.5"), "Counter", "Wrong#Pass123")
    row = db.session.query(LoginFailure).one()
    assert (row.account, row.address, row.failures) == (f"user:{users[r.COUNTER_STAFF].id}", "10.1.1.5", 1)


# ---------------------------------------------------------------- sessions


def test_a_session_cookie_copied_before_logout_is_refused_after_it(app, client, users, login):
    login("counter")
    stolen = _session_cookie(client)
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert _logged_in(thief), "the copied cookie works while the session lives"

    response = client.post("/logout/", data={"csrf_token": csrf_token(client, "/logout/")})
    assert response.status_code == 302
    assert not _logged_in(client)

    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/users/userinfo/").status_code == 302
    assert "/login/" in replay.get("/users/userinfo/").headers["Location"]
    assert "数据范围" not in replay.get("/").get_data(as_text=True)


def test_logout_needs_post_with_csrf_token(client, users, login):
    login("counter")
    page = client.get("/logout/")
    assert page.status_code == 200 and 'method="post"' in page.get_data(as_text=True)
    assert _logged_in(client), "GET /logout/ only shows the confirmation form"
    assert client.post("/logout/").status_code == 400
    assert _logged_in(client), "a cross-site POST without the token cannot log the user out"
    client.post("/logout/", data={"csrf_token": csrf_token(client, "/logout/")})
    assert not _logged_in(client)


def test_navbar_logout_is_a_form_with_the_csrf_token(client, users, login):
    login("admin")
    html = client.get("/").get_data(as_text=True)
    form = re.search(r'<form id="logout-form" method="post" action="/logout/".*?</form>', html, re.S)
    assert form and 'name="csrf_token"' in form.group(0)
    assert 'href="/logout/"' not in html


def test_web_logout_ends_the_users_other_sessions_too(app, client, users, login):
    login("counter")
    other = app.test_client()
    web_login(other, "counter")
    assert _logged_in(other)
    client.post("/logout/", data={"csrf_token": csrf_token(client, "/logout/")})
    assert not _logged_in(other)


def test_deactivating_a_user_on_the_web_ends_their_session(app, client, users, login):
    victim = app.test_client()
    web_login(victim, "counter")
    assert _logged_in(victim)
    login("admin")
    user = users[r.COUNTER_STAFF]
    token = csrf_token(client, f"/users/edit/{user.id}")
    role_id = app.appbuilder.sm.find_role(r.COUNTER_STAFF).id
    response = client.post(
        f"/users/edit/{user.id}",
        data={"first_name": "counter", "last_name": "测试", "username": "counter", "email": "counter@test.invalid",
              "roles": str(role_id), "csrf_token": token},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert app.appbuilder.sm.find_user(username="counter").active is False
    assert not _logged_in(victim)


def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(app, client, users, login):
    login("counter")
    other = app.test_client()
    web_login(other, "counter")
    response = client.post(
        "/resetmypassword/form",
        data={"current_password": PASSWORD, "password": STRONG, "conf_password": STRONG,
              "csrf_token": csrf_token(client, "/resetmypassword/form")},
    )
    assert response.status_code == 302
    assert _logged_in(client)
    assert not _logged_in(other)
    fresh = app.test_client()
    web_login(fresh, "counter", STRONG)
    assert _logged_in(fresh)


def test_admin_password_reset_ends_the_users_sessions(app, client, users, login):
    victim = app.test_client()
    web_login(victim, "counter")
    login("admin")
    user_id = users[r.COUNTER_STAFF].id
    response = client.post(
        f"/resetpassword/form?pk={user_id}",
        data={"password": STRONG, "conf_password": STRONG, "csrf_token": csrf_token(client, "/resetmypassword/form")},
    )
    assert response.status_code == 302
    assert not _logged_in(victim)


# ---------------------------------------------------------------- password policy


@pytest.mark.parametrize("password", WEAK)
def test_web_user_add_refuses_a_weak_password(app, client, users, login, password):
    login("admin")
    role_id = app.appbuilder.sm.find_role(r.COUNTER_STAFF).id
    response = client.post(
        "/users/add",
        data={"first_name": "新", "last_name": "柜员", "username": "weakling", "active": "y",
              "email": "weakling@test.invalid", "roles": str(role_id), "password": password,
              "conf_password": password, "csrf_token": csrf_token(client, "/users/add")},
    )
    assert response.status_code == 200
    assert POLICY in response.get_data(as_text=True)
    assert app.appbuilder.sm.find_user(username="weakling") is None


def test_web_user_add_accepts_a_strong_password(app, client, users, login):
    login("admin")
    role_id = app.appbuilder.sm.find_role(r.COUNTER_STAFF).id
    response = client.post(
        "/users/add",
        data={"first_name": "新", "last_name": "柜员", "username": "strongling", "active": "y",
              "email": "strongling@test.invalid", "roles": str(role_id), "password": STRONG,
              "conf_password": STRONG, "csrf_token": csrf_token(client, "/users/add")},
    )
    assert response.status_code == 302
    assert app.appbuilder.sm.find_user(username="strongling") is not None


@pytest.mark.parametrize("path", ["/resetmypassword/form", "/resetpassword/form?pk={pk}"])
def test_password_forms_refuse_a_weak_password(app, client, users, login, path):
    login("admin")
    user = users[r.ADMIN]
    before = user.password
    response = client.post(
        path.format(pk=user.id),
        data={"current_password": PASSWORD, "password": "weakpass", "conf_password": "weakpass",
              "csrf_token": csrf_token(client, "/resetmypassword/form")},
    )
    assert response.status_code == 200
    assert POLICY in response.get_data(as_text=True)
    db.session.expire_all()
    assert app.appbuilder.sm.find_user(username="admin").password == before


@pytest.mark.parametrize(
    "args",
    [
        ["fab", "create-admin", "--username", "cliadmin", "--firstname", "a", "--lastname", "b",
         "--email", "cliadmin@test.invalid", "--password", "{pw}"],
        ["fab", "create-user", "--role", "CounterStaff", "--username", "cliuser", "--firstname", "a",
         "--lastname", "b", "--email", "cliuser@test.invalid", "--password", "{pw}"],
    ],
)
def test_cli_user_creation_applies_the_password_policy(app, args):
    from flask_appbuilder.cli import fab

    runner = app.test_cli_runner()
    username = args[args.index("--username") + 1]
    args = args[1:]
    weak = runner.invoke(fab, [a.format(pw="weakpass") for a in args])
    assert weak.exit_code != 0
    assert POLICY in weak.output
    assert app.appbuilder.sm.find_user(username=username) is None
    strong = runner.invoke(fab, [a.format(pw=STRONG) for a in args])
    assert strong.exit_code == 0, strong.output
    assert app.appbuilder.sm.find_user(username=username) is not None


def test_cli_password_reset_applies_the_policy_and_ends_sessions(app, users):
    from flask_appbuilder.cli import fab

    victim = app.test_client()
    web_login(victim, "counter")
    runner = app.test_cli_runner()
    weak = runner.invoke(fab, ["reset-password", "--username", "counter", "--password", "weakpass"])
    assert weak.exit_code != 0 and POLICY in weak.output
    assert _logged_in(victim)
    strong = runner.invoke(fab, ["reset-password", "--username", "counter", "--password", STRONG])
    assert strong.exit_code == 0, strong.output
    assert not _logged_in(victim)


# ---------------------------------------------------------------- headers and cookies


def _nonce(response):
    csp = response.headers["Content-Security-Policy"]
    return re.search(r"script-src 'self' 'nonce-([A-Za-z0-9_\-]+)'", csp).group(1)


@pytest.mark.parametrize("path", ["/", "/orgunitview/list/", "/orgunitview/add", "/users/list/", "/users/userinfo/"])
def test_pages_carry_a_nonce_csp_and_every_script_uses_it(client, users, login, path):
    login("admin")
    response = client.get(path)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    assert "frame-ancestors 'none'" in csp
    nonce = _nonce(response)
    scripts = re.findall(r"<script\b[^>]*>", response.get_data(as_text=True))
    assert scripts, "FAB pages load scripts"
    assert all(f'nonce="{nonce}"' in tag for tag in scripts), scripts
    assert not re.search(r"\son[a-z]+\s*=", response.get_data(as_text=True)), "no inline event handlers"


def test_the_nonce_changes_with_every_request(client):
    assert _nonce(client.get("/login/")) != _nonce(client.get("/login/"))


def test_pages_and_api_answers_are_not_stored_and_not_sniffed(client, users, login, api):
    headers = api("admin")
    login("admin")
    for response in (client.get("/orgunitview/list/"), client.get("/api/v1/orgunit/", headers=headers),
                     client.get("/login/"), client.get("/api/v1/orgunit/")):
        assert "no-store" in response.headers["Cache-Control"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Frame-Options"] == "DENY"
    static = client.get("/static/appbuilder/js/ab.js")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


def test_no_hsts_and_no_secure_cookie_without_https(client, users):
    response = web_login(client, "admin")
    assert "Strict-Transport-Security" not in response.headers
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_https_turns_on_hsts_and_secure_cookies(template_db):
    with app_with(template_db, HTTPS=True, SESSION_COOKIE_SECURE=True) as app:
        Factory(app).user(r.ADMIN, "admin")
        client = app.test_client()
        https = "https://localhost"
        token = _csrf_in(client.get("/login/", base_url=https))
        response = client.post(
            "/login/", base_url=https, headers={"Referer": https + "/login/"},  # Flask-WTF checks it on HTTPS
            data={"username": "admin", "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# ---------------------------------------------------------------- open redirects

EVIL_TARGETS = [
    "http://evil.example/", "https://evil.example/x", "//evil.example/", "/\\evil.example", "https:evil.example",
    "javascript:alert(1)", "\t//evil.example", "http://localhost.evil.example/", "///evil.example",
]


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_login_next_cannot_leave_the_site(client, users, target):
    token = csrf_token(client)
    response = client.post(
        "/login/", query_string={"next": target},
        data={"username": "admin", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    already = client.get("/login/", query_string={"next": target})
    assert already.headers["Location"] == "/"


def test_a_forged_host_header_does_not_widen_next(users, app):
    client = app.test_client()
    evil = "http://evil.example"
    token = _csrf_in(client.get("/login/", base_url=evil))
    response = client.post(
        "/login/", base_url=evil, query_string={"next": "http://evil.example/phish"},
        data={"username": "admin", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"
    assert "evil" not in response.headers["Location"]


def test_trusted_hosts_refuse_a_foreign_host_header(template_db):
    with app_with(template_db, TRUSTED_HOSTS=["complaints.example", "localhost"]) as app:
        client = app.test_client()
        assert client.get("/login/").status_code == 200
        assert client.get("/login/", base_url="http://evil.example").status_code == 400


def test_a_local_next_is_honoured(client, users):
    token = csrf_token(client)
    response = client.post(
        "/login/", query_string={"next": "/orgunitview/list/"},
        data={"username": "admin", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/orgunitview/list/"


def test_safe_redirect_hosts_are_configured(app):
    assert app.config["FAB_SAFE_REDIRECT_HOSTS"]


# ---------------------------------------------------------------- error pages


def _crashing_routes(application):
    from sqlalchemy.exc import OperationalError

    def boom():
        raise OperationalError("SELECT * FROM complaint WHERE phone = ?", {"phone": "13800138000"}, Exception("disk I/O"))

    application.add_url_rule("/boom", "boom", boom)
    application.add_url_rule("/api/v1/boom", "api_boom", boom)


def test_500_page_is_chinese_without_sql_or_parameters(template_db):
    with app_with(template_db, routes=_crashing_routes, PROPAGATE_EXCEPTIONS=False) as app:
        response = app.test_client().get("/boom")
        body = response.get_data(as_text=True)
        assert response.status_code == 500
        assert "系统内部错误" in body
        for secret in ("SELECT", "13800138000", "Traceback", "disk I/O", "OperationalError"):
            assert secret not in body
        api = app.test_client().get("/api/v1/boom")
        assert api.status_code == 500
        assert api.get_json() == {"message": "系统内部错误，已记录。请稍后再试或联系系统管理员。"}
        assert "13800138000" not in api.get_data(as_text=True)


def test_500_page_renders_even_when_the_database_is_gone(template_db):
    def routes(application):
        def broken():
            db.engine.dispose()
            db.session.bind = None
            raise RuntimeError("SELECT secret FROM staff")

        application.add_url_rule("/broken", "broken", broken)

    with app_with(template_db, routes=routes, PROPAGATE_EXCEPTIONS=False) as app:
        response = app.test_client().get("/broken")
        assert response.status_code == 500
        assert "系统内部错误" in response.get_data(as_text=True)
        assert "secret" not in response.get_data(as_text=True)


def test_404_page_is_chinese_and_inside_the_layout(client, users, login):
    login("counter")
    response = client.get("/no/such/page")
    body = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "未找到" in body and "页面或记录不存在" in body
    assert "客户投诉管理系统" in body and "Not Found" not in body


def test_403_page_is_chinese(client, users, login):
    login("counter")
    response = client.get("/orgunitview/list/")
    body = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "拒绝访问" in body and "您没有执行此操作的权限" in body
    assert "Forbidden" not in body


def test_missing_csrf_token_gives_a_chinese_400_page(client, users):
    response = client.post("/login/", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400
    assert "表单已过期或缺少安全令牌" in response.get_data(as_text=True)


def test_sqlalchemy_hides_parameters(app):
    assert db.engine.hide_parameters is True


# ---------------------------------------------------------------- CSRF and GET


def _sample_url(rule):
    values = {name: "1" for name in rule.arguments}
    if "name" in rule.arguments:
        values["name"] = "x"
    if "filename" in rule.arguments:
        values["filename"] = "x"
    return rule.build(values, append_unknown=False)[1]


def test_every_state_changing_web_route_requires_the_csrf_token(app, client, users, login):
    """Enumerated from the URL map: a new web form cannot slip past."""
    login("admin")
    csrf = app.extensions["csrf"]
    checked = []
    for rule in app.url_map.iter_rules():
        methods = rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
        blueprint = app.blueprints.get(rule.endpoint.rsplit(".", 1)[0]) if "." in rule.endpoint else None
        if not methods or blueprint in csrf._exempt_blueprints:
            continue
        for method in methods:
            response = client.open(_sample_url(rule), method=method, data={"x": "1"})
            assert response.status_code == 400, (rule.rule, method, response.status_code)
            assert "表单已过期或缺少安全令牌" in response.get_data(as_text=True)
            checked.append(rule.rule)
    assert {"/login/", "/logout/", "/orgunitview/add", "/users/add", "/resetmypassword/form"} <= set(checked)


def test_only_api_blueprints_are_csrf_exempt(app):
    csrf = app.extensions["csrf"]
    assert csrf._exempt_blueprints
    for blueprint in csrf._exempt_blueprints:
        rules = [rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith(blueprint.name + ".")]
        assert rules and all(rule.startswith("/api/") for rule in rules), (blueprint.name, rules)
    assert not csrf._exempt_views


def test_delete_and_action_on_get_change_nothing(app, client, users, login, org):
    from app.models import OrgUnit

    login("admin")
    unit_id = org["b1"].id
    client.get(f"/orgunitview/delete/{unit_id}")
    assert db.session.get(OrgUnit, unit_id) is not None
    user_id = users[r.COUNTER_STAFF].id
    client.get(f"/users/delete/{user_id}")
    db.session.expire_all()
    assert app.appbuilder.sm.get_user_by_id(user_id) is not None


# ---------------------------------------------------------------- permission cache


def test_permissions_are_read_once_per_request(app, client, users, login):
    login("discipline")
    client.get("/orgunitview/list/")
    with count_queries() as counter:
        assert client.get("/orgunitview/list/").status_code == 200
    permission_queries = [s for s in counter.statements if "ab_permission_view_role" in s]
    assert len(permission_queries) == 1, permission_queries
    assert counter.count <= 15, counter.statements
