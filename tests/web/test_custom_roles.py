"""Issue 20: roles by capability. Built-in roles read-only (page and API), custom roles built from
capabilities, the last administrator kept, appeals apart from handling (§14), the audit log page,
and no English permission name on any role page."""
import re

import pytest
from flask_appbuilder.security.sqla.models import Role, User

from app.extensions import db
from app.models.admin_audit import AdminAudit
from app.security import capabilities as caps
from app.security import roles as r
from app.services import roles as service
from tests.conftest import csrf_token, present

ENGLISH_PERMISSION = re.compile(r"\b(can_[a-z_]+|menu_access|[A-Z][a-z]+(View|Api)\b|ModelView|ComplaintView)")


def _pairs(role):
    return {(pv.permission.name, pv.view_menu.name) for pv in role.permissions}


def test_capabilities_expand_to_exactly_their_permissions(app):
    role = service.save("回访专员", "只做回访", ["register", "decide_extension"], caps.SCOPE_UNIT, False)
    assert _pairs(role) == set(caps.expand(["register", "decide_extension"]))
    assert ("can_decide_extension", "Complaint") in _pairs(role)
    assert ("can_accept", "Complaint") not in _pairs(role)


def test_appeal_decisions_and_handling_are_never_combined(app):
    with pytest.raises(Exception) as refused:
        service.save("混合", "", ["handle", "decide_appeal"], caps.SCOPE_ALL, False)
    assert "复议" in str(refused.value)
    db.session.rollback()
    assert db.session.query(Role).filter_by(name="混合").count() == 0


def test_a_renamed_capability_is_migrated_by_the_sync(app):
    from app.security.sync import sync_roles

    role = service.save("统计员", "", ["statistics"], caps.SCOPE_ALL, False)
    role.custom.capabilities = ["reports"]  # as an older version stored it
    db.session.commit()
    sync_roles(app.appbuilder)
    role = db.session.query(Role).filter_by(name="统计员").one()
    assert role.custom.capabilities == ["statistics"]
    assert _pairs(role) == set(caps.expand(["statistics"]))


def test_admin_builds_a_custom_role_in_the_page_and_it_is_audited(client, users, login):
    login("admin")
    page = client.get("/role-admin/add").get_data(as_text=True)
    assert "复议决定" in page and "受理/转办/反馈/办结" in page
    response = client.post("/role-admin/add", data={
        "csrf_token": csrf_token(client, "/role-admin/add"), "name": "延期审批员", "description": "审批延期",
        "capabilities": ["decide_extension"], "scope": "all", "shows_identity": "y"}, follow_redirects=True)
    assert response.status_code == 200
    role = db.session.query(Role).filter_by(name="延期审批员").one()
    assert role.custom.scope == "all" and role.custom.shows_identity
    assert db.session.query(AdminAudit).filter_by(target_type="role", target_name="延期审批员").count() >= 1
    audit = client.get("/admin-audit/list/").get_data(as_text=True)
    assert "延期审批员" in audit and "新建" in audit


def test_the_page_refuses_the_section_14_combination(client, users, login):
    login("admin")
    response = client.post("/role-admin/add", data={
        "csrf_token": csrf_token(client, "/role-admin/add"), "name": "混合", "capabilities": ["handle", "decide_appeal"],
        "scope": "unit"})
    assert "第十四条" in response.get_data(as_text=True)
    assert db.session.query(Role).filter_by(name="混合").count() == 0


def test_a_built_in_role_cannot_be_edited_in_the_pages(client, users, login):
    login("admin")
    role = db.session.query(Role).filter_by(name=r.COMMITTEE).one()
    before = _pairs(role)
    answer = client.post(f"/role-admin/edit/{role.id}", data={
        "csrf_token": csrf_token(client, "/role-admin/"), "name": "x", "capabilities": ["read"], "scope": "all"},
        follow_redirects=True)
    assert "内置角色由系统定义" in answer.get_data(as_text=True)
    # FAB's raw page (experts) refuses too
    edit_page = f"/roles/edit/{role.id}"
    client.post(edit_page, data={"csrf_token": csrf_token(client, edit_page), "name": "Renamed", "permissions": []},
                follow_redirects=True)
    db.session.expire_all()
    role = db.session.get(Role, role.id)
    assert role.name == r.COMMITTEE and _pairs(role) == before


