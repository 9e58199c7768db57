"""/api/v1/orgunit/, /api/v1/staff/ and FAB's security API, per role (spec/api.md)."""
import pytest

from app.security import roles as r


def test_every_role_logs_in_on_the_api(client, users, api):
    for role in r.ROLE_NAMES:
        assert api(users[role].username)["Authorization"].startswith("Bearer ")


def test_api_login_with_wrong_password_is_401(client, users):
    response = client.post(
        "/api/v1/security/login", json={"username": "admin", "password": "nope", "provider": "db"}
    )
    assert response.status_code == 401


def test_admin_builds_org_users_and_staff_through_the_api(client, users, api, org, app):
    headers = api("admin")
    response = client.post(
        "/api/v1/orgunit/", headers=headers, json={"name": "乙二分社", "code": "B2", "kind": "branch", "parent_id": org["coop_b"].id}
    )
    assert response.status_code == 201, response.get_json()
    unit_id = response.get_json()["id"]
    assert response.get_json()["result"] == {"name": "乙二分社", "code": "B2", "kind": "branch", "parent_id": org["coop_b"].id,
                                             "supervision_phone": None}

    role_id = app.appbuilder.sm.find_role(r.COUNTER_STAFF).id
    response = client.post(
        "/api/v1/security/users/",
        headers=headers,
        json={"username": "newclerk", "first_name": "新", "last_name": "柜员", "email": "newclerk@test.invalid",
              "password": "Clerk@12345", "active": True, "roles": [role_id]},
    )
    assert response.status_code == 201, response.get_json()
    user_id = response.get_json()["id"]

    response = client.post(
        "/api/v1/staff/", headers=headers,
        json={"name": "新柜员", "employee_no": "NEW001", "unit_id": unit_id, "position": "counter_staff", "user_id": user_id, "active": True},
    )
    assert response.status_code == 201, response.get_json()
    staff = client.get(f"/api/v1/staff/{response.get_json()['id']}", headers=headers).get_json()["result"]
    assert staff == {"id": staff["id"], "name": "新柜员", "employee_no": "NEW001", "unit_id": unit_id,
                     "position": "counter_staff", "user_id": user_id, "active": True}

    # the new user works at once, in the new branch's scope
    from app.security.scope import scope_of
    from app.extensions import db
    from flask_appbuilder.security.sqla.models import User

    assert scope_of(db.session.get(User, user_id)).unit_ids == {unit_id}


def test_security_api_refuses_a_weak_password(client, users, api, app):
    role_id = app.appbuilder.sm.find_role(r.COUNTER_STAFF).id
    response = client.post(
        "/api/v1/security/users/", headers=api("admin"),
        json={"username": "weak", "first_name": "a", "last_name": "b", "email": "weak@test.invalid",
              "password": "password", "active": True, "roles": [role_id]},
    )
    assert response.status_code in (400, 422)
    assert app.appbuilder.sm.find_user(username="weak") is None


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "x", "code": "X", "kind": "bogus"}, "kind"),
        ({"name": "x", "code": "X", "kind": "branch", "colour": "red"}, "colour"),
        ({"name": "x", "kind": "branch"}, "code"),
        ({"name": "x", "code": "LS", "kind": "department", "parent_id": 1}, "code"),
        ({"name": "x", "code": "X", "kind": "cooperative"}, "parent_id"),
        ({"name": "x", "code": "X", "kind": "branch", "parent_id": 99999}, "parent_id"),
    ],
)
def test_bad_org_input_is_400_and_changes_nothing(client, users, api, org, body, field):
    before = client.get("/api/v1/orgunit/", headers=api("admin")).get_json()["count"]
    response = client.post("/api/v1/orgunit/", headers=api("admin"), json=body)
    assert response.status_code == 400, response.get_json()
    assert field in response.get_json()["message"]
    assert client.get("/api/v1/orgunit/", headers=api("admin")).get_json()["count"] == before


def test_validation_messages_are_chinese(client, users, api):
    response = client.post("/api/v1/orgunit/", headers=api("admin"), json={"name": "x", "code": "X", "kind": "branch", "zzz": 1})
    assert response.get_json()["message"]["zzz"] == ["未知字段。"]


def test_moving_a_unit_under_its_own_child_is_refused(client, users, api, org):
    response = client.put(f"/api/v1/orgunit/{org['coop_a'].id}", headers=api("admin"), json={"parent_id": org["a1"].id})
    assert response.status_code == 400
    assert client.get(f"/api/v1/orgunit/{org['coop_a'].id}", headers=api("admin")).get_json()["result"]["parent_id"] == org["union"].id


def test_deleting_a_unit_with_children_is_refused(client, users, api, org):
    response = client.delete(f"/api/v1/orgunit/{org['coop_b'].id}", headers=api("admin"))
    assert response.status_code == 400
    assert "下级机构" in response.get_json()["message"]


def test_info_has_no_catalog_header_in_descriptions(client, users, api):
    info = client.get("/api/v1/orgunit/_info", headers=api("admin")).get_json()
    assert all("Project-Id-Version" not in column["description"] for column in info["add_columns"])


def test_discipline_office_may_read_not_write(client, users, api, org):
    headers = api("discipline")
    assert client.get("/api/v1/orgunit/", headers=headers).status_code == 200
    assert client.get("/api/v1/staff/", headers=headers).status_code == 200
    assert client.post("/api/v1/orgunit/", headers=headers, json={"name": "x", "code": "X", "kind": "branch"}).status_code == 403
    assert client.get("/api/v1/security/users/", headers=headers).status_code == 403


@pytest.mark.parametrize("username", ["counter", "branchhead", "committee", "reruling", "leader"])
def test_other_roles_get_403_on_org_and_security_api(client, users, api, username):
    headers = api(username)
    for path in ("/api/v1/orgunit/", "/api/v1/staff/", "/api/v1/security/users/", "/api/v1/security/roles/"):
        assert client.get(path, headers=headers).status_code == 403, path


def test_anonymous_gets_401(client, users):
    for path in ("/api/v1/orgunit/", "/api/v1/staff/", "/api/v1/security/users/"):
        assert client.get(path).status_code == 401, path


def test_browser_session_does_not_authenticate_the_api(client, users, login):
    login("admin")
    assert client.get("/api/v1/orgunit/").status_code == 401
