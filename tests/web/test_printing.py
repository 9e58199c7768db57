"""Printable documents (受理登记表, 书面回复, 复议决定书, 延期申请报告, the case record) per role and
scope, the written reply's one greeting, and the complainant's name inside texts (§16)."""
import re
from datetime import datetime

import pytest

from app.extensions import db
from app.models.audit import PiiAccess
from app.security import roles as r
from app.services import complaints as svc
from tests.conftest import count_queries
from tests.conftest import present

NOW = datetime(2026, 12, 1, 10, 0)
NAME = "张三丰"
GREETING = f"{NAME}先生:您好!"
PRINTS = ("print_intake", "print_reply", "print_ruling", "print_appeal", "print_extension")


def logged(user):
    return [(row.channel, row.complaint_id) for row in db.session.query(PiiAccess).filter_by(user_id=user.id)]


def reply(users, complaint, content):
    svc.apply(users[r.COUNTER_STAFF], complaint.id, "reply", {"method": "letter", "content": content,
                                                              "customer_received_on": "2026-12-01"}, now=NOW)


@pytest.fixture
def case(users, make_complaint):
    """A case with everything printable: an extension requested and approved, a letter whose text
    names the customer, a ruling, an appeal decided."""
    complaint = make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T09:00:00")
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch"}, now=NOW)
    svc.apply(users[r.COUNTER_STAFF], complaint.id, "request_extension", {
        "reason": f"{NAME}要求调取监控", "customer_informed_at": "2026-12-01T09:30:00",
        "customer_informed_by": "phone", "report": "已书面报告纪检监察室", "requested_due_date": "2026-12-18"}, now=NOW)
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "decide_extension", {"approved": True}, now=NOW)
    reply(users, complaint, f"{GREETING}经核实,柜员已向{NAME}当面致歉。")
    svc.apply(users[r.COMMITTEE], complaint.id, "rule", {
        "result": "not_responsible", "category": "19.4", "verified": False, "basis": "经核实系客户误会所致。",
        "members": present(users[r.COMMITTEE])}, now=NOW)
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "appeal", {"applied_at": "2026-12-05", "content": f"{NAME}不服。"},
              now=datetime(2026, 12, 6, 9, 0))
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "decide_appeal",
              {"decision": "upheld", "content": f"维持原处理决定,已告知{NAME}。"}, now=datetime(2026, 12, 10, 9, 0))
    return complaint


@pytest.fixture
def other(users, make_complaint, org):
    """A case of another branch (乙一分社), outside the a1 branch head's and clerk's scope."""
    return make_complaint(users[r.DISCIPLINE_OFFICE], branch_id=org["b1"].id)


# --- the written reply: one greeting (before: two) ----------------------------------------------------

def test_the_printed_reply_has_one_greeting_the_one_the_replier_typed(client, users, login, case):
    login("counter")
    html = client.get(f"/complaints/print_reply/{case.id}").get_data(as_text=True)
    # Before, the letter opened with "张三丰:" and the reply text repeated "张三丰先生:您好!" after
    # "现将处理结果答复如下:".
    assert html.count("您好") == 1 and html.count(f"{NAME}:") == 0
    greeting = re.search(r'<p class="greeting">(.*?)</p>', html).group(1)
    assert greeting == GREETING
    assert html.index(GREETING) < html.index("现将处理结果答复如下") < html.index("经核实")
    assert re.search(r'<div class="content">(.*?)</div>', html).group(1) == f"经核实,柜员已向{NAME}当面致歉。"


def test_a_reply_without_a_greeting_is_addressed_to_the_complainant(client, users, login, make_complaint):
    complaint = make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T09:00:00")
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch"}, now=NOW)
    reply(users, complaint, "经核实:柜员操作失误,已致歉。")
    login("counter")
    html = client.get(f"/complaints/print_reply/{complaint.id}").get_data(as_text=True)
    assert re.search(r'<p class="greeting">(.*?)</p>', html).group(1) == f"{NAME}:"
    assert "经核实:柜员操作失误,已致歉。" in html


# --- the committee never reads the complainant's name in a text (before: the reply showed it) -------

def test_the_committee_reads_the_reply_with_the_name_masked_on_page_print_and_api(client, users, login, api, case):
    answer = client.get(f"/api/v1/complaint/{case.id}", headers=api("committee")).get_json()["result"]
    assert answer["reply_content"] == "张**先生:您好!经核实,柜员已向张**当面致歉。"
    events = client.get(f"/api/v1/complaint/{case.id}/events", headers=api("committee")).get_json()["result"]
    login("committee")
    page = client.get(f"/complaints/show/{case.id}").get_data(as_text=True)
    printed = {name: client.get(f"/complaints/{name}/{case.id}").get_data(as_text=True) for name in PRINTS}
    for text in (page, str(answer), str(events), *printed.values()):
        assert NAME not in text
    assert "张**先生:您好!" in printed["print_reply"] and "已向张**当面致歉" in page
    assert "张**要求调取监控" in page and "张**要求调取监控" in printed["print_extension"]
    assert "已告知张**" in printed["print_appeal"]
    assert logged(users[r.COMMITTEE]) == []


