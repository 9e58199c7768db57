"""Issue 17, item 13: input that answered 500 answers a translated 400.

Each case here failed before its fix (a 500, or an exception in the test app, which propagates
them). The answers must be 400 with a Chinese message: in JSON every message string, on a page
the error text. The list APIs are enumerated from the application, FAB's security APIs included,
so a new API is covered the day it is added.
"""
import json
import re

import pytest
from flask_appbuilder.api import ModelRestApi

from app.security import roles as r
from tests.conftest import api_token, bearer, web_login

CJK = re.compile(r"[\u4e00-\u9fff]")


def messages(value):
    if isinstance(value, dict):
        return [m for item in value.values() for m in messages(item)]
    if isinstance(value, list):
        return [m for item in value for m in messages(item)]
    return [value]


def assert_translated_400(response, context=""):
    assert response.status_code == 400, f"{context}: {response.status_code} {response.get_data()[:300]!r}"
    if response.is_json:
        found = messages(response.get_json()["message"])
        assert found and all(isinstance(m, str) and CJK.search(m) for m in found), f"{context}: {found}"
    else:
        text = response.get_data(as_text=True)
        assert "<title>400" in text and CJK.search(text), context


def list_apis(app):
    """(resource path, ModelRestApi) of every list API, ours and FAB's security APIs."""
    for view in app.appbuilder.baseviews:
        if isinstance(view, ModelRestApi):
            yield f"/api/{view.version}/{view.resource_name}/", view


@pytest.fixture
def admin_headers(client, users):
    return bearer(api_token(client, users[r.ADMIN].username))


# --- malformed rison -------------------------------------------------------------------------

MALFORMED_Q = ["((((", "!", "(a:", "!(" * 400 + "1"]


def test_a_malformed_q_is_a_translated_400_on_every_list_and_info_endpoint(app, client, admin_headers):
    apis = list(list_apis(app))
    assert any("security/users" in path for path, _ in apis) and any("complaint" in path for path, _ in apis)
    for q in MALFORMED_Q:
        for path, _view in apis:
            for url in (path, path + "_info"):
                assert_translated_400(client.get(url, headers=admin_headers, query_string={"q": q}), f"{url} q={q!r}")


def test_fab_s_own_list_query_refusals_are_translated(client, admin_headers):
    for q in ("(order_column:number,order_direction:up)", "(filters:!((col:nope,opr:eq,value:a)))",
              "(order_column:password)", "(filters:!((col:status,opr:eq,value:(a:b))))"):
        assert_translated_400(client.get("/api/v1/complaint/", headers=admin_headers, query_string={"q": q}), q)


# --- page numbers ----------------------------------------------------------------------------

BAD_API_PAGES = [f"(page:{2**70})", f"(page_size:{2**70})", "(page:-1,page_size:10)", "(page:1.0)",
                 f"(page:{2**31},page_size:100)", f"(add_columns:(roles:(page:{2**70})))"]


def test_an_impossible_api_page_is_a_translated_400(app, client, admin_headers):
    for bad in BAD_API_PAGES:
        for path, _view in list_apis(app):
            url = path + "_info" if "add_columns" in bad else path
            assert_translated_400(client.get(url, headers=admin_headers, query_string={"q": bad}), f"{url} {bad}")


def test_an_impossible_page_number_on_a_page_is_a_translated_400(client, users, login):
    login(users[r.ADMIN].username)
    for bad in (str(2**70), "abc", "-1", "²", str(2**31), "1e3"):
        for url, args in (("/complaints/list/", {"page_ComplaintView": bad}),
                          ("/complaints/list/", {"psize_ComplaintView": bad}),
                          ("/accountability/", {"page": bad}),
                          ("/users/list/", {"page_UserDBModelView": bad})):
            assert_translated_400(client.get(url, query_string=args), f"{url} {args}")


def test_a_valid_page_still_works(client, users, login, api):
    login(users[r.DISCIPLINE_OFFICE].username)
    assert client.get("/complaints/list/", query_string={"page_ComplaintView": "0", "psize_ComplaintView": "25"}).status_code == 200
    assert client.get("/accountability/", query_string={"page": "3"}).status_code == 200
    response = client.get("/api/v1/complaint/", headers=api("discipline"), query_string={"q": "(page:2,page_size:10)"})
    assert response.status_code == 200


# --- the transition's version ----------------------------------------------------------------

BAD_VERSIONS = ['"abc"', "1.5", "true", str(2**70), "[1]", "{}", '"1"', "-1"]


