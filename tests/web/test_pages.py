"""Pages per role, with real logins through the login form (CSRF on)."""
import pytest

from app.security import roles as r
from app.web.home import TODO_HOME_ROLES
from tests.conftest import zh_role
from tests.conftest import PASSWORD, csrf_token, web_login


def test_login_page_is_chinese(client, app):
    html = client.get("/login/").get_data(as_text=True)
    assert "客户投诉管理系统" in html
    assert "用户名" in html and "密码" in html


@pytest.mark.parametrize("role", r.ROLE_NAMES)
def test_every_role_logs_in_on_the_web(client, users, role):
    response = web_login(client, users[role].username)
    assert response.status_code == 302
    home = client.get("/")
    if role in TODO_HOME_ROLES:
        # Those who act on cases land on their work.
        assert home.status_code == 302 and home.headers["Location"].endswith("/todo/")
        assert "我的待办" in client.get("/todo/").get_data(as_text=True)
    else:
        assert zh_role(role) in home.get_data(as_text=True)


def test_wrong_password_is_refused(client, users):
    web_login(client, "counter", "Wrong@12345")
    assert "数据范围" not in client.get("/").get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client, users):
    response = client.post("/login/", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400


def test_admin_sees_org_pages_in_chinese(client, users, login):
    login("admin")
    html = client.get("/orgunitview/list/").get_data(as_text=True)
    assert "机构" in html and "甲一分社" in html
    assert "List Org" not in html
    html = client.get("/staffview/list/").get_data(as_text=True)
    assert "员工" in html and "List Staff" not in html


def test_admin_adds_unit_through_form(client, users, login, org):
    from app.extensions import db
    from app.models import OrgUnit

    login("admin")
    token = csrf_token(client, "/orgunitview/add")
    response = client.post(
        "/orgunitview/add",
        data={"name": "甲三分社", "code": "A3", "kind": "branch", "parent": str(org["coop_a"].id), "active": "y", "csrf_token": token},
    )
    assert response.status_code == 302
    unit = db.session.query(OrgUnit).filter_by(code="A3").one()
    assert unit.parent_id == org["coop_a"].id


def test_form_refuses_a_branch_under_a_branch_and_saves_nothing(client, users, login, org):
    from app.extensions import db
    from app.models import OrgUnit

    login("admin")
    token = csrf_token(client, "/orgunitview/add")
    response = client.post(
        "/orgunitview/add",
        data={"name": "错误", "code": "BAD", "kind": "branch", "parent": str(org["a1"].id), "csrf_token": token},
        follow_redirects=True,
    )
    assert "该类型的机构不能设在所选上级机构之下" in response.get_data(as_text=True)
    assert db.session.query(OrgUnit).filter_by(code="BAD").count() == 0


def test_unit_with_staff_cannot_be_deleted(client, users, login, org):
    from app.extensions import db
    from app.models import OrgUnit

    login("admin")
    token = csrf_token(client, "/orgunitview/list/")
    response = client.post(f"/orgunitview/delete/{org['a1'].id}", data={"csrf_token": token}, follow_redirects=True)
    assert "该机构下仍有员工" in response.get_data(as_text=True)
    assert db.session.get(OrgUnit, org["a1"].id) is not None


def test_discipline_office_reads_but_cannot_write_org(client, users, login, org):
    login("discipline")
    assert client.get("/orgunitview/list/").status_code == 200
    assert client.get("/orgunitview/add").status_code == 403
    token = csrf_token(client, "/orgunitview/list/")
    assert client.post(f"/orgunitview/delete/{org['b1'].id}", data={"csrf_token": token}).status_code == 403


@pytest.mark.parametrize("username", ["counter", "branchhead", "committee", "reruling", "leader"])
def test_other_roles_cannot_open_org_or_security_pages(client, users, login, username):
    login(username)
    for path in ("/orgunitview/list/", "/staffview/list/", "/users/list/", "/roles/list/"):
        assert client.get(path).status_code == 403, path


def test_english_is_available(client, users, login):
    login("admin")
    client.get("/lang/en")
    html = client.get("/orgunitview/list/").get_data(as_text=True)
    assert "Organisation units" in html
    client.get("/lang/zh")
    assert "机构" in client.get("/orgunitview/list/").get_data(as_text=True)
