"""Issue 20 item 4 through FAB's security API (``/api/v1/security/users/``) as Admin: the forced
password change and the staff record are settable, refused input answers 400 naming the field
in Chinese and changes nothing; a deactivated account's API login answers a translated 401; a
user who must change the password gets no token."""
from flask_appbuilder.security.sqla.models import Role, User

from app.extensions import db
from app.models import Staff
from app.models.admin_audit import AdminAudit
from app.security import roles as r
from tests.conftest import PASSWORD

USERS = "/api/v1/security/users/"
LOGIN = "/api/v1/security/login"
NEW_PASSWORD = "Fresh#Secret2027"


def _body(**fields):
    role = db.session.query(Role).filter_by(name=r.COUNTER_STAFF).one()
    body = {"username": "apiuser", "first_name": "小红", "last_name": "林", "email": "apiuser@test.invalid",
            "password": NEW_PASSWORD, "active": True, "roles": [role.id]}
    body.update(fields)
    return body


def _loose_staff(org, number="B1-200"):
    staff = Staff(name="林小红", employee_no=number, unit=org["b1"], position="counter_staff", active=True)
    db.session.add(staff)
    db.session.commit()
    return staff


def _user(username):
    db.session.expire_all()
    return db.session.query(User).filter_by(username=username).one_or_none()


def _chinese(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_a_user_is_created_with_its_staff_record_and_a_required_password_change(client, users, org, api):
    staff = _loose_staff(org)
    response = client.post(USERS, json=_body(staff_id=staff.id, must_change_password=True), headers=api("admin"))
    assert response.status_code == 201, response.get_data(as_text=True)
    user = _user("apiuser")
    assert user.must_change_password is True
    db.session.expire_all()
    assert db.session.get(Staff, staff.id).user_id == user.id
    shown = client.get(f"{USERS}{user.id}", headers=api("admin")).get_json()["result"]
    assert shown["must_change_password"] is True
    # FAB's own body without the new fields still works.
    plain = client.post(USERS, json=_body(username="plain", email="plain@test.invalid"), headers=api("admin"))
    assert plain.status_code == 201 and _user("plain").must_change_password is False


def test_a_staff_record_held_by_another_login_or_missing_is_a_400_naming_the_field(client, users, org, api):
    held = db.session.query(Staff).filter_by(user_id=users[r.COUNTER_STAFF].id).one()
    for staff_id in (held.id, 999999, "7"):
        response = client.post(USERS, json=_body(staff_id=staff_id), headers=api("admin"))
        assert response.status_code == 400, (staff_id, response.get_data(as_text=True))
        message = response.get_json()["message"]
        assert "staff_id" in message and _chinese(str(message["staff_id"])), message
        assert _user("apiuser") is None
    db.session.expire_all()
    assert db.session.get(Staff, held.id).user_id == users[r.COUNTER_STAFF].id


def test_put_sets_the_flag_with_an_audit_entry_and_links_or_releases_the_staff_record(client, users, org, api):
    clerk = users[r.COUNTER_STAFF]
    held = db.session.query(Staff).filter_by(user_id=clerk.id).one()
    response = client.put(f"{USERS}{clerk.id}", json={"must_change_password": True, "staff_id": None},
                          headers=api("admin"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _user("counter").must_change_password is True
    db.session.expire_all()
    assert db.session.get(Staff, held.id).user_id is None
    entry = (db.session.query(AdminAudit).filter_by(target_type="user", target_name="counter", action="update")
             .order_by(AdminAudit.id.desc()).first())
    assert entry.actor_name == "admin" and entry.changes["must_change_password"] == {"from": False, "to": True}
    loose = _loose_staff(org)
    assert client.put(f"{USERS}{clerk.id}", json={"staff_id": loose.id}, headers=api("admin")).status_code == 200
    db.session.expire_all()
    assert db.session.get(Staff, loose.id).user_id == clerk.id


def test_a_user_who_must_change_the_password_gets_no_token(client, users, api):
    clerk = users[r.COUNTER_STAFF]
    token_before = api("counter")
    client.put(f"{USERS}{clerk.id}", json={"must_change_password": True}, headers=api("admin"))
    # The token issued before is dead: the requirement applies at once.
    assert client.get("/api/v1/complaint/", headers=token_before).status_code == 401
    response = client.post(LOGIN, json={"username": "counter", "password": PASSWORD, "provider": "db"})
    assert response.status_code == 403
    assert "修改密码" in response.get_json()["message"]
    assert "access_token" not in response.get_json()


def test_a_deactivated_accounts_api_login_is_a_translated_401(client, users, api):
    clerk = users[r.COUNTER_STAFF]
    assert client.put(f"{USERS}{clerk.id}", json={"active": False}, headers=api("admin")).status_code == 200
    right = client.post(LOGIN, json={"username": "counter", "password": PASSWORD, "provider": "db"})
    assert right.status_code == 401 and right.get_json()["message"] == "该账户已停用,请联系管理员。"
    wrong = client.post(LOGIN, json={"username": "counter", "password": "Wrong#Pass2026", "provider": "db"})
    unknown = client.post(LOGIN, json={"username": "nobody", "password": PASSWORD, "provider": "db"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json() and "停用" not in wrong.get_json()["message"]


def test_the_last_active_administrator_is_kept_by_the_api(client, users, api):
    admin = users[r.ADMIN]
    response = client.put(f"{USERS}{admin.id}", json={"active": False}, headers=api("admin"))
    assert response.status_code == 409 and _chinese(response.get_json()["message"])
    assert _user("admin").active is True
