"""Rulings, re-rulings and appeals over the API (api.md "Workflow")."""
from datetime import datetime

import pytest

from app.security import roles as r
from app.services import complaints as svc
from tests.conftest import present

NOW = datetime(2026, 12, 1, 10, 0)


@pytest.fixture
def replied(users, make_complaint):
    complaint = make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T09:00:00", category="fee", disputed_fee="30")
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch"}, now=NOW)
    svc.apply(users[r.COUNTER_STAFF], complaint.id, "reply", {"method": "phone", "content": "已处理。"}, now=NOW)
    return complaint


def post(client, headers, cid, name, body):
    return client.post(f"/api/v1/complaint/{cid}/transitions/{name}", headers=headers, json=body)


def test_rule_request_and_decide_reruling(client, users, api, replied):
    clerk = users[r.COUNTER_STAFF].staff_records[0].id
    body = {"result": "responsible", "category": "18.4", "verified": True, "staff_ids": [clerk], "fee_borne": 30,
            "basis": "操作错误,经核实属实。", "members": present(users[r.COMMITTEE])}
    assert post(client, api("discipline"), replied.id, "rule", body).status_code == 403
    response = post(client, api("committee"), replied.id, "rule", body)
    assert response.status_code == 200, response.get_json()
    result = response.get_json()["result"]
    assert (result["ruling_result"], result["ruling_category"], result["ruling_final"], result["reruling_status"]) == \
        ("responsible", "18.4", False, "none")
    assert post(client, api("committee"), replied.id, "rule", body).status_code == 409

    assert client.get(f"/api/v1/complaint/{replied.id}", headers=api("reruling")).status_code == 404
    response = post(client, api("counter"), replied.id, "request_reruling", {"reason": "非本人操作。"})
    assert response.status_code == 200 and response.get_json()["result"]["reruling_status"] == "requested"
    assert post(client, api("counter"), replied.id, "request_reruling", {"reason": "again"}).status_code == 409

    higher = api("reruling")
    assert [t["name"] for t in client.get(f"/api/v1/complaint/{replied.id}/transitions", headers=higher).get_json()["result"]] == ["decide_reruling"]
    response = post(client, higher, replied.id, "decide_reruling", {"result": "responsible", "category": "18.1", "basis": "复核后维持原责任认定。", "members": present(users[r.RERULING_BODY])})
    assert response.status_code == 200, response.get_json()
    result = response.get_json()["result"]
    assert result["ruling_category"] == "18.1" and result["ruling_final"] is True and result["reruling_status"] == "decided"
    names = [e["name"] for e in client.get(f"/api/v1/complaint/{replied.id}/events", headers=api("discipline")).get_json()["result"]]
    assert names[-3:] == ["rule", "request_reruling", "decide_reruling"]


def test_rule_validation_errors_name_the_field(client, users, api, replied):
    body = {"result": "responsible", "category": "19.1", "verified": True, "staff_ids": [], "basis": "柜员态度生硬,经核实属实。", "members": present(users[r.COMMITTEE])}
    response = post(client, api("committee"), replied.id, "rule", body)
    assert response.status_code == 400 and "category" in response.get_json()["message"]


def test_appeal_and_decision(client, users, api, replied, clock):
    office = api("discipline")
    response = post(client, office, replied.id, "appeal", {"applied_at": "2026-12-01", "content": "不服处理结果。"})
    assert response.status_code == 200 and response.get_json()["result"]["status"] == "appealed"
    assert post(client, api("branchhead"), replied.id, "decide_appeal", {"decision": "changed", "content": "x"}).status_code == 403
    response = post(client, office, replied.id, "decide_appeal", {"decision": "changed", "content": "改变原决定,退还费用。"})
    assert response.status_code == 200 and response.get_json()["result"]["status"] == "replied"


def test_appeal_after_fifteen_days_is_400(client, users, api, make_complaint, clock):
    complaint = make_complaint(users[r.COUNTER_STAFF], received_at="2026-10-01T09:00:00")
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch"}, now=datetime(2026, 10, 2))
    svc.apply(users[r.COUNTER_STAFF], complaint.id, "reply", {"method": "phone", "content": "x"}, now=datetime(2026, 10, 9))
    # 10-09 + 15 = 10-24, a Saturday: the window runs to Monday 10-26 (that day included), so 10-27 is late.
    response = post(client, api("discipline"), complaint.id, "appeal", {"applied_at": "2026-10-27", "content": "x"})
    assert response.status_code == 400 and "applied_at" in response.get_json()["message"]
    assert "2026-10-26" in response.get_json()["message"]["applied_at"][0]
