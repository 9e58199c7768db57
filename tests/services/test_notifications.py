"""Notifications (issue 23): who must act hears of it — per kind, per role and scope, nobody out of
scope, nobody of their own step; written in the transition's transaction; ``flask remind`` feeds
the same list once per recipient, case and day; e-mail to a real SMTP server (aiosmtpd) after the
commit, a mail failure never breaking the transition; no identity in what is stored or mailed."""
import logging
from datetime import date, datetime

import pytest
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import func, select

from app.domain import transitions as t
from app.extensions import db
from app.models import Staff
from app.models.complaint import Complaint
from app.models.notification import Notification
from app.security import roles as r
from app.services import complaints as svc
from app.services import deadlines, notifications

NOW = datetime(2026, 12, 1, 10, 0)
IDENTITY = ("张三丰", "13812345678", "330102199001011234", "文三路")


def received(complaint, kind=None):
    """{username: [kinds]} of the notifications about ``complaint`` (of ``kind`` only, if given)."""
    rows = db.session.execute(
        select(Notification.recipient_id, Notification.kind).where(Notification.complaint_id == complaint.id)
    ).all()
    from flask_appbuilder.security.sqla.models import User

    names = dict(db.session.execute(select(User.id, User.username)).all())
    found = {}
    for recipient, what in rows:
        if kind is None or what == kind:
            found.setdefault(names[recipient], []).append(what)
    return found


@pytest.fixture
def more(factory, org, users):
    """Who else there is: a branch head elsewhere (b1), a head of cooperative A (over a1 and a2), a
    second discipline officer, a counter clerk of a2 and an inactive login at a1."""
    made = {
        "head_b1": factory.user(r.BRANCH_HEAD, "head_b1", org["b1"], "branch_head"),
        "head_coop_a": factory.user(r.BRANCH_HEAD, "head_coop_a", org["coop_a"], "branch_head"),
        "office2": factory.user(r.DISCIPLINE_OFFICE, "office2", org["office"], "discipline_officer"),
        "counter_a2": factory.user(r.COUNTER_STAFF, "counter_a2", org["a2"], "counter_staff"),
        "gone": factory.user(r.BRANCH_HEAD, "gone", org["a1"], "branch_head"),
    }
    made["gone"].active = False
    db.session.commit()
    return made


def _accept(users, complaint, **body):
    return svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch", **body}, now=NOW)


# --- each kind, its recipients ---------------------------------------------------------------------

def test_accept_tells_the_handler_named_and_nobody_else(app, users, more, make_complaint):
    complaint = make_complaint(users[r.COUNTER_STAFF])
    _accept(users, complaint, handler_id=users[r.COUNTER_STAFF].staff_records[0].id)
    assert received(complaint) == {"counter": ["assigned"]}
    row = db.session.execute(select(Notification).where(Notification.complaint_id == complaint.id)).scalar_one()
    assert row.due == complaint.due_date and row.read_at is None and row.remind_day is None


def test_accept_without_a_handler_tells_the_heads_of_the_branch(app, users, more, make_complaint, org):
    """Registered by the office (its officer is the first holder, not of the branch): accepted for a1
    without a handler → a1's active branch head; not b1's head (out of scope), not the coop's head
    (a1 has its own), not the inactive login, not the counter clerk (no head), not the office."""
    complaint = make_complaint(users[r.DISCIPLINE_OFFICE])
    _accept(users, complaint)
    assert complaint.handler_id is None
    assert received(complaint) == {"branchhead": ["assigned"]}


def test_a_branch_without_a_head_goes_to_the_head_of_its_cooperative(app, users, more, make_complaint, org):
    complaint = make_complaint(users[r.DISCIPLINE_OFFICE], branch_id=org["a2"].id)
    _accept(users, complaint)
    assert received(complaint) == {"head_coop_a": ["assigned"]}


def test_the_head_the_complaint_names_is_not_told(app, users, more, make_complaint, org):
    """The branch head complained about never hears of the complaint (§16): the coop's head does."""
    head = users[r.BRANCH_HEAD].staff_records[0]
    complaint = make_complaint(users[r.DISCIPLINE_OFFICE], respondent_staff_id=head.id)
    _accept(users, complaint)
    assert received(complaint) == {"head_coop_a": ["assigned"]}


