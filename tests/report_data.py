"""A fixed data set for the report tests (issue 7), built through the services with explicit times.

November 2026, no calendar rows (Monday–Friday), "today" 2026-12-01. Hand counts are written
beside each case; the tests compare every figure with them.

| case | branch | channel  | category   | story                                                               |
|------|--------|----------|------------|---------------------------------------------------------------------|
| c1   | a1     | phone    | attitude   | 11-02, replied 11-05 (3 wd, on time), closed, follow-up satisfied;  |
|      |        |          |            | ruled 18.2 on counter2, re-ruled 19.1 (final, not responsible)      |
| c2   | a1     | hotline  | fee 90     | 11-03, due 11-17, replied 11-20 (13 wd, overdue, no extension);     |
|      |        |          |            | ruled 18.4 on counter + counter2, fee 90; appeal changed; closed,   |
|      |        |          |            | follow-up unsatisfied                                               |
| c3   | a1     | box      | efficiency | 11-04, extension to 11-25 approved, replied 11-27 (17 wd, overdue   |
|      |        |          |            | with extension: past the approved date, an unlicensed overrun)      |
| c4   | a1     | referral | error      | 11-05, extension to 11-26 approved, replied 11-24 (13 wd, on time); |
|      |        |          |            | ruled 19.2                                                          |
| c5   | b1     | referral | error      | 11-12, due 11-26, still processing (overdue now, no extension)      |
| c6   | a1     | phone    | other      | 11-20, rejected                                                     |
| c7   | a2     | hotline  | attitude   | 11-25, registered                                                   |
| c8   | a1     | phone    | attitude   | 11-18, due 12-02 (due soon), processing                             |
| c9   | b1     | book     | conduct    | 10-15 (outside the period), due 10-29, processing (overdue now)     |
| c10  | a2     | book     | other      | 11-30 23:30 (last minute of the period), registered                 |

c1, c2 and c5 come from the same phone number (one repeat complainant with 3 complaints).
"""
from datetime import datetime

from app.extensions import db
from app.security import roles as r
from app.services import complaints as svc
from tests.conftest import present

PERIOD = {"start": "2026-11-01", "end": "2026-11-30"}
TODAY = datetime(2026, 12, 1, 10, 0)
REPEAT_PHONE = "13900000001"


def at(text):
    return datetime.fromisoformat(text)


