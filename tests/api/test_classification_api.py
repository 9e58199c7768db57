"""JR/T 0169 over the API (issue 23): the complaint resource carries the codes with their names, the
classify transition answers as api.md's transitions do (400 per field in Chinese, 403, 404, 409),
the code table is listed, and the quarterly report answers JSON and a workbook per role."""
from io import BytesIO

import pytest
from openpyxl import load_workbook

from app.security import roles as r
from tests import report_data as rd

BODY = {"channel_code": "A010303", "business_code": "B03", "reason_code": "C02"}
REPORT = "/api/v1/report/regulatory"


def classify(client, headers, case, body):
    return client.post(f"/api/v1/complaint/{case.id}/transitions/classify", json=body, headers=headers)


def test_the_resource_shows_the_codes_with_their_names(client, api, cases):
    case = cases["processing"]
    got = client.get(f"/api/v1/complaint/{case.id}", headers=api("discipline")).json["result"]
    assert got["classification"] == {"channel": {"code": "A0101", "name": "营业现场"},
                                      "business": {"code": "B04", "name": "支付结算类"},
                                      "reason": {"code": "C03", "name": "管理制度、业务规则与流程"},
                                      "confirmed": False}
    listed = client.get("/api/v1/complaint/?q=(page_size:100)", headers=api("leader")).json["result"]
    assert {row["id"]: row["classification"]["channel"]["code"] for row in listed}[case.id] == "A0101"


def test_classify_answers_the_confirmed_complaint(client, api, cases):
    case = cases["processing"]
    response = classify(client, api("counter"), case, {**BODY, "version": case.version})
    assert response.status_code == 200, response.json
    assert response.json["result"]["classification"] == {
        "channel": {"code": "A010303", "name": "移动客户端"}, "business": {"code": "B03", "name": "银行卡类"},
        "reason": {"code": "C02", "name": "服务设施、设备、业务系统"}, "confirmed": True}
    events = client.get(f"/api/v1/complaint/{case.id}/events", headers=api("counter")).json["result"]
    assert events[-1]["name"] == "classify"
    assert classify(client, api("counter"), case, BODY).status_code == 409  # the same codes again
    names = [item["name"] for item in client.get(f"/api/v1/complaint/{case.id}/transitions",
                                                 headers=api("branchhead")).json["result"]]
    assert "classify" in names


def test_a_bad_code_is_400_per_field_in_chinese(client, api, cases):
    case = cases["processing"]
    response = classify(client, api("discipline"), case, {**BODY, "channel_code": "B01", "reason_code": "A0101"})
    assert response.status_code == 400
    assert response.json["message"] == {"channel_code": ["B01 不是本维度的代码。"],
                                        "reason_code": ["A0101 不是本维度的代码。"]}
    response = classify(client, api("discipline"), case, {"channel_code": 5, "business_code": "B01",
                                                          "reason_code": "C01", "status": "closed"})
    assert response.status_code == 400 and set(response.json["message"]) == {"channel_code", "status"}
    got = client.get(f"/api/v1/complaint/{case.id}", headers=api("discipline")).json["result"]
    assert got["classification"]["confirmed"] is False and got["version"] == case.version


@pytest.mark.parametrize("user, status", [("committee", 403), ("leader", 403), ("admin", 403), ("reruling", 404)])
def test_others_may_not(client, api, cases, user, status):
    assert classify(client, api(user), cases["processing"], BODY).status_code == status


def test_a_registered_case_is_409(client, api, cases):
    assert classify(client, api("discipline"), cases["registered"], BODY).status_code == 409


def test_the_code_table_is_listed(client, api, cases):
    response = client.get("/api/v1/complaint/classification_codes", headers=api("counter"))
    assert response.status_code == 200
    table = {row["code"]: row for row in response.json["result"]}
    assert list(table)[:4] == ["A01", "A0101", "A0102", "A0103"]
    assert table["A010301"]["parent"] == "A0103" and table["A010301"]["selectable"] is True
    assert table["A0103"]["selectable"] is False and table["A0103"]["in_force"] is True
    assert client.get("/api/v1/complaint/classification_codes").status_code == 401


