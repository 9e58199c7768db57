"""Issue 17 items 10c and 10d: what FAB's security API answers, as Admin through the real API.

- No answer carries a password or its hash (FAB's user PUT echoed the submitted password).
- A duplicate (username or e-mail of another user — in any letter case, as the login resolves
  names —, a role or group name) and a record still in use (a role still assigned, a user that
  complaints refer to) answer 409 with a Chinese message: never SQL, never 500 or 422 with
  database text, and nothing changes.
"""
import pytest

from flask_appbuilder.security.sqla.models import Role

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


# ---------------------------------------------------------------- 10d: duplicates


@pytest.mark.parametrize(
    "fields, word",
    [({"username": "counter"}, "用户名"), ({"username": "Counter"}, "用户名"),
     ({"email": "counter@test.invalid"}, "电子邮箱"), ({"email": "COUNTER@test.invalid"}, "电子邮箱")],
    ids=["username", "username-other-case", "email", "email-other-case"],
)
def test_a_second_user_with_a_taken_username_or_email_is_409(app, client, admin, counter_role, fields, word):
    before = len(app.appbuilder.sm.get_all_users())
    _assert_conflict(client.post(USERS, headers=admin, json=_user_body(counter_role, **fields)), word)
    db.session.expire_all()
    assert len(app.appbuilder.sm.get_all_users()) == before


@pytest.mark.parametrize(
    "fields, word",
    [({"username": "admin"}, "用户名"), ({"username": "ADMIN"}, "用户名"),
     ({"email": "admin@test.invalid"}, "电子邮箱"), ({"username": "admin", "roles": [1]}, "用户名")],
    ids=["username", "username-other-case", "email", "username-and-roles"],
)
def test_renaming_a_user_to_a_taken_username_or_email_is_409(app, client, admin, users, fields, word):
    user = users[r.COUNTER_STAFF]
    _assert_conflict(client.put(f"{USERS}{user.id}", headers=admin, json=fields), word)
    db.session.expire_all()
    again = app.appbuilder.sm.get_user_by_id(user.id)
    assert (again.username, again.email) == ("counter", "counter@test.invalid")


def test_a_user_may_keep_its_own_name_and_change_its_case(app, client, admin, users):
    user = users[r.COUNTER_STAFF]
    response = client.put(f"{USERS}{user.id}", headers=admin,
                          json={"username": "Counter", "email": "counter@test.invalid"})
    assert response.status_code == 200, response.get_json()


def test_a_role_or_group_with_an_existing_name_is_409(app, client, admin, users):
    _assert_conflict(client.post(ROLES, headers=admin, json={"name": r.COUNTER_STAFF}), "角色")
    extra = client.post(ROLES, headers=admin, json={"name": "Extra"})
    assert extra.status_code == 201
    _assert_conflict(client.put(f"{ROLES}{extra.get_json()['id']}", headers=admin, json={"name": r.LEADERSHIP}), "角色")
    db.session.expire_all()
    assert app.appbuilder.sm.find_role("Extra") is not None

    first = client.post(GROUPS, headers=admin, json={"name": "G1", "label": "一组"})
    second = client.post(GROUPS, headers=admin, json={"name": "G2", "label": "二组"})
    assert first.status_code == second.status_code == 201
    _assert_conflict(client.post(GROUPS, headers=admin, json={"name": "G1", "label": "重复"}), "用户组")
    _assert_conflict(client.put(f"{GROUPS}{second.get_json()['id']}", headers=admin, json={"name": "G1"}), "用户组")


def test_a_resource_with_an_existing_name_is_409(client, admin, users):
    response = client.post("/api/v1/security/resources/", headers=admin, json={"name": "Complaint"})
    _assert_conflict(response)


# ---------------------------------------------------------------- 10d: records still in use


def test_deleting_a_role_still_assigned_is_409_and_keeps_everything(app, client, admin, users, counter_role):
    # a built-in role is never deleted (issue 20: 403 before the in-use check)
    refused = client.delete(f"{ROLES}{counter_role}", headers=admin)
    assert refused.status_code == 403 and "内置角色" in refused.get_json()["message"]
    db.session.expire_all()
    role = app.appbuilder.sm.find_role(r.COUNTER_STAFF)
    assert role is not None and [u.username for u in role.user] == ["counter"]
    # a custom role a user holds is in use
    assigned = client.post(ROLES, headers=admin, json={"name": "Assigned"}).get_json()["id"]
    user = users[r.LEADERSHIP]
    user.roles = [*user.roles, db.session.get(Role, assigned)]
    db.session.commit()
    _assert_conflict(client.delete(f"{ROLES}{assigned}", headers=admin), "角色")
    # a role that only a group holds is in use too
    held = client.post(ROLES, headers=admin, json={"name": "Held"})
    group = client.post(GROUPS, headers=admin, json={"name": "Holders", "label": "组", "roles": [held.get_json()["id"]]})
    assert group.status_code == 201, group.get_json()
    _assert_conflict(client.delete(f"{ROLES}{held.get_json()['id']}", headers=admin), "角色")
    # an unused role can still be deleted
    unused = client.post(ROLES, headers=admin, json={"name": "Unused"})
    assert client.delete(f"{ROLES}{unused.get_json()['id']}", headers=admin).status_code == 200


def test_deleting_a_group_with_members_is_409(app, client, admin, users):
    user_id = users[r.COUNTER_STAFF].id
    group = client.post(GROUPS, headers=admin, json={"name": "Members", "label": "组", "users": [user_id]})
    assert group.status_code == 201, group.get_json()
    _assert_conflict(client.delete(f"{GROUPS}{group.get_json()['id']}", headers=admin), "用户组")
    empty = client.post(GROUPS, headers=admin, json={"name": "Empty", "label": "空组"})
    assert client.delete(f"{GROUPS}{empty.get_json()['id']}", headers=admin).status_code == 200


def test_deleting_a_user_that_complaints_refer_to_is_409(app, client, admin, users, make_complaint):
    counter = users[r.COUNTER_STAFF]
    make_complaint(counter)
    message = _assert_conflict(client.delete(f"{USERS}{counter.id}", headers=admin), "停用")
    assert "用户" in message
    db.session.expire_all()
    assert app.appbuilder.sm.find_user(username="counter") is not None


def test_deleting_an_unreferenced_user_still_works(app, client, admin, counter_role):
    created = client.post(USERS, headers=admin, json=_user_body(counter_role))
    assert created.status_code == 201
    assert client.delete(f"{USERS}{created.get_json()['id']}", headers=admin).status_code == 200
    db.session.expire_all()
    assert app.appbuilder.sm.find_user(username="newuser") is None
