"""Steps that cannot be undone (reject, close, the appeal decision, the final re-ruling) are summed up
and confirmed before anything is written: the first submission checks everything a real one would
and shows the case, its status before and after and every value entered with its label; "back"
returns to the form with the values; only the confirmation applies it. Other steps apply at once,
and so does the API (a client confirms by calling). The grounds of those decisions have at least
ten characters, on the pages and in the API alike."""
import re
from html import unescape

import pytest

from app.domain import transitions as t
from app.extensions import db
from app.models.complaint import Complaint, ComplaintEvent
from app.security import roles as r
from app.services import complaints as svc
from tests.conftest import present, csrf_token
from tests.web.test_form_errors import NOW, log_in_as, messages_of

# (transition, case, user, valid form, [(label, shown value)], status before → after)
STEPS = [
    ("reject", "registered", "discipline", {"reason": "out_of_scope", "note": "属员工违规行为,按第八条移交纪检处理。"},
     [("原因", "不属于本办法处理范围(第八条)"), ("说明", "属员工违规行为,按第八条移交纪检处理。")], "已登记 → 不予受理"),
    ("close", "replied", "counter", {"note": "客户已签收答复函。"}, [("备注", "客户已签收答复函。")], "已反馈 → 已办结"),
    ("decide_appeal", "appealed", "discipline",
     {"decision": "changed", "content": "改为全额退还手续费并书面致歉。", "replied_at": "2026-12-01T09:45"},
     [("决定", "变更原决定"), ("对申请人的答复", "改为全额退还手续费并书面致歉。"), ("反馈时间", "2026-12-01 09:45")],
     "复议中 → 已反馈"),
    ("decide_reruling", "ruled", "reruling",
     {"result": "not_responsible", "category": "19.2", "basis": "经复核,系核心系统参数错误所致。"},
     [("认定结果", "非责任投诉"), ("认定类别(条款)", "第十九条(二)因技术限制或故障引发的客户投诉"), ("责任人承担的纠纷资费(元)", "—"),
      ("认定依据", "经复核,系核心系统参数错误所致。")], "已反馈 → 已反馈"),
]


def snapshot():
    db.session.expire_all()
    return (db.session.query(ComplaintEvent).count(),
            [(c.status, c.version) for c in db.session.query(Complaint).order_by(Complaint.id)])


def summary_rows(html):
    table = re.search(r'<table class="table table-condensed table-bordered confirm-summary">(.*?)</table>', html, re.S)
    rows = re.findall(r"<tr[^>]*>\s*<th[^>]*>(.*?)</th>\s*<td[^>]*>(.*?)</td>", table.group(1), re.S)
    return [(unescape(re.sub(r"<[^>]+>", "", th)).strip(), re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", td))).strip())
            for th, td in rows]


def hidden_inputs(html):
    form = re.search(r'<form [^>]*class="confirm-form">(.*?)</form>', html, re.S).group(1)
    return dict((unescape(n), unescape(v)) for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))


def test_the_steps_to_confirm_are_declared():
    assert set(t.CONFIRM_FIRST) == {"reject", "close", "decide_appeal", "decide_reruling"}
    assert all(name in t.BY_NAME for name in t.CONFIRM_FIRST)


