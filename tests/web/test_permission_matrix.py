"""Every route × every role, enumerated from the URL map (issue 6 "Must show").

A route either declares its permission (FAB's has_access/protect, mapped through the view's
method_permission_name) or is on the short reviewed allow-list below. For GET routes the
expected answer follows from the role table: allowed → anything but 401/403; denied → 403.
State-changing routes are exercised for the roles that lack the permission (→ 403).
"""
import re

import pytest

from app.security import roles as r
from tests.conftest import api_token, bearer, csrf_token, request_kwargs, web_login

# endpoint → why it needs no permission (reviewed)
ALLOW_LIST = {
    "static": "the application's own static files",
    "appbuilder.static": "FAB's static files",
    "HomeView.index": "landing page: the caller's own profile only",
    "UtilView.back": "redirect to the previous page",
    "LocaleView.index": "language switch (zh/en)",
    "AuthDBView.login": "login form",
    "AuthDBView.logout": "logout (POST with CSRF)",
    "SecurityApi.login": "API login",
    "SecurityApi.logout": "API logout (revokes the caller's tokens)",
    "SecurityApi.refresh": "API token refresh (refresh token required)",
    "health.health": "health check, leaks nothing",
}
# FAB's own security pages (Admin only) dispatch row actions through one route that checks the
# action's own permission inside; our views exclude these routes.
FAB_ACTION_DISPATCH = {"UserDBModelView", "RoleModelView", "PermissionModelView", "PermissionViewModelView",
                       "ViewMenuModelView", "UserGroupModelView"}


def _routes(app):
    for rule in app.url_map.iter_rules():
        fn = app.view_functions[rule.endpoint]
        owner = getattr(fn, "__self__", None)
        yield rule, fn, owner


def _permission(fn, owner):
    name = getattr(fn, "_permission_name", None)
    if name is None or owner is None:
        return None
    mapped = (owner.method_permission_name or {}).get(fn.__name__, name)
    return f"can_{mapped}", owner.class_permission_name


def test_every_route_declares_a_permission_or_is_allow_listed(app):
    undeclared = sorted(
        rule.endpoint for rule, fn, owner in _routes(app)
        if _permission(fn, owner) is None and rule.endpoint not in ALLOW_LIST
        and not (rule.endpoint.split(".")[0] in FAB_ACTION_DISPATCH and rule.endpoint.endswith((".action", ".action_post")))
    )
    assert undeclared == []


def _url(rule, ids):
    def value(match):
        name = match.group(2)
        if name in ("pk", "role_id"):
            return str(ids.get(rule.endpoint.split(".")[0], 1))
        if name == "attachment_id":
            return "1"
        if name == "name":
            return "accept"
        return "x"

    return re.sub(r"<(?:[a-z]+:)?([a-z_]*?)?([a-z_]+)>", value, rule.rule)


def _granted(app, role_name):
    role = app.appbuilder.sm.find_role(role_name)
    return {(pv.permission.name, pv.view_menu.name) for pv in role.permissions}


@pytest.mark.parametrize("role", r.ROLE_NAMES)
def test_matrix_for_role(app, client, users, make_complaint, role):
    complaint = make_complaint(users[r.COUNTER_STAFF])
    ids = {"ComplaintView": complaint.id, "ComplaintApi": complaint.id}
    username = users[role].username
    web_login(client, username)
    token = csrf_token(client)
    headers = bearer(api_token(client, username))
    granted = _granted(app, role)
    problems = []
    for rule, fn, owner in _routes(app):
        permission = _permission(fn, owner)
        if permission is None or "static" in rule.endpoint or rule.endpoint.endswith(".download"):
            continue  # FAB's file download routes answer 404 to everyone (test below)
        allowed = permission in granted
        url = _url(rule, ids)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method != "GET" and allowed:
                continue  # allowed writes are covered by the feature tests
            status = client.open(url, method=method, **request_kwargs(url, method, headers, token)).status_code
            if allowed and status in (401, 403):
                problems.append(f"{method} {url}: {status} but {role} holds {permission}")
            if not allowed and status not in (403, 405):
                problems.append(f"{method} {url}: {status} but {role} lacks {permission}")
    assert problems == []


def test_anonymous_gets_401_on_every_api_route_and_login_on_every_page(app, client, users):
    problems = []
    for rule, fn, owner in _routes(app):
        if _permission(fn, owner) is None or "GET" not in rule.methods or rule.endpoint.endswith(".download"):
            continue
        url = _url(rule, {})
        status = client.get(url).status_code
        expected = (401,) if rule.rule.startswith("/api/") else (302, 401)
        if status not in expected:
            problems.append(f"GET {url}: {status}")
    assert problems == []


def test_fab_file_download_routes_answer_404(app, client, users, login):
    login("admin")
    downloads = [rule for rule in app.url_map.iter_rules() if rule.endpoint.endswith(".download")]
    assert downloads
    for rule in downloads:
        assert client.get(rule.rule.replace("<string:filename>", "x_sep_y")).status_code == 404, rule.rule