def test_those_who_see_identity_read_the_texts_in_full(client, users, login, api, case):
    answer = client.get(f"/api/v1/complaint/{case.id}", headers=api("discipline")).get_json()["result"]
    assert answer["reply_content"] == f"{GREETING}经核实,柜员已向{NAME}当面致歉。"
    login("counter")
    assert f"已向{NAME}当面致歉" in client.get(f"/complaints/show/{case.id}").get_data(as_text=True)


# --- every printout per role and scope ---------------------------------------------------------------

@pytest.mark.parametrize("name", PRINTS)
@pytest.mark.parametrize("username, status", [
    ("discipline", 200), ("counter", 200), ("branchhead", 200), ("committee", 200), ("leader", 200), ("admin", 200),
])
def test_every_printout_opens_for_those_who_read_the_case(client, users, login, case, name, username, status):
    login(username)
    response = client.get(f"/complaints/{name}/{case.id}")
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert case.number in html
    # No menu, no action: only the toolbar, which paper never shows.
    assert 'class="navbar' not in html and "<form" not in html
    assert 'class="print-toolbar no-print"' in html


@pytest.mark.parametrize("name", PRINTS)
@pytest.mark.parametrize("username", ["branchhead", "counter"])
def test_a_printout_outside_the_scope_is_404(client, users, login, case, other, name, username):
    login(username)
    assert client.get(f"/complaints/{name}/{other.id}").status_code == 404
    assert client.get(f"/complaints/{name}/999999").status_code == 404


@pytest.mark.parametrize("name", PRINTS)
def test_an_anonymous_visitor_is_sent_to_the_login(client, users, case, name):
    response = client.get(f"/complaints/{name}/{case.id}")
    assert response.status_code in (302, 401)


@pytest.mark.parametrize("name", ["print_reply", "print_ruling", "print_appeal", "print_extension"])
def test_a_document_the_case_does_not_have_yet_is_404(client, users, login, make_complaint, name):
    fresh = make_complaint(users[r.COUNTER_STAFF])
    login("counter")
    assert client.get(f"/complaints/{name}/{fresh.id}").status_code == 404
    assert client.get(f"/complaints/print_intake/{fresh.id}").status_code == 200


def test_the_intake_form_is_the_registration_record_to_sign(client, users, login, case):
    login("counter")
    html = client.get(f"/complaints/print_intake/{case.id}").get_data(as_text=True)
    for text in ("客户投诉受理登记表", NAME, "13812345678", "330102199001011234", "投诉人签字", "受理人签字",
                 "柜员态度恶劣,拒绝解释手续费。", "甲一分社"):
        assert text in html, text


def test_the_intake_form_is_masked_for_the_committee(client, users, login, case):
    login("committee")
    masked = client.get(f"/complaints/print_intake/{case.id}").get_data(as_text=True)
    assert "张**" in masked and "138****5678" in masked and "13812345678" not in masked


@pytest.mark.parametrize("name, shows_identity", [
    ("print_intake", True), ("print_reply", True), ("print_appeal", True),
    ("print_ruling", False), ("print_extension", False),
])
def test_a_printout_showing_identity_in_full_is_logged(client, users, login, case, name, shows_identity):
    login("discipline")
    assert client.get(f"/complaints/{name}/{case.id}").status_code == 200
    assert logged(users[r.DISCIPLINE_OFFICE]) == ([("print", case.id)] if shows_identity else [])


def test_the_appeal_decision_and_the_extension_report(client, users, login, case):
    login("discipline")
    appeal = client.get(f"/complaints/print_appeal/{case.id}").get_data(as_text=True)
    for text in ("复议决定书", "2026-12-05", "维持原决定", "纪检监察室", "2026-12-10", f"{NAME}不服。"):
        assert text in appeal, text
    report = client.get(f"/complaints/print_extension/{case.id}").get_data(as_text=True)
    for text in ("延期处理申请报告", "联社纪检监察室", f"{NAME}要求调取监控", "2026-12-01 09:30", "电话回复",
                 "已书面报告纪检监察室", "2026-12-18", "已批准"):
        assert text in report, text
    assert re.search(r'<td class="requested">2026-12-18</td>', report)


def test_the_case_page_prints_as_the_case_record(client, users, login, case):
    login("discipline")
    html = client.get(f"/complaints/show/{case.id}").get_data(as_text=True)
    assert "case.css" in html and "print.js" in html
    for name in PRINTS[:1] + PRINTS[3:]:
        assert f"/complaints/{name}/{case.id}" in html
    css = client.get("/static/case.css").get_data(as_text=True)
    printed = css.split("@media print", 1)[1]
    for hidden in (".navbar", ".btn", "form", ".case-actions"):
        assert hidden in printed
    assert ".no-print { display: none" in client.get("/static/print.css").get_data(as_text=True)


# --- statements: the same however much the case carries -------------------------------------------------

def _count(client, url):
    client.get(url)
    with count_queries() as q:
        response = client.get(url)
    assert response.status_code == 200, url
    return q.count


@pytest.mark.parametrize("name", PRINTS)
def test_a_printout_costs_the_same_statements_however_much_the_case_carries(client, users, login, case, make_complaint,
                                                                             name):
    login("discipline")
    url = f"/complaints/{name}/{case.id}"
    few = _count(client, url)
    for i in range(5):
        make_complaint(users[r.COUNTER_STAFF])
        svc.edit(users[r.DISCIPLINE_OFFICE], case.id, {"version": case.version, "customer_request": f"补充{i}"})
    assert _count(client, url) == few
