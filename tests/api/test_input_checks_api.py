"""The API checks input as the pages do (400, Chinese messages): phone numbers, ID numbers, dates
before RECEIVED_AT_FLOOR in every transition, grounds too short, staff outside the chosen unit, and
what only the discipline office may choose."""
from datetime import datetime

import pytest

from app.extensions import db
from app.models.complaint import Complaint
from app.security import roles as r
from app.services import complaints as svc

NOW = datetime(2026, 12, 1, 10, 0)
BODY = {"channel": "phone", "complainant_name": "王五", "category": "attitude", "facts": "柜员拒绝办理业务。"}


@pytest.fixture
def body(org, users):
    return dict(BODY, branch_id=org["a1"].id)


@pytest.mark.parametrize("username", ["counter", "branchhead", "discipline"])
def test_register_refuses_a_bad_phone_and_id_number(client, api, body, username):
    response = client.post("/api/v1/complaint/", headers=api(username), json={
        **body, "complainant_phone": "0571-1234", "complainant_id_number": "330102199001011235"})
    assert response.status_code == 400
    message = response.get_json()["message"]
    assert set(message) == {"complainant_phone", "complainant_id_number"}
    assert message["complainant_id_number"] == ["校验码(最后一位)不符,请对照身份证核对号码。"]
    assert db.session.query(Complaint).count() == 0


def test_register_keeps_a_mobile_number_as_its_digits(client, api, body):
    response = client.post("/api/v1/complaint/", headers=api("discipline"), json={
        **body, "complainant_phone": "+86 139-1234-5678", "complainant_id_number": "11010519491231002x"})
    assert response.status_code == 201, response.get_json()
    result = response.get_json()["result"]
    assert result["complainant_phone"] == "13912345678" and result["complainant_id_number"] == "11010519491231002X"


def test_edit_refuses_a_bad_phone(client, api, body):
    created = client.post("/api/v1/complaint/", headers=api("discipline"), json=body).get_json()
    response = client.put(f"/api/v1/complaint/{created['id']}", headers=api("discipline"),
                          json={"version": created["result"]["version"], "complainant_phone": "12345"})
    assert response.status_code == 400 and list(response.get_json()["message"]) == ["complainant_phone"]


# (transition, role, state the case needs, body with a date before the floor, the field)
BEFORE_FLOOR = [
    ("request_extension", "counter", "processing",
     {"reason": "需调取监控。", "customer_informed_at": "1999-12-31T10:00:00", "customer_informed_by": "phone",
      "report": "延期报告。", "requested_due_date": "2026-12-28"}, "customer_informed_at"),
    ("reply", "counter", "processing", {"method": "phone", "content": "已致歉。", "replied_at": "1999-06-01T10:00:00"},
     "replied_at"),
    ("appeal", "discipline", "replied", {"applied_at": "1999-12-31", "content": "不服。"}, "applied_at"),
    ("follow_up", "discipline", "closed", {"visited_at": "1999-12-31", "method": "phone", "satisfied": True},
     "visited_at"),
    ("record_receipt", "counter", "letter", {"customer_received_on": "1999-12-31"}, "customer_received_on"),
]


@pytest.fixture
def states(users, make_complaint, clock):
    office, counter = users[r.DISCIPLINE_OFFICE], users[r.COUNTER_STAFF]
    clerk = counter.staff_records[0]
    made = {}
    for state in ("processing", "replied", "closed", "letter"):
        made[state] = make_complaint(counter, received_at="2026-11-30T09:00:00")
        svc.apply(office, made[state].id, "accept", {"level": "branch", "handler_id": clerk.id}, now=NOW)
    for state in ("replied", "closed"):
        svc.apply(counter, made[state].id, "reply", {"method": "phone", "content": "已致歉。"}, now=NOW)
    svc.apply(counter, made["letter"].id, "reply", {"method": "letter", "content": "已致歉。"}, now=NOW)
    svc.apply(counter, made["closed"].id, "close", {}, now=NOW)
    return made


@pytest.mark.parametrize("name, username, state, payload, field", BEFORE_FLOOR, ids=[b[0] for b in BEFORE_FLOOR])
def test_no_date_of_a_transition_lies_before_the_floor(client, api, states, name, username, state, payload, field):
    case = states[state]
    response = client.post(f"/api/v1/complaint/{case.id}/transitions/{name}", headers=api(username), json=payload)
    assert response.status_code == 400
    assert response.get_json()["message"] == {field: ["不能早于2000-01-01。"]}


def test_the_floor_is_the_configured_one(app, client, api, body):
    app.config["RECEIVED_AT_FLOOR"] = "2026-01-01"
    response = client.post("/api/v1/complaint/", headers=api("discipline"), json={**body, "received_at": "2025-12-31T09:00:00"})
    assert response.status_code == 400
    assert response.get_json()["message"] == {"received_at": ["不能早于2026-01-01。"]}


def test_a_staff_member_must_belong_to_the_chosen_unit(client, api, states, org, users):
    case = states["processing"]
    response = client.post(f"/api/v1/complaint/{case.id}/transitions/transfer", headers=api("discipline"), json={
        "to_unit_id": org["a2"].id, "to_staff_id": users[r.BRANCH_HEAD].staff_records[0].id, "reason": "转甲二分社。"})
    assert response.status_code == 400 and list(response.get_json()["message"]) == ["to_staff_id"]


def test_only_the_office_sends_a_case_beyond_the_county(client, api, states, factory, org):
    city = factory.unit("市联社", "union", code="SL")
    org["union"].parent = city
    db.session.commit()
    case = states["processing"]
    answer = client.post(f"/api/v1/complaint/{case.id}/transitions/transfer", headers=api("branchhead"),
                         json={"to_unit_id": city.id, "reason": "上交市联社。"})
    assert answer.status_code == 400 and list(answer.get_json()["message"]) == ["to_unit_id"]
    answer = client.post(f"/api/v1/complaint/{case.id}/transitions/transfer", headers=api("branchhead"),
                         json={"to_unit_id": org["office"].id, "reason": "上交联社。"})
    assert answer.status_code == 200 and answer.get_json()["result"]["level"] == "union"
