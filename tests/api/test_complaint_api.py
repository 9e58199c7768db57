"""/api/v1/complaint/ per role: the happy path and every refusal (api.md)."""
import pytest

from app.extensions import db
from app.models.complaint import Complaint

BODY = {
    "channel": "phone",
    "complainant_name": "王五",
    "complainant_phone": "13912345678",
    "complainant_id_number": "330102198001191234",
    "category": "attitude",
    "facts": "柜员拒绝办理业务。",
}


@pytest.fixture
def body(org):
    return dict(BODY, branch_id=org["a1"].id)


def post(client, headers, path, json):
    return client.post(path, headers=headers, json=json)


def test_happy_path_registered_to_follow_up(client, users, api, body, org):
    clerk, head, office = api("counter"), api("branchhead"), api("discipline")
    response = post(client, clerk, "/api/v1/complaint/", body)
    assert response.status_code == 201, response.get_json()
    cid = response.get_json()["id"]
    result = response.get_json()["result"]
    assert result["status"] == "registered" and result["number"].startswith("TS")
    assert result["complainant_phone"] == "13912345678"  # the registrant is the first handler

    assert [t["name"] for t in client.get(f"/api/v1/complaint/{cid}/transitions", headers=office).get_json()["result"]] == ["accept", "reject", "mark_duplicate"]
    response = post(client, office, f"/api/v1/complaint/{cid}/transitions/accept", {"level": "branch"})
    assert response.status_code == 200 and response.get_json()["result"]["status"] == "processing"
    assert response.get_json()["result"]["due_date"]

    head_staff = users["BranchHead"].staff_records[0].id
    response = post(client, clerk, f"/api/v1/complaint/{cid}/transitions/transfer",
                    {"to_unit_id": org["a1"].id, "to_staff_id": head_staff, "reason": "超出权限,转交负责人"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"]["handler_id"] == head_staff

    response = post(client, head, f"/api/v1/complaint/{cid}/transitions/reply", {"method": "letter", "content": "已核实并整改。"})
    assert response.status_code == 200, response.get_json()
    result = response.get_json()["result"]
    assert result["status"] == "replied" and result["reply_method"] == "letter"
    assert result["appeal_due_date"] is None  # runs from the day the customer receives the letter
    response = post(client, head, f"/api/v1/complaint/{cid}/transitions/record_receipt",
                    {"customer_received_on": result["replied_at"][:10]})
    assert response.status_code == 200, response.get_json()
    result = response.get_json()["result"]
    assert result["appeal_due_date"] and result["reply_received_on"] == result["replied_at"][:10]

    assert post(client, head, f"/api/v1/complaint/{cid}/transitions/close", {}).status_code == 200
    response = post(client, head, f"/api/v1/complaint/{cid}/transitions/follow_up",
                    {"visited_at": result["replied_at"][:10], "method": "phone", "satisfied": True})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"]["follow_up_satisfied"] is True

    timeline = client.get(f"/api/v1/complaint/{cid}/events", headers=office).get_json()["result"]
    assert [e["name"] for e in timeline] == ["register", "accept", "transfer", "reply", "record_receipt", "close",
                                             "follow_up"]
    assert timeline[1]["from_status"] == "registered" and timeline[1]["to_status"] == "processing"
    assert set(timeline[0]) == {"at", "actor", "name", "from_status", "to_status", "note"}


def test_get_has_the_contract_fields(client, users, api, body):
    cid = post(client, api("discipline"), "/api/v1/complaint/", body).get_json()["id"]
    result = client.get(f"/api/v1/complaint/{cid}", headers=api("discipline")).get_json()["result"]
    for key in ("id", "number", "channel", "received_at", "complainant_name", "complainant_phone",
                "complainant_id_number", "complainant_address", "branch_id", "respondent_staff_id", "category",
                "disputed_fee", "facts", "status", "level", "handling_unit_id", "handler_id", "due_date",
                "due_date_provisional", "overdue", "extension_status", "replied_at", "reply_method",
                "appeal_due_date", "ruling_result", "ruling_category", "ruling_final", "reruling_status", "version"):
        assert key in result, key
    assert len(result["received_at"]) == 19 and "+" not in result["received_at"]


def test_identity_is_masked_for_committee_and_leadership(client, users, api, body):
    cid = post(client, api("discipline"), "/api/v1/complaint/", body).get_json()["id"]
    for username in ("committee", "leader"):
        result = client.get(f"/api/v1/complaint/{cid}", headers=api(username)).get_json()["result"]
        assert result["complainant_name"] == "王*"
        assert result["complainant_phone"] == "139****5678"
        assert result["complainant_id_number"] == "3301**********1234"
        listed = client.get("/api/v1/complaint/", headers=api(username)).get_json()["result"]
        assert "13912345678" not in str(listed)


def test_out_of_scope_is_404(client, users, api, body, org):
    cid = post(client, api("discipline"), "/api/v1/complaint/", dict(body, branch_id=org["b1"].id)).get_json()["id"]
    for username in ("branchhead", "counter"):
        headers = api(username)
        assert client.get(f"/api/v1/complaint/{cid}", headers=headers).status_code == 404
        assert client.get(f"/api/v1/complaint/{cid}/events", headers=headers).status_code == 404
        assert client.get(f"/api/v1/complaint/{cid}/transitions", headers=headers).status_code == 404
        assert post(client, headers, f"/api/v1/complaint/{cid}/transitions/accept", {"level": "branch"}).status_code == 404
        assert client.get("/api/v1/complaint/", headers=headers).get_json()["count"] == 0


def test_register_outside_own_branch_is_400(client, users, api, body, org):
    response = post(client, api("counter"), "/api/v1/complaint/", dict(body, branch_id=org["b1"].id))
    assert response.status_code == 400 and "branch_id" in response.get_json()["message"]


@pytest.mark.parametrize("extra", [{"status": "closed"}, {"due_date": "2027-01-01"}, {"handler_id": 1}, {"level": "union"}, {"bogus": 1}])
def test_read_only_and_unknown_fields_are_400(client, users, api, body, extra):
    response = post(client, api("discipline"), "/api/v1/complaint/", dict(body, **extra))
    assert response.status_code == 400
    assert list(extra)[0] in response.get_json()["message"]
    assert db.session.query(Complaint).count() == 0


@pytest.mark.parametrize("bad", [{"channel": "fax"}, {"category": "x"}, {"branch_id": "abc"}, {"facts": ""}, {"disputed_fee": -5}])
def test_bad_values_are_400_with_field(client, users, api, body, bad):
    response = post(client, api("discipline"), "/api/v1/complaint/", dict(body, **bad))
    assert response.status_code == 400
    assert list(bad)[0] in response.get_json()["message"]


def test_not_json_is_400(client, users, api):
    response = client.post("/api/v1/complaint/", headers=api("discipline"), data="x", content_type="text/plain")
    assert response.status_code == 400
    response = client.post("/api/v1/complaint/", headers=api("discipline"), json=[1, 2])
    assert response.status_code == 400


def test_external_ref_returns_the_first(client, users, api, body):
    first = post(client, api("discipline"), "/api/v1/complaint/", dict(body, external_ref="HL-1"))
    second = post(client, api("discipline"), "/api/v1/complaint/", dict(body, external_ref="HL-1"))
    assert first.status_code == 201 and second.status_code == 200
    assert first.get_json()["id"] == second.get_json()["id"]
    assert db.session.query(Complaint).count() == 1


def test_roles_without_register_permission_get_403(client, users, api, body):
    for username in ("committee", "reruling", "leader"):
        assert post(client, api(username), "/api/v1/complaint/", body).status_code == 403


def test_wrong_state_is_409_and_wrong_role_403(client, users, api, body):
    cid = post(client, api("counter"), "/api/v1/complaint/", body).get_json()["id"]
    response = post(client, api("discipline"), f"/api/v1/complaint/{cid}/transitions/reply", {"method": "phone", "content": "x"})
    assert response.status_code == 409
    response = post(client, api("branchhead"), f"/api/v1/complaint/{cid}/transitions/reject", {"reason": "ineligible", "note": "x"})
    assert response.status_code == 403
    response = post(client, api("committee"), f"/api/v1/complaint/{cid}/transitions/accept", {"level": "branch"})
    assert response.status_code == 403
    assert post(client, api("discipline"), f"/api/v1/complaint/{cid}/transitions/fly", {}).status_code == 404
    response = post(client, api("discipline"), f"/api/v1/complaint/{cid}/transitions/accept", {"level": "galaxy"})
    assert response.status_code == 400 and "level" in response.get_json()["message"]


def test_put_with_version(client, users, api, body):
    headers = api("counter")
    created = post(client, headers, "/api/v1/complaint/", body).get_json()
    cid, version = created["id"], created["result"]["version"]
    response = client.put(f"/api/v1/complaint/{cid}", headers=headers, json={"version": version, "facts": "补充事实"})
    assert response.status_code == 200 and response.get_json()["result"]["version"] == version + 1
    stale = client.put(f"/api/v1/complaint/{cid}", headers=headers, json={"version": version, "facts": "覆盖"})
    assert stale.status_code == 409
    assert client.put(f"/api/v1/complaint/{cid}", headers=headers, json={"facts": "无版本"}).status_code == 400
    read_only = client.put(f"/api/v1/complaint/{cid}", headers=headers, json={"version": version + 1, "status": "closed"})
    assert read_only.status_code == 400 and "status" in read_only.get_json()["message"]
    assert client.get(f"/api/v1/complaint/{cid}", headers=headers).get_json()["result"]["facts"] == "补充事实"


def test_delete_is_refused_for_everyone(client, users, api, body):
    cid = post(client, api("discipline"), "/api/v1/complaint/", body).get_json()["id"]
    for username in ("admin", "discipline", "counter"):
        assert client.delete(f"/api/v1/complaint/{cid}", headers=api(username)).status_code in (403, 405)
    assert db.session.get(Complaint, cid) is not None


def test_list_filters_and_unknown_order_column(client, users, api, body):
    headers = api("discipline")
    post(client, headers, "/api/v1/complaint/", body)
    post(client, headers, "/api/v1/complaint/", dict(body, category="fee"))
    response = client.get("/api/v1/complaint/?q=(filters:!((col:category,opr:eq,value:fee)))", headers=headers)
    assert response.status_code == 200 and response.get_json()["count"] == 1
    assert client.get("/api/v1/complaint/?q=(order_column:complainant_phone,order_direction:asc)", headers=headers).status_code == 400
    assert client.get("/api/v1/complaint/?q=(filters:!((col:complainant_phone,opr:sw,value:139)))", headers=headers).status_code == 400


def test_anonymous_is_401(client, users):
    assert client.get("/api/v1/complaint/").status_code == 401
    assert client.post("/api/v1/complaint/", json=BODY).status_code == 401


def test_refused_filters_are_logged_without_values(client, users, api, caplog):
    import logging

    with caplog.at_level(logging.WARNING, logger="app"):
        response = client.get("/api/v1/complaint/?q=(filters:!((col:complainant_phone,opr:sw,value:139)))",
                              headers=api("discipline"))
    assert response.status_code == 400
    messages = [record.getMessage() for record in caplog.records if record.name == "app"]
    assert any("refused list query on /api/v1/complaint/" in message for message in messages)
    assert not any("139" in message for message in messages)