def test_transfer_up_to_the_union_tells_the_discipline_office(app, users, more, make_complaint, org):
    complaint = make_complaint(users[r.COUNTER_STAFF])
    _accept(users, complaint)
    svc.apply(users[r.COUNTER_STAFF], complaint.id, "transfer", {"to_unit_id": org["office"].id, "reason": "超出网点权限"},
              now=NOW)
    assert received(complaint, "transferred") == {"discipline": ["transferred"], "office2": ["transferred"]}


def test_transfer_to_a_staff_member_tells_that_person_only(app, users, more, make_complaint, org):
    complaint = make_complaint(users[r.DISCIPLINE_OFFICE], branch_id=org["a2"].id)
    _accept(users, complaint)
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "transfer",
              {"to_unit_id": org["a2"].id, "to_staff_id": more["counter_a2"].staff_records[0].id, "reason": "转交经办"},
              now=NOW)
    assert received(complaint, "transferred") == {"counter_a2": ["transferred"]}


def test_nobody_is_told_of_their_own_step(app, users, more, make_complaint):
    complaint = make_complaint(users[r.DISCIPLINE_OFFICE])
    svc.apply(users[r.BRANCH_HEAD], complaint.id, "accept", {"level": "branch"}, now=NOW)
    assert received(complaint) == {}


def test_an_extension_request_goes_to_who_may_decide_it(app, users, more, make_complaint):
    complaint = make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T09:00:00")
    _accept(users, complaint)
    svc.apply(users[r.COUNTER_STAFF], complaint.id, "request_extension", {
        "reason": "需调取监控。", "customer_informed_at": "2026-12-01T09:30:00", "customer_informed_by": "phone",
        "report": "延期报告。", "requested_due_date": "2026-12-28"}, now=NOW)
    assert received(complaint, "extension_requested") == {"discipline": ["extension_requested"],
                                                          "office2": ["extension_requested"]}
    requested = db.session.execute(select(Notification.due).where(
        Notification.kind == "extension_requested")).scalars().all()
    assert requested == [date(2026, 12, 28)] * 2
    # decided: the requester (and handler) hears of it, with the outcome; the deciding officer not
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "decide_extension", {"approved": True}, now=NOW)
    assert received(complaint, "extension_decided") == {"counter": ["extension_decided"]}
    decided = db.session.execute(select(Notification).where(Notification.kind == "extension_decided")).scalar_one()
    assert decided.params == {"approved": True} and decided.due == date(2026, 12, 28)
    with app.test_request_context():
        assert "2026-12-28" in notifications.text(decided.kind, decided.due, decided.params)


def test_an_appeal_goes_to_the_appeal_body_not_to_the_recorder_or_the_replier(app, users, more, cases):
    """§14: the appeal unit (the discipline office here) decides; the officer who recorded it is not
    told of their own step; the clerk who replied is never among the deciders."""
    assert received(cases["appealed"], "appeal_received") == {"office2": ["appeal_received"]}
    row = db.session.execute(select(Notification).where(Notification.kind == "appeal_received")).scalar_one()
    assert row.due == cases["appealed"].appeal_decision_due


def test_a_reruling_request_goes_to_the_higher_body_serving(app, users, cases):
    assert received(cases["ruled"], "reruling_requested") == {"reruling": ["reruling_requested"]}


def test_a_case_closed_without_a_ruling_is_due_for_a_ruling(app, users, cases, make_complaint):
    assert received(cases["closed"], "ruling_due") == {"committee": ["ruling_due"]}
    # one closed with a ruling is not
    svc.apply(users[r.COUNTER_STAFF], cases["ruled_only"].id, "close", {}, now=NOW)
    assert received(cases["ruled_only"], "ruling_due") == {}


def test_a_recused_committee_member_is_not_told(app, users, org, make_complaint, factory):
    """§17: a member of the branch's own unit is recused from ruling on it: not told it is due."""
    member = factory.user(r.COMMITTEE, "member_a1", org["a1"], "committee_member")
    from app.models.committee import BodyMember, RulingBody

    body = db.session.execute(select(RulingBody).where(RulingBody.kind == "committee")).scalar_one()
    db.session.add(BodyMember(body=body, staff=member.staff_records[0], role="member", term_from=date(2020, 1, 1)))
    db.session.commit()
    complaint = make_complaint(users[r.COUNTER_STAFF])
    _accept(users, complaint)
    svc.apply(users[r.COUNTER_STAFF], complaint.id, "reply", {"method": "phone", "content": "已电话答复。"}, now=NOW)
    svc.apply(users[r.COUNTER_STAFF], complaint.id, "close", {}, now=NOW)
    assert received(complaint, "ruling_due") == {"committee": ["ruling_due"]}


