"""Issue 20 item 4: one user form for the login and its staff record, names 姓 then 名, the list
after saving; a deactivated account told so; a password change forced by an administrator; the
last active administrator kept by the form; only user managers reach the pages; no English."""
import re

import pytest
from flask_appbuilder.security.sqla.models import Role, User

from app.extensions import db
from app.models import Staff
from app.models.admin_audit import AdminAudit
from app.security import capabilities as caps
from app.security import roles as r
from app.services import roles as role_service
from tests.conftest import PASSWORD, csrf_token, web_login, zh_role

NEW_PASSWORD = "Fresh#Secret2027"


def _option(html, field, text):
    """The value of the option of select ``field`` whose label starts with ``text``."""
    select = re.search(rf'<select[^>]*name="{field}"[^>]*>(.*?)</select>', html, re.S).group(1)
    for value, label in re.findall(r'<option[^>]*value="([^"]*)"[^>]*>(.*?)</option>', select, re.S):
        if label.strip().startswith(text):
            return value
    raise AssertionError(f"no option {text!r} in {field}")


def _add_form(client, **fields):
    html = client.get("/users/add").get_data(as_text=True)
    data = {"last_name": "王", "first_name": "小明", "username": "wangxm", "email": "wangxm@test.invalid",
            "password": NEW_PASSWORD, "conf_password": NEW_PASSWORD, "active": "y",
            "roles": [_option(html, "roles", zh_role(r.COUNTER_STAFF))], "staff_mode": "none",
            "staff_position": "counter_staff", "csrf_token": csrf_token(client, "/users/add")}
    data.update(fields)
    return html, data


def _edit_form(client, user, **fields):
    path = f"/users/edit/{user.id}"
    html = client.get(path).get_data(as_text=True)
    data = {"last_name": user.last_name, "first_name": user.first_name, "username": user.username,
            "email": user.email, "active": "y" if user.active else "",
            "roles": [str(role.id) for role in user.roles], "staff_mode": "none",
            "staff_position": "counter_staff", "csrf_token": csrf_token(client, path)}
    data.update({key: value for key, value in fields.items()})
    return path, html, {key: value for key, value in data.items() if value not in ("", None)}


def _field_error(html, field):
    """The message shown beside ``field`` (FAB puts it in the field's cell), or ''."""
    match = re.search(rf'name="{field}".*?(?=<tr|</table>)', html, re.S)
    assert match, f"no field {field}"
    errors = re.findall(r'class="alert alert-danger">(.*?)</div>', match.group(0), re.S)
    return " ".join(re.sub(r"<[^>]+>|\s+", " ", e).strip() for e in errors)


def _user(username):
    db.session.expire_all()
    return db.session.query(User).filter_by(username=username).one_or_none()


# ---- one form: the login and its staff record

