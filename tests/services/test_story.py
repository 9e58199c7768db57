"""The timeline tells the story (处理记录): each kind of event in words, from the payload the service
wrote, and masked for a viewer who sees the complainant's identity masked (§16)."""
from datetime import datetime

import pytest
from flask_babel import force_locale

from app.data import complaints as reads
from app.extensions import db
from app.models.complaint import ComplaintEvent
from app.security import roles as r
from app.services import complaints as svc
from app.services import story
from tests.conftest import present

NOW = datetime(2026, 12, 1, 10, 0)
NAME = "张三丰"


@pytest.fixture
def zh(app):
    with app.test_request_context(), force_locale("zh"):
        yield


def told(complaint, full=True):
    """{event name: {label: text}} of the case's timeline (the last event of each name)."""
    events = reads.events_of(complaint)
    entries = story.timeline(events, complaint, full, reads.timeline_names(events))
    return {entry.event.name: dict(entry.details) for entry in entries}


@pytest.fixture
def transferred(users, make_complaint, org):
    """Registered by the clerk, accepted, handed to the branch head with a reason naming the
    customer, extended (approved), replied by letter."""
    complaint = make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T09:00:00")
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch"}, now=NOW)
    head = users[r.BRANCH_HEAD].staff_records[0]
    svc.apply(users[r.COUNTER_STAFF], complaint.id, "transfer",
              {"to_unit_id": org["a1"].id, "to_staff_id": head.id, "reason": f"{NAME}要求网点负责人处理"}, now=NOW)
    return complaint


def extend(users, complaint, approved=True, **decision):
    svc.apply(users[r.BRANCH_HEAD], complaint.id, "request_extension", {
        "reason": "需调取监控", "customer_informed_at": "2026-12-01T09:30:00", "customer_informed_by": "phone",
        "report": f"已电话告知{NAME}并书面报告", "requested_due_date": "2026-12-18"}, now=NOW)
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "decide_extension", {"approved": approved, **decision}, now=NOW)


def test_a_transfer_tells_from_and_to_with_unit_and_person(app, zh, users, transferred):
    lines = told(transferred)["transfer"]
    clerk, head = users[r.COUNTER_STAFF].staff_records[0], users[r.BRANCH_HEAD].staff_records[0]
    assert lines["转出"] == f"甲一分社 · {clerk.name}"
    assert lines["转至"] == f"甲一分社 · {head.name}"
    assert lines["原因"] == f"{NAME}要求网点负责人处理"
    # The payload keeps who held the case before, so the story needs no earlier event.
    event = reads.events_of(transferred)[-1]
    assert event.payload["previous"] == {"unit_id": clerk.unit_id, "handler_id": clerk.id}


def test_acceptance_and_an_approved_extension_tell_the_deadline_old_and_new(app, zh, users, transferred):
    accepted_due = told(transferred)["accept"]["处理时限"]
    assert accepted_due == transferred.due_date.isoformat()
    extend(users, transferred)
    lines = told(transferred)
    request = lines["request_extension"]
    assert request["申请延至"] == "2026-12-18"
    assert request["告知客户时间"] == "2026-12-01 09:30" and request["告知客户方式"] == "电话回复"
    assert request["原因"] == "需调取监控"
    decision = lines["decide_extension"]
    assert decision["决定"] == "已批准"
    assert decision["处理时限"] == f"{accepted_due} → 2026-12-18"


def test_a_refused_extension_says_so_and_moves_nothing(app, zh, users, transferred):
    extend(users, transferred, approved=False, note="理由不充分")
    decision = told(transferred)["decide_extension"]
    assert decision == {"决定": "未批准", "备注": "理由不充分"}


def test_events_written_before_the_payload_carried_them_show_what_they_have(app, zh, users, transferred):
    """An old transfer has no ``previous`` (the holder comes from the event before it); an old
    approval has no ``deadline`` (the date decided or requested is shown)."""
    extend(users, transferred)
    table = ComplaintEvent.__table__
    # As they were stored before (the ORM refuses to change an event: the log is append-only).
    for event in db.session.query(ComplaintEvent).filter_by(complaint_id=transferred.id).all():
        payload = {k: v for k, v in (event.payload or {}).items() if k not in ("previous", "deadline")}
        db.session.execute(table.update().where(table.c.id == event.id).values(payload=payload))
    db.session.commit()
    db.session.expire_all()
    lines = told(transferred)
    clerk = users[r.COUNTER_STAFF].staff_records[0]
    assert lines["transfer"]["转出"] == f"甲一分社 · {clerk.name}"
    assert lines["decide_extension"] == {"决定": "已批准", "新的处理时限": "2026-12-18"}
    assert "处理时限" not in lines["accept"]


