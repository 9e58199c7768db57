"""Rules at the edges (issue 17): who decides an appeal, the appeal window, the appeal decision
deadline, transfers and extensions against the deadline, §18(四), edit history, uploads.

Each test failed on the code before issue 17. The test organisation: 测试联社 (LS) above the
discipline office (JJ) and two cooperatives; appeal bodies JJ (a branch's decision) and LS (the
union's own), re-rulings to LS (config.TestConfig).
"""
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

import pytest

from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.extensions import db
from app.models.complaint import ComplaintEvent
from app.reports import statistics
from app.reports.period import parse_period
from app.reports.rules import load_rules
from app.security import roles as r
from app.services import attachments, deadlines
from app.services import calendar as calendar_service
from app.services import complaints as svc
from app.domain import states as s
from tests.conftest import web_login
from tests.conftest import present

NOW = datetime(2026, 12, 1, 10, 0)
PDF = b"%PDF-1.4 evidence"


def events(complaint):
    return db.session.query(ComplaintEvent).filter_by(complaint_id=complaint.id).order_by(ComplaintEvent.id).all()


def accepted(users, make_complaint, received="2026-12-01T09:00:00", level="branch", **accept):
    complaint = make_complaint(users[r.COUNTER_STAFF], received_at=received)
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": level, **accept}, now=NOW)
    return complaint


def do_(user, complaint, name, when, **body):
    return svc.apply(user, complaint.id, name, body, now=when)


@pytest.fixture
def department(factory, org):
    """Another department of the union (联社办公室) with a clerk who can handle union-level cases."""
    unit = factory.unit("联社办公室", "department", org["union"], code="BGS")
    clerk = factory.user(r.COUNTER_STAFF, "bgs_clerk", unit, "counter_staff")
    return unit, clerk


# --- 1. §14: who decides an appeal ----------------------------------------------------------------

def test_the_discipline_office_never_decides_an_appeal_against_its_own_reply(app, users, make_complaint, org):
    """The office replied on a branch-level case: it decided, so the appeal goes to its superior (the
    union), not to the office itself (before: the office decided, as the 'branch-level body')."""
    complaint = accepted(users, make_complaint)
    do_(users[r.DISCIPLINE_OFFICE], complaint, "reply", NOW, method="phone", content="已向客户说明。")
    assert complaint.replied_by_unit_id == org["office"].id
    assert complaint.replied_by_id == users[r.DISCIPLINE_OFFICE].id
    assert org["union"].name in complaint.appeal_notice
    do_(users[r.DISCIPLINE_OFFICE], complaint, "appeal", NOW, applied_at="2026-12-01", content="不服")
    assert complaint.appeal_unit_id == org["union"].id
    assert "decide_appeal" not in [t.name for t in svc.available_transitions(users[r.DISCIPLINE_OFFICE], complaint, NOW.date())]
    with pytest.raises(PermissionDenied):
        do_(users[r.DISCIPLINE_OFFICE], complaint, "decide_appeal", NOW, decision="changed", content="x")
    do_(users[r.RERULING_BODY], complaint, "decide_appeal", NOW, decision="upheld", content="维持原处理决定,不予变更。")
    assert complaint.status == s.REPLIED


def test_a_unit_below_the_appeal_unit_does_not_decide(app, users, make_complaint, org, department):
    """A union-level decision of another department goes to the union; the discipline office sits
    below the union but is not the appeal unit (before: any unit below it could decide)."""
    unit, clerk = department
    complaint = accepted(users, make_complaint, level="union", handling_unit_id=unit.id,
                         handler_id=clerk.staff_records[0].id)
    do_(clerk, complaint, "reply", NOW, method="visit", content="上门说明。")
    assert complaint.replied_by_unit_id == unit.id
    do_(users[r.DISCIPLINE_OFFICE], complaint, "appeal", NOW, applied_at="2026-12-01", content="不服")
    assert complaint.appeal_unit_id == org["union"].id
    with pytest.raises(PermissionDenied):
        do_(users[r.DISCIPLINE_OFFICE], complaint, "decide_appeal", NOW, decision="changed", content="x")
    do_(users[r.RERULING_BODY], complaint, "decide_appeal", NOW, decision="changed", content="改变原处理决定,退还费用。")


