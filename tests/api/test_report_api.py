"""/api/v1/report/summary and /export per role (issue 7, api.md "Reports"): hand counts, scope,
masking, formula injection, bad periods, constant statement count."""
from datetime import datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook

from app.reports.key_figures import figure_rows
from app.security import roles as r
from tests import report_data as rd
from tests.conftest import count_queries
from tests.conftest import present

SUMMARY = "/api/v1/report/summary"
EXPORT = "/api/v1/report/export"


@pytest.fixture
def cases(users, factory, org, make_complaint, clock, built_once):
    built = built_once("report data", lambda: rd.build(users, factory, org, make_complaint), factory)
    clock["now"] = rd.TODAY
    return built


@pytest.fixture
def staff_names(users, cases):
    return {users[r.COUNTER_STAFF].staff_records[0].id: "counter", cases["counter2"].staff_records[0].id: "counter2"}


def get_summary(client, api, username, **args):
    return client.get(SUMMARY, query_string={**rd.PERIOD, **args}, headers=api(username))


def workbook(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(BytesIO(response.data))


def cells(sheet):
    return [value for row in sheet.iter_rows(values_only=True) for value in row if value is not None]


@pytest.mark.parametrize("username, expected", [("discipline", rd.ALL), ("leader", rd.ALL), ("committee", rd.ALL),
                                                ("branchhead", rd.BRANCH_A1)])
def test_summary_equals_the_hand_count(client, api, cases, staff_names, username, expected):
    response = get_summary(client, api, username)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"result"}
    rd.check_summary(body["result"], expected, staff_names)


@pytest.mark.parametrize("username, status", [("counter", 403), ("reruling", 403)])
def test_roles_without_reports_are_refused(client, api, users, username, status):
    assert get_summary(client, api, username).status_code == status
    assert client.get(EXPORT, query_string=rd.PERIOD, headers=api(username)).status_code == status


def test_anonymous_is_401(client, users):
    assert client.get(SUMMARY, query_string=rd.PERIOD).status_code == 401


def test_unit_outside_the_scope_is_404(client, api, cases, org):
    for unit in ("b1", "coop_a"):
        response = get_summary(client, api, "branchhead", unit_id=org[unit].id)
        assert response.status_code == 404 and "message" in response.get_json()
        assert client.get(EXPORT, query_string={**rd.PERIOD, "unit_id": org[unit].id},
                          headers=api("branchhead")).status_code == 404
    assert get_summary(client, api, "discipline", unit_id=org["coop_a"].id).get_json()["result"]["received"] == 8


@pytest.mark.parametrize("args, field", [
    ({"start": "2026-02-30"}, "start"),
    ({"end": "tomorrow"}, "end"),
    ({"start": "2026-11-30", "end": "2026-11-01"}, "end"),
    ({"start": "2019-01-01", "end": "2026-11-30"}, "end"),
    ({"unit_id": "1;drop"}, "unit_id"),
    ({"start": "9999-01-01"}, "start"),
    ({"start": "9999-01-01", "end": "9999-12-31"}, "end"),
    ({"end": "2101-01-01"}, "end"),
])
def test_bad_periods_answer_400_with_a_field_message(client, api, users, args, field):
    for url in (SUMMARY, EXPORT):
        response = client.get(url, query_string={**rd.PERIOD, **args}, headers=api("discipline"))
        assert response.status_code == 400
        message = response.get_json()["message"]
        assert list(message) == [field] and message[field][0]


def test_export_holds_the_same_figures(app, client, api, cases):
    data = get_summary(client, api, "discipline").get_json()["result"]
    book = workbook(client.get(EXPORT, query_string=rd.PERIOD, headers=api("discipline")))
    assert len(book.worksheets) == 4  # summary, assessment by branch and by staff, case list
    summary = book.worksheets[0]
    pairs = {}
    for row in summary.iter_rows(values_only=True):  # the key figures come first
        if row and len(row) > 1:
            pairs.setdefault(row[0], row[1])
    with app.test_request_context():
        expected = figure_rows(data)
    for label, value, kind in expected:
        assert pairs[label] == value, label
    branch_rows = [row for row in summary.iter_rows(values_only=True) if row and row[0] in ("甲一分社", "甲二分社", "乙一分社")]
    assert {row[0]: row[1] for row in branch_rows} == rd.ALL["by_branch"]
    by_branch = book.worksheets[1]
    points = {row[1]: row[-1] for row in by_branch.iter_rows(values_only=True)
              if row and len(row) > 1 and row[1] in rd.ASSESSMENT_BRANCHES}
    assert points == rd.ASSESSMENT_BRANCHES
    people = book.worksheets[2]
    assert {row[0]: row[-1] for row in people.iter_rows(values_only=True) if row and row[0] == "钱二"} == {"钱二": -2.0}
    case_list = book.worksheets[3]
    rows = list(case_list.iter_rows(values_only=True))
    assert len(rows) == 1 + rd.ALL["received"]
    assert {row[0] for row in rows[1:]} == {cases[f"c{n}"].number for n in (1, 2, 3, 4, 5, 6, 7, 8, 10)}