def build(users, factory, org, make_complaint):
    """Create the cases above; returns ``{"c1": complaint, …, "counter2": user}``."""
    do = users[r.DISCIPLINE_OFFICE]
    counter = users[r.COUNTER_STAFF]
    head = users[r.BRANCH_HEAD]
    committee = users[r.COMMITTEE]
    counter2 = factory.user(r.COUNTER_STAFF, "counter2", org["a1"], "counter_staff", staff_name="钱二")
    counter_staff = counter.staff_records[0]
    counter2_staff = counter2.staff_records[0]
    cases = {"counter2": counter2}

    def new(name, user, received, **fields):
        when = at(received)
        cases[name] = make_complaint(user, now=when, received_at=received, **fields)
        return cases[name]

    def do_(user, case, name, when, **body):
        svc.apply(user, case.id, name, body, now=at(when))

    # c1: on time, closed, satisfied; ruling replaced by a final re-ruling.
    c1 = new("c1", counter, "2026-11-02T09:00:00", channel="phone", category="attitude",
             complainant_phone=REPEAT_PHONE, respondent_staff_id=counter2_staff.id)
    do_(do, c1, "accept", "2026-11-02T10:00:00", level="branch")
    do_(counter, c1, "reply", "2026-11-05T10:00:00", method="phone", content="已向客户致歉。")
    do_(counter, c1, "close", "2026-11-06T10:00:00")
    do_(head, c1, "follow_up", "2026-11-09T10:00:00", visited_at="2026-11-09", method="phone", satisfied=True)
    do_(committee, c1, "rule", "2026-11-10T10:00:00", result="responsible", category="18.2", verified=True,
        staff_ids=[counter2_staff.id], basis="态度生硬,经核实属实。", members=present(committee))
    do_(counter2, c1, "request_reruling", "2026-11-11T10:00:00", reason="当日系统故障,非本人态度问题。")
    do_(users[r.RERULING_BODY], c1, "decide_reruling", "2026-11-12T10:00:00", result="not_responsible",
        category="19.1", basis="经复核,系业务流程不完善所致。", members=present(users[r.RERULING_BODY]))

    # c2: late reply without extension; fee ruling on two staff; appeal changed; unsatisfied.
    c2 = new("c2", counter, "2026-11-03T09:00:00", channel="hotline", category="fee", disputed_fee="90.00",
             complainant_phone=REPEAT_PHONE)
    do_(do, c2, "accept", "2026-11-03T10:00:00", level="branch")
    do_(counter, c2, "reply", "2026-11-20T10:00:00", method="letter", content="已退还多收费用。",
        customer_received_on="2026-11-20")
    do_(committee, c2, "rule", "2026-11-23T10:00:00", result="responsible", category="18.4", verified=True,
        staff_ids=[counter_staff.id, counter2_staff.id], fee_borne="90.00", basis="柜员操作错误多收费用。",
        members=present(committee))
    do_(do, c2, "appeal", "2026-11-25T10:00:00", applied_at="2026-11-25", content="客户对处理结果不满意。")
    do_(do, c2, "decide_appeal", "2026-11-27T10:00:00", decision="changed", content="改为全额退还并致歉。")
    do_(counter, c2, "close", "2026-11-27T11:00:00")
    do_(head, c2, "follow_up", "2026-11-30T10:00:00", visited_at="2026-11-30", method="visit", satisfied=False,
        note="客户认为处理过慢,已分析原因并改进。")

    # c3: extension approved, replied after the extended date.
    c3 = new("c3", counter, "2026-11-04T09:00:00", channel="box", category="efficiency",
             complainant_phone="13900000002")
    do_(do, c3, "accept", "2026-11-04T10:00:00", level="branch")
    do_(head, c3, "request_extension", "2026-11-16T10:00:00", reason="需调取监控。",
        customer_informed_at="2026-11-16T09:00:00", customer_informed_by="phone", report="已书面报告纪检监察室。",
        requested_due_date="2026-11-25")
    do_(do, c3, "decide_extension", "2026-11-17T10:00:00", approved=True)
    do_(counter, c3, "reply", "2026-11-27T10:00:00", method="phone", content="已处理。")

    # c4: extension approved, replied within it; not responsible.
    c4 = new("c4", counter, "2026-11-05T09:00:00", channel="referral", category="error",
             complainant_phone="13900000003")
    do_(do, c4, "accept", "2026-11-05T10:00:00", level="branch")
    do_(head, c4, "request_extension", "2026-11-18T09:30:00", reason="需核对账务。",
        customer_informed_at="2026-11-18T09:00:00", customer_informed_by="letter", report="已书面报告。",
        requested_due_date="2026-11-26")
    do_(do, c4, "decide_extension", "2026-11-18T10:00:00", approved=True)
    do_(counter, c4, "reply", "2026-11-24T10:00:00", method="letter", content="系统故障所致,已更正。")
    do_(committee, c4, "rule", "2026-11-25T10:00:00", result="not_responsible", category="19.2", verified=True,
        staff_ids=[], basis="经核查,系核心系统故障。", members=present(committee))

    # c5: another branch, still processing past its due date (third complaint from the same phone).
    c5 = new("c5", do, "2026-11-12T09:00:00", channel="referral", category="error", branch_id=org["b1"].id,
             complainant_phone=REPEAT_PHONE)
    do_(do, c5, "accept", "2026-11-12T10:00:00", level="branch")

    # c6: rejected (§8).
    c6 = new("c6", do, "2026-11-20T09:00:00", channel="phone", category="other", complainant_phone="13900000004")
    do_(do, c6, "reject", "2026-11-20T10:00:00", reason="out_of_scope", note="属员工违纪,移交处理。")

    # c7: registered only, branch a2.
    new("c7", do, "2026-11-25T09:00:00", channel="hotline", category="attitude", branch_id=org["a2"].id,
        complainant_phone="13900000005")

    # c8: processing, due 12-02: due soon on 12-01.
    c8 = new("c8", counter, "2026-11-18T09:00:00", channel="phone", category="attitude",
             complainant_phone="13900000006")
    do_(do, c8, "accept", "2026-11-18T10:00:00", level="branch")

    # c9: received before the period, overdue now.
    c9 = new("c9", do, "2026-10-15T09:00:00", channel="book", category="conduct", branch_id=org["b1"].id,
             complainant_phone="13900000007")
    do_(do, c9, "accept", "2026-10-15T10:00:00", level="branch")

    # c10: the last minute of the period; a name and (as stored before phone numbers were checked on
    # input) a phone number that a spreadsheet would take for formulas.
    c10 = new("c10", do, "2026-11-30T23:30:00", channel="book", category="other", branch_id=org["a2"].id,
              complainant_phone="13900000008", complainant_name="=cmd|' /C calc'!A0")
    c10.complainant_phone = "=HYPERLINK(\"http://evil\")"
    db.session.commit()
    return cases