def test_the_form_creates_the_login_and_a_new_staff_record_then_shows_the_list(client, users, org, login):
    login("admin")
    html, data = _add_form(client, staff_mode="new", employee_no="A1-009", staff_position="counter_staff")
    data["staff_unit"] = _option(html, "staff_unit", org["a1"].name)
    response = client.post("/users/add", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/users/list/")
    user = _user("wangxm")
    assert (user.last_name, user.first_name, user.get_full_name()) == ("王", "小明", "王小明")
    staff = db.session.query(Staff).filter_by(user_id=user.id).one()
    assert (staff.name, staff.employee_no, staff.unit_id, staff.position) == ("王小明", "A1-009", org["a1"].id,
                                                                              "counter_staff")
    listing = client.get("/users/list/").get_data(as_text=True)
    assert "王小明" in listing and "甲一分社" in listing


def test_the_form_links_an_existing_staff_record_without_a_login(client, users, org, login):
    loose = Staff(name="李四", employee_no="B1-100", unit=org["b1"], position="branch_head", active=True)
    db.session.add(loose)
    db.session.commit()
    login("admin")
    html, data = _add_form(client, staff_mode="existing")
    data["staff_record"] = _option(html, "staff_record", "李四")
    assert client.post("/users/add", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Staff, loose.id).user_id == _user("wangxm").id


def test_a_staff_record_another_login_holds_is_refused_beside_the_field(client, users, login):
    login("admin")
    taken = db.session.query(Staff).filter_by(user_id=users[r.COUNTER_STAFF].id).one()
    _html, data = _add_form(client, staff_mode="existing", staff_record=str(taken.id))
    response = client.post("/users/add", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _field_error(page, "staff_record")  # not offered: FAB's "not a valid choice", in Chinese
    assert 'value="wangxm"' in page  # the values are kept
    assert _user("wangxm") is None


@pytest.mark.parametrize("fields, field, message", [
    ({"employee_no": ""}, "employee_no", "工号"),
    ({"employee_no": "TAKEN"}, "employee_no", "已被使用"),  # the clerk's number
    ({"employee_no": "X" * 40}, "employee_no", "最多"),
    ({"staff_unit": "__None"}, "staff_unit", "机构"),
    ({"staff_position": "chairman"}, "staff_position", ""),
])
def test_a_new_staff_record_with_bad_input_is_refused_and_nothing_is_written(client, users, org, login,
                                                                             fields, field, message):
    login("admin")
    html, data = _add_form(client, staff_mode="new", employee_no="A1-010")
    data["staff_unit"] = _option(html, "staff_unit", org["a1"].name)
    data.update(fields)
    if data["employee_no"] == "TAKEN":
        data["employee_no"] = db.session.query(Staff).filter_by(user_id=users[r.COUNTER_STAFF].id).one().employee_no
    staff_before = db.session.query(Staff).count()
    response = client.post("/users/add", data=data)
    assert response.status_code == 200
    error = _field_error(response.get_data(as_text=True), field)
    assert error and message in error, error
    assert _user("wangxm") is None and db.session.query(Staff).count() == staff_before


@pytest.mark.parametrize("fields, field", [
    ({"username": "u" * 200}, "username"),
    ({"email": "not-an-address"}, "email"),
    ({"last_name": ""}, "last_name"),
    ({"first_name": "名" * 80}, "first_name"),
    ({"roles": []}, "roles"),
    ({"staff_mode": "sideways"}, "staff_mode"),
])
def test_bad_login_fields_are_refused_beside_the_field(client, users, login, fields, field):
    login("admin")
    _html, data = _add_form(client, **fields)
    response = client.post("/users/add", data=data)
    assert response.status_code == 200
    assert _field_error(response.get_data(as_text=True), field)
    assert db.session.query(User).filter(User.email == data["email"]).count() == 0


@pytest.mark.parametrize("fields", [
    {"staff_mode": "existing", "staff_record": "abc"},
    {"staff_mode": "existing", "staff_record": "99999999999999999999"},
    {"staff_mode": "new", "employee_no": "N1", "staff_unit": "<script>"},
    {"staff_mode": "new", "employee_no": "N1", "staff_unit": "-1", "staff_position": ""},
    {"roles": ["x", "0"]},
    {"active": "maybe", "must_change_password": "\u00e9"},
    {"password": "short", "conf_password": "other"},
])
def test_garbage_in_the_form_is_refused_without_a_500(client, users, login, fields):
    login("admin")
    _html, data = _add_form(client, **fields)
    response = client.post("/users/add", data=data)
    assert response.status_code in (200, 400) or (response.status_code == 302 and _user("wangxm") is not None)
    assert "Traceback" not in response.get_data(as_text=True)


def test_editing_releases_or_replaces_the_staff_record(client, users, org, login):
    login("admin")
    clerk = users[r.COUNTER_STAFF]
    held = db.session.query(Staff).filter_by(user_id=clerk.id).one()
    path, html, data = _edit_form(client, clerk)
    assert re.search(r'<option[^>]*selected[^>]*>\s*' + re.escape(held.name), html)  # the form opens with it
    assert client.post(path, data=dict(data, staff_mode="none")).status_code == 302
    db.session.expire_all()
    assert db.session.get(Staff, held.id).user_id is None
    path, html, data = _edit_form(client, _user("counter"), staff_mode="existing", staff_record=str(held.id))
    assert client.post(path, data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Staff, held.id).user_id == clerk.id


# ---- the last active administrator

def test_the_form_keeps_the_last_active_administrator(client, users, login):
    login("admin")
    admin = users[r.ADMIN]
    path, _html, data = _edit_form(client, admin, active="")
    response = client.post(path, data=data)
    assert response.status_code == 200
    assert "最后一位" in _field_error(response.get_data(as_text=True), "active")
    counter_role = db.session.query(Role).filter_by(name=r.COUNTER_STAFF).one()
    path, _html, data = _edit_form(client, _user("admin"), roles=[str(counter_role.id)])
    response = client.post(path, data=data)
    assert "最后一位" in _field_error(response.get_data(as_text=True), "roles")
    admin = _user("admin")
    assert admin.active and [role.name for role in admin.roles] == [r.ADMIN]


def test_an_administrator_may_be_deactivated_while_another_remains(client, users, factory, login):
    factory.user(r.ADMIN, "admin2")
    login("admin")
    path, _html, data = _edit_form(client, _user("admin2"), active="")
    assert client.post(path, data=data).status_code == 302
    assert _user("admin2").active is False


# ---- a deactivated account

def _flash_after_login(client, username, password):
    response = web_login(client, username, password)
    assert response.status_code == 302
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_deactivated_user_is_told_so_only_with_the_right_password(client, users):
    clerk = users[r.COUNTER_STAFF]
    clerk.active = False
    db.session.commit()
    assert "该账户已停用,请联系管理员。" in _flash_after_login(client, "counter", PASSWORD)
    wrong = _flash_after_login(client, "counter", "Wrong#Pass2026")
    assert "用户名或密码错误" in wrong and "停用" not in wrong
    unknown = _flash_after_login(client, "nobody", PASSWORD)
    assert "用户名或密码错误" in unknown and "停用" not in unknown


# ---- a password change forced by an administrator

def test_a_forced_password_change_is_audited_and_ends_the_users_sessions(app, users, login):
    clerk_client = app.test_client()
    assert web_login(clerk_client, "counter").status_code == 302
    assert clerk_client.get("/todo/").status_code == 200
    admin = login("admin")
    path, _html, data = _edit_form(admin, users[r.COUNTER_STAFF], must_change_password="y")
    data["staff_mode"] = "existing"
    data["staff_record"] = str(db.session.query(Staff).filter_by(user_id=users[r.COUNTER_STAFF].id).one().id)
    assert admin.post(path, data=data).status_code == 302
    assert _user("counter").must_change_password is True
    entry = (db.session.query(AdminAudit).filter_by(target_type="user", target_name="counter", action="update")
             .order_by(AdminAudit.id.desc()).first())
    assert entry.actor_name == "admin"
    assert entry.changes["must_change_password"] == {"from": False, "to": True}
    audit_page = admin.get("/admin-audit/list/").get_data(as_text=True)
    assert "下次登录时须修改密码" in audit_page
    # The clerk's open session ended: the change applies at once.
    response = clerk_client.get("/todo/")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_the_user_must_change_the_password_before_anything_else(client, users):
    clerk = users[r.COUNTER_STAFF]
    clerk.must_change_password = True
    db.session.commit()
    response = web_login(client, "counter")
    assert response.headers["Location"].endswith("/resetmypassword/form")
    for path in ("/todo/", "/complaints/list/", "/users/userinfo/", "/complaints/add"):
        blocked = client.get(path)
        assert blocked.status_code == 302 and blocked.headers["Location"].endswith("/resetmypassword/form"), path
    page = client.get("/resetmypassword/form").get_data(as_text=True)
    assert "管理员要求您修改密码" in page
    token = csrf_token(client, "/resetmypassword/form")
    same = client.post("/resetmypassword/form", data={"current_password": PASSWORD, "password": PASSWORD,
                                                      "conf_password": PASSWORD, "csrf_token": token})
    assert "新密码不能与当前密码相同" in same.get_data(as_text=True)
    assert _user("counter").must_change_password is True
    changed = client.post("/resetmypassword/form", data={"current_password": PASSWORD, "password": NEW_PASSWORD,
                                                         "conf_password": NEW_PASSWORD, "csrf_token": token})
    assert changed.status_code == 302
    assert _user("counter").must_change_password is False
    assert client.get("/todo/").status_code == 200  # the same session goes on


def test_the_administrators_reset_sets_a_new_password_to_be_changed(client, users, login):
    login("admin")
    clerk = users[r.COUNTER_STAFF]
    path = f"/resetpassword/form?pk={clerk.id}"
    page = client.get(path).get_data(as_text=True)
    assert "下次登录时须修改密码" in page
    response = client.post(path, data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD,
                                       "must_change_password": "y", "csrf_token": csrf_token(client, path)})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/users/show/{clerk.id}")
    assert _user("counter").must_change_password is True
    assert client.get("/resetpassword/form?pk=999999").status_code == 404
    assert client.post("/resetpassword/form", data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD,
                                                    "csrf_token": csrf_token(client, path)}).status_code == 404


