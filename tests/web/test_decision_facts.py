"""A decision is taken with its facts in view (§13, §14, §17): the form of each decision shows what
it rests on — the extension request, the reply and the appeal, the ruling and the request."""
import re
from datetime import datetime

from app.extensions import db
from app.security import roles as r
from app.services import complaints as svc
from tests.conftest import present

NOW = datetime(2026, 12, 1, 10, 0)


def facts(html, name):
    """The text of the facts shown beside the form of transition ``name`` ("" when none)."""
    found = re.search(rf'<dl class="decision-facts" data-facts="{name}">(.*?)</dl>', html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))) if found else ""


def accepted(users, make_complaint):
    case = make_complaint(users[r.COUNTER_STAFF], received_at="2026-12-01T09:00:00")
    svc.apply(users[r.DISCIPLINE_OFFICE], case.id, "accept", {"level": "branch"}, now=NOW)
    return case


def test_the_extension_decision_shows_the_request(client, users, login, make_complaint):
    case = accepted(users, make_complaint)
    svc.apply(users[r.BRANCH_HEAD], case.id, "request_extension", {
        "reason": "需调取半年流水核对", "report": "书面报告:已向客户说明延期原因", "customer_informed_by": "phone",
        "customer_informed_at": "2026-12-01T09:30:00", "requested_due_date": "2026-12-22"}, now=NOW)
    login("discipline")
    shown = facts(client.get(f"/complaints/show/{case.id}").get_data(as_text=True), "decide_extension")
    for text in ("2026-12-22", "需调取半年流水核对", "书面报告:已向客户说明延期原因", "2026-12-01 09:30", "电话回复",
                 str(case.due_date)):
        assert text in shown, (text, shown)


def test_the_appeal_decision_shows_the_reply_and_the_appeal(client, users, login, make_complaint):
    case = accepted(users, make_complaint)
    svc.apply(users[r.DISCIPLINE_OFFICE], case.id, "reply", {"method": "phone", "content": "已向客户说明收费依据。"}, now=NOW)
    svc.apply(users[r.DISCIPLINE_OFFICE], case.id, "appeal", {"applied_at": "2026-12-01", "content": "要求退还手续费"},
              now=NOW)
    login("reruling")
    shown = facts(client.get(f"/complaints/show/{case.id}").get_data(as_text=True), "decide_appeal")
    for text in ("已向客户说明收费依据。", "要求退还手续费", "2026-12-01", str(case.appeal_decision_due)):
        assert text in shown, (text, shown)


def test_the_re_ruling_decision_shows_the_ruling_and_the_request(client, users, login, make_complaint):
    case = accepted(users, make_complaint)
    clerk = users[r.COUNTER_STAFF].staff_records[0]
    svc.apply(users[r.DISCIPLINE_OFFICE], case.id, "reply", {"method": "phone", "content": "已致歉。"}, now=NOW)
    svc.apply(users[r.COMMITTEE], case.id, "rule", {
        "result": "responsible", "category": "18.2", "verified": True, "staff_ids": [clerk.id],
        "basis": "服务态度生硬,经核实属实。", "members": present(users[r.COMMITTEE])}, now=NOW)
    svc.apply(users[r.COUNTER_STAFF], case.id, "request_reruling", {"reason": "当日系统故障,非本人态度问题。"}, now=NOW)
    login("reruling")
    shown = facts(client.get(f"/complaints/show/{case.id}").get_data(as_text=True), "decide_reruling")
    for text in ("服务态度生硬,经核实属实。", "当日系统故障,非本人态度问题。", clerk.name, "第十八条"):
        assert text in shown, (text, shown)


def test_no_facts_beside_a_form_that_decides_nothing(client, users, login, make_complaint):
    case = accepted(users, make_complaint)
    login("discipline")
    html = client.get(f"/complaints/show/{case.id}").get_data(as_text=True)
    assert "decision-facts" not in html


def test_the_regulatory_ceiling_and_a_provisional_date_say_what_they_are(client, users, login, make_complaint):
    """The 监管期限 carries a tooltip saying what it is; a provisional due date says why."""
    case = make_complaint(users[r.COUNTER_STAFF], received_at="2026-12-01T09:00:00")
    svc.apply(users[r.DISCIPLINE_OFFICE], case.id, "accept", {"level": "branch"}, now=NOW)
    case.due_date_provisional = True  # as when the due date reaches a year not yet published
    db.session.commit()
    login("discipline")
    html = client.get(f"/complaints/show/{case.id}").get_data(as_text=True)
    assert re.search(r'class="text-muted regulatory-ceiling" title="监管期限:[^"]*自然日', html)
    assert re.search(r'class="label label-warning provisional-why" title="[^"]*尚未公布', html)
