"""Regression tests for what the fuzz tools found (issue 17, item 14): each failed before its fix.

Found by Schemathesis (test_api_schemathesis.py) or Hypothesis (test_forms_hypothesis.py);
the fix is named in each test.
"""
import pytest

from app.security import roles as r
from tests.conftest import api_token, bearer
from tests.fuzz.conftest import problem
from tests.fuzz.test_no_500_regressions import CJK, assert_translated_400, messages


def assert_translated_refusal(response, context=""):
    """400 or 409 (a conflict with existing records may be either) with a Chinese message."""
    assert response.status_code in (400, 409), f"{context}: {response.status_code} {response.get_data()[:300]!r}"
    found = messages(response.get_json()["message"])
    assert found and all(isinstance(m, str) and CJK.search(m) for m in found), f"{context}: {found}"


@pytest.fixture
def admin(client, users):
    return bearer(api_token(client, users[r.ADMIN].username))


# --- Schemathesis, FAB's security API (fix: api/base.py install, web.refuse_impossible_requests,
#     security/error_pages.translate_fab_api_errors) ------------------------------------------

def test_a_permission_on_a_resource_that_does_not_exist_is_refused_in_chinese(client, admin):
    response = client.post("/api/v1/security/permissions-resources/", headers=admin,
                           json={"permission_id": 250, "view_menu_id": 250})
    assert_translated_refusal(response, "permissions-resources")


@pytest.mark.parametrize("url", ["/api/v1/security/roles/", "/api/v1/security/resources/"])
def test_a_duplicate_name_on_the_security_api_is_refused_in_chinese(client, admin, url):
    name = "Admin" if "roles" in url else "Complaint"
    assert_translated_refusal(client.post(url, headers=admin, json={"name": name}), url)


def test_a_database_refusal_on_the_security_api_shows_no_driver_text(client, admin):
    body = {"name": "纪检组", "label": "纪检组", "description": "x"}
    assert client.post("/api/v1/security/groups/", headers=admin, json=body).status_code == 201
    response = client.post("/api/v1/security/groups/", headers=admin, json=body)
    assert_translated_refusal(response, "duplicate group")
    assert not problem(response.status_code, response.get_data())


@pytest.mark.parametrize("body", [{}, {"password": "Abcdef@12345"}, {"first_name": "张"}])
def test_editing_a_user_that_does_not_exist_is_a_404(client, admin, body):
    response = client.put("/api/v1/security/users/4194305", headers=admin, json=body)
    assert response.status_code == 404


# --- Schemathesis, date-times with an offset (fix: workflow/payloads.BeijingDateTime) ------------

def test_a_received_at_with_an_offset_is_beijing_time(client, api, users, org, clock):
    body = {"channel": "phone", "complainant_name": "王五", "branch_id": org["a1"].id, "category": "fee",
            "facts": "多收手续费。", "received_at": "2026-12-01T01:30:00Z"}
    response = client.post("/api/v1/complaint/", headers=api("counter"), json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["result"]["received_at"] == "2026-12-01T09:30:00"


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "3854-10-22T13:59:53Z"])
def test_a_received_at_no_date_can_hold_is_a_translated_400(client, api, users, org, clock, moment):
    body = {"channel": "phone", "complainant_name": "王五", "branch_id": org["a1"].id, "category": "fee",
            "facts": "多收手续费。", "received_at": moment}
    assert_translated_400(client.post("/api/v1/complaint/", headers=api("counter"), json=body), moment)


# --- found while writing the regressions: FAB's _info showed the catalog's header ------------

def test_fab_s_info_shows_no_catalog_header(client, admin):
    for url in ("/api/v1/security/users/_info", "/api/v1/security/roles/_info", "/api/v1/security/permissions/_info"):
        response = client.get(url, headers=admin)
        assert response.status_code == 200, url
        assert "Project-Id-Version" not in response.get_data(as_text=True), url


# --- Schemathesis, a multipart part whose name holds a line break (fix: input_checks._carries) ----
# Werkzeug gives such a part the key None; the check for NUL characters failed on it: 500 on every
# API route that takes a body, found once the evidence upload put a multipart body in the document.

@pytest.mark.parametrize("name", ["x\ry", "x\r\ny", "x\ny"])
def test_a_form_part_with_a_line_break_in_its_name_is_no_500(answers_500, client, api, users, make_complaint, name):
    response = client.post("/api/v1/complaint/", headers=api("counter"), data={name: "{}"},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and not problem(response.status_code, response.get_data())
    complaint = make_complaint(users[r.COUNTER_STAFF])
    response = client.post(f"/api/v1/complaint/{complaint.id}/attachments", headers=api("counter"),
                           data={name: "{}"}, content_type="multipart/form-data")
    assert response.status_code == 400
    # Werkzeug cannot read the name: refused before any view (input_checks.refuse_unnamed_form_parts)
    assert response.get_json() == {"message": "表单中有字段的名称无法识别。"}
    response = client.post(f"/api/v1/complaint/{complaint.id}/attachments", headers=api("counter"),
                           data={"scan": "{}"}, content_type="multipart/form-data")
    assert response.get_json() == {"message": {"file": ["请选择要上传的文件。"]}}  # a readable name, not "file"


# The same part on the pages: Flask-WTF's CSRF check, the first hook to read the form, failed on the
# key None (a 500 on every page form, logged in or not). Fix: input_checks.refuse_unnamed_form_parts,
# run before every other hook; the answer is a translated 400 page and nothing is written.
UNNAMED_PART = (b'--XX\r\nContent-Disposition: form-data; name="user\nname"\r\n\r\nabc\r\n'
                b'--XX\r\nContent-Disposition: form-data; name="password"\r\n\r\nx\r\n--XX--\r\n')


@pytest.mark.parametrize("path", ["/login/", "/complaints/add", "/api/v1/security/login", "/api/v1/complaint/"])
def test_a_page_form_with_an_unreadable_field_name_is_a_translated_400(answers_500, client, login, path):
    if path == "/complaints/add":
        login("counter")
    response = client.post(path, data=UNNAMED_PART, content_type="multipart/form-data; boundary=XX",
                           headers={"Accept-Language": "zh-CN"})
    assert_translated_400(response, path)
