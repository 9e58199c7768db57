"""§17, issue 21: who sits on a ruling. Members are chosen from the body's roster serving on the
ruling day; a quorum (more than half of the eligible voting members, the chair or a deputy among
them) is checked; a member is recused from a ruling about themselves, a colleague of their own unit
or their own unit; the one recording sits; a past member stays on the rulings they sat on."""
from datetime import date, datetime

import pytest

from app.errors import PermissionDenied, ValidationFailed
from app.extensions import db
from app.models.committee import BodyMember, RulingBody
from app.security import roles as r
from app.services import committee, committee_roster
from app.services import complaints as svc
from tests.conftest import present

NOW = datetime(2026, 12, 1, 10, 0)


@pytest.fixture
def board(factory, org, users):
    """The union's committee of five voting members: the committee user as a plain member (so the
    chair's presence is a separate question), a chair and a deputy at the union's offices, one
    member at the 甲一分社 (the branch complained about) and one at 乙一分社; plus a secretary."""
    body = db.session.query(RulingBody).filter_by(kind="committee").one()
    db.session.query(BodyMember).filter_by(body_id=body.id).update({"role": "member"})
    people = {
        "chair": factory.user(r.COMMITTEE, "chair", org["office"], "committee_member", "王组长"),
        "deputy": factory.user(r.COMMITTEE, "deputy", org["union"], "committee_member", "李副组长"),
        "a1": factory.user(r.COMMITTEE, "member_a1", org["a1"], "committee_member", "甲一成员"),
        "b1": factory.user(r.COMMITTEE, "member_b1", org["b1"], "committee_member", "乙一成员"),
        "secretary": factory.user(r.COMMITTEE, "secretary", org["union"], "committee_member", "张秘书"),
    }
    for key, role in (("chair", "chair"), ("deputy", "deputy"), ("a1", "member"), ("b1", "member"),
                      ("secretary", "secretary")):
        db.session.add(BodyMember(body=body, staff=people[key].staff_records[0], role=role, term_from=date(2020, 1, 1)))
    db.session.commit()
    people["recorder"] = users[r.COMMITTEE]
    people["body"] = body
    return people


@pytest.fixture
def case(users, make_complaint):
    """A replied case against 甲一分社 about its counter clerk."""
    clerk = users[r.COUNTER_STAFF].staff_records[0]
    complaint = make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T09:00:00",
                               respondent_staff_id=clerk.id)
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch"}, now=NOW)
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "reply", {"method": "phone", "content": "已致歉。"}, now=NOW)
    return complaint


def rule(user, case, members, **body):
    data = {"result": "not_responsible", "category": "19.4", "verified": False,
            "basis": "经核实系客户误会所致,非员工责任。", "members": members}
    data.update(body)
    return svc.apply(user, case.id, "rule", data, now=NOW)


def refusal(user, case, members):
    with pytest.raises(ValidationFailed) as error:
        rule(user, case, members)
    return error.value.payload()["members"]


def test_a_quorum_is_more_than_half_with_the_chair_or_a_deputy(app, board, case):
    recorder = board["recorder"]
    # Eligible voting members: recorder, chair, deputy, 乙一 (甲一's member is recused) = 4 → 3 needed.
    assert "4 名有表决权成员中出席 1 名,至少需要 3 名" in str(refusal(recorder, case, present(recorder)))
    assert "出席 2 名" in str(refusal(recorder, case, present(recorder, board["b1"])))
    # The secretary records but does not count.
    assert "出席 2 名" in str(refusal(recorder, case, present(recorder, board["b1"], board["secretary"])))
    assert case.ruling_result is None
    ruled = rule(recorder, case, present(recorder, board["b1"], board["deputy"]))
    assert ruled.ruling_result == "not_responsible"
    ruling = ruled.rulings[0]
    assert ruling.body_id == board["body"].id and ruling.members is None
    assert sorted((m.staff_id, m.role) for m in ruling.present) == sorted(
        [(recorder.staff_records[0].id, "member"), (board["b1"].staff_records[0].id, "member"),
         (board["deputy"].staff_records[0].id, "deputy")])
    assert committee.present_names(ruling).startswith("李副组长(副组长)、")