# ---- who manages users

def test_only_admin_and_a_role_with_user_management_reach_the_user_pages(app, client, users, factory, org, login):
    role_service.save("用户管理员", "管理用户", ["users"], caps.SCOPE_ALL, False)
    manager = factory.user("用户管理员", "usermanager", org["union"])
    login("usermanager")
    assert client.get("/users/add").status_code == 200
    clerk = users[r.COUNTER_STAFF]
    assert client.get(f"/resetpassword/form?pk={clerk.id}").status_code == 200
    assert manager.id
    for username in ("branchhead", "discipline", "leader"):
        other = app.test_client()
        web_login(other, username)
        response = other.get("/users/add")
        assert response.status_code in (302, 403), username
        assert other.get("/users/list/").status_code in (302, 403), username


def test_a_user_manager_grants_no_more_than_it_holds(app, client, users, factory, org, login):
    """A custom role holding 用户与权限管理 is not an administrator: it is not offered the Admin role,
    a form or API body naming it is refused, and an administrator's account is not its to change,
    reset or delete. Nothing changes."""
    role_service.save("用户管理员", "管理用户", ["users"], caps.SCOPE_ALL, False)
    factory.user("用户管理员", "usermanager", org["union"])
    admin = users[r.ADMIN]
    login("usermanager")
    html = client.get("/users/add").get_data(as_text=True)
    with pytest.raises(AssertionError):
        _option(html, "roles", zh_role(r.ADMIN))
    admin_role = db.session.query(Role).filter_by(name=r.ADMIN).one()
    _, data = _add_form(client, username="sneaky", email="sneaky@test.invalid", roles=[str(admin_role.id)])
    client.post("/users/add", data=data)
    assert _user("sneaky") is None

    path, _, data = _edit_form(client, admin, first_name="改名")
    client.post(path, data=data)
    assert _user("admin").first_name != "改名" and _user("admin").active
    assert client.get(f"/resetpassword/form?pk={admin.id}").status_code == 403
    client.post(f"/users/delete/{admin.id}", data={"csrf_token": csrf_token(client, "/users/list/")})
    assert _user("admin") is not None

    clerk = users[r.COUNTER_STAFF]
    path, _, data = _edit_form(client, clerk, roles=[str(admin_role.id)])
    client.post(path, data=data)
    assert not any(role.name == r.ADMIN for role in _user("counter").roles)

    api = app.test_client()
    token = api.post("/api/v1/security/login", json={"username": "usermanager", "password": PASSWORD,
                                                      "provider": "db"}).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    answer = api.put(f"/api/v1/security/users/{clerk.id}", json={"roles": [admin_role.id]}, headers=headers)
    assert answer.status_code == 403 and "管理员" in answer.get_json()["message"]
    answer = api.put(f"/api/v1/security/users/{admin.id}", json={"first_name": "改名"}, headers=headers)
    assert answer.status_code == 403
    answer = api.delete(f"/api/v1/security/users/{admin.id}", headers=headers)
    assert answer.status_code == 403
    assert not any(role.name == r.ADMIN for role in _user("counter").roles) and _user("admin").first_name != "改名"

    # An administrator may do all of it.
    other = app.test_client()
    web_login(other, "admin")
    path = f"/resetpassword/form?pk={admin.id}"
    assert other.get(path).status_code == 200