def test_other_steps_and_a_dry_run_tell_nobody(app, users, make_complaint):
    complaint = make_complaint(users[r.COUNTER_STAFF])
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch"}, now=NOW, dry_run=True)
    assert received(complaint) == {}
    _accept(users, complaint)
    before = db.session.execute(select(func.count()).select_from(Notification)).scalar()
    svc.apply(users[r.COUNTER_STAFF], complaint.id, "reply", {"method": "phone", "content": "已电话答复。"}, now=NOW)
    assert db.session.execute(select(func.count()).select_from(Notification)).scalar() == before


def test_every_recipient_may_see_the_case_and_nothing_stored_names_the_complainant(app, users, more, cases):
    from flask_appbuilder.security.sqla.models import User

    rows = db.session.execute(select(Notification)).scalars().all()
    assert {row.kind for row in rows} >= {"assigned", "extension_requested", "extension_decided", "appeal_received",
                                          "reruling_requested", "ruling_due"} - {"extension_decided"}
    for row in rows:
        user = db.session.get(User, row.recipient_id)
        assert user.username not in ("admin", "leader", "head_b1", "gone"), (user.username, row.kind)  # never asked to act
        assert db.session.execute(svc.scoped_select(user).where(Complaint.id == row.complaint_id)).first(), row
        stored = " ".join(str(getattr(row, column.name)) for column in Notification.__table__.c)
        assert not any(value in stored for value in IDENTITY), stored


def test_the_notifications_commit_with_the_transition_or_not_at_all(app, users, make_complaint, monkeypatch):
    """A transition that fails at its commit leaves no notification behind (one transaction)."""
    from app.errors import Conflict
    from sqlalchemy import update

    complaint = make_complaint(users[r.COUNTER_STAFF])
    original = svc.commit_change

    def racing(target=None, before_commit=None):
        db.session.execute(update(Complaint).where(Complaint.id == complaint.id).values(version=Complaint.version + 5)
                           .execution_options(synchronize_session=False))
        return original(target, before_commit)

    monkeypatch.setattr(svc, "commit_change", racing)
    with pytest.raises(Conflict):
        _accept(users, complaint, handler_id=users[r.COUNTER_STAFF].staff_records[0].id)
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Notification)).scalar() == 0


# --- e-mail, to a real SMTP server ---------------------------------------------------------------------

def test_a_transition_mails_the_recipient_after_the_commit(app, users, make_complaint, smtp_server, monkeypatch):
    smtp_server.configure(app, monkeypatch)
    complaint = make_complaint(users[r.COUNTER_STAFF])
    _accept(users, complaint, handler_id=users[r.COUNTER_STAFF].staff_records[0].id)
    [message] = smtp_server.messages
    assert message.envelope_to == [users[r.COUNTER_STAFF].email] and message["From"] == "complaints@test.invalid"
    body = message.get_content()
    assert "甲一分社" in body
    assert complaint.number in body and complaint.due_date.isoformat() in body
    assert not any(value in body or value in message["Subject"] for value in IDENTITY)
    row = db.session.execute(select(Notification).where(Notification.complaint_id == complaint.id)).scalar_one()
    assert row.emailed_at is not None


@pytest.mark.parametrize("failure", ["refused", "unreachable"])
def test_a_mail_failure_does_not_break_the_transition(app, users, make_complaint, smtp_server, monkeypatch, caplog,
                                                       failure):
    smtp_server.configure(app, monkeypatch)
    if failure == "refused":
        smtp_server.refuse = True
    else:
        import socket

        with socket.socket() as probe:  # a loopback port where nothing listens
            probe.bind(("127.0.0.1", 0))
            monkeypatch.setitem(app.config, "MAIL_PORT", probe.getsockname()[1])
    caplog.set_level(logging.WARNING, logger="complaints.mail")
    complaint = make_complaint(users[r.COUNTER_STAFF])
    _accept(users, complaint, handler_id=users[r.COUNTER_STAFF].staff_records[0].id)
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).status == "processing"
    row = db.session.execute(select(Notification).where(Notification.complaint_id == complaint.id)).scalar_one()
    assert row.emailed_at is None and smtp_server.messages == []
    [record] = [rec for rec in caplog.records if rec.name == "complaints.mail"]
    assert "job=transition" in record.getMessage() and complaint.number not in record.getMessage()