def test_an_appeal_body_that_is_the_deciding_unit_is_refused(app, users, make_complaint, org, factory):
    """The union itself decided (a clerk of the union replied): the configured union-level body
    (LS) is the deciding unit — never its own appeal body; nothing is recorded."""
    union_clerk = factory.user(r.COUNTER_STAFF, "union_clerk", org["union"], "counter_staff")
    complaint = accepted(users, make_complaint, level="union", handling_unit_id=org["union"].id,
                         handler_id=union_clerk.staff_records[0].id)
    do_(union_clerk, complaint, "reply", NOW, method="phone", content="联社答复。")
    assert complaint.replied_by_unit_id == org["union"].id
    with pytest.raises(Conflict):
        do_(users[r.DISCIPLINE_OFFICE], complaint, "appeal", NOW, applied_at="2026-12-01", content="不服")
    db.session.refresh(complaint)
    assert complaint.appeal_applied_on is None and complaint.status == s.REPLIED


def test_appeal_queue_and_to_do_show_an_appeal_to_its_appeal_unit_only(app, client, users, login, make_complaint, org):
    complaint = accepted(users, make_complaint)
    do_(users[r.DISCIPLINE_OFFICE], complaint, "reply", NOW, method="phone", content="答复。")
    do_(users[r.DISCIPLINE_OFFICE], complaint, "appeal", NOW, applied_at="2026-12-01", content="不服")
    login("discipline")
    assert complaint.number not in client.get("/queues/appeals").get_data(as_text=True)
    assert complaint.number not in client.get("/todo/").get_data(as_text=True)
    body = app.test_client()
    web_login(body, "reruling")
    assert complaint.number in body.get("/queues/appeals").get_data(as_text=True)
    assert complaint.number in body.get("/todo/").get_data(as_text=True)


def test_the_higher_ruling_body_sees_only_what_is_brought_to_its_unit(app, users, make_complaint, org, factory):
    """An appeal addressed to the discipline office (a branch's decision) is not the union-level
    body's case; a re-ruling request addressed to the union is not another body's."""
    branch_case = accepted(users, make_complaint)
    do_(users[r.COUNTER_STAFF], branch_case, "reply", NOW, method="phone", content="答复。")
    do_(users[r.DISCIPLINE_OFFICE], branch_case, "appeal", NOW, applied_at="2026-12-01", content="不服")
    assert branch_case.appeal_unit_id == org["office"].id
    with pytest.raises(NotFound):
        svc.get_for(users[r.RERULING_BODY], branch_case.id)

    ruled = accepted(users, make_complaint)
    do_(users[r.COUNTER_STAFF], ruled, "reply", NOW, method="phone", content="答复。")
    clerk = users[r.COUNTER_STAFF].staff_records[0]
    do_(users[r.COMMITTEE], ruled, "rule", NOW, result="responsible", category="18.2", verified=True,
        staff_ids=[clerk.id], basis="柜员态度生硬,经核实属实。", members=present(users[r.COMMITTEE]))
    do_(users[r.COUNTER_STAFF], ruled, "request_reruling", NOW, reason="有异议。")
    assert ruled.reruling_unit_id == org["union"].id
    other_province = factory.unit("外省联社", "union", code="WS")
    outsider = factory.user(r.RERULING_BODY, "outsider_body", other_province, "manager")
    with pytest.raises(NotFound):
        svc.get_for(outsider, ruled.id)
    assert svc.get_for(users[r.RERULING_BODY], ruled.id).id == ruled.id
    do_(users[r.RERULING_BODY], ruled, "decide_reruling", NOW, result="not_responsible", category="19.1", basis="经复核,系业务流程问题所致。", members=present(users[r.RERULING_BODY]))
    assert ruled.ruling_final


# --- 2. §14: the appeal window --------------------------------------------------------------------