# Hand counts for the discipline office (and leadership): the whole organisation.
ALL = {
    "received": 9,
    "open": 4,
    "by_status": {"registered": 2, "rejected": 1, "processing": 2, "replied": 2, "appealed": 0, "closed": 2},
    "by_channel": {"hotline": 2, "phone": 3, "box": 1, "book": 1, "referral": 2},
    "by_category": {"attitude": 3, "efficiency": 1, "fee": 1, "error": 2, "conduct": 0, "other": 2},
    "by_branch": {"甲一分社": 6, "甲二分社": 2, "乙一分社": 1},
    "replied": 4,
    "on_time": 2,
    "on_time_rate": 0.5,
    "average_working_days_to_reply": 11.5,
    "overdue": {"total": 3, "with_extension": 1, "without_extension": 2, "open": 1},
    "extensions": {"approved": 2, "pending": 0},
    "rulings": {"responsible": 1, "not_responsible": 2, "final": 1,
                "by_category": {"18.1": 0, "18.2": 0, "18.3": 0, "18.4": 1, "18.5": 0,
                                "19.1": 1, "19.2": 1, "19.3": 0, "19.4": 0}},
    "staff_fees": {"counter": 45.0, "counter2": 45.0},
    "fees_borne": 90.0,
    "appeals": {"filed": 1, "decided": 1, "changed": 1, "upheld": 0, "pending": 0},
    "follow_up": {"done": 2, "satisfied": 1, "unsatisfied": 1, "awaiting": 0, "satisfaction_rate": 0.5},
    "repeat_complainants": {"complainants": 1, "complaints": 3},
    "overdue_now": 2,
    "due_soon": 1,
}

# Hand counts for the branch head of 甲一分社: its branch only.
BRANCH_A1 = {
    "received": 6,
    "open": 1,
    "by_status": {"registered": 0, "rejected": 1, "processing": 1, "replied": 2, "appealed": 0, "closed": 2},
    "by_channel": {"hotline": 1, "phone": 3, "box": 1, "book": 0, "referral": 1},
    "by_category": {"attitude": 2, "efficiency": 1, "fee": 1, "error": 1, "conduct": 0, "other": 1},
    "by_branch": {"甲一分社": 6},
    "replied": 4,
    "on_time": 2,
    "on_time_rate": 0.5,
    "average_working_days_to_reply": 11.5,
    "overdue": {"total": 2, "with_extension": 1, "without_extension": 1, "open": 0},
    "extensions": {"approved": 2, "pending": 0},
    "rulings": ALL["rulings"],
    "staff_fees": {"counter": 45.0, "counter2": 45.0},
    "fees_borne": 90.0,
    "appeals": ALL["appeals"],
    "follow_up": ALL["follow_up"],
    "repeat_complainants": {"complainants": 1, "complaints": 2},
    "overdue_now": 0,
    "due_soon": 1,
}

