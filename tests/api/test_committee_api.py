"""/api/v1/committee/: ruling bodies and their rosters (issue 21), per role."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.admin_audit import AdminAudit
from app.models.committee import BodyMember, RulingBody
from app.security import roles as r


def _staff(user):
    return user.staff_records[0]


@pytest.mark.parametrize("username", ["admin", "discipline"])
def test_maintainers_create_and_change_a_body_and_its_members(client, users, api, org, factory, username):
    headers = api(username)
    response = client.post("/api/v1/committee/", headers=headers, json={
        "name": "甲信用社责任认定小组", "kind": "committee", "unit_id": org["coop_a"].id, "quorum_percent": 60})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()["result"]
    assert body["quorum_percent"] == 60 and body["chair_required"] is True and body["members"] == []

    response = client.put(f"/api/v1/committee/{body['id']}", headers=headers, json={"quorum_percent": 66})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"]["quorum_percent"] == 66

    member = {"body_id": body["id"], "staff_id": _staff(users[r.LEADERSHIP]).id, "role": "chair",
              "term_from": "2026-01-01"}
    response = client.post("/api/v1/committee/members/", headers=headers, json=member)
    assert response.status_code == 201, response.get_json()
    member_id = response.get_json()["result"]["id"]

    listed = client.get(f"/api/v1/committee/members/?body_id={body['id']}", headers=headers).get_json()["result"]
    assert [m["id"] for m in listed] == [member_id]

    response = client.put(f"/api/v1/committee/members/{member_id}", headers=headers, json={"term_to": "2026-06-30"})
    assert response.status_code == 200
    assert response.get_json()["result"]["term_to"] == "2026-06-30"

    response = client.delete(f"/api/v1/committee/members/{member_id}", headers=headers)
    assert response.status_code == 200
    assert db.session.get(BodyMember, member_id) is None

    audit = db.session.execute(select(AdminAudit).where(AdminAudit.target_type == "body",
                                                        AdminAudit.target_id == body["id"])
                               .order_by(AdminAudit.id)).scalars().all()
    assert [a.action for a in audit] == ["create", "update", "update", "update", "delete"]
    assert audit[1].changes == {"quorum_percent": {"from": 60, "to": 66}}
    assert audit[2].changes["member"]["from"] is None
    assert audit[2].changes["member"]["to"].endswith("2026-01-01—")
    assert audit[3].changes["member"]["to"].endswith("2026-01-01—2026-06-30")
    assert audit[4].changes["member"]["to"] is None
    assert all(a.actor_name == username for a in audit)


@pytest.mark.parametrize("username", ["branchhead", "counter", "committee", "leader", "reruling"])
def test_others_cannot_write(client, users, api, org, username):
    headers = api(username)
    body = db.session.execute(select(RulingBody).where(RulingBody.kind == "committee")).scalar()
    assert client.post("/api/v1/committee/", headers=headers, json={
        "name": "x", "kind": "committee", "unit_id": org["coop_a"].id}).status_code == 403
    assert client.put(f"/api/v1/committee/{body.id}", headers=headers, json={"name": "y"}).status_code == 403
    assert client.post("/api/v1/committee/members/", headers=headers, json={}).status_code == 403
    assert client.delete(f"/api/v1/committee/members/{body.members[0].id}", headers=headers).status_code == 403


@pytest.mark.parametrize("username,status", [("committee", 200), ("reruling", 200), ("leader", 200),
                                             ("branchhead", 403), ("counter", 403)])
def test_who_reads(client, users, api, username, status):
    headers = api(username)
    response = client.get("/api/v1/committee/", headers=headers)
    assert response.status_code == status
    if status == 200:
        bodies = response.get_json()["result"]
        assert {b["kind"] for b in bodies} == {"committee", "higher"}
        item = client.get(f"/api/v1/committee/{bodies[0]['id']}", headers=headers).get_json()["result"]
        assert item["members"][0]["role"] == "chair"


def test_bad_input_answers_400_with_field_messages_and_changes_nothing(client, users, api, org):
    headers = api("discipline")
    body = db.session.execute(select(RulingBody).where(RulingBody.kind == "committee")).scalar()
    before = db.session.execute(select(db.func.count(AdminAudit.id))).scalar()
    cases = [
        ("/api/v1/committee/", {"name": "x", "kind": "nope", "unit_id": org["a1"].id}, "kind"),
        ("/api/v1/committee/", {"name": "x", "kind": "committee", "unit_id": "abc"}, "unit_id"),
        ("/api/v1/committee/", {"name": "x", "kind": "committee", "unit_id": org["union"].id}, "unit_id"),
        ("/api/v1/committee/", {"name": "x", "kind": "committee", "unit_id": org["a1"].id, "quorum_percent": 100},
         "quorum_percent"),
        ("/api/v1/committee/members/", {"body_id": body.id, "staff_id": _staff(users[r.LEADERSHIP]).id,
                                        "role": "member", "term_from": "2026-02-01", "term_to": "2026-01-01"},
         "term_to"),
        ("/api/v1/committee/members/", {"body_id": body.id, "staff_id": _staff(users[r.COMMITTEE]).id,
                                        "role": "member", "term_from": "2026-02-01"}, "term_from"),
        ("/api/v1/committee/members/", {"body_id": body.id, "staff_id": _staff(users[r.LEADERSHIP]).id,
                                        "role": "chair", "term_from": "2026-02-01"}, "role"),
        ("/api/v1/committee/members/", {"body_id": body.id, "staff_id": 999999, "role": "member",
                                        "term_from": "2026-02-01"}, "staff_id"),
    ]
    for url, data, field in cases:
        response = client.post(url, headers=headers, json=data)
        assert response.status_code == 400, (data, response.get_json())
        message = response.get_json()["message"]
        assert field in message, (data, message)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message[field][0]), message
    assert client.post("/api/v1/committee/", headers=headers, json=[1]).status_code == 400
    assert client.put(f"/api/v1/committee/{body.id}", headers=headers, json={"kind": "higher"}).status_code == 400
    assert client.get("/api/v1/committee/members/?body_id=abc", headers=headers).status_code == 400
    assert db.session.execute(select(db.func.count(AdminAudit.id))).scalar() == before


def test_unknown_ids_answer_404(client, users, api):
    headers = api("discipline")
    assert client.get("/api/v1/committee/999", headers=headers).status_code == 404
    assert client.put("/api/v1/committee/999", headers=headers, json={"name": "x"}).status_code == 404
    assert client.put("/api/v1/committee/members/999", headers=headers, json={}).status_code == 404
    assert client.delete("/api/v1/committee/members/999", headers=headers).status_code == 404
    assert client.get("/api/v1/committee/99999999999", headers=headers).status_code == 404
    assert client.get("/api/v1/committee/abc", headers=headers).status_code == 404


def test_a_member_who_sat_cannot_be_deleted_but_the_term_can_end(client, users, api, cases):
    headers = api("discipline")
    chair = db.session.execute(select(BodyMember).join(RulingBody).where(
        RulingBody.kind == "committee", BodyMember.staff_id == _staff(users[r.COMMITTEE]).id)).scalar()
    response = client.delete(f"/api/v1/committee/members/{chair.id}", headers=headers)
    assert response.status_code == 400
    assert "结束" in str(response.get_json()["message"]) or "任期" in str(response.get_json()["message"])
    assert db.session.get(BodyMember, chair.id) is not None
    response = client.put(f"/api/v1/committee/members/{chair.id}", headers=headers, json={"term_to": "2026-12-31"})
    assert response.status_code == 200, response.get_json()


def test_the_api_is_in_the_openapi_document(client, users, api):
    document = client.get("/api/v1/_openapi", headers=api("discipline")).get_json()
    assert "/api/v1/committee/" in document["paths"] and "/api/v1/committee/members/{pk}" in document["paths"]
    assert "RulingBodySchema" in document["components"]["schemas"]