def test_a_window_ending_on_a_rest_day_runs_to_the_next_working_day(app, users, make_complaint):
    complaint = accepted(users, make_complaint)
    do_(users[r.COUNTER_STAFF], complaint, "reply", datetime(2026, 12, 5, 10), method="phone", content="答复。")
    # 12-05 + 15 = 12-20, a Sunday: the window ends on Monday 12-21 (Civil Code art. 203), that day included.
    assert complaint.appeal_due_date == date(2026, 12, 21)
    assert "2026-12-21" in complaint.appeal_notice and "含当日" in complaint.appeal_notice
    with pytest.raises(ValidationFailed):
        do_(users[r.DISCIPLINE_OFFICE], complaint, "appeal", datetime(2026, 12, 23, 9), applied_at="2026-12-22", content="x")
    do_(users[r.DISCIPLINE_OFFICE], complaint, "appeal", datetime(2026, 12, 23, 9), applied_at="2026-12-21", content="最后一日")
    assert complaint.status == s.APPEALED


def test_a_letter_window_runs_from_the_day_the_customer_received_it(app, users, make_complaint):
    complaint = accepted(users, make_complaint)
    do_(users[r.COUNTER_STAFF], complaint, "reply", datetime(2026, 12, 1, 16), method="letter", content="书面答复。")
    assert complaint.appeal_due_date is None and "收到本答复函之日起15日内" in complaint.appeal_notice
    with pytest.raises(Conflict):
        do_(users[r.DISCIPLINE_OFFICE], complaint, "appeal", datetime(2026, 12, 10, 9), applied_at="2026-12-10", content="x")
    with pytest.raises(ValidationFailed):  # before the letter was sent
        do_(users[r.COUNTER_STAFF], complaint, "record_receipt", datetime(2026, 12, 4, 9), customer_received_on="2026-11-30")
    do_(users[r.COUNTER_STAFF], complaint, "record_receipt", datetime(2026, 12, 4, 9), customer_received_on="2026-12-04")
    # 12-04 + 15 = 12-19, a Saturday → Monday 12-21
    assert complaint.reply_received_on == date(2026, 12, 4) and complaint.appeal_due_date == date(2026, 12, 21)
    with pytest.raises(Conflict):
        do_(users[r.COUNTER_STAFF], complaint, "record_receipt", datetime(2026, 12, 5, 9), customer_received_on="2026-12-05")
    do_(users[r.DISCIPLINE_OFFICE], complaint, "appeal", datetime(2026, 12, 21, 17), applied_at="2026-12-21", content="不服")
    assert complaint.status == s.APPEALED


def test_a_letter_may_carry_its_day_of_receipt_on_the_reply(app, users, make_complaint):
    complaint = accepted(users, make_complaint)
    do_(users[r.COUNTER_STAFF], complaint, "reply", datetime(2026, 12, 3, 16), method="letter", content="函复。",
        replied_at="2026-12-01T10:00:00+08:00", customer_received_on="2026-12-03")
    assert complaint.appeal_due_date == date(2026, 12, 18)
    assert "2026-12-18" in complaint.appeal_notice
    phone = accepted(users, make_complaint)
    with pytest.raises(ValidationFailed) as error:
        do_(users[r.COUNTER_STAFF], phone, "reply", NOW, method="phone", content="x", customer_received_on="2026-12-01")
    assert "customer_received_on" in str(error.value.payload())


# --- 3. §14: the appeal decision deadline ----------------------------------------------------------

def test_the_appeal_decision_deadline_is_provisional_until_its_year_is_published(app, users, make_complaint):
    complaint = accepted(users, make_complaint)
    do_(users[r.COUNTER_STAFF], complaint, "reply", NOW, method="phone", content="答复。")
    do_(users[r.DISCIPLINE_OFFICE], complaint, "appeal", NOW, applied_at="2026-12-01", content="不服")
    assert complaint.appeal_decision_due == date(2027, 1, 12) and complaint.appeal_decision_due_provisional
    for year in (2026, 2027):
        calendar_service.set_year_published(year, True, user=users[r.ADMIN])
    db.session.refresh(complaint)
    assert not complaint.appeal_decision_due_provisional
    notes = [e.note for e in events(complaint) if e.name == "recompute_deadline"]
    assert any("复议决定期限" in note for note in notes)
    assert not any(note.startswith("工作日历变更:处理时限") for note in notes)
    # A holiday inside the 30 working days moves it, and the timeline names which deadline moved.
    calendar_service.add_day(date(2026, 12, 31), False, "测试假日", user=users[r.ADMIN])
    db.session.refresh(complaint)
    assert complaint.appeal_decision_due == date(2027, 1, 13)


