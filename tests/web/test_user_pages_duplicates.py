"""FAB's user pages refuse a username or e-mail another user has in any letter case (issue 17
item 10): beside the field, in Chinese, and nothing is added or changed. Before, ``Counter`` could
be added beside ``counter`` — and then neither could log in."""
import re

import pytest
from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.security import roles as r
from tests.conftest import csrf_token, zh_role

PASSWORD = "Fresh#Secret2027"


def _role_id(html, name):
    """The option value of role ``name`` (offered by its Chinese name)."""
    return re.search(rf'<option[^>]*value="(\d+)"[^>]*>\s*{re.escape(zh_role(name))}\s*<', html).group(1)


def _form(client, path, **fields):
    html = client.get(path).get_data(as_text=True)
    data = {"first_name": "新", "last_name": "用户", "username": "newuser", "email": "newuser@test.invalid",
            "active": "y", "password": PASSWORD, "conf_password": PASSWORD,
            "roles": [_role_id(html, r.COUNTER_STAFF)], "csrf_token": csrf_token(client, path)}
    data.update(fields)
    return data


def _field_errors(html):
    """The messages FAB shows beside the fields."""
    return [re.sub(r"\s+", " ", text).strip() for text in re.findall(r'class="alert alert-danger">(.*?)</div>', html, re.S)]


@pytest.mark.parametrize("fields, message", [
    ({"username": "Counter"}, "用户名"),
    ({"email": "COUNTER@test.invalid"}, "邮"),
])
def test_adding_a_user_whose_name_or_address_differs_only_in_case_is_refused(client, users, login, fields, message):
    login("admin")
    before = db.session.query(User).count()
    response = client.post("/users/add", data=_form(client, "/users/add", **fields))
    assert response.status_code == 200
    errors = _field_errors(response.get_data(as_text=True))
    assert errors and message in errors[0], errors
    assert db.session.query(User).count() == before


def test_editing_keeps_the_own_name_and_refuses_another_users(client, users, login):
    login("admin")
    user = users[r.COUNTER_STAFF]
    path = f"/users/edit/{user.id}"
    html = client.get(path).get_data(as_text=True)
    data = {"first_name": "改", "last_name": "名", "username": "counter", "email": "counter@test.invalid",
            "active": "y", "roles": [_role_id(html, r.COUNTER_STAFF)], "csrf_token": csrf_token(client, path)}
    assert client.post(path, data=data).status_code == 302  # its own name, unchanged: fine
    response = client.post(path, data=dict(data, username="BranchHead"))
    assert _field_errors(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(User, user.id).username == "counter"