@pytest.mark.parametrize("name, state, username, body, shown, statuses", STEPS, ids=[s[0] for s in STEPS])
def test_an_irreversible_step_is_summed_up_then_confirmed(client, login, users, cases, name, state, username, body,
                                                         shown, statuses):
    case = cases[state]
    if name == "decide_reruling":  # who sat: the higher body's only member, the one recording
        body = {**body, "members": str(present(users[r.RERULING_BODY])[0])}
        shown = shown + [("出席成员", f"{users[r.RERULING_BODY].staff_records[0].name}(组长)")]
    log_in_as(client, login, username)
    page = client.get(f"/complaints/show/{case.id}").get_data(as_text=True)
    assert "核对并确认" in re.search(rf'id="form-{name}"(.*?)</form>', page, re.S).group(1)
    token = csrf_token(client, f"/complaints/show/{case.id}")
    before = snapshot()
    url = f"/complaints/transition/{case.id}/{name}"

    # 1. the summary: nothing written yet
    response = client.post(url, data={"csrf_token": token, "version": str(case.version), **body})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rows = summary_rows(html)
    assert rows[0] == ("投诉编号", case.number)
    assert rows[2] == ("状态", statuses + (" (状态不变)" if statuses.split(" → ")[0] == statuses.split(" → ")[1] else ""))
    for label, value in shown:
        assert (label, value) in rows, (label, value, rows)
    assert "此操作不可撤销。" in html and gettext_zh(t.CONFIRM_FIRST[name]) in html
    sent = hidden_inputs(html)
    assert sent == {"csrf_token": sent["csrf_token"], "version": str(case.version), **body}
    assert snapshot() == before

    # 2. back to the form: the case page, that form open, the values kept, still nothing written
    response = client.post(url, data={**sent, "back": "1"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'id="form-{name}" class="panel-collapse collapse in"' in html
    form = re.search(rf'id="form-{name}"(.*?)</form>', html, re.S).group(1)
    for value in body.values():
        assert value in form
    assert snapshot() == before

    # 3. confirmed: applied once, as the API would
    response = client.post(url, data={**sent, "confirmed": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    events = db.session.query(ComplaintEvent).filter_by(complaint_id=case.id).order_by(ComplaintEvent.id).all()
    assert events[-1].name == name and snapshot()[0] == before[0] + 1


def gettext_zh(msgid):
    from flask_babel import force_locale, gettext

    with force_locale("zh"):
        return gettext(msgid)


def test_a_step_the_handler_refuses_is_refused_before_the_summary(client, login, users, cases):
    """The dry run applies the handler's rules too: §18(四) on a complaint with a disputed fee needs the
    fee borne — said beside the fee, no summary, nothing written."""
    case = cases["ruled"]
    log_in_as(client, login, "reruling")
    token = csrf_token(client, f"/complaints/show/{case.id}")
    before = snapshot()
    response = client.post(f"/complaints/transition/{case.id}/decide_reruling", data={
        "csrf_token": token, "version": str(case.version), "result": "responsible", "category": "18.4",
        "basis": "维持原认定,柜员操作错误多收费用。", "members": str(present(users[r.RERULING_BODY])[0])})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "confirm-summary" not in html
    beside, above, _ = messages_of(html)
    assert list(beside) == ["fee_borne"] and "50.00" in beside["fee_borne"][0] and not above
    assert snapshot() == before


def test_a_confirmation_after_someone_else_changed_the_case_is_refused(client, login, cases, users):
    case = cases["replied"]
    log_in_as(client, login, "counter")
    token = csrf_token(client, f"/complaints/show/{case.id}")
    response = client.post(f"/complaints/transition/{case.id}/close",
                           data={"csrf_token": token, "version": str(case.version), "note": "客户已签收答复函。"})
    sent = hidden_inputs(response.get_data(as_text=True))
    svc.edit(users[r.DISCIPLINE_OFFICE], case.id, {"version": case.version, "customer_request": "要求书面致歉。"}, now=NOW)
    response = client.post(f"/complaints/transition/{case.id}/close", data={**sent, "confirmed": "1"})
    assert response.status_code == 409
    _, above, _ = messages_of(response.get_data(as_text=True))
    assert above == ["该投诉已被他人修改,请刷新后重试。"]
    db.session.expire_all()
    assert db.session.get(Complaint, case.id).status == "replied"


def test_other_steps_apply_at_once(client, login, cases):
    case = cases["registered"]
    log_in_as(client, login, "discipline")
    token = csrf_token(client, f"/complaints/show/{case.id}")
    checklist = {f"eligibility.{k}": "y" for k in ("service_standard", "direct_interest", "clear_respondent", "specific_facts")}
    response = client.post(f"/complaints/transition/{case.id}/accept",
                           data={"csrf_token": token, "version": str(case.version), "level": "branch", **checklist})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Complaint, case.id).status == "processing"


def test_the_api_applies_irreversible_steps_at_once(client, api, cases):
    response = client.post(f"/api/v1/complaint/{cases['replied'].id}/transitions/close", json={}, headers=api("counter"))
    assert response.status_code == 200 and response.get_json()["result"]["status"] == "closed"


# (transition, case, user, field of the grounds, the other fields)
GROUNDS = [
    ("reject", "registered", "discipline", "note", {"reason": "ineligible"}),
    ("decide_appeal", "appealed", "discipline", "content", {"decision": "upheld"}),
    ("rule", "processing", "committee", "basis",
     {"result": "not_responsible", "category": "19.2", "verified": False}),
    ("decide_reruling", "ruled", "reruling", "basis", {"result": "not_responsible", "category": "19.2"}),
]


@pytest.mark.parametrize("name, state, username, field, rest", GROUNDS, ids=[g[0] for g in GROUNDS])
def test_grounds_have_ten_characters_on_pages_and_in_the_api(client, login, api, users, cases, name, state, username,
                                                            field, rest):
    case = cases[state]
    member = {"rule": r.COMMITTEE, "decide_reruling": r.RERULING_BODY}.get(name)
    log_in_as(client, login, username)
    token = csrf_token(client, f"/complaints/show/{case.id}")
    short = "  情况属实,维持。 "  # 8 characters besides the spaces
    response = client.post(f"/complaints/transition/{case.id}/{name}",
                           data={"csrf_token": token, "version": str(case.version), field: short, **rest,
                                 **({"members": str(present(users[member])[0])} if member else {})})
    assert response.status_code == 400
    beside, _, _ = messages_of(response.get_data(as_text=True))
    assert beside[field] == ["至少应填写10个字(现有8个字)。"]
    assert short.strip() in response.get_data(as_text=True)
    if member:
        rest = {**rest, "members": present(users[member])}
    answer = client.post(f"/api/v1/complaint/{case.id}/transitions/{name}", json={field: short, **rest},
                         headers=api(username))
    assert answer.status_code == 400 and answer.get_json()["message"][field] == ["至少应填写10个字(现有8个字)。"]
    answer = client.post(f"/api/v1/complaint/{case.id}/transitions/{name}", json={field: "情况属实,维持原认定", **rest},
                         headers=api(username))
    assert answer.status_code == 200, answer.get_json()