def test_a_version_that_is_not_an_integer_is_a_translated_400(client, users, api, make_complaint):
    complaint = make_complaint(users[r.COUNTER_STAFF])
    headers = api("discipline")
    for version in BAD_VERSIONS:
        for method, url, body in (
            ("POST", f"/api/v1/complaint/{complaint.id}/transitions/accept", '{"level": "branch", "version": %s}'),
            ("PUT", f"/api/v1/complaint/{complaint.id}", '{"facts": "补充事实", "version": %s}'),
        ):
            response = client.open(url, method=method, headers=headers, data=body % version,
                                   content_type="application/json")
            assert_translated_400(response, f"{method} {url} {version}")
            assert "version" in response.get_json()["message"]
    events = client.get(f"/api/v1/complaint/{complaint.id}/events", headers=headers).get_json()["result"]
    assert [e["name"] for e in events] == ["register"]


def test_a_web_form_s_version_that_is_not_a_number_is_refused_without_a_500(client, users, login, make_complaint):
    from tests.conftest import csrf_token

    complaint = make_complaint(users[r.COUNTER_STAFF])
    login(users[r.DISCIPLINE_OFFICE].username)
    token = csrf_token(client, f"/complaints/show/{complaint.id}")
    for version in ("abc", "²", "9" * 5000):
        response = client.post(f"/complaints/transition/{complaint.id}/accept",
                               data={"csrf_token": token, "level": "branch", "version": version})
        assert response.status_code == 400, version  # the case page again, the form open with the message
        response = client.post(f"/complaints/edit/{complaint.id}",
                               data={"csrf_token": token, "facts": "补充事实", "version": version, "category": "fee"})
        assert response.status_code == 400, version  # the form again, with the message
    assert client.get(f"/complaints/show/{complaint.id}").status_code == 200


# --- report dates ----------------------------------------------------------------------------

REPORT_PERIODS = [("9999-12-01", "9999-12-31"), ("9998-01-01", "9999-12-31"), ("0001-01-01", "0001-12-31"),
                  ("2026-01-01", "9999-12-31"), ("0000-01-01", "2026-12-31"), ("garbage", "2026-12-31")]


def test_report_dates_out_of_range_are_a_translated_400(client, users, api, login):
    headers = api("discipline")
    login(users[r.DISCIPLINE_OFFICE].username)
    for start, end in REPORT_PERIODS:
        args = {"start": start, "end": end}
        for url in ("/api/v1/report/summary", "/api/v1/report/export"):
            assert_translated_400(client.get(url, headers=headers, query_string=args), f"{url} {args}")
        for url in ("/reports/dashboard", "/reports/assessment", "/reports/export", "/"):
            response = client.get(url, query_string=args)
            assert response.status_code == 400, f"{url} {args}"
            assert "日期" in response.get_data(as_text=True), f"{url} {args}"


# --- filter values of the wrong kind ---------------------------------------------------------

WRONG_KIND_FILTERS = [
    "(filters:!((col:number,opr:sw,value:12345)))",
    "(filters:!((col:status,opr:ct,value:!t)))",
    "(filters:!((col:number,opr:ew,value:!n)))",
    "(filters:!((col:number,opr:sw,value:!(1,2))))",
    "(filters:!((col:status,opr:eq,value:!(!(a)))))",
    "(filters:!((col:status,opr:eq,value:12)))",
    "(filters:!((col:branch_id,opr:eq,value:!t)))",
    "(filters:!((col:received_at,opr:gt,value:(a:1))))",
    "(filters:!((col:external_ref,opr:in,value:5)))",
]


def test_a_filter_value_of_the_wrong_kind_is_a_translated_400(client, api, users):
    for q in WRONG_KIND_FILTERS:
        assert_translated_400(client.get("/api/v1/complaint/", headers=api("discipline"), query_string={"q": q}), q)


def test_a_year_no_date_can_have_finds_nothing(client, api, users):
    for value in (str(2**70), f"'{2**70}'", "-99999999999", "1e400"):
        q = f"(filters:!((col:date,opr:year,value:{value})))"
        response = client.get("/api/v1/workday/", headers=api("discipline"), query_string={"q": q})
        assert response.status_code in (200, 400), q
        if response.status_code == 200:
            assert response.get_json()["count"] == 0


def test_filter_values_of_the_right_kind_still_filter(client, api, users, make_complaint):
    complaint = make_complaint(users[r.COUNTER_STAFF])
    headers = api("discipline")
    for q in (f"(filters:!((col:number,opr:sw,value:'{complaint.number[:4]}')))",
              "(filters:!((col:status,opr:eq,value:registered)))",
              f"(filters:!((col:branch_id,opr:eq,value:{complaint.branch_id})))",
              "(filters:!((col:status,opr:in,value:!(registered,processing))))"):
        response = client.get("/api/v1/complaint/", headers=headers, query_string={"q": q})
        assert response.status_code == 200, q
        assert response.get_json()["count"] == 1, q


# --- lone surrogates and other text no request may carry ------------------------------------

SURROGATE_BODY = '{"name": "\\ud800", "username": "\\udfff", "password": "x", "provider": "db", "facts": "a\\ud83d"}'


def json_write_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and rule.methods & {"POST", "PUT"}:
            yield rule


