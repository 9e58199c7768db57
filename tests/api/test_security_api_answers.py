"""Issue 17 item 10c: what FAB's security API answers, as Admin through the real API.

- No answer carries a password or its hash (FAB's user PUT echoed the submitted password).
"""
import pytest

from app.extensions import db
from app.security import roles as r

USERS = "/api/v1/security/users/"
ROLES = "/api/v1/security/roles/"
GROUPS = "/api/v1/security/groups/"
NEW_PASSWORD = "Fresh#Secret2027"
OTHER_PASSWORD = "Other#Secret2028"
LEAKS = ("UNIQUE", "unique", "constraint", "SQL", "sqlite", "psycopg", "IntegrityError", "ab_user", "ab_role",
         "ab_group", "FOREIGN", "Database exception", "Traceback")


def _user_body(role_id, **fields):
    body = {"username": "newuser", "first_name": "新", "last_name": "用户", "email": "newuser@test.invalid",
            "password": NEW_PASSWORD, "active": True, "roles": [role_id]}
    body.update(fields)
    return body


def _assert_conflict(response, *expected_words):
    assert response.status_code == 409, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert set(body) == {"message"} and isinstance(body["message"], str)
    message = body["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    text = response.get_data(as_text=True)
    for leak in LEAKS:
        assert leak not in text, (leak, text)
    for word in expected_words:
        assert word in message, (word, message)
    return message


@pytest.fixture
def admin(api, users):
    return api("admin")


@pytest.fixture
def counter_role(app, users):
    return app.appbuilder.sm.find_role(r.COUNTER_STAFF).id


# ---------------------------------------------------------------- 10c: no password in any answer


def test_no_security_api_answer_echoes_a_password_or_its_hash(app, client, admin, users, counter_role):
    answers = []
    created = client.post(USERS, headers=admin, json=_user_body(counter_role))
    assert created.status_code == 201, created.get_json()
    answers.append(created)
    user_id = created.get_json()["id"]
    answers.append(client.put(f"{USERS}{user_id}", headers=admin, json={"password": OTHER_PASSWORD}))
    answers.append(client.put(f"{USERS}{user_id}", headers=admin,
                              json={"password": OTHER_PASSWORD, "first_name": "改", "active": True}))
    assert all(answer.status_code in (200, 201) for answer in answers), [a.get_json() for a in answers]
    db.session.expire_all()
    stored_hash = app.appbuilder.sm.get_user_by_id(user_id).password
    group = client.post(GROUPS, headers=admin, json={"name": "G-echo", "label": "组", "users": [user_id],
                                                     "roles": [counter_role]})
    assert group.status_code == 201, group.get_json()
    for path in (USERS, f"{USERS}{user_id}", f"{USERS}?q=(columns:!(id,password))",
                 f"{USERS}{user_id}?q=(columns:!(id,password))", f"{USERS}?q=(keys:!(list_columns))",
                 f"{USERS}_info", ROLES, f"{ROLES}{counter_role}/permissions/", GROUPS,
                 f"{GROUPS}{group.get_json()['id']}"):
        response = client.get(path, headers=admin)
        assert response.status_code == 200, (path, response.get_json())
        answers.append(response)
    for answer in answers:
        text = answer.get_data(as_text=True)
        for secret in (NEW_PASSWORD, OTHER_PASSWORD, stored_hash, stored_hash.split("$")[-1]):
            assert secret not in text, (answer.request.path, text[:300])
        assert '"password":' not in text, (answer.request.path, text[:300])


def test_a_password_change_through_the_api_still_works(app, client, admin, users):
    user_id = users[r.COUNTER_STAFF].id
    response = client.put(f"{USERS}{user_id}", headers=admin, json={"password": NEW_PASSWORD})
    assert response.status_code == 200 and response.get_json() == {"result": {}}
    login = client.post("/api/v1/security/login",
                        json={"username": "counter", "password": NEW_PASSWORD, "provider": "db"})
    assert login.status_code == 200