def test_a_built_in_role_cannot_be_edited_or_deleted_in_the_api(client, users, api):
    headers = api("admin")
    role = db.session.query(Role).filter_by(name=r.LEADERSHIP).one()
    put = client.put(f"/api/v1/security/roles/{role.id}", json={"name": "Boss"}, headers=headers)
    assert put.status_code == 403 and "内置角色" in put.get_json()["message"]
    delete = client.delete(f"/api/v1/security/roles/{role.id}", headers=headers)
    assert delete.status_code == 403
    permissions = client.post(f"/api/v1/security/roles/{role.id}/permissions",
                              json={"permission_view_menu_ids": []}, headers=headers)
    assert permissions.status_code == 403
    db.session.expire_all()
    role = db.session.get(Role, role.id)
    assert role.name == r.LEADERSHIP and role.permissions


def test_the_last_active_administrator_is_kept(client, users, api, login):
    headers = api("admin")
    admin = users[r.ADMIN]
    answer = client.put(f"/api/v1/security/users/{admin.id}", json={"active": False}, headers=headers)
    assert answer.status_code == 409 and "最后一位" in answer.get_json()["message"]
    answer = client.delete(f"/api/v1/security/users/{admin.id}", headers=headers)
    assert answer.status_code == 409
    admin_role = db.session.query(Role).filter_by(name=r.ADMIN).one()
    answer = client.put(f"/api/v1/security/roles/{admin_role.id}/users", json={"user_ids": []}, headers=headers)
    assert answer.status_code == 409
    db.session.expire_all()
    admin = db.session.get(User, admin.id)
    assert admin.active and any(role.name == r.ADMIN for role in admin.roles)


def test_a_custom_role_scope_and_identity_flag_are_honoured(app, factory, org):
    from app.security.scope import scope_of

    role = service.save("片区督导", "", ["read"], caps.SCOPE_UNIT, True)
    user = factory.user(r.LEADERSHIP, "supervisor", org["coop_a"])
    user.roles = [role]
    db.session.commit()
    scope = scope_of(user)
    assert not scope.everything and org["a1"].id in scope.unit_ids and org["b1"].id not in scope.unit_ids
    from app.services.complaints import actor_for

    assert actor_for(user).shows_identity


@pytest.mark.parametrize("path", ["/role-admin/", "/role-admin/add", "/admin-audit/list/"]
                         + [f"/role-admin/builtin/{name}" for name in r.ROLE_NAMES])
def test_no_english_permission_name_on_an_admin_role_page(client, users, login, path):
    login("admin")
    service.save("自定义一", "", ["statistics", "users"], caps.SCOPE_ALL, False)
    html = client.get(path).get_data(as_text=True)
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", " ", html, flags=re.S)
    assert not ENGLISH_PERMISSION.findall(body), ENGLISH_PERMISSION.findall(body)
    if "builtin" in path:
        assert "投诉" in body or "用户" in body


def test_the_custom_role_page_shows_its_matrix_in_chinese(client, users, login):
    login("admin")
    role = service.save("自定义二", "", ["calendar"], caps.SCOPE_UNIT, False)
    html = client.get(f"/role-admin/show/{role.id}").get_data(as_text=True)
    assert "工作日历维护" in html
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", " ", html, flags=re.S)
    assert not ENGLISH_PERMISSION.findall(body)


def _custom_user(factory, org, name, codes, scope, username, unit, position="other"):
    role = service.save(name, "", codes, scope, False)
    user = factory.user(r.COUNTER_STAFF, username, unit, position)
    user.roles = [role]
    db.session.commit()
    return user


def _available(user, complaint):
    from app.clock import now
    from app.domain import transitions as t
    from app.services.complaints import actor_for

    return {transition.name for transition in t.available(complaint, actor_for(user), now().date())}


