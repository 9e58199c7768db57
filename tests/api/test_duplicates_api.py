"""Duplicates over the API (issue 23): the generic transitions endpoint takes mark_duplicate and
unmark_duplicate with api.md's answers, and the complaint resource shows ``duplicate_of``."""
import pytest

from app.security import roles as r

REASON = "同一客户就同一事项再次来电投诉。"


def post(client, headers, path, json):
    return client.post(path, json=json, headers=headers)


def url(case, name):
    return f"/api/v1/complaint/{case.id}/transitions/{name}"


def test_mark_and_undo_answer_the_complaint_with_its_link(client, api, cases):
    office = api("discipline")
    case, original = cases["processing"], cases["closed"]
    response = post(client, office, url(case, "mark_duplicate"), {"original_number": original.number,
                                                                   "reason": REASON, "version": case.version})
    assert response.status_code == 200, response.json
    result = response.json["result"]
    assert result["status"] == "closed"
    assert result["duplicate_of"] == {"id": original.id, "number": original.number}
    listed = client.get("/api/v1/complaint/?q=(page_size:100)", headers=office).json["result"]
    assert {row["id"]: row["duplicate_of"] for row in listed}[case.id]["number"] == original.number
    names = [item["name"] for item in client.get(f"/api/v1/complaint/{case.id}/transitions", headers=office).json["result"]]
    assert names == ["unmark_duplicate"]
    events = client.get(f"/api/v1/complaint/{original.id}/events", headers=office).json["result"]
    assert events[-1]["name"] == "duplicate_added"

    response = post(client, office, url(case, "unmark_duplicate"), {"reason": "经核实并非同一事项。"})
    assert response.status_code == 200, response.json
    assert response.json["result"]["status"] == "processing" and response.json["result"]["duplicate_of"] is None


@pytest.mark.parametrize("number", ["TS20990101-0001", "not a number", None])
def test_a_bad_original_is_400_naming_the_field(client, api, cases, number):
    case = cases["processing"]
    body = {"reason": REASON} if number is None else {"original_number": number, "reason": REASON}
    response = post(client, api("discipline"), url(case, "mark_duplicate"), body)
    assert response.status_code == 400
    assert list(response.json["message"]) == ["original_number"]


def test_own_case_and_a_missing_reason_are_400_per_field(client, api, cases):
    case = cases["processing"]
    response = post(client, api("discipline"), url(case, "mark_duplicate"), {"original_number": case.number,
                                                                               "reason": REASON})
    assert response.status_code == 400 and list(response.json["message"]) == ["original_number"]
    assert "不能" in response.json["message"]["original_number"][0]
    response = post(client, api("discipline"), url(case, "mark_duplicate"), {"original_number": cases["closed"].number})
    assert response.status_code == 400 and list(response.json["message"]) == ["reason"]


@pytest.mark.parametrize("user", ["branchhead", "counter", "committee", "leader", "admin"])
def test_other_roles_get_403(client, api, cases, user):
    response = post(client, api(user), url(cases["processing"], "mark_duplicate"),
                    {"original_number": cases["closed"].number, "reason": REASON})
    assert response.status_code == 403


def test_a_stale_version_and_a_wrong_state_are_409(client, api, cases):
    office = api("discipline")
    case = cases["processing"]
    body = {"original_number": cases["closed"].number, "reason": REASON}
    assert post(client, office, url(case, "mark_duplicate"), {**body, "version": case.version - 1}).status_code == 409
    assert post(client, office, url(cases["appealed"], "mark_duplicate"), body).status_code == 409
    assert post(client, office, url(case, "unmark_duplicate"), {"reason": REASON}).status_code == 409


def test_the_openapi_document_describes_both_bodies(client, api, users):
    document = client.get("/api/v1/_openapi", headers=api("discipline")).json
    paths = document["paths"]
    assert "/api/v1/complaint/{pk}/transitions/mark_duplicate" in paths
    assert "/api/v1/complaint/{pk}/transitions/unmark_duplicate" in paths
