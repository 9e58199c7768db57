"""The quarterly regulatory report of JR/T 0169 (issue 23) against hand counts: the report tests'
fixed data set (tests/report_data.py, 2026-Q4, "today" 2026-12-01) with classifications confirmed and
corrected on some cases, a duplicate, and a case registered after its suggested channel code ended.

| case | branch | codes (A, B, C)              | confirmed | handling (§12)                          |
|------|--------|------------------------------|-----------|-----------------------------------------|
| c1   | a1     | A0102 B03 C01 (corrected)    | yes       | replied in 3 wd, on time                |
| c2   | a1     | A0101 B04 C03 (suggested)    | no        | replied in 13 wd, overdue               |
| c3   | a1     | A010303 B03 C02 (corrected)  | yes       | replied in 17 wd, overdue, extended     |
| c4   | a1     | A0101 B01 C01 (as suggested) | yes       | replied in 13 wd, on time, extended     |
| c5   | b1     | A0104 B02 C04 (corrected)    | yes       | processing, overdue                     |
| c6   | a1     | —                            | —         | rejected: left out                      |
| c7   | a2     | A0101 B01 C01                | no        | registered                              |
| c8   | a1     | A0101 B01 C01                | no        | processing, due 12-02                   |
| c9   | b1     | A0101 B01 C01                | no        | received 10-15, processing, overdue     |
| c10  | a2     | A0101 B99 C99                | no        | registered                              |
| c11  | a2     | (duplicate of c7)            | —         | left out                                |
| c12  | a1     | — B04 C03 (A0101 ended 11-26)| no        | registered 11-27: unclassified          |
"""
from datetime import datetime

import pytest

from app.errors import NotFound, ValidationFailed
from app.reports import regulatory
from app.reports.period import parse_quarter, previous_quarter
from app.security import roles as r
from app.services import classification
from tests import report_data as rd

TODAY = rd.TODAY.date()


@pytest.fixture
def data(app, users, factory, org, make_complaint, built_once):
    return built_once("quarter", lambda: rd.build_quarter(users, factory, org, make_complaint), factory)


def report(user, quarter="2026-Q4", **args):
    return regulatory.quarterly(user, parse_quarter(user, {"quarter": quarter, **args}, TODAY), TODAY)


def rows(table):
    return {row["code"]: (row["count"], row["confirmed"]) for row in table["rows"]}


def test_the_office_sees_every_case_of_the_quarter(data, users):
    got = report(users[r.DISCIPLINE_OFFICE])
    assert (got["quarter"], got["period"]["start"], got["period"]["end"]) == ("2026-Q4", "2026-10-01", "2026-12-31")
    assert (got["counted"], got["confirmed"], got["unconfirmed"], got["unclassified"]) == (10, 4, 6, 1)
    assert got["left_out"] == {"duplicates": 1, "rejected": 1}

    a = got["dimensions"]["A"]
    assert rows(a) == {
        "A01": (9, 4), "A0101": (6, 1), "A0102": (1, 1), "A0103": (1, 1), "A010301": (0, 0), "A010302": (0, 0),
        "A010303": (1, 1), "A010304": (0, 0), "A010305": (0, 0), "A010399": (0, 0), "A0104": (1, 1),
        "A0199": (0, 0), "A02": (0, 0)}
    assert (a["total"], a["unclassified"]) == (9, 1)
    assert [row["code"] for row in a["rows"] if row["subtotal"]] == ["A01", "A0103"]
    assert {row["code"]: row["depth"] for row in a["rows"]}["A010303"] == 2
    assert {row["code"]: row["own"] for row in a["rows"]}["A01"] == 0
    assert rows(got["dimensions"]["B"]) == {"B01": (4, 1), "B02": (1, 1), "B03": (2, 2), "B04": (2, 0),
                                           "B05": (0, 0), "B06": (0, 0), "B99": (1, 0)}
    assert rows(got["dimensions"]["C"]) == {"C01": (5, 2), "C02": (1, 1), "C03": (2, 0), "C04": (1, 1),
                                           "C05": (0, 0), "C06": (0, 0), "C07": (0, 0), "C08": (0, 0),
                                           "C09": (0, 0), "C10": (0, 0), "C99": (1, 0)}
    assert got["dimensions"]["B"]["unclassified"] == 0

    assert [(c["channel"]["code"], c["business"]["code"], c["reason"]["code"], c["count"], c["confirmed"])
            for c in got["combinations"]] == [
        ("A0101", "B01", "C01", 4, 1), ("A0101", "B04", "C03", 1, 0), ("A0101", "B99", "C99", 1, 0),
        ("A0102", "B03", "C01", 1, 1), ("A010303", "B03", "C02", 1, 1), ("A0104", "B02", "C04", 1, 1)]
    assert got["combinations"][0]["reason"] == {"code": "C01", "name": "服务态度及服务质量"}

    assert got["handling"] == {"replied": 4, "within_10": 1, "within_20": 3, "beyond_20": 0, "not_replied": 6,
                               "on_time": 2, "overdue": 4, "overdue_open": 2, "extended": 2,
                               "average_working_days_to_reply": 11.5}