def test_a_calendar_change_moves_an_appeal_window_ending_on_the_changed_day(app, users, make_complaint):
    complaint = accepted(users, make_complaint)
    do_(users[r.COUNTER_STAFF], complaint, "reply", NOW, method="phone", content="答复。")
    assert complaint.appeal_due_date == date(2026, 12, 16)
    calendar_service.add_day(date(2026, 12, 16), False, "测试假日", user=users[r.ADMIN])
    db.session.refresh(complaint)
    assert complaint.appeal_due_date == date(2026, 12, 17)
    assert any("复议申请截止日" in (e.note or "") for e in events(complaint))


# --- 4. §12(三): a transfer never shortens a deadline --------------------------------------------------

def test_a_union_level_case_passed_down_to_a_branch_keeps_its_due_date(app, users, make_complaint, org):
    complaint = make_complaint(users[r.DISCIPLINE_OFFICE], received_at="2026-11-16T09:00:00")
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "union", "handling_unit_id": org["office"].id},
              now=datetime(2026, 11, 16, 10))
    union_due = complaint.due_date
    assert union_due == date(2026, 12, 14)  # 20 working days
    do_(users[r.DISCIPLINE_OFFICE], complaint, "transfer", NOW, to_unit_id=org["a1"].id, level="branch",
        reason="由网点直接处理")
    assert complaint.level == "branch" and complaint.due_date == union_due and complaint.deadline_days == 20
    assert not svc.is_overdue(complaint, NOW.date())
    # Its extension is still possible (before: the due date was already past, and refused).
    assert "request_extension" in [t.name for t in svc.available_transitions(users[r.BRANCH_HEAD], complaint, NOW.date())]
    # A later calendar change recomputes it with the same 20 days.
    calendar_service.add_day(date(2026, 12, 2), False, "测试假日", user=users[r.ADMIN])
    db.session.refresh(complaint)
    assert complaint.due_date == date(2026, 12, 15)


# --- 5. §13: extensions are bounded; an overrun is an overrun -------------------------------------------

@pytest.mark.parametrize("requested, message", [
    ("2099-12-31", "10"),  # far beyond the maximum
    ("2026-12-19", "工作日"),  # a Saturday
    ("2026-12-15", "晚于"),  # the current deadline itself
    ("2026-12-30", "10"),  # 11 working days beyond 12-15
])
def test_an_extension_ends_on_a_working_day_within_the_maximum(app, users, make_complaint, requested, message):
    complaint = accepted(users, make_complaint)  # due 2026-12-15
    assert complaint.due_date == date(2026, 12, 15)
    request = dict(reason="需调查", customer_informed_at="2026-12-01T10:00:00", customer_informed_by="phone",
                   report="已报告", requested_due_date=requested)
    with pytest.raises(ValidationFailed) as error:
        do_(users[r.BRANCH_HEAD], complaint, "request_extension", NOW, **request)
    assert message in str(error.value.payload()["requested_due_date"])
    do_(users[r.BRANCH_HEAD], complaint, "request_extension", NOW, **dict(request, requested_due_date="2026-12-29"))
    with pytest.raises(ValidationFailed) as error:
        do_(users[r.DISCIPLINE_OFFICE], complaint, "decide_extension", NOW, approved=True, due_date=requested)
    assert message in str(error.value.payload()["due_date"])
    do_(users[r.DISCIPLINE_OFFICE], complaint, "decide_extension", NOW, approved=True)
    assert complaint.due_date == date(2026, 12, 29) and complaint.extension_status == s.EXT_APPROVED


def test_the_maximum_is_configurable(app, users, make_complaint):
    app.config["EXTENSION_MAX_WORKING_DAYS"] = 2
    complaint = accepted(users, make_complaint)
    with pytest.raises(ValidationFailed):
        do_(users[r.BRANCH_HEAD], complaint, "request_extension", NOW, reason="x", customer_informed_at="2026-12-01T10:00:00",
            customer_informed_by="phone", report="r", requested_due_date="2026-12-18")
    do_(users[r.BRANCH_HEAD], complaint, "request_extension", NOW, reason="x", customer_informed_at="2026-12-01T10:00:00",
        customer_informed_by="phone", report="r", requested_due_date="2026-12-17")