# --- the quarterly report ------------------------------------------------------------------------------

@pytest.fixture
def quarter(app, users, factory, org, make_complaint, clock, built_once):
    clock["now"] = rd.TODAY
    return built_once("quarter", lambda: rd.build_quarter(users, factory, org, make_complaint), factory)


@pytest.mark.parametrize("user, status, counted", [
    ("discipline", 200, 10), ("leader", 200, 10), ("admin", 200, 10), ("branchhead", 200, 6),
    ("committee", 403, None), ("counter", 403, None), ("reruling", 403, None),
])
def test_the_report_per_role(client, api, quarter, user, status, counted):
    response = client.get(REPORT, query_string={"quarter": "2026-Q4"}, headers=api(user))
    assert response.status_code == status
    if counted is not None:
        result = response.json["result"]
        assert result["counted"] == counted and result["quarter"] == "2026-Q4"
        assert "张三丰" not in response.get_data(as_text=True)
    assert client.get(f"{REPORT}/export", query_string={"quarter": "2026-Q4"},
                      headers=api(user)).status_code == status


def test_the_report_answers_the_hand_counts(client, api, quarter):
    result = client.get(REPORT, query_string={"quarter": "2026-Q4"}, headers=api("discipline")).json["result"]
    assert (result["confirmed"], result["unconfirmed"], result["unclassified"]) == (4, 6, 1)
    assert result["left_out"] == {"duplicates": 1, "rejected": 1}
    assert result["handling"]["within_10"] == 1 and result["handling"]["overdue"] == 4
    a01 = next(row for row in result["dimensions"]["A"]["rows"] if row["code"] == "A01")
    assert (a01["count"], a01["confirmed"], a01["subtotal"]) == (9, 4, True)
    assert len(result["combinations"]) == 6


@pytest.mark.parametrize("query, field", [
    ({"quarter": "2026-Q9"}, "quarter"), ({"quarter": "1800-Q1"}, "quarter"), ({"quarter": "2026-Q4", "unit_id": "x"},
                                                                                "unit_id"),
])
def test_bad_input_is_400_per_field(client, api, quarter, query, field):
    for url in (REPORT, f"{REPORT}/export"):
        response = client.get(url, query_string=query, headers=api("discipline"))
        assert response.status_code == 400
        assert list(response.json["message"]) == [field]
    response = client.get(REPORT, query_string={"quarter": "2026-Q9"}, headers=api("discipline"))
    assert response.json["message"]["quarter"] == ["请按“年份-Q季度”填写季度,例如 2026-Q3。"]


def test_a_unit_outside_the_scope_is_404(client, api, quarter, org):
    response = client.get(REPORT, query_string={"quarter": "2026-Q4", "unit_id": org["b1"].id},
                          headers=api("branchhead"))
    assert response.status_code == 404


def test_the_workbook_over_the_api(client, api, quarter):
    response = client.get(f"{REPORT}/export", query_string={"quarter": "2026-Q4"}, headers=api("leader"))
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.data))
    cube = list(book.worksheets[1].iter_rows(values_only=True))
    assert ("A0104", "第三方渠道", "B02", "贷款类", "C04", "营销方式", 1, 1) in cube


def test_the_openapi_document_describes_them(client, api, users):
    document = client.get("/api/v1/_openapi", headers=api("discipline")).json
    paths = document["paths"]
    assert "/api/v1/complaint/{pk}/transitions/classify" in paths
    body = document["components"]["schemas"]["ComplaintApi.transition.classify"]
    assert set(body["properties"]) == {"channel_code", "business_code", "reason_code", "version"}
    assert set(body["required"]) == {"channel_code", "business_code", "reason_code"}
    assert "/api/v1/report/regulatory" in paths and "/api/v1/report/regulatory/export" in paths
    answer = paths["/api/v1/report/regulatory"]["get"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"]["properties"]["result"]["$ref"].endswith(
        "ReportApi.regulatory")
    assert "combinations" in document["components"]["schemas"]["ReportApi.regulatory"]["properties"]
    assert "/api/v1/complaint/classification_codes" in paths