def test_a_custom_role_takes_exactly_the_steps_of_its_capabilities(app, factory, org, users, cases):
    """分社主任 (handle, own unit): accepts, transfers, replies and closes its branch's cases as a
    branch head would (rejecting stays with the discipline office); it neither decides extensions nor rules, and sees nothing outside its unit."""
    from app.services import complaints as svc

    head = _custom_user(factory, org, "分社主任", ["register", "handle"], caps.SCOPE_UNIT, "subhead", org["a1"])
    assert "accept" in _available(head, cases["registered"])
    assert "reject" not in _available(head, cases["registered"])  # §8: the discipline office's alone
    assert "decide_extension" not in _available(head, cases["extension"])
    assert "rule" not in _available(head, cases["replied"])
    accepted = svc.apply(head, cases["registered"].id, "accept", {"level": "branch"})
    assert accepted.status == "processing"
    replied = svc.apply(head, accepted.id, "reply", {"method": "phone", "content": "已向客户解释并致歉。"})
    assert replied.status == "replied"
    with pytest.raises(Exception):
        svc.apply(head, cases["extension"].id, "decide_extension", {"approved": True, "note": "同意延期十个工作日。"})

    outside = _custom_user(factory, org, "乙社主任", ["handle"], caps.SCOPE_UNIT, "subhead_b", org["b1"])
    with pytest.raises(Exception):  # not in its scope: 404 before any rule
        svc.apply(outside, cases["processing"].id, "reply", {"method": "phone", "content": "已向客户解释并致歉。"})


def test_custom_roles_decide_extensions_and_record_rulings(app, factory, org, users, cases):
    from app.services import complaints as svc

    approver = _custom_user(factory, org, "延期审批", ["decide_extension"], caps.SCOPE_ALL, "approver", org["office"])
    assert _available(approver, cases["extension"]) == {"decide_extension"}
    decided = svc.apply(approver, cases["extension"].id, "decide_extension",
                        {"approved": True, "due_date": "2026-12-28", "note": "同意延期,请按期答复客户。"})
    assert decided.extension_status == "approved"

    member = _custom_user(factory, org, "认定组员", ["rule"], caps.SCOPE_ALL, "ruler", org["union"])
    from datetime import date

    from app.extensions import db
    from app.models.committee import BodyMember, RulingBody

    committee = db.session.query(RulingBody).filter_by(kind="committee").one()
    db.session.add(BodyMember(body=committee, staff=member.staff_records[0], role="member", term_from=date(2020, 1, 1)))
    db.session.commit()
    assert "rule" in _available(member, cases["replied"])
    assert "accept" not in _available(member, cases["registered"])
    ruled = svc.apply(member, cases["replied"].id, "rule", {
        "result": "not_responsible", "category": "19.4", "verified": False, "basis": "经核实系客户误会所致。",
        "members": present(member, users[r.COMMITTEE])})
    assert ruled.ruling_result == "not_responsible"


def test_acting_as_a_role_never_widens_what_is_seen(app, factory, org, users, cases):
    """Acting as the discipline office for extensions does not show complainants in full."""
    from app.security.masking import sees_identity
    from app.services.complaints import actor_for

    approver = _custom_user(factory, org, "延期审批二", ["decide_extension"], caps.SCOPE_ALL, "approver2", org["office"])
    actor = actor_for(approver)
    assert actor.acts("DisciplineOffice") and not actor.has_role("DisciplineOffice")
    assert not sees_identity(actor, cases["extension"])


def test_a_custom_role_with_work_lands_on_my_to_do_and_one_without_on_the_home_page(app, factory, org, users):
    """A custom role whose capabilities bring work (here: handling its unit's cases) lands on 我的待办
    like the branch head it stands in for; a read-only custom role lands on the home page."""
    from tests.conftest import web_login

    _custom_user(factory, org, "分社主任", ["register", "handle"], caps.SCOPE_UNIT, "subhead", org["a1"])
    _custom_user(factory, org, "只读查询", ["read"], caps.SCOPE_UNIT, "reader", org["a1"])
    for username, landing in (("subhead", "/todo/"), ("reader", None)):
        client = app.test_client()
        assert web_login(client, username).status_code == 302
        home = client.get("/")
        if landing:
            assert home.status_code == 302 and home.headers["Location"].endswith(landing), username
            assert client.get(landing).status_code == 200
        else:
            assert home.status_code == 200, username
