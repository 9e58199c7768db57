"""责任认定小组 pages (issue 21): the bodies and their rosters, maintained through the roster service."""
from html import unescape

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.admin_audit import AdminAudit
from app.models.committee import BodyMember, RulingBody
from app.security import roles as r
from tests.conftest import csrf_token


def _committee():
    return db.session.execute(select(RulingBody).where(RulingBody.kind == "committee")).scalar()


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("username", ["admin", "discipline"])
def test_maintainers_add_and_edit_a_body_through_the_form(client, users, login, org, username):
    login(username)
    page = _page(client, "/rulingbodyview/add")
    assert "新建责任认定小组" in page and "法定人数百分比" in page
    token = csrf_token(client, "/rulingbodyview/add")
    response = client.post("/rulingbodyview/add", data={
        "csrf_token": token, "name": "甲信用社认定小组", "kind": "committee", "unit_id": str(org["coop_a"].id),
        "quorum_percent": "60", "chair_required": "y", "active": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    body = db.session.execute(select(RulingBody).where(RulingBody.name == "甲信用社认定小组")).scalar()
    assert body.quorum_percent == 60 and body.unit_id == org["coop_a"].id

    response = client.post(f"/rulingbodyview/edit/{body.id}", data={
        "csrf_token": token, "name": "甲信用社认定小组", "unit_id": str(org["coop_a"].id),
        "quorum_percent": "66", "active": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert body.quorum_percent == 66 and body.chair_required is False
    audit = db.session.execute(select(AdminAudit).where(AdminAudit.target_type == "body", AdminAudit.target_id == body.id)
                               .order_by(AdminAudit.id)).scalars().all()
    assert [a.action for a in audit] == ["create", "update"]
    assert audit[1].changes == {"quorum_percent": {"from": 60, "to": 66}, "chair_required": {"from": True, "to": False}}

    listing = _page(client, "/rulingbodyview/list/")
    assert "甲信用社认定小组" in listing and "有表决权成员超过 66% 出席" in listing and "客户投诉责任认定小组" in listing


def test_a_refused_body_form_says_why_beside_the_field_and_keeps_the_values(client, users, login, org):
    login("discipline")
    token = csrf_token(client, "/rulingbodyview/add")
    before = db.session.execute(select(db.func.count(RulingBody.id))).scalar()
    response = client.post("/rulingbodyview/add", data={
        "csrf_token": token, "name": "重复的小组", "kind": "committee", "unit_id": str(org["union"].id),
        "quorum_percent": "150", "chair_required": "y", "active": "y"})
    assert response.status_code == 200
    page = unescape(response.get_data(as_text=True))
    assert "重复的小组" in page  # kept
    beside = page[page.index('id="quorum_percent"'):][:600]
    assert 'value="150"' in beside and "应不小于0且不大于99" in beside
    assert db.session.execute(select(db.func.count(RulingBody.id))).scalar() == before


def test_roster_shown_with_roles_and_members_added_changed_deleted(client, users, login, org):
    login("discipline")
    body = _committee()
    show = _page(client, f"/rulingbodyview/show/{body.id}")
    assert "组长" in show and users[r.COMMITTEE].staff_records[0].name in show

    add_page = _page(client, f"/bodymemberview/add?_flt_0_body={body.id}")
    leader = users[r.LEADERSHIP].staff_records[0]
    assert f"{leader.name} (测试联社, {leader.employee_no})" in add_page
    token = csrf_token(client, "/bodymemberview/add")

    # a second chair on the same days: refused beside the role, values kept
    response = client.post("/bodymemberview/add", data={
        "csrf_token": token, "body_id": str(body.id), "staff_id": str(leader.id), "role": "chair",
        "term_from": "2026-03-01", "term_to": ""})
    assert response.status_code == 200
    page = unescape(response.get_data(as_text=True))
    assert "同一天只能有一名组长" in page and "2026-03-01" in page

    response = client.post("/bodymemberview/add", data={
        "csrf_token": token, "body_id": str(body.id), "staff_id": str(leader.id), "role": "member",
        "term_from": "2026-03-01", "term_to": ""})
    assert response.status_code == 302
    member = db.session.execute(select(BodyMember).where(BodyMember.staff_id == leader.id)).scalar()

    # an overlapping second term of the same staff member: refused beside the term
    response = client.post("/bodymemberview/add", data={
        "csrf_token": token, "body_id": str(body.id), "staff_id": str(leader.id), "role": "deputy",
        "term_from": "2026-06-01", "term_to": "2026-07-01"})
    assert response.status_code == 200
    assert "任期不能重叠" in unescape(response.get_data(as_text=True))

    # a term ending before it begins
    response = client.post(f"/bodymemberview/edit/{member.id}", data={
        "csrf_token": token, "role": "member", "term_from": "2026-03-01", "term_to": "2026-02-01"})
    assert response.status_code == 200
    assert "任期止不能早于任期起" in unescape(response.get_data(as_text=True))

    response = client.post(f"/bodymemberview/edit/{member.id}", data={
        "csrf_token": token, "role": "deputy", "term_from": "2026-03-01", "term_to": "2026-09-30"})
    assert response.status_code == 302
    db.session.expire_all()
    assert member.role == "deputy" and str(member.term_to) == "2026-09-30"

    response = client.post(f"/bodymemberview/delete/{member.id}", data={"csrf_token": token})
    assert response.status_code == 302
    assert db.session.get(BodyMember, member.id) is None
    changes = [a.changes["member"] for a in db.session.execute(
        select(AdminAudit).where(AdminAudit.target_type == "body", AdminAudit.target_id == body.id)
        .order_by(AdminAudit.id)).scalars()]
    assert changes[0]["from"] is None and changes[0]["to"].startswith(f"{leader.name}(成员) 2026-03-01—")
    assert changes[1]["to"].endswith("2026-03-01—2026-09-30") and "副组长" in changes[1]["to"]
    assert changes[2]["to"] is None


def test_a_member_who_sat_is_not_deleted_but_the_term_ends(client, users, login, cases):
    login("discipline")
    chair = db.session.execute(select(BodyMember).where(
        BodyMember.staff_id == users[r.COMMITTEE].staff_records[0].id, BodyMember.body_id == _committee().id)).scalar()
    token = csrf_token(client, f"/bodymemberview/edit/{chair.id}")
    response = client.post(f"/bodymemberview/delete/{chair.id}", data={"csrf_token": token}, follow_redirects=True)
    assert "请改为结束其任期" in unescape(response.get_data(as_text=True))
    assert db.session.get(BodyMember, chair.id) is not None
    response = client.post(f"/bodymemberview/edit/{chair.id}", data={
        "csrf_token": token, "role": "chair", "term_from": "2020-01-01", "term_to": "2026-12-31"})
    assert response.status_code == 302
    db.session.expire_all()
    assert str(chair.term_to) == "2026-12-31"


@pytest.mark.parametrize("username", ["committee", "reruling", "leader"])
def test_readers_read_but_do_not_write(client, users, login, org, username):
    login(username)
    body = _committee()
    assert "责任认定小组" in _page(client, "/rulingbodyview/list/")
    assert "组长" in _page(client, f"/rulingbodyview/show/{body.id}")
    assert client.get("/rulingbodyview/add").status_code in (302, 403)
    token = csrf_token(client)
    before = db.session.execute(select(db.func.count(AdminAudit.id))).scalar()
    client.post(f"/rulingbodyview/edit/{body.id}", data={"csrf_token": token, "name": "改名", "unit_id": str(org["union"].id),
                                                         "quorum_percent": "50"})
    client.post(f"/bodymemberview/delete/{body.members[0].id}", data={"csrf_token": token})
    assert db.session.execute(select(db.func.count(AdminAudit.id))).scalar() == before


@pytest.mark.parametrize("username", ["branchhead", "counter"])
def test_branch_roles_neither_read_nor_write(client, users, login, org, username):
    login(username)
    body = _committee()
    assert client.get("/rulingbodyview/list/").status_code in (302, 403)
    token = csrf_token(client)
    response = client.post("/rulingbodyview/add", data={
        "csrf_token": token, "name": "x", "kind": "committee", "unit_id": str(org["coop_a"].id), "quorum_percent": "50"})
    assert response.status_code in (302, 403)
    response = client.post(f"/bodymemberview/delete/{body.members[0].id}", data={"csrf_token": token})
    assert response.status_code in (302, 403)
    assert db.session.execute(select(db.func.count(RulingBody.id))).scalar() == 2
    assert db.session.get(BodyMember, body.members[0].id) is not None


def test_the_admin_audit_page_shows_body_changes_before_and_after(client, users, login, org):
    from app.services import committee_roster as service

    body = _committee()
    service.update_body(body.id, {"quorum_percent": 60}, users[r.DISCIPLINE_OFFICE])
    service.add_member({"body_id": body.id, "staff_id": users[r.LEADERSHIP].staff_records[0].id, "role": "member",
                        "term_from": "2026-01-01"}, users[r.DISCIPLINE_OFFICE])
    login("admin")
    page = _page(client, f"/admin-audit/list/?_flt_2_target_name={body.name}")
    assert "责任认定小组" in page and "法定人数百分比(出席须超过):50 → 60" in page
    assert f"成员:— → {users[r.LEADERSHIP].staff_records[0].name}(成员) 2026-01-01—" in page
