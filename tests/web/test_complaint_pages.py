"""Complaint pages per role: list, case page buttons = available transitions, forms, to-do."""
import re
from datetime import datetime

import pytest

from app.data.complaints import NOT_TODO
from app.extensions import db
from app.models.complaint import Complaint, name_index
from app.security import roles as r
from app.services import complaints as svc
from tests.conftest import count_queries, csrf_token

NOW = datetime(2026, 12, 1, 10, 0)


def buttons(html):
    return re.findall(r'data-transition="([a-z_]+)"', html)


@pytest.fixture
def case(users, make_complaint):
    complaint = make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T09:00:00")
    return complaint


def test_list_page_in_chinese_with_quick_filters(client, users, login, case):
    login("discipline")
    html = client.get("/complaints/list/").get_data(as_text=True)
    assert case.number in html
    assert "投诉" in html and "List Complaint" not in html
    assert "超时" in html and "我的待办" in html


@pytest.mark.parametrize("username, expected", [
    ("discipline", ["accept", "reject", "mark_duplicate"]),
    ("branchhead", ["accept"]),
    ("counter", []),
    ("committee", []),
    ("leader", []),
])
def test_buttons_match_available_transitions(client, users, login, case, username, expected):
    login(username)
    html = client.get(f"/complaints/show/{case.id}").get_data(as_text=True)
    assert buttons(html) == expected
    user = next(u for u in users.values() if u.username == username)
    assert [t.name for t in svc.available_transitions(user, case)] == expected


def test_buttons_after_acceptance(client, users, login, case):
    svc.apply(users[r.DISCIPLINE_OFFICE], case.id, "accept", {"level": "branch"}, now=NOW)
    login("counter")
    html = client.get(f"/complaints/show/{case.id}").get_data(as_text=True)
    assert buttons(html) == [t.name for t in svc.available_transitions(users[r.COUNTER_STAFF], case)]
    assert "reply" in buttons(html)


def test_case_page_masks_identity_for_committee(client, users, login, case):
    login("committee")
    html = client.get(f"/complaints/show/{case.id}").get_data(as_text=True)
    assert "张**" in html and "138****5678" in html
    assert "13812345678" not in html and "330102199001011234" not in html


def test_case_page_shows_identity_to_handler(client, users, login, case):
    login("counter")
    html = client.get(f"/complaints/show/{case.id}").get_data(as_text=True)
    assert "13812345678" in html


def test_out_of_scope_case_page_is_404(client, users, login, make_complaint, org):
    other = make_complaint(users[r.DISCIPLINE_OFFICE], branch_id=org["b1"].id)
    login("branchhead")
    assert client.get(f"/complaints/show/{other.id}").status_code == 404
    token = csrf_token(client)
    assert client.post(f"/complaints/transition/{other.id}/accept", data={"csrf_token": token, "level": "branch"}).status_code == 404
    assert other.number not in client.get("/complaints/list/").get_data(as_text=True)