def test_a_lone_surrogate_in_any_json_body_is_a_translated_400(app, client, admin_headers, make_complaint, users):
    complaint = make_complaint(users[r.COUNTER_STAFF])
    routes = list(json_write_routes(app))
    assert len(routes) > 10
    for rule in routes:
        url = re.sub(r"<(?:int:)?pk>", str(complaint.id), rule.rule)
        url = re.sub(r"<name>", "accept", url)
        url = re.sub(r"<[^>]+>", "1", url)
        for method in sorted(rule.methods & {"POST", "PUT"}):
            for headers in (admin_headers, {}):
                response = client.open(url, method=method, headers=headers, data=SURROGATE_BODY,
                                       content_type="application/json")
                if response.status_code == 401 and not headers:
                    continue  # anonymous on a protected endpoint: refused before anything is read
                assert_translated_400(response, f"{method} {url}")


HUGE_INTEGER_BODY = '{"permission_id": -7425157188434280841216, "view_menu_id": 99999999999999999999, "version": 1}'


def test_a_number_no_column_can_hold_in_any_json_body_is_a_translated_400(app, client, admin_headers, make_complaint,
                                                                          users):
    """Schemathesis found PUT /api/v1/security/permissions-resources/<pk> answering 500 (the driver's
    overflow), then 500 again on the next request (the failed transaction left open)."""
    complaint = make_complaint(users[r.COUNTER_STAFF])
    for rule in json_write_routes(app):
        url = re.sub(r"<(?:int:)?pk>", str(complaint.id), rule.rule)
        url = re.sub(r"<name>", "accept", url)
        url = re.sub(r"<[^>]+>", "1", url)
        for method in sorted(rule.methods & {"POST", "PUT"}):
            response = client.open(url, method=method, headers=admin_headers, data=HUGE_INTEGER_BODY,
                                   content_type="application/json")
            assert_translated_400(response, f"{method} {url}")
    for path, _view in list_apis(app):
        q = '{"filters":[{"col":"id","opr":"eq","value":123456789012345678901234567890}]}'
        assert_translated_400(client.get(path, headers=admin_headers, query_string={"q": q}), path)
    # ordinary numbers still pass: the next request works
    assert client.get("/api/v1/security/permissions-resources/", headers=admin_headers).status_code == 200


def test_the_unauthenticated_login_refuses_a_lone_surrogate(client, users):
    response = client.post("/api/v1/security/login", data='{"username": "admin\\ud800", "password": "x", "provider": "db"}',
                           content_type="application/json")
    assert_translated_400(response, "login")


def test_a_lone_surrogate_escaped_in_a_json_q_is_a_translated_400(app, client, admin_headers):
    for q in ('{"filters":[{"col":"number","opr":"sw","value":"\\ud800"}]}', '{"columns":["\\udfff"]}',
              '{"filters":[{"col":"number","opr":"eq","value":"a\\u0000"}]}'):
        for path, _view in list_apis(app):
            assert_translated_400(client.get(path, headers=admin_headers, query_string={"q": q}), f"{path} {q}")


def test_invalid_utf8_in_query_strings_and_forms_is_never_a_500(client, users, login, api):
    headers = api("discipline")
    for url in ("/api/v1/complaint/?q=%ED%A0%80", "/api/v1/report/summary?start=%ED%A0%80",
                "/api/v1/complaint/?q=(filters:!((col:number,opr:sw,value:%ED%A0%80)))"):
        assert client.get(url, headers=headers).status_code in (200, 400), url
    login(users[r.DISCIPLINE_OFFICE].username)
    for url in ("/complaints/list/?_flt_0_number=%ED%A0%80", "/reports/dashboard?start=%ED%A0%80"):
        assert client.get(url).status_code in (200, 400), url
    response = client.post("/complaints/add", data=b"complainant_name=%ED%A0%80&facts=%ED%A0%80",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400  # no CSRF token, but no 500 either


def test_a_json_body_nested_too_deeply_is_a_translated_400(client, admin_headers, users):
    body = "[" * 100_000 + "]" * 100_000
    for url, headers in (("/api/v1/orgunit/", admin_headers), ("/api/v1/security/login", {})):
        assert_translated_400(client.post(url, headers=headers, data=body, content_type="application/json"), url)
    assert json.loads("[[1]]")  # the parser itself is fine for ordinary bodies


def test_a_form_id_that_is_not_a_plain_number_is_refused_without_a_500(client, users, login, org):
    from tests.conftest import csrf_token

    login(users[r.COUNTER_STAFF].username)
    token = csrf_token(client, "/complaints/add")
    for bad in ("²", "9" * 5000, "٣"):
        response = client.post("/complaints/add", data={
            "csrf_token": token, "channel": "phone", "complainant_name": "王五", "branch_id": bad,
            "respondent_staff_id": bad, "category": "fee", "facts": "多收手续费。"})
        assert response.status_code == 400, bad  # the form again, with the message