def test_export_neutralises_formulas(client, api, cases):
    book = workbook(client.get(EXPORT, query_string=rd.PERIOD, headers=api("discipline")))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    rows = list(book.worksheets[-1].iter_rows(values_only=True))
    c10 = next(row for row in rows if row[0] == cases["c10"].number)
    assert c10[3] == "'=cmd|' /C calc'!A0" and c10[4] == "'=HYPERLINK(\"http://evil\")"


def test_export_masks_identity_for_leadership(client, api, cases):
    book = workbook(client.get(EXPORT, query_string=rd.PERIOD, headers=api("leader")))
    rows = list(book.worksheets[-1].iter_rows(values_only=True))[1:]
    phones = {row[4] for row in rows}
    assert "13900000001" not in phones and "139****0001" in phones
    assert all(row[3].endswith("*") or row[3].startswith("'=") for row in rows)
    assert "张三丰" not in cells(book.worksheets[-1])


def test_export_shows_identity_to_the_discipline_office(client, api, cases):
    rows = list(workbook(client.get(EXPORT, query_string=rd.PERIOD, headers=api("discipline"))).worksheets[-1]
                .iter_rows(values_only=True))[1:]
    assert "13900000001" in {row[4] for row in rows} and "张三丰" in {row[3] for row in rows}


def test_branch_head_export_is_its_branch_without_assessment(client, api, cases, org):
    book = workbook(client.get(EXPORT, query_string=rd.PERIOD, headers=api("branchhead")))
    assert len(book.worksheets) == 2  # no assessment for branch heads
    rows = list(book.worksheets[-1].iter_rows(values_only=True))[1:]
    assert len(rows) == rd.BRANCH_A1["received"]
    assert {row[5] for row in rows} == {"甲一分社"}


def test_committee_reads_but_does_not_export(client, api, cases):
    assert get_summary(client, api, "committee").status_code == 200
    assert client.get(EXPORT, query_string=rd.PERIOD, headers=api("committee")).status_code == 403


def more_case(users, factory, org, make_complaint, n):
    """One more case of every kind of data: a new branch, staff member, month, ruling, repeat phone."""
    from app.services import complaints as svc

    branch = factory.unit(f"丙{n}分社", "branch", org["coop_b"])
    clerk = factory.user(r.COUNTER_STAFF, f"clerk{n}", branch, "counter_staff")
    received = datetime(2026, 9 + n % 3, 2 + n, 9, 0)
    case = make_complaint(clerk, now=received, received_at=received.isoformat(), branch_id=branch.id,
                          channel=("hotline", "box", "book")[n % 3], category="fee", disputed_fee="30.00",
                          complainant_phone=f"1370000{n % 2:04d}")
    svc.apply(users[r.DISCIPLINE_OFFICE], case.id, "accept", {"level": "branch"}, now=received)
    svc.apply(clerk, case.id, "reply", {"method": "phone", "content": "已处理。"},
              now=received.replace(day=received.day + 1))
    svc.apply(users[r.COMMITTEE], case.id, "rule", {
        "result": "responsible", "category": "18.4", "verified": True, "staff_ids": [clerk.staff_records[0].id],
        "fee_borne": "30.00", "basis": "柜员操作错误,经核实属实。", "members": present(users[r.COMMITTEE])}, now=received.replace(day=received.day + 2))


def test_summary_statement_count_is_constant(client, api, users, factory, org, make_complaint, clock):
    args = {"start": "2026-01-01", "end": "2026-11-30"}
    headers = api("discipline")
    more_case(users, factory, org, make_complaint, 0)
    clock["now"] = rd.TODAY
    client.get(SUMMARY, query_string=args, headers=headers)
    with count_queries() as small:
        assert client.get(SUMMARY, query_string=args, headers=headers).status_code == 200
    for n in range(1, 6):
        more_case(users, factory, org, make_complaint, n)
    with count_queries() as large:
        response = client.get(SUMMARY, query_string=args, headers=headers)
    assert response.status_code == 200 and response.get_json()["result"]["received"] == 6
    assert large.count == small.count, (small.count, large.count)
    print(f"summary API: {small.count} statements")


def test_report_dates_take_a_date_time_as_its_beijing_date(client, api, cases):
    """api.md "Additions": a date parameter takes a date-time too (its Beijing date)."""
    plain = get_summary(client, api, "discipline").get_json()["result"]
    response = client.get(SUMMARY, query_string={"start": "2026-10-31T16:00:00Z", "end": "2026-11-30T23:59:59+08:00"},
                          headers=api("discipline"))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"]["received"] == plain["received"]