def test_three_voting_members_without_the_chair_or_a_deputy_are_not_a_quorum(app, board, case, factory, org):
    third = factory.user(r.COMMITTEE, "third", org["b1"], "committee_member", "乙一二")
    db.session.add(BodyMember(body=board["body"], staff=third.staff_records[0], role="member", term_from=date(2020, 1, 1)))
    db.session.commit()
    # Eligible: recorder, chair, deputy, 乙一, 乙一二 = 5 → 3 needed; three plain members are three.
    message = str(refusal(board["recorder"], case, present(board["recorder"], board["b1"], third)))
    assert "须有组长或副组长" in message
    board["body"].chair_required = False
    db.session.commit()
    assert rule(board["recorder"], case, present(board["recorder"], board["b1"], third)).ruling_result


def test_the_person_recording_sits_and_members_come_from_the_roster(app, board, case, users):
    message = refusal(board["recorder"], case, present(board["chair"], board["deputy"], board["b1"]))
    assert "记录认定的人须是出席成员之一" in str(message)
    message = refusal(board["recorder"], case, present(board["recorder"], board["chair"], users[r.LEADERSHIP]))
    assert "在任的成员名单中选择" in str(message)


def test_a_member_of_the_respondents_unit_is_recused(app, board, case, client, login):
    message = refusal(board["recorder"], case, present(board["recorder"], board["chair"], board["a1"]))
    assert "甲一成员须回避" in str(message) and "所在单位" in str(message)
    # That member is not offered the ruling at all, and the form marks them recused.
    assert "rule" not in [t.name for t in svc.available_transitions(board["a1"], case, NOW.date())]
    with pytest.raises(PermissionDenied) as error:
        rule(board["a1"], case, present(board["a1"], board["chair"], board["deputy"]))
    assert "回避" in str(error.value.payload())
    login("committee")
    page = client.get(f"/complaints/show/{case.id}").get_data(as_text=True)
    assert "甲一成员(成员) — 回避:认定涉及该成员所在单位的员工" in page
    assert "rule" in [t.name for t in svc.available_transitions(board["recorder"], case, NOW.date())]


def test_the_staff_complained_about_never_rules_on_themselves(app, factory, org, users, make_complaint):
    body = db.session.query(RulingBody).filter_by(kind="committee").one()
    member = factory.user(r.COMMITTEE, "ruled_member", org["a1"], "committee_member", "被投诉委员")
    db.session.add(BodyMember(body=body, staff=member.staff_records[0], role="deputy", term_from=date(2020, 1, 1)))
    db.session.commit()
    complaint = make_complaint(users[r.DISCIPLINE_OFFICE], received_at="2026-11-30T09:00:00",
                               branch_id=org["a1"].id, respondent_staff_id=member.staff_records[0].id)
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch"}, now=NOW)
    assert "rule" not in [t.name for t in svc.available_transitions(member, complaint, NOW.date())]
    with pytest.raises(PermissionDenied) as error:
        svc.apply(member, complaint.id, "rule", {}, now=NOW)
    assert "涉及您本人" in str(error.value.payload())


