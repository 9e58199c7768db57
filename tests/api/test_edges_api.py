"""Rules at the edges through the API and the pages (issue 17): identity in every answer is logged,
masked viewers cannot write identity, dates and offsets, the appeal decision deadline, edit history
on the timeline. Each test failed on the code before issue 17."""
from datetime import datetime

import pytest

from app.extensions import db
from app.models.audit import PiiAccess
from app.models.complaint import Complaint
from app.security import roles as r
from app.services import complaints as svc

NOW = datetime(2026, 12, 1, 10, 0)
BODY = {
    "channel": "phone",
    "complainant_name": "王五",
    "complainant_phone": "13912345678",
    "complainant_id_number": "330102198001191234",
    "complainant_address": "演示县人民路1号",
    "category": "attitude",
    "facts": "柜员拒绝办理业务。",
}


@pytest.fixture
def body(org):
    return dict(BODY, branch_id=org["a1"].id)


def logged(user):
    return [(row.channel, row.complaint_id) for row in db.session.query(PiiAccess).filter_by(user_id=user.id).order_by(PiiAccess.id)]


# --- 8. every answer carrying full identity is logged --------------------------------------------------

def test_register_edit_and_transition_answers_with_identity_are_logged(client, users, api, body):
    clerk = api("counter")
    response = client.post("/api/v1/complaint/", headers=clerk, json=body)
    assert response.status_code == 201 and response.get_json()["result"]["complainant_phone"] == "13912345678"
    cid = response.get_json()["id"]
    assert logged(users[r.COUNTER_STAFF]) == [("api", cid)]
    version = response.get_json()["result"]["version"]
    # A PUT that changes nothing still answers with the full identity: logged.
    response = client.put(f"/api/v1/complaint/{cid}", headers=clerk, json={"version": version})
    assert response.status_code == 200 and response.get_json()["result"]["complainant_id_number"] == BODY["complainant_id_number"]
    assert len(logged(users[r.COUNTER_STAFF])) == 2
    office = api("discipline")
    response = client.post(f"/api/v1/complaint/{cid}/transitions/accept", headers=office, json={"level": "branch"})
    assert response.status_code == 200 and response.get_json()["result"]["complainant_name"] == "王五"
    assert logged(users[r.DISCIPLINE_OFFICE]) == [("api", cid)]


def test_masked_answers_are_not_logged(client, users, api, make_complaint):
    complaint = make_complaint(users[r.COUNTER_STAFF])
    response = client.get(f"/api/v1/complaint/{complaint.id}", headers=api("committee"))
    assert response.get_json()["result"]["complainant_phone"] == "138****5678"
    assert logged(users[r.COMMITTEE]) == []


def test_a_viewer_who_sees_identity_masked_cannot_write_it(client, users, api, make_complaint, org):
    complaint = make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T09:00:00")
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch"}, now=NOW)
    head = users[r.BRANCH_HEAD].staff_records[0]
    svc.apply(users[r.COUNTER_STAFF], complaint.id, "transfer", {"to_unit_id": org["a1"].id, "to_staff_id": head.id,
                                                                 "reason": "转交负责人"}, now=NOW)
    clerk = api("counter")  # registered it (may edit), no longer handles it: sees identity masked
    shown = client.get(f"/api/v1/complaint/{complaint.id}", headers=clerk).get_json()["result"]
    assert shown["complainant_phone"] == "138****5678"
    response = client.put(f"/api/v1/complaint/{complaint.id}", headers=clerk,
                          json={"version": shown["version"], "complainant_phone": "13000000000"})
    assert response.status_code == 400
    assert "complainant_phone" in response.get_json()["message"]
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).complainant_phone == "13812345678"
    # The descriptive fields stay editable for it.
    response = client.put(f"/api/v1/complaint/{complaint.id}", headers=clerk,
                          json={"version": shown["version"], "customer_request": "要求道歉"})
    assert response.status_code == 200


# --- 12. dates and times through the API -----------------------------------------------------------------

def test_offsets_are_accepted_and_answers_are_beijing_time(client, users, api, body, clock):
    clock["now"] = datetime(2026, 12, 1, 18, 0)
    response = client.post("/api/v1/complaint/", headers=api("counter"), json=dict(body, received_at="2026-12-01T01:30:00Z"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["result"]["received_at"] == "2026-12-01T09:30:00"


@pytest.mark.parametrize("value", ["1999-12-31T09:00:00", "9999-12-31T00:00:00", "0001-01-01T00:00:00+14:00"])
def test_received_at_out_of_range_is_a_chinese_400(client, users, api, body, value):
    response = client.post("/api/v1/complaint/", headers=api("counter"), json=dict(body, received_at=value))
    assert response.status_code == 400
    message = response.get_json()["message"]["received_at"][0]
    assert any("\u4e00" <= char <= "\u9fff" for char in message)


# --- 3. the appeal decision deadline in the API and on the case page ----------------------------------

def test_appeal_decision_deadline_in_the_api_and_on_the_page(client, users, api, login, make_complaint):
    complaint = make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T09:00:00")
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch"}, now=NOW)
    svc.apply(users[r.COUNTER_STAFF], complaint.id, "reply", {"method": "phone", "content": "答复。"}, now=NOW)
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "appeal", {"applied_at": "2026-12-01", "content": "不服"}, now=NOW)
    result = client.get(f"/api/v1/complaint/{complaint.id}", headers=api("discipline")).get_json()["result"]
    assert result["appeal_decision_due_date"] == "2027-01-12" and result["appeal_decision_due_provisional"] is True
    assert result["appeal_unit_id"] is not None and result["deciding_unit_id"] is not None
    login("discipline")
    page = client.get(f"/complaints/show/{complaint.id}").get_data(as_text=True)
    decision_due = page.split('class="appeal-decision-due"')[1].split("</td>")[0]
    assert "2027-01-12" in decision_due and "临时" in decision_due
    assert "含当日" in page


# --- 7. the timeline shows what an edit changed, identity masked per viewer ---------------------------

def test_the_timeline_shows_old_and_new_values_masked_per_viewer(app, client, users, api, login, make_complaint):
    complaint = make_complaint(users[r.COUNTER_STAFF])
    svc.edit(users[r.COUNTER_STAFF], complaint.id, {"version": complaint.version, "facts": "更正后的事实。",
                                                     "complainant_phone": "13900001111"})
    full = client.get(f"/api/v1/complaint/{complaint.id}/events", headers=api("discipline")).get_json()["result"]
    changes = {c["field"]: (c["old"], c["new"]) for c in full[-1]["changes"]}
    assert changes == {"facts": ("柜员态度恶劣,拒绝解释手续费。", "更正后的事实。"),
                       "complainant_phone": ("13812345678", "13900001111")}
    assert ("api", complaint.id) in logged(users[r.DISCIPLINE_OFFICE])
    masked = client.get(f"/api/v1/complaint/{complaint.id}/events", headers=api("committee")).get_json()["result"]
    changes = {c["field"]: (c["old"], c["new"]) for c in masked[-1]["changes"]}
    assert changes["complainant_phone"] == ("138****5678", "139****1111")
    login("committee")
    page = client.get(f"/complaints/show/{complaint.id}").get_data(as_text=True)
    assert "更正后的事实。" in page and "柜员态度恶劣,拒绝解释手续费。" in page
    assert "139****1111" in page and "13900001111" not in page and "13812345678" not in page