def test_without_mail_configured_nothing_is_sent(app, users, make_complaint, smtp_server):
    complaint = make_complaint(users[r.COUNTER_STAFF])
    _accept(users, complaint, handler_id=users[r.COUNTER_STAFF].staff_records[0].id)
    assert smtp_server.messages == [] and received(complaint) == {"counter": ["assigned"]}


# --- flask remind -------------------------------------------------------------------------------------

def _expected_remind(today):
    """Who must hear of each case ``remind`` reminded on ``today``, by the rule, case by case in
    Python (the reference of the set-based INSERT … SELECT): {(username, case id, kind)}."""
    from flask_appbuilder.security.sqla.models import User

    from app.models.reminder import Reminder
    from app.services.complaints import actor_for

    expected = set()
    for reminder in db.session.execute(select(Reminder).where(Reminder.day == today)).scalars():
        case = db.session.get(Complaint, reminder.complaint_id)
        users = db.session.execute(select(User).where(User.active.is_(True))).scalars().all()

        def staff(user):
            return next((s for s in user.staff_records if s.active), None)

        def may(user, step):
            return f"can_{t.BY_NAME[step].permission}" in actor_for(user).permissions

        chosen = set()
        if case.status == "appealed":
            chosen = {u for u in users if staff(u) and staff(u).unit_id == case.appeal_unit_id and may(u, "decide_appeal")
                      and u.id != case.replied_by_id}
        else:
            handler = [u for u in users if staff(u) and staff(u).id == case.handler_id and may(u, "reply")]
            chosen |= set(handler)
            if reminder.kind == "overdue" or not handler:
                if case.level == "union":
                    chosen |= {u for u in users if actor_for(u).acts(t.DISCIPLINE_OFFICE) and may(u, "reply")}
                else:
                    def heads_at(unit_id):
                        return {u for u in users if staff(u) and staff(u).unit_id == unit_id
                                and actor_for(u).acts(t.BRANCH_HEAD) and may(u, "reply")
                                and staff(u).id != case.respondent_staff_id}
                    found = heads_at(case.handling_unit_id)
                    parent = case.handling_unit.parent
                    if not found and parent is not None and parent.kind == "cooperative":
                        found = heads_at(parent.id)
                    chosen |= found
        expected |= {(u.username, case.id, reminder.kind) for u in chosen}
    return expected


def _written(today):
    from flask_appbuilder.security.sqla.models import User

    return {(username, complaint_id, kind) for username, complaint_id, kind in db.session.execute(
        select(User.username, Notification.complaint_id, Notification.kind)
        .join(User, User.id == Notification.recipient_id).where(Notification.remind_day == today))}


@pytest.fixture
def due_cases(app, users, more, make_complaint, org, factory):
    """Processing cases overdue and due soon — with a handler who has a login, one without, none — at
    branch and union level, at a1 (its own head) and a2 (the coop's head); an appealed one overdue."""
    no_login = Staff(name="无账号员工", employee_no="E99999", unit=org["a1"], position="counter_staff", active=True)
    db.session.add(no_login)
    db.session.commit()
    clerk = users[r.COUNTER_STAFF].staff_records[0].id
    made = []
    for received_at, branch, handler in (("2026-11-02T09:00:00", "a1", clerk), ("2026-11-17T09:00:00", "a1", clerk),
                                         ("2026-11-02T09:00:00", "a1", no_login.id), ("2026-11-17T09:00:00", "a1", None),
                                         ("2026-11-02T09:00:00", "a2", None), ("2026-11-17T09:00:00", "a2", None)):
        complaint = make_complaint(users[r.DISCIPLINE_OFFICE], received_at=received_at, branch_id=org[branch].id)
        _accept(users, complaint, **({"handler_id": handler} if handler else {}))
        made.append(complaint)
    union = make_complaint(users[r.DISCIPLINE_OFFICE], received_at="2026-11-02T09:00:00")
    svc.apply(users[r.DISCIPLINE_OFFICE], union.id, "accept", {"level": "union", "handling_unit_id": org["office"].id},
              now=NOW)
    made.append(union)
    return made