def test_a_ruling_tells_its_category_and_a_reruling_its_outcome(app, zh, users, make_complaint):
    clerk = users[r.COUNTER_STAFF].staff_records[0]
    complaint = make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T09:00:00", category="fee",
                               disputed_fee="50.00")
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch"}, now=NOW)
    svc.apply(users[r.COMMITTEE], complaint.id, "rule", {
        "result": "responsible", "category": "18.4", "verified": True, "staff_ids": [clerk.id],
        "fee_borne": "50.00", "basis": "柜员操作错误,多收客户费用。", "members": present(users[r.COMMITTEE])}, now=NOW)
    svc.apply(users[r.COUNTER_STAFF], complaint.id, "request_reruling", {"reason": "系统故障所致。"}, now=NOW)
    svc.apply(users[r.RERULING_BODY], complaint.id, "decide_reruling", {
        "result": "not_responsible", "category": "19.2", "basis": "经复核系系统故障所致,非柜员责任。", "members": present(users[r.RERULING_BODY])}, now=NOW)
    lines = told(complaint)
    ruling = lines["rule"]
    assert ruling["认定结果"] == "责任投诉"
    assert ruling["认定类别(条款)"].startswith("第十八条(四)")
    assert ruling["责任人"] == clerk.name and ruling["责任人承担的纠纷资费(元)"] == "50.00"
    assert ruling["认定依据"] == "柜员操作错误,多收客户费用。"
    assert lines["request_reruling"] == {"原因": "系统故障所致。"}
    final = lines["decide_reruling"]
    assert final["认定结果"] == "非责任投诉" and final["认定类别(条款)"].startswith("第十九条(二)")


def test_an_edit_tells_each_field_by_its_label_old_and_new(app, zh, users, make_complaint):
    complaint = make_complaint(users[r.COUNTER_STAFF])
    svc.edit(users[r.COUNTER_STAFF], complaint.id, {"version": complaint.version, "category": "fee",
                                                     "facts": f"{NAME}称被多收费。", "complainant_phone": "13900001111"})
    full = told(complaint)["edit"]
    assert full["投诉类别"] == "服务态度 → 服务收费"
    assert full["联系电话"] == "13812345678 → 13900001111"
    assert full["投诉事实"] == f"柜员态度恶劣,拒绝解释手续费。 → {NAME}称被多收费。"
    masked = told(complaint, full=False)["edit"]
    assert masked["联系电话"] == "138****5678 → 139****1111"
    assert masked["投诉事实"] == "柜员态度恶劣,拒绝解释手续费。 → 张**称被多收费。"


def test_the_committee_reads_the_story_without_the_complainant(app, zh, users, transferred):
    extend(users, transferred)
    text = "".join(f"{k}{v}" for lines in told(transferred, full=False).values() for k, v in lines.items())
    assert NAME not in text and "张**要求网点负责人处理" in text and "已电话告知张**并书面报告" in text


def test_the_names_of_the_story_cost_one_statement(app, zh, users, transferred):
    from tests.conftest import count_queries

    complaint_id = transferred.id
    with count_queries() as q:
        events = db.session.query(ComplaintEvent).filter_by(complaint_id=complaint_id).all()
        names = reads.timeline_names(events)
    assert q.count == 2 and names.units and names.staff  # the events, then their names


def test_extension_requests_carry_the_deadline_in_force_and_the_decision(app, zh, users, transferred):
    due = transferred.due_date.isoformat()
    extend(users, transferred, approved=False)
    extend(users, transferred)
    first, second = story.extension_requests(reads.events_of(transferred))
    assert first.deadline == due and first.new_due_date is None and first.decision.payload["approved"] is False
    assert second.deadline == due and second.new_due_date == "2026-12-18"
    assert second.payload["customer_informed_by"] == "phone"
