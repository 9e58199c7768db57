"""Ids no row can have, on every route that takes one, on every database.

PostgreSQL refuses an integer outside its column's range inside a query (an error), where
SQLite simply finds nothing. Every route must answer such an id the way it answers an id that
does not exist (404, or 400 for a malformed one) and never 500. The routes are enumerated from
the URL map, so a new view is covered the day it is added.
"""
import re

import pytest

from app.security import roles as r
from tests.conftest import api_token, bearer, csrf_token, request_kwargs, web_login

BAD_IDS = [str(2**31), str(2**40), str(10**20), "-1", "0", "abc"]
ID_ARGUMENT = re.compile(r"<(?:[a-z]+:)?([a-z_]*(?:pk|_id|id))>")


def _routes_with_ids(app):
    for rule in app.url_map.iter_rules():
        if "static" in rule.endpoint or rule.endpoint.endswith(".download"):
            continue
        if ID_ARGUMENT.search(rule.rule):
            yield rule


def _url(rule, bad):
    def value(match):
        name = match.group(0)
        if ID_ARGUMENT.fullmatch(name):
            return bad
        if "name" in name:
            return "accept"
        return "x"

    return re.sub(r"<[^>]+>", value, rule.rule)


@pytest.mark.parametrize("role", [r.ADMIN, r.DISCIPLINE_OFFICE])
def test_no_route_answers_500_to_an_id_no_row_can_have(app, client, users, role):
    username = users[role].username
    web_login(client, username)
    token = csrf_token(client)
    headers = bearer(api_token(client, username))
    problems = []
    rules = list(_routes_with_ids(app))
    assert len(rules) > 20  # the enumeration found the generic pages and the API
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for bad in BAD_IDS:
                url = _url(rule, bad)
                response = client.open(url, method=method, **request_kwargs(url, method, headers, token))
                if response.status_code >= 500:
                    problems.append(f"{method} {url}: {response.status_code}")
    assert problems == []


def _list_views(app):
    for view in app.appbuilder.baseviews:
        if getattr(view, "datamodel", None) is not None and getattr(view, "search_columns", None):
            yield view


@pytest.mark.parametrize("role", [r.ADMIN, r.DISCIPLINE_OFFICE])
def test_no_list_filter_or_api_query_answers_500_to_an_impossible_value(app, client, users, role):
    username = users[role].username
    web_login(client, username)
    headers = bearer(api_token(client, username))
    problems = []
    views = list(_list_views(app))
    assert views
    for view in views:
        is_api = hasattr(view, "resource_name")
        for column in view.search_columns:
            for operation in _operations(view, column, is_api):
                for bad in (str(2**40), "abc", "2026-13-45"):
                    if is_api:
                        url = f"/api/v1/{view.resource_name}/"
                        query = f"(filters:!((col:{column},opr:{operation},value:'{bad}')))"
                        kwargs = {"headers": headers, "query_string": {"q": query}}
                    else:
                        url = view.route_base + "/list/"
                        kwargs = {"query_string": {f"_flt_{operation}_{column}": bad}}
                    status = _status(client, url, **kwargs)
                    if status >= 500:
                        problems.append(f"{url} {column} #{operation} {bad}: {status}")
    assert not problems, "\n".join(problems[:60])


def _status(client, url, **kwargs):
    # The test app propagates exceptions; an exception is what a user would see as a 500.
    try:
        return client.get(url, **kwargs).status_code
    except Exception:  # noqa: BLE001 -- recorded as the failure it is
        from app.extensions import db

        db.session.rollback()
        return 500


def _operations(view, column, is_api, most=6):
    """The filter operations to try on ``column``: its first ``most`` (by API name, or by index on
    the page), and on the page one index past them, which the page refuses — each once (an index
    past the column's filters used to be tried several times over, as the same request)."""
    filters = view.datamodel.get_filters(view.search_columns)._search_filters.get(column, [])[:most]
    if is_api:
        return [operation.arg_name for operation in filters] or ["eq"]
    return range(len(filters) + 1)


def test_an_impossible_filter_value_is_a_translated_400(client, users, api, login):
    query = "(filters:!((col:branch_id,opr:eq,value:'1099511627776')))"
    response = client.get("/api/v1/complaint/", headers=api("discipline"), query_string={"q": query})
    assert response.status_code == 400
    assert "branch_id" in response.get_json()["message"]
    login("discipline")
    response = client.get("/complaints/list/", query_string={"_flt_9_branch": "1"})
    assert response.status_code == 400
    assert "无效" in response.get_data(as_text=True)


def test_a_valid_filter_still_filters(client, users, api, org, make_complaint):
    make_complaint(users[r.COUNTER_STAFF])
    office = api("discipline")
    for unit, expected in ((org["a1"].id, 1), (org["b1"].id, 0)):
        query = f"(filters:!((col:branch_id,opr:eq,value:{unit})))"
        response = client.get("/api/v1/complaint/", headers=office, query_string={"q": query})
        assert response.status_code == 200
        assert response.get_json()["count"] == expected


TEXT = "柜员\x00拒绝办理"


def test_a_nul_character_in_a_write_is_a_400_and_saves_nothing(client, users, api, org):
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Complaint

    body = {"channel": "phone", "complainant_name": "王五", "complainant_phone": "13912345678",
            "category": "attitude", "facts": TEXT, "branch_id": org["a1"].id}
    response = client.post("/api/v1/complaint/", headers=api("counter"), json=body)
    assert response.status_code == 400, response.get_data(as_text=True)
    response = client.post("/api/v1/orgunit/", headers=api("admin"),
                           json={"name": TEXT, "code": "Z\x00", "kind": "branch", "parent_id": org["coop_a"].id})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert db.session.execute(select(func.count()).select_from(Complaint)).scalar() == 0


@pytest.mark.parametrize("role", [r.ADMIN, r.DISCIPLINE_OFFICE])
def test_sorting_by_an_unknown_column_is_not_a_500(app, client, users, role):
    username = users[role].username
    web_login(client, username)
    headers = bearer(api_token(client, username))
    problems = []
    for view in app.appbuilder.baseviews:
        if getattr(view, "datamodel", None) is None:
            continue
        if hasattr(view, "resource_name"):
            url = f"/api/v1/{view.resource_name}/"
            kwargs = {"headers": headers, "query_string": {"q": "(order_column:password,order_direction:asc)"}}
        else:
            url = view.route_base + "/list/"
            kwargs = {"query_string": {f"_oc_{view.__class__.__name__}": "password\x00", f"_od_{view.__class__.__name__}": "x"}}
        status = _status(client, url, **kwargs)
        if status >= 500:
            problems.append(f"{url}: {status}")
    assert problems == []