def test_transition_form_applies_and_flashes(client, users, login, case):
    login("discipline")
    token = csrf_token(client, f"/complaints/show/{case.id}")
    checklist = {f"eligibility.{k}": "y" for k in ("service_standard", "direct_interest", "clear_respondent", "specific_facts")}
    response = client.post(
        f"/complaints/transition/{case.id}/accept",
        data={"csrf_token": token, "version": str(case.version), "level": "branch"},
        follow_redirects=True,
    )
    assert "不符合第四条受理条件" in response.get_data(as_text=True)
    response = client.post(
        f"/complaints/transition/{case.id}/accept",
        data={"csrf_token": token, "version": str(case.version), "level": "branch", **checklist},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "受理:已完成" in html
    db.session.expire_all()
    assert db.session.get(Complaint, case.id).status == "processing"


def test_transition_form_error_is_translated_and_changes_nothing(client, users, login, case):
    login("discipline")
    token = csrf_token(client, f"/complaints/show/{case.id}")
    response = client.post(
        f"/complaints/transition/{case.id}/reject",
        data={"csrf_token": token, "version": str(case.version), "reason": "ineligible"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "此项必须填写" in html
    db.session.expire_all()
    assert db.session.get(Complaint, case.id).status == "registered"


def test_stale_form_is_refused(client, users, login, case):
    login("discipline")
    token = csrf_token(client, f"/complaints/show/{case.id}")
    response = client.post(
        f"/complaints/transition/{case.id}/accept",
        data={"csrf_token": token, "version": str(case.version - 1), "level": "branch"},
        follow_redirects=True,
    )
    assert "已被他人修改" in response.get_data(as_text=True)


def test_transition_without_csrf_is_refused(client, users, login, case):
    login("discipline")
    assert client.post(f"/complaints/transition/{case.id}/accept", data={"level": "branch"}).status_code == 400


def test_register_form(client, users, login, org):
    login("counter")
    html = client.get("/complaints/add").get_data(as_text=True)
    assert "登记投诉" in html and "投诉渠道" in html
    token = csrf_token(client, "/complaints/add")
    response = client.post("/complaints/add", data={
        "csrf_token": token, "channel": "box", "complainant_name": "赵六", "branch_id": str(org["a1"].id),
        "category": "efficiency", "facts": "排队一小时。",
    })
    assert response.status_code == 302
    # The name is stored encrypted (issue 24): found by its blind index.
    assert db.session.query(Complaint).filter_by(name_index=name_index("赵六")).one().channel == "box"


def test_register_form_error_keeps_nothing(client, users, login, org):
    login("counter")
    token = csrf_token(client, "/complaints/add")
    response = client.post("/complaints/add", data={"csrf_token": token, "channel": "box", "branch_id": str(org["b1"].id),
                                                   "category": "efficiency", "facts": "x", "complainant_name": "a"})
    # Refused (a branch outside the clerk's scope): the form comes back, values kept, nothing stored.
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'data-field="branch_id"' in html and "field-error" in html and 'value="a"' in html
    assert db.session.query(Complaint).count() == 0


def test_todo_lists_what_needs_me_overdue_first(client, users, login, make_complaint):
    early = make_complaint(users[r.COUNTER_STAFF], received_at="2026-10-01T09:00:00")
    late = make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T09:00:00")
    for complaint in (late, early):
        svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch"}, now=NOW)
    login("counter")
    html = client.get("/todo/").get_data(as_text=True)
    assert "我的待办" in html
    assert html.index(early.number) < html.index(late.number)
    assert "超时" in html


def test_each_to_do_badge_opens_its_action_form(client, users, login, make_complaint):
    """A badge of 我的待办 leads to the case page with that action's form open, the others closed."""
    complaint = make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T09:00:00")
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch"}, now=NOW)
    login("counter")
    html = client.get("/todo/").get_data(as_text=True)
    links = dict(re.findall(r'data-transition="([a-z_]+)"\s+href="([^"]+)"', html))
    # every step the case page offers, but corrections (the classification) are no one's to-do
    offered = set(buttons(client.get(f"/complaints/show/{complaint.id}").get_data(as_text=True)))
    assert "classify" in offered
    assert set(links) == offered - set(NOT_TODO)
    href = links["reply"].replace("&amp;", "&")
    assert href.endswith("#form-reply")
    page = client.get(href.split("#")[0]).get_data(as_text=True)
    assert 'id="form-reply" class="panel-collapse collapse in"' in page
    assert 'id="form-transfer" class="panel-collapse collapse"' in page


def test_printable_reply(client, users, login, case):
    svc.apply(users[r.DISCIPLINE_OFFICE], case.id, "accept", {"level": "branch"}, now=NOW)
    svc.apply(users[r.COUNTER_STAFF], case.id, "reply", {"method": "letter", "content": "已致歉。"}, now=NOW)
    login("counter")
    html = client.get(f"/complaints/print_reply/{case.id}").get_data(as_text=True)
    assert "已致歉。" in html and "复议" in html and "15" in html


def test_edit_form_has_no_status_or_deadline_fields(client, users, login, case):
    login("counter")
    html = client.get(f"/complaints/edit/{case.id}").get_data(as_text=True)
    for name in ("status", "level", "due_date", "handler_id", "handling_unit_id", "branch_id"):
        assert f'name="{name}"' not in html


def test_list_refuses_unknown_sort_and_huge_pages(client, users, login, case):
    login("discipline")
    assert client.get("/complaints/list/?_oc_ComplaintView=complainant_phone").status_code == 400
    assert client.get("/complaints/list/?psize_ComplaintView=100000").status_code == 400


def test_attachment_upload_and_scoped_download(client, users, login, case, make_complaint, org, app, tmp_path):
    import io

    app.config["UPLOAD_DIR"] = str(tmp_path)
    login("counter")
    token = csrf_token(client, f"/complaints/show/{case.id}")
    pdf = io.BytesIO(b"%PDF-1.4 evidence")
    response = client.post(f"/complaints/upload/{case.id}", data={"csrf_token": token, "file": (pdf, "证据.pdf")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "证据.pdf" in response.get_data(as_text=True)
    attachment = case.attachments[0]
    download = client.get(f"/complaints/attachment/{case.id}/{attachment.id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    assert "attachment" in download.headers["Content-Disposition"]
    fake = io.BytesIO(b"MZ this is an exe")
    response = client.post(f"/complaints/upload/{case.id}", data={"csrf_token": token, "file": (fake, "x.pdf")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "不符" in response.get_data(as_text=True)
    assert len(case.attachments) == 1
    client.get("/logout/")
    login("branchhead")
    other = make_complaint(users[r.DISCIPLINE_OFFICE], branch_id=org["b1"].id)
    assert client.get(f"/complaints/attachment/{other.id}/{attachment.id}").status_code == 404


def test_evidence_file_names_are_masked_on_the_page_and_its_download(client, users, login, case, app, tmp_path):
    """The page lists a file name masked for a masked viewer; its download carries the same name."""
    import io
    from urllib.parse import quote

    from app.services import attachments

    app.config["UPLOAD_DIR"] = str(tmp_path)
    item = attachments.save(users[r.COUNTER_STAFF], case.id, "张三丰身份证.pdf", io.BytesIO(b"%PDF-1.4 id card"))
    login("committee")
    assert "张**身份证.pdf" in client.get(f"/complaints/show/{case.id}").get_data(as_text=True)
    download = client.get(f"/complaints/attachment/{case.id}/{item.id}")
    assert download.status_code == 200
    assert f"filename*=UTF-8''{quote('张**身份证.pdf')}" in download.headers["Content-Disposition"]


def test_an_upload_without_a_chosen_file_asks_for_one(client, users, login, case, app, tmp_path):
    """A browser sends the file field with an empty name when no file was chosen."""
    import io

    app.config["UPLOAD_DIR"] = str(tmp_path)
    login("counter")
    token = csrf_token(client, f"/complaints/show/{case.id}")
    response = client.post(f"/complaints/upload/{case.id}", data={"csrf_token": token, "file": (io.BytesIO(b""), "")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "请选择要上传的文件。" in response.get_data(as_text=True)
    assert case.attachments == [] and list(tmp_path.iterdir()) == []


def test_list_and_case_page_statement_counts_are_constant(client, users, login, make_complaint):
    login("discipline")

    def list_count(n):
        with count_queries() as q:
            assert client.get(f"/complaints/list/?psize_ComplaintView={n}").status_code == 200
        return q.count

    for _ in range(30):
        make_complaint(users[r.COUNTER_STAFF])
    list_count(1)  # warm-up
    assert list_count(1) == list_count(5) == list_count(25) == list_count(100)
    complaint = db.session.query(Complaint).first()
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch"}, now=NOW)

    def case_count():
        with count_queries() as q:
            assert client.get(f"/complaints/show/{complaint.id}").status_code == 200
        return q.count

    case_count()
    few_events = case_count()
    for i in range(6):
        svc.edit(users[r.DISCIPLINE_OFFICE], complaint.id, {"version": complaint.version, "facts": f"补充{i}"})
    assert case_count() == few_events


def test_edit_form_saves(client, users, login, case):
    """Regression: the version travels as text in the form and must be accepted."""
    login("counter")
    token = csrf_token(client, f"/complaints/edit/{case.id}")
    response = client.post(f"/complaints/edit/{case.id}", data={
        "csrf_token": token, "version": str(case.version), "category": "efficiency", "facts": "补充后的事实。",
    }, follow_redirects=True)
    assert "已保存" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Complaint, case.id).facts == "补充后的事实。"


def test_api_custom_validation_messages_are_chinese(client, users, api, case):
    response = client.post(f"/api/v1/complaint/{case.id}/transitions/accept", headers=api("discipline"),
                           json={"level": "branch", "eligibility": {"direct_interest": False, "clear_respondent": True,
                                                                  "specific_facts": True}})
    assert response.status_code == 400
    assert "第四条" in str(response.get_json()["message"])


@pytest.mark.parametrize("username, url", [
    ("discipline", "/complaints/list/"),
    ("discipline", "/complaints/list/?_flt_0_status=registered&_oc_ComplaintView=number&_od_ComplaintView=asc"),
    ("branchhead", "/complaints/list/"),
    ("counter", "/complaints/list/"),
])
def test_list_table_is_fab_markup_with_buttons_made_once(client, users, login, make_complaint, org, monkeypatch,
                                                          username, url):
    """The complaint list's own table widget (row buttons from one URL and one set of labels per
    page) renders exactly what FAB's list widget renders: same rows, buttons, links, labels."""
    from flask_appbuilder.widgets import ListWidget

    from app.web.case import ComplaintView

    for i in range(4):
        make_complaint(users[r.COUNTER_STAFF], branch_id=org["a1"].id)
    login(username)

    def table():
        html = client.get(url).get_data(as_text=True)
        html = re.sub(r'nonce="[^"]+"', "", html[html.index("<table"):html.rindex("</table>")])
        return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()

    ours = table()
    assert ours.count("/complaints/show/") == 4 and "fa-search" in ours
    monkeypatch.setattr(ComplaintView, "list_widget", ListWidget)
    assert table() == ours