def test_a_past_member_stays_on_the_rulings_they_sat_on(app, board, case, users, make_complaint):
    ruled = rule(board["recorder"], case, present(board["recorder"], board["chair"], board["b1"]))
    term = db.session.query(BodyMember).filter_by(staff_id=board["b1"].staff_records[0].id).one()
    committee_roster.end_term(term.id, date(2026, 12, 1), users[r.ADMIN])
    with pytest.raises(ValidationFailed):  # a member who sat is never deleted, only their term ends
        committee_roster.delete_member(term.id, users[r.ADMIN])
    db.session.expire_all()
    assert "乙一成员(成员)" in committee.present_names(ruled.rulings[0])
    # The next day the roster no longer has them.
    later = make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T10:00:00")
    svc.apply(users[r.DISCIPLINE_OFFICE], later.id, "accept", {"level": "branch"}, now=NOW)
    with pytest.raises(ValidationFailed) as error:
        svc.apply(board["recorder"], later.id, "rule", {
            "result": "not_responsible", "category": "19.4", "verified": False,
            "basis": "经核实系客户误会所致,非员工责任。",
            "members": present(board["recorder"], board["chair"], board["b1"])}, now=datetime(2026, 12, 2, 10, 0))
    assert "2026-12-02" in str(error.value.payload()["members"])


def test_no_roster_no_ruling(app, users, case):
    db.session.query(BodyMember).delete()
    db.session.commit()
    message = refusal(users[r.COMMITTEE], case, present(users[r.COMMITTEE]))
    assert "没有在任成员" in str(message)


def test_the_timeline_and_the_notice_name_who_sat(app, board, case, client, login):
    rule(board["recorder"], case, present(board["recorder"], board["chair"], board["b1"]))
    login("discipline")
    page = client.get(f"/complaints/show/{case.id}").get_data(as_text=True)
    assert "王组长(组长)" in page and "乙一成员(成员)" in page
    notice = client.get(f"/complaints/print_ruling/{case.id}").get_data(as_text=True)
    assert "参加认定的小组成员:王组长(组长)、" in notice and "乙一成员(成员)" in notice


def test_my_rulings_to_record_leave_out_the_cases_a_member_is_recused_from(app, board, case, client, login):
    from tests.conftest import web_login

    login("committee")
    assert case.number in client.get("/todo/").get_data(as_text=True)
    other = app.test_client()
    assert web_login(other, "member_a1").status_code == 302
    assert case.number not in other.get("/todo/").get_data(as_text=True)


def test_my_rulings_to_record_are_those_of_the_bodies_i_serve_on_that_day(app, factory, org, users, case, client):
    """A committee user on no roster, or whose term has ended, has no rulings to record (they
    could not sit); a member of a cooperative's own committee has its branches' cases, and the
    union's committee no longer has them; the higher body's members have the requests addressed
    to their unit."""
    from tests.conftest import web_login

    def todo_of(username):
        other = app.test_client()
        assert web_login(other, username).status_code == 302
        return other.get("/todo/").get_data(as_text=True)

    factory.user(r.COMMITTEE, "unseated", org["union"], "committee_member", "未任成员")
    ended = factory.user(r.COMMITTEE, "ended", org["union"], "committee_member", "已卸任成员")
    union_body = db.session.query(RulingBody).filter_by(kind="committee").one()
    db.session.add(BodyMember(body=union_body, staff=ended.staff_records[0], role="member",
                              term_from=date(2020, 1, 1), term_to=date(2021, 12, 31)))
    db.session.commit()
    assert case.number in todo_of("committee")
    assert case.number not in todo_of("unseated")
    assert case.number not in todo_of("ended")

    coop = factory.user(r.COMMITTEE, "coop_a_member", org["coop_a"], "committee_member", "甲社成员")
    factory.body("committee", org["coop_a"], [(coop, "chair")])
    assert case.number in todo_of("coop_a_member")  # 甲一分社 is under 甲信用社
    assert case.number not in todo_of("committee")  # its nearest committee is now 甲信用社's
    assert committee.units_served(coop.staff_records[0].id, date(2026, 12, 1), "committee") == frozenset(
        {org["coop_a"].id, org["a1"].id, org["a2"].id})
    assert committee.units_served(users[r.RERULING_BODY].staff_records[0].id, date(2026, 12, 1), "higher") == frozenset(
        {org["union"].id})
    assert committee.units_served(None, date(2026, 12, 1), "committee") == frozenset()
