"""JR/T 0169 classification on the pages (issue 23): the case page shows the codes and whether they
are confirmed, the 确认分类 page confirms or corrects them (per role, refusals in Chinese beside the
field, values kept), and the administrator's code table page writes audited changes only."""
import re
from html import unescape

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.admin_audit import AdminAudit
from app.models.classification import JrtCode
from app.models.complaint import Complaint
from app.security import roles as r
from tests.conftest import csrf_token, web_login

BODY = {"channel_code": "A010303", "business_code": "B03", "reason_code": "C02"}


def classification_cell(html):
    return unescape(re.sub(r"\s+", " ", re.search(r'id="classification">(.*?)</td>', html, re.S).group(1)))


def field_block(html, name):
    start = html.index(f'data-field="{name}"') - 40
    return unescape(html[start:html.index("</div>", start + 40)])


def post_classify(client, case, **changes):
    token = csrf_token(client, f"/complaints/classify/{case.id}")
    return client.post(f"/complaints/classify/{case.id}", data={"csrf_token": token, "version": case.version,
                                                               **BODY, **changes})


def test_the_case_page_shows_the_suggestion_and_links_to_the_form(client, login, cases):
    case = cases["processing"]
    login("counter")
    html = client.get(f"/complaints/show/{case.id}").get_data(as_text=True)
    cell = classification_cell(html)
    assert "业务办理渠道(A):A0101 营业现场" in cell and "业务类型(B):B04 支付结算类" in cell
    assert "投诉原因(C):C03 管理制度、业务规则与流程" in cell and "登记时建议,尚未确认" in cell
    button = re.search(r'<a[^>]*data-transition="classify"[^>]*>', html).group(0)
    assert f'href="/complaints/classify/{case.id}"' in button and 'data-toggle' not in button
    assert 'id="form-classify"' not in html  # the form is on its own page


@pytest.mark.parametrize("role, allowed", [
    ("discipline", True), ("branchhead", True), ("counter", True), ("committee", False), ("leader", False),
])
def test_who_may_confirm_on_the_page(client, login, cases, role, allowed):
    case = cases["replied"]
    login(role)
    html = client.get(f"/complaints/show/{case.id}").get_data(as_text=True)
    assert ('data-transition="classify"' in html) is allowed
    page = client.get(f"/complaints/classify/{case.id}")
    if not allowed:
        assert page.status_code == 403
        return
    assert page.status_code == 200
    form = page.get_data(as_text=True)
    # The codes offered: the most detailed ones in force on the day of receipt, the suggestion chosen.
    assert '<option value="A010303"' in form and '<option value="A0103"' not in form
    assert re.search(r'<option value="A0101"\s+selected>', form)
    assert "A010303 移动客户端(前台业务渠道 › 电子渠道)" in unescape(form)
    response = post_classify(client, case)
    assert response.status_code == 302
    cell = classification_cell(client.get(f"/complaints/show/{case.id}").get_data(as_text=True))
    assert "A010303 移动客户端" in cell and "分类已确认" in cell


def test_a_case_the_user_may_not_classify_now_goes_back_to_the_case_page(app, client, login, cases, factory, org):
    login("discipline")
    response = client.get(f"/complaints/classify/{cases['registered'].id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/complaints/show/{cases['registered'].id}")
    assert client.get("/complaints/classify/999999").status_code == 404
    factory.user(r.BRANCH_HEAD, "headb1", org["b1"], "branch_head")
    other = app.test_client()
    web_login(other, "headb1")  # the head of another branch: the case is outside its scope
    assert other.get(f"/complaints/classify/{cases['processing'].id}").status_code == 404
    token = csrf_token(other, "/resetmypassword/form")
    assert other.post(f"/complaints/classify/{cases['processing'].id}",
                      data={"csrf_token": token, **BODY}).status_code == 404


def test_a_bad_code_is_refused_beside_its_field_and_the_values_kept(client, login, cases):
    case = cases["processing"]
    login("discipline")
    response = post_classify(client, case, business_code="B99X", reason_code="C0101")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "JR/T 0169 代码表中没有代码 B99X。" in field_block(html, "business_code")
    assert "JR/T 0169 代码表中没有代码 C0101。" in field_block(html, "reason_code")
    assert "has-error" in field_block(html, "reason_code")
    assert re.search(r'<option value="A010303"\s+selected>', html)  # what was sent stays chosen
    response = post_classify(client, case, reason_code="")
    assert response.status_code == 400
    assert "此项必须填写。" in field_block(response.get_data(as_text=True), "reason_code")
    db.session.expire_all()
    stored = db.session.get(Complaint, case.id)
    assert stored.jrt_confirmed is False and stored.jrt_channel.code == "A0101"