# Assessment with the default rules (complaint 0, 18.4 −2, overdue without extension −2,
# appeal changed −1, unsatisfied −0.5).
# c2 and c3 are unlicensed overruns held by a1 and counter (c3 ran past its approved date, §13).
ASSESSMENT_BRANCHES = {"甲一分社": -7.5, "甲二分社": 0.0, "乙一分社": -2.0}
ASSESSMENT_STAFF = {"counter": (-6.0, 45.0, 0), "counter2": (-2.0, 45.0, 1)}  # points, fee share, named


def check_summary(data, expected, staff_names):
    """Assert every figure of ``data`` (a summary) equals the hand count ``expected``."""
    for key in ("received", "open", "by_status", "by_channel", "by_category", "replied", "on_time", "on_time_rate",
                "average_working_days_to_reply", "overdue", "extensions", "fees_borne", "appeals", "follow_up",
                "repeat_complainants"):
        assert data[key] == expected[key], key
    assert {row["branch"]: row["received"] for row in data["by_branch"]} == expected["by_branch"]
    rulings = dict(data["rulings"])
    by_staff = rulings.pop("by_staff")
    assert rulings == expected["rulings"]
    assert {staff_names[row["staff_id"]]: row["fee_borne"] for row in by_staff} == expected["staff_fees"]
    assert sum(row["received"] for row in data["by_month"]) == expected["received"]


def build_quarter(users, factory, org, make_complaint):
    """Issue 23, the quarterly regulatory report: ``build``'s cases, and JR/T 0169 classifications
    confirmed (c4) or corrected (c1, c3, c5), c11 a duplicate of c7, and c12 registered on 11-27
    after the administrator ended A0101 on 11-26 (no channel code: unclassified). Hand counts in
    tests/services/test_regulatory_report.py."""
    from app.services import classification

    cases = build(users, factory, org, make_complaint)
    office, head, counter = users[r.DISCIPLINE_OFFICE], users[r.BRANCH_HEAD], users[r.COUNTER_STAFF]

    def classify(user, case, a, b, c):
        svc.apply(user, case.id, "classify", {"channel_code": a, "business_code": b, "reason_code": c},
                  now=at("2026-11-30T12:00:00"))

    classify(counter, cases["c1"], "A0102", "B03", "C01")
    classify(head, cases["c3"], "A010303", "B03", "C02")
    classify(office, cases["c4"], "A0101", "B01", "C01")
    classify(office, cases["c5"], "A0104", "B02", "C04")
    cases["c11"] = make_complaint(office, now=at("2026-11-26T09:00:00"), received_at="2026-11-26T09:00:00",
                                  channel="hotline", category="attitude", branch_id=org["a2"].id,
                                  complainant_phone="13900000005")
    svc.apply(office, cases["c11"].id, "mark_duplicate", {"original_number": cases["c7"].number,
                                                         "reason": "同一客户就同一事项再次来电投诉。"},
              now=at("2026-11-26T10:00:00"))
    a0101 = next(row for row in classification.rows() if row.code == "A0101")
    classification.update_code(a0101.id, {"valid_to": "2026-11-26"}, users[r.ADMIN])
    cases["c12"] = make_complaint(counter, now=at("2026-11-27T09:00:00"), received_at="2026-11-27T09:00:00",
                                  channel="phone", category="fee", complainant_phone="13900000009")
    return cases
