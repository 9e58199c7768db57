"""``GET /api/v1/_openapi`` (issue 17, item 14a/b): who gets it, and that it describes what the
endpoints really accept — generated from the same marshmallow schemas the services load."""
import pytest
from openapi_spec_validator import validate

from app.security import roles as r
from app.domain.payloads import PAYLOADS, EditSchema, RegisterSchema
from tests.conftest import api_token, bearer, web_login

URL = "/api/v1/_openapi"


@pytest.fixture
def document(client, users):
    response = client.get(URL, headers=bearer(api_token(client, users[r.LEADERSHIP].username)))
    assert response.status_code == 200
    return response.get_json()


def schema_of(document, reference):
    name = reference["$ref"].rsplit("/", 1)[1]
    return document["components"]["schemas"][name]


def body_of(document, path, method):
    return schema_of(document, document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"])


def test_every_role_reads_the_document_with_a_token_anonymous_gets_401(client, users):
    assert client.get(URL).status_code == 401
    for role in r.ROLE_NAMES:
        headers = bearer(api_token(client, users[role].username))
        assert client.get(URL, headers=headers).status_code == 200, role
    assert client.get("/api/v2/_openapi", headers=headers).status_code == 404


def test_a_browser_session_does_not_get_the_document(client, users):
    web_login(client, users[r.ADMIN].username)
    assert client.get(URL).status_code == 401  # the API is token-only


def test_the_swagger_ui_is_off(client, users):
    web_login(client, users[r.ADMIN].username)
    assert client.get("/swagger/v1").status_code == 404


def test_the_document_is_valid_openapi(document):
    validate(document)
    assert document["servers"] == [{"url": "/"}]  # never the request's Host header
    assert set(document["components"]["securitySchemes"]) >= {"jwt"}
    assert "api_key" not in document["components"]["securitySchemes"]  # FAB's API keys are off


def test_registration_and_edit_bodies_are_the_services_schemas(document):
    post = body_of(document, "/api/v1/complaint/", "post")
    assert set(post["properties"]) == set(RegisterSchema._declared_fields)
    assert set(post["required"]) == {n for n, f in RegisterSchema._declared_fields.items() if f.required}
    assert post["additionalProperties"] is False
    put = body_of(document, "/api/v1/complaint/{pk}", "put")
    assert set(put["properties"]) == set(EditSchema._declared_fields)
    assert put["required"] == ["version"]


def test_each_transition_has_its_own_body_with_the_optional_version(document):
    assert "/api/v1/complaint/{pk}/transitions/{name}" not in document["paths"]
    for name, schema in PAYLOADS.items():
        path = f"/api/v1/complaint/{{pk}}/transitions/{name}"
        body = body_of(document, path, "post")
        assert set(body["properties"]) == set(schema._declared_fields) | {"version"}, name
        assert "version" not in body.get("required", []), name
        assert body["properties"]["version"]["type"] == "integer"
        assert set(document["paths"][path]["post"]["responses"]) == {"200", "400", "401", "403", "404", "409"}


def test_a_field_added_to_a_schema_is_in_the_document(client, users, monkeypatch):
    from marshmallow import fields

    from app.domain import payloads

    extended = type("CloseSchema", (payloads.CloseSchema,), {"witness": fields.String()})
    monkeypatch.setitem(payloads.PAYLOADS, "close", extended)
    monkeypatch.setattr(payloads, "_BODIES", {})
    headers = bearer(api_token(client, users[r.ADMIN].username))
    document = client.get(URL, headers=headers).get_json()
    assert "witness" in body_of(document, "/api/v1/complaint/{pk}/transitions/close", "post")["properties"]


def test_responses_and_parameters_are_documented(document):
    paths = document["paths"]
    assert set(paths["/api/v1/complaint/"]["post"]["responses"]) >= {"200", "201", "400", "401", "403", "409"}
    assert set(paths["/api/v1/complaint/{pk}"]["put"]["responses"]) >= {"200", "400", "401", "403", "404", "409"}
    assert any(p["name"] == "q" for p in paths["/api/v1/complaint/"]["get"]["parameters"])
    assert "get_list_schema" in document["components"]["schemas"]
    for path in ("/api/v1/orgunit/", "/api/v1/staff/", "/api/v1/workday/", "/api/v1/report/summary",
                 "/api/v1/report/export", "/api/v1/security/login", "/api/v1/security/users/",
                 "/api/v1/security/roles/", "/api/v1/complaint/{pk}/events", "/api/v1/complaint/{pk}/transitions"):
        assert path in paths, path
    login = paths["/api/v1/security/login"]["post"]
    assert set(login["requestBody"]["content"]["application/json"]["schema"]["properties"]) >= {"username", "password"}
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation.get("responses"), f"{method} {path}"
    assert document["components"]["responses"]["409"]


def test_info_lists_what_post_and_put_accept(client, api, users):
    info = client.get("/api/v1/complaint/_info", headers=api("discipline")).get_json()
    assert [c["name"] for c in info["add_columns"]] == list(RegisterSchema._declared_fields)
    assert [c["name"] for c in info["edit_columns"]] == list(EditSchema._declared_fields)
    assert all(c["label"] and "Project-Id-Version" not in c["label"] for c in info["add_columns"] + info["edit_columns"])