def test_the_layout_has_a_subtotal_per_channel_and_business_type(data, users):
    got = report(users[r.DISCIPLINE_OFFICE])
    laid = [(row["kind"], (row["channel"] or {}).get("code"), (row["business"] or {}).get("code"), row["count"])
            for row in regulatory.layout(got)]
    assert laid == [
        ("item", "A0101", "B01", 4), ("subtotal_b", "A0101", "B01", 4),
        ("item", "A0101", "B04", 1), ("subtotal_b", "A0101", "B04", 1),
        ("item", "A0101", "B99", 1), ("subtotal_b", "A0101", "B99", 1), ("subtotal_a", "A0101", None, 6),
        ("item", "A0102", "B03", 1), ("subtotal_b", "A0102", "B03", 1), ("subtotal_a", "A0102", None, 1),
        ("item", "A010303", "B03", 1), ("subtotal_b", "A010303", "B03", 1), ("subtotal_a", "A010303", None, 1),
        ("item", "A0104", "B02", 1), ("subtotal_b", "A0104", "B02", 1), ("subtotal_a", "A0104", None, 1),
        ("total", None, None, 9)]


def test_leadership_sees_the_same_figures(data, users):
    assert report(users[r.LEADERSHIP]) == report(users[r.DISCIPLINE_OFFICE])


def test_a_branch_head_sees_its_branch_only(data, users):
    got = report(users[r.BRANCH_HEAD])
    assert got["period"]["unit"] == "甲一分社"
    assert (got["counted"], got["confirmed"], got["unconfirmed"], got["unclassified"]) == (6, 3, 3, 1)
    assert got["left_out"] == {"duplicates": 0, "rejected": 1}
    assert {k: v for k, v in rows(got["dimensions"]["A"]).items() if v != (0, 0)} == {
        "A01": (5, 3), "A0101": (3, 1), "A0102": (1, 1), "A0103": (1, 1), "A010303": (1, 1)}
    assert got["handling"]["replied"] == 4 and got["handling"]["not_replied"] == 2
    assert (got["handling"]["overdue"], got["handling"]["overdue_open"]) == (2, 0)
    with pytest.raises(NotFound):  # a unit outside its scope
        report(users[r.BRANCH_HEAD], unit_id=str(data["c5"].branch_id))


def test_a_unit_narrows_the_office_report(data, users, org):
    got = report(users[r.DISCIPLINE_OFFICE], unit_id=str(org["coop_b"].id))
    assert (got["counted"], got["confirmed"]) == (2, 1)  # c5, c9
    assert got["period"]["unit"] == "乙信用社"


def test_another_quarter_counts_only_its_cases(data, users):
    got = report(users[r.DISCIPLINE_OFFICE], "2026-Q3")
    assert (got["counted"], got["left_out"], got["combinations"]) == (0, {"duplicates": 0, "rejected": 0}, [])
    assert got["handling"]["average_working_days_to_reply"] is None
    # Every code in force during the quarter is listed, with nothing counted.
    assert all(count == (0, 0) for count in rows(got["dimensions"]["C"]).values())


def test_a_code_ended_before_the_quarter_is_not_listed_unless_counted(data, users):
    c01 = next(row for row in classification.rows() if row.code == "C05")
    classification.update_code(c01.id, {"valid_to": "2026-09-30"}, users[r.ADMIN])
    assert "C05" not in rows(report(users[r.DISCIPLINE_OFFICE])["dimensions"]["C"])
    assert "C05" in rows(report(users[r.DISCIPLINE_OFFICE], "2026-Q3")["dimensions"]["C"])


@pytest.mark.parametrize("text", ["2026-Q5", "2026", "Q3-2026", "二〇二六年第三季度", "2026-Q3x", "１２３４-Q1"])
def test_a_bad_quarter_is_refused_on_its_field(app, users, text):
    with pytest.raises(ValidationFailed) as refused:
        parse_quarter(users[r.DISCIPLINE_OFFICE], {"quarter": text}, TODAY)
    assert refused.value.field == "quarter"


def test_quarters_as_typed_and_the_default(app, users):
    office = users[r.DISCIPLINE_OFFICE]
    assert parse_quarter(office, {"quarter": " 2026q1 "}, TODAY).label == "2026-Q1"
    assert parse_quarter(office, {"quarter": "2024-Q4"}, TODAY).period.end.isoformat() == "2024-12-31"
    assert parse_quarter(office, {}, TODAY).label == "2026-Q3"
    assert previous_quarter(datetime(2027, 2, 1).date()) == (2026, 4)
    with pytest.raises(ValidationFailed):
        parse_quarter(office, {"quarter": "1899-Q4"}, TODAY)