def test_running_past_an_approved_date_is_an_overrun_attributed_to_the_holder_on_that_day(app, users, make_complaint, org):
    """未经许可超时: the accountability list and the assessment both list it, against the unit and
    staff member holding the case the day it became overdue (before: the list left it out, and the
    assessment named whoever held the case now)."""
    complaint = accepted(users, make_complaint, received="2026-11-02T09:00:00")  # due 11-16
    do_(users[r.COUNTER_STAFF], complaint, "request_extension", datetime(2026, 11, 10, 9), reason="需调查",
        customer_informed_at="2026-11-10T08:00:00", customer_informed_by="phone", report="已报告",
        requested_due_date="2026-11-20")
    do_(users[r.DISCIPLINE_OFFICE], complaint, "decide_extension", datetime(2026, 11, 10, 10), approved=True)
    head_staff = users[r.BRANCH_HEAD].staff_records[0]
    # After the approved date has passed, the clerk hands the case to the branch head.
    do_(users[r.COUNTER_STAFF], complaint, "transfer", datetime(2026, 11, 25, 9), to_unit_id=org["a1"].id,
        to_staff_id=head_staff.id, reason="转交负责人")
    today = date(2026, 12, 1)
    listed = db.session.execute(svc.scoped_select(users[r.DISCIPLINE_OFFICE]).where(deadlines.overdue_clause(today))).scalars().all()
    assert [c.id for c in listed] == [complaint.id]
    clerk_staff = users[r.COUNTER_STAFF].staff_records[0]
    assert deadlines.holders_at_deadline(listed)[complaint.id] == (org["a1"].id, clerk_staff.id)
    period = parse_period(users[r.DISCIPLINE_OFFICE], {"start": "2026-11-01", "end": "2026-11-30"}, today)
    report = statistics.assessment(users[r.DISCIPLINE_OFFICE], period, today, load_rules())
    late = {row["staff_id"]: row["overdue_without_extension"] for row in report["staff"]}
    assert late.get(clerk_staff.id) == 1 and late.get(head_staff.id, 0) == 0
    assert {row["branch_id"]: row["overdue_without_extension"] for row in report["branches"]}[org["a1"].id] == 1


def test_an_overrun_held_by_a_unit_that_is_not_a_branch_counts_for_that_unit(app, users, make_complaint, org):
    complaint = make_complaint(users[r.DISCIPLINE_OFFICE], received_at="2026-11-02T09:00:00")
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "union", "handling_unit_id": org["office"].id},
              now=datetime(2026, 11, 2, 10))
    today = date(2026, 12, 10)
    period = parse_period(users[r.DISCIPLINE_OFFICE], {"start": "2026-11-01", "end": "2026-11-30"}, today)
    report = statistics.assessment(users[r.DISCIPLINE_OFFICE], period, today, load_rules())
    rows = {row["branch"]: row for row in report["branches"]}
    assert rows["纪检监察室"]["overdue_without_extension"] == 1 and rows["纪检监察室"]["points"] == -2.0
    assert rows["甲一分社"]["overdue_without_extension"] == 0


# --- 6. §18(四): the fee borne ---------------------------------------------------------------------

def test_a_fee_ruling_on_a_disputed_fee_records_the_fee_borne(app, users, make_complaint):
    complaint = make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T09:00:00", category="fee",
                               disputed_fee="50.00")
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch"}, now=NOW)
    ruling = {"result": "responsible", "category": "18.4", "verified": True,
              "staff_ids": [users[r.COUNTER_STAFF].staff_records[0].id], "basis": "柜员操作错误,经核实属实。", "members": present(users[r.COMMITTEE])}
    with pytest.raises(ValidationFailed) as error:
        svc.apply(users[r.COMMITTEE], complaint.id, "rule", ruling, now=NOW)
    assert "fee_borne" in error.value.payload() and "50" in str(error.value.payload()["fee_borne"])
    svc.apply(users[r.COMMITTEE], complaint.id, "rule", dict(ruling, fee_borne="0.00"), now=NOW)
    assert complaint.rulings[0].fee_borne == Decimal("0.00")


# --- 7. edits keep history --------------------------------------------------------------------------