def test_a_stale_form_is_refused(client, login, cases, users):
    from app.services import complaints as svc

    case = cases["processing"]
    login("discipline")
    token = csrf_token(client, f"/complaints/classify/{case.id}")
    svc.apply(users[r.DISCIPLINE_OFFICE], case.id, "classify", dict(BODY))
    response = client.post(f"/complaints/classify/{case.id}",
                           data={"csrf_token": token, "version": case.version - 1, **BODY, "reason_code": "C01"})
    assert response.status_code == 409
    assert "已被他人修改" in unescape(response.get_data(as_text=True))


def test_the_timeline_tells_the_correction(client, login, cases):
    case = cases["processing"]
    login("discipline")
    post_classify(client, case)
    html = unescape(client.get(f"/complaints/show/{case.id}").get_data(as_text=True))
    row = re.search(r'<tr data-event="classify">.*?</tr>', html, re.S).group(0)
    assert "确认投诉分类(JR/T 0169)" in row
    assert "A0101 营业现场 → A010303 移动客户端" in row and "B04 支付结算类 → B03 银行卡类" in row


# --- the administrator's code table --------------------------------------------------------------------

def test_the_code_table_page_is_admin_only(app, users):
    for username in ("discipline", "committee", "branchhead", "counter", "leader", "reruling"):
        client = app.test_client()
        web_login(client, username)
        assert client.get("/jrt-codes/list/").status_code in (302, 403), username
    client = app.test_client()
    web_login(client, "admin")
    html = client.get("/jrt-codes/list/").get_data(as_text=True)
    assert "投诉分类代码表" in html and "A010303" in html and "中、后台业务渠道" in html
    assert client.get("/jrt-codes/delete/1").status_code == 404


def test_the_administrator_adds_and_changes_codes_audited(app, users):
    client = app.test_client()
    web_login(client, "admin")
    token = csrf_token(client, "/jrt-codes/add")
    b01 = db.session.execute(select(JrtCode).where(JrtCode.code == "B01")).scalar_one()
    response = client.post("/jrt-codes/add", data={"csrf_token": token, "code": "b0101", "name": "活期储蓄",
                                                   "dimension": "B", "parent_id": str(b01.id), "valid_from": "",
                                                   "valid_to": "", "position": "111"})
    assert response.status_code == 302
    added = db.session.execute(select(JrtCode).where(JrtCode.code == "B0101")).scalar_one()
    assert added.parent_id == b01.id and added.position == 111
    token = csrf_token(client, f"/jrt-codes/edit/{added.id}")
    response = client.post(f"/jrt-codes/edit/{added.id}", data={
        "csrf_token": token, "code": "B0101", "name": "活期储蓄存款", "parent_id": str(b01.id), "valid_from": "",
        "valid_to": "2027-12-31", "position": "111"})
    assert response.status_code == 302
    entries = db.session.execute(select(AdminAudit).where(AdminAudit.target_type == "jrt_code")
                                 .order_by(AdminAudit.id)).scalars().all()
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].changes == {"name": {"from": "活期储蓄", "to": "活期储蓄存款"},
                                  "valid_to": {"from": None, "to": "2027-12-31"}}
    audit = unescape(client.get("/admin-audit/list/").get_data(as_text=True))
    assert "投诉分类代码" in audit and "活期储蓄 → 活期储蓄存款" in audit


def test_a_bad_entry_is_refused_beside_the_field(app, users):
    client = app.test_client()
    web_login(client, "admin")
    token = csrf_token(client, "/jrt-codes/add")
    a01 = db.session.execute(select(JrtCode).where(JrtCode.code == "A01")).scalar_one()
    response = client.post("/jrt-codes/add", data={"csrf_token": token, "code": "C0101", "name": "x",
                                                   "dimension": "C", "parent_id": str(a01.id), "valid_from": "",
                                                   "valid_to": "", "position": "0"})
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    assert "上级代码须属于同一维度。" in html
    response = client.post("/jrt-codes/add", data={"csrf_token": token, "code": "C01", "name": "重复",
                                                   "dimension": "C", "parent_id": "", "valid_from": "",
                                                   "valid_to": "", "position": "0"})
    assert "已有其他代码使用该编码。" in unescape(response.get_data(as_text=True))
    assert db.session.execute(select(AdminAudit).where(AdminAudit.target_type == "jrt_code")).first() is None
    assert db.session.execute(select(JrtCode).where(JrtCode.code == "C0101")).first() is None


def test_the_case_pages_transition_route_answers_as_the_own_page(client, login, cases):
    case = cases["processing"]
    login("branchhead")
    token = csrf_token(client, f"/complaints/classify/{case.id}")
    response = client.post(f"/complaints/transition/{case.id}/classify",
                           data={"csrf_token": token, "version": case.version, **BODY, "channel_code": "A9"})
    assert response.status_code == 400
    assert "JR/T 0169 代码表中没有代码 A9。" in field_block(response.get_data(as_text=True), "channel_code")
    response = client.post(f"/complaints/transition/{case.id}/classify",
                           data={"csrf_token": token, "version": case.version, **BODY})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Complaint, case.id).jrt_confirmed is True