# ---- Chinese on the user pages

ENGLISH = re.compile(r">\s*(True|False|None)\s*<|\[(Admin|CounterStaff)\]|Write the user|OID|LDAP|"
                     r"Select a State|It's not a good policy|Please rewrite|User confirmation needed|>\s*OK\s*<|"
                     r">\s*Cancel\s*<")


def test_the_user_pages_speak_chinese(client, users, login):
    login("admin")
    clerk = users[r.COUNTER_STAFF]
    for path in ("/users/list/", "/users/add", f"/users/edit/{clerk.id}", f"/users/show/{clerk.id}",
                 f"/resetpassword/form?pk={clerk.id}"):
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        found = ENGLISH.search(page)
        assert found is None, (path, found.group(0))
    listing = client.get("/users/list/").get_data(as_text=True)
    assert "系统管理员" in listing and "临柜人员" in listing and "是" in listing
    assert "CounterStaff" not in listing  # nor in the search form's role choices
    role_id = clerk.roles[0].id
    filtered = client.get(f"/users/list/?_flt_0_roles={role_id}").get_data(as_text=True)
    assert ">counter<" in filtered and ">admin<" not in filtered
    form = client.get("/users/add").get_data(as_text=True)
    assert form.index(">姓") < form.index(">名")  # 姓 before 名
    assert "fab_zh.js" in form and "请选择" in form


def test_group_pages_name_roles_in_chinese(client, users, login):
    from flask_appbuilder.security.sqla.models import Group

    role = db.session.query(Role).filter_by(name=r.COUNTER_STAFF).one()
    group = Group(name="柜员组", label="柜员组", roles=[role], users=[users[r.COUNTER_STAFF]])
    db.session.add(group)
    db.session.commit()
    login("admin")
    for path in ("/groups/list/", f"/groups/show/{group.id}"):
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and "临柜人员" in page and "[CounterStaff]" not in page, path