def test_an_edit_keeps_old_and_new_values(app, users, make_complaint):
    complaint = make_complaint(users[r.COUNTER_STAFF])
    svc.edit(users[r.COUNTER_STAFF], complaint.id, {"version": complaint.version, "facts": "更正后的事实。",
                                                     "disputed_fee": "12.50", "complainant_phone": "13900001111"})
    edit = events(complaint)[-1]
    assert edit.name == "edit"
    assert edit.payload["changes"] == {
        "facts": ["柜员态度恶劣,拒绝解释手续费。", "更正后的事实。"],
        "disputed_fee": [None, "12.50"],
        "complainant_phone": ["13812345678", "13900001111"],
    }


# --- 11. uploads follow the edit rules --------------------------------------------------------------

def test_uploads_are_refused_on_closed_cases_and_to_those_who_may_not_edit(app, users, make_complaint, factory, org, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    complaint = accepted(users, make_complaint)
    do_(users[r.COUNTER_STAFF], complaint, "reply", NOW, method="phone", content="答复。")
    colleague = factory.user(r.COUNTER_STAFF, "colleague", org["a1"], "counter_staff")
    do_(users[r.COMMITTEE], complaint, "rule", NOW, result="responsible", category="18.2", verified=True,
        staff_ids=[colleague.staff_records[0].id], basis="柜员服务态度问题,经核实属实。", members=present(users[r.COMMITTEE]))
    # The ruled colleague sees the case (§17) but does not work on it.
    svc.get_for(colleague, complaint.id)
    with pytest.raises(PermissionDenied):
        attachments.save(colleague, complaint.id, "x.pdf", BytesIO(PDF), now=NOW)
    attachments.save(users[r.COUNTER_STAFF], complaint.id, "x.pdf", BytesIO(PDF), now=NOW)
    do_(users[r.COUNTER_STAFF], complaint, "close", NOW)
    with pytest.raises(Conflict):
        attachments.save(users[r.COUNTER_STAFF], complaint.id, "y.pdf", BytesIO(PDF), now=NOW)
    assert len(complaint.attachments) == 1 and len(list(tmp_path.iterdir())) == 1


# --- 12. times and dates --------------------------------------------------------------------------

def test_received_at_has_a_floor(app, users, make_complaint):
    with pytest.raises(ValidationFailed) as error:
        make_complaint(users[r.COUNTER_STAFF], received_at="1999-12-31T23:00:00")
    assert list(error.value.payload()) == ["received_at"] and "2000-01-01" in error.value.payload()["received_at"][0]
    app.config["RECEIVED_AT_FLOOR"] = "2026-01-01"
    with pytest.raises(ValidationFailed):
        make_complaint(users[r.COUNTER_STAFF], received_at="2025-12-31T09:00:00")


@pytest.mark.parametrize("given, stored", [
    ("2026-11-30T01:00:00Z", datetime(2026, 11, 30, 9, 0)),
    ("2026-11-30T01:00:00+00:00", datetime(2026, 11, 30, 9, 0)),
    ("2026-11-30T09:00:00+08:00", datetime(2026, 11, 30, 9, 0)),
    ("2026-11-30T09:00:00", datetime(2026, 11, 30, 9, 0)),
    ("2026-11-30", datetime(2026, 11, 30, 0, 0)),
])
def test_times_with_an_offset_become_beijing_wall_time(app, users, make_complaint, given, stored):
    assert make_complaint(users[r.COUNTER_STAFF], received_at=given).received_at == stored


def test_date_and_date_time_fields_take_either_form(app, users, make_complaint):
    complaint = accepted(users, make_complaint)
    do_(users[r.COUNTER_STAFF], complaint, "reply", datetime(2026, 12, 3, 9), method="phone", content="x",
        replied_at="2026-12-02")
    assert complaint.replied_at == datetime(2026, 12, 2, 0, 0)
    # 2026-12-03T20:00Z is already 12-04 in Beijing.
    do_(users[r.DISCIPLINE_OFFICE], complaint, "appeal", datetime(2026, 12, 5, 9), applied_at="2026-12-03T20:00:00Z",
        content="不服")
    assert complaint.appeal_applied_on == date(2026, 12, 4)