def test_remind_notifies_by_the_rule_once_a_day(app, users, more, due_cases, cases):
    """The set-based INSERT … SELECT writes exactly the reference's recipients (handler; the heads
    too when overdue or when there is no handler to tell; the office for a union-level case; the
    appeal body for an appeal), each recipient may see the case, and a second run that day adds
    nothing; the next day notifies again."""
    from app.models.complaint import Complaint as C
    from sqlalchemy import update

    # the appealed case of ``cases``: its decision overdue on the day of the run
    db.session.execute(update(C.__table__).where(C.id == cases["appealed"].id).values(appeal_decision_due=date(2026, 11, 30)))
    db.session.commit()
    day = datetime(2026, 12, 1, 8, 0)
    counts = deadlines.remind(now=day, send_mail=False)
    written = _written(day.date())
    assert written == _expected_remind(day.date()) and counts["notified"] == len(written)
    kinds = {kind for _u, _c, kind in written}
    assert kinds >= {"overdue", "due_soon", "appeal_overdue"}
    users_by_name = {u.username: u for u in db.session.execute(select(User)).scalars()}
    for username, complaint_id, _kind in written:
        assert db.session.execute(svc.scoped_select(users_by_name[username]).where(C.id == complaint_id)).first()
    recipients = {u for u, _c, _k in written}
    assert "head_b1" not in recipients and "gone" not in recipients and "committee" not in recipients
    # the case at a1 without a login for its handler, due soon: a1's head; the a2 cases: the coop's head
    again = deadlines.remind(now=day.replace(hour=16), send_mail=False)
    assert again["notified"] == 0 and _written(day.date()) == written
    following = deadlines.remind(now=datetime(2026, 12, 2, 8, 0), send_mail=False)
    assert following["notified"] == len(_expected_remind(date(2026, 12, 2))) > 0


def test_remind_mails_each_recipient_one_message_through_a_real_server(app, users, more, due_cases, smtp_server,
                                                                      monkeypatch):
    smtp_server.configure(app, monkeypatch)
    day = datetime(2026, 12, 2, 8, 0)
    counts = deadlines.remind(now=day)
    written = _written(day.date())
    by_user = {}
    for username, complaint_id, _kind in written:
        by_user.setdefault(username, set()).add(complaint_id)
    emails = {u.username: u.email for u in db.session.execute(select(User)).scalars()}
    # (mail is configured after the fixture's transitions: these are the reminder messages only)
    assert counts["emailed"] == len(by_user) == len(smtp_server.messages)
    got = {tuple(message.envelope_to): message for message in smtp_server.messages}
    for username, complaint_ids in by_user.items():
        message = got[(emails[username],)]
        body = message.get_content()
        for complaint_id in complaint_ids:
            assert db.session.get(Complaint, complaint_id).number in body
        assert not any(value in body for value in IDENTITY)
    unmailed = db.session.execute(select(func.count()).select_from(Notification).where(
        Notification.remind_day == day.date(), Notification.emailed_at.is_(None))).scalar()
    assert unmailed == 0


def test_remind_with_the_mail_server_down_still_records_everything(app, users, more, due_cases, smtp_server,
                                                                  monkeypatch, caplog):
    smtp_server.configure(app, monkeypatch)
    smtp_server.refuse = True
    caplog.set_level(logging.WARNING, logger="complaints.mail")
    day = datetime(2026, 12, 2, 8, 0)
    counts = deadlines.remind(now=day)
    assert counts["emailed"] == 0 and counts["notified"] == len(_written(day.date())) > 0
    assert any("job=remind" in rec.getMessage() for rec in caplog.records if rec.name == "complaints.mail")


def test_a_custom_role_that_handles_in_its_unit_is_a_head_there(app, users, org, factory, make_complaint):
    """Issue 20's custom roles: 受理/转办/反馈/办结 scoped to the own unit takes the branch head's
    steps — and hears what a branch head hears (a2 has no BranchHead); a custom role that only reads
    does not."""
    from app.services import roles as custom_roles

    custom_roles.save("分社主任", "网点负责人(自定义)", ["handle"], "unit", True)
    custom_roles.save("查阅员", "只读", ["read"], "unit", False)
    head = factory.user("分社主任", "custom_head_a2", org["a2"], "branch_head")
    factory.user("查阅员", "reader_a2", org["a2"], "other")
    complaint = make_complaint(users[r.DISCIPLINE_OFFICE], branch_id=org["a2"].id)
    _accept(users, complaint)
    assert received(complaint) == {"custom_head_a2": ["assigned"]}
    assert head.username == "custom_head_a2"
    day = datetime(2026, 12, 31, 8, 0)  # long overdue by then: the same rule in remind's SQL
    deadlines.remind(now=day, send_mail=False)
    assert {(u, k) for u, c, k in _written(day.date()) if c == complaint.id} == {("custom_head_a2", "overdue")}
