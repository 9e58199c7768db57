"""导入投诉台账, the page (issue 23): upload → mapping → preview → import as each role, with CSRF, real
logins and the example ledgers; refusals in Chinese and never a 500; identity as the user sees it."""
import datetime as dt
import html
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.cli.demo import DEMO_PASSWORD
from app.extensions import db
from app.models import Complaint
from app.models.ledger import LedgerColumn, LedgerUpload
from app.services import calendar_import
from tests.conftest import count_queries, csrf_token, web_login

DOCS = Path(__file__).resolve().parents[2] / "docs"
OTHERS = ["demo_committee", "demo_reruling", "demo_branchhead", "demo_counter", "demo_leader"]


@pytest.fixture
def demo(app, clock):
    from app.cli.demo import seed_demo

    seed_demo()
    calendar_import.import_from_package([2025, 2026])
    clock["now"] = dt.datetime(2026, 12, 6, 10, 0)


def _client(app, username):
    client = app.test_client()
    response = web_login(client, username, DEMO_PASSWORD)
    assert response.status_code == 302
    return client


def _text(response):
    return html.unescape(response.get_data(as_text=True))


def _upload(client, name="ledger-example.xlsx", content=None, branch=""):
    token = csrf_token(client, "/ledger/")
    data = {"csrf_token": token, "default_branch": branch,
            "file": (io.BytesIO(content if content is not None else (DOCS / name).read_bytes()), name)}
    return client.post("/ledger/upload", data=data, content_type="multipart/form-data")


def _form(page, form_id):
    """The fields a browser would post from the form ``form_id`` of ``page`` (selected options)."""
    found = re.search(rf'<form[^>]*id="{form_id}".*?</form>', page, re.S)
    assert found, form_id
    body = found.group(0)
    data = {}
    for tag in re.findall(r"<input[^>]*>", body):
        name = re.search(r'name="([^"]+)"', tag)
        if name and 'type="file"' not in tag:
            data[name.group(1)] = html.unescape((re.search(r'value="([^"]*)"', tag) or [None, ""])[1])
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', body, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', options)
        data[name] = html.unescape(chosen.group(1)) if chosen else ""
    return data


def _count():
    return db.session.execute(select(func.count()).select_from(Complaint)).scalar()


@pytest.mark.parametrize("username", ["demo_discipline", "demo_admin"])
def test_the_page_opens_for_the_discipline_office_and_admin(app, demo, username):
    client = _client(app, username)
    page = client.get("/ledger/")
    assert page.status_code == 200
    text = _text(page)
    assert "导入投诉台账" in text and "1. 选择文件" in text and "登记日期" in text and "尚未导入过台账" in text
    assert 'href="/ledger/"' in _text(client.get("/complaints/list/")) or username == "demo_admin"


@pytest.mark.parametrize("username", OTHERS)
def test_other_roles_are_refused_every_step(app, demo, username):
    client = _client(app, username)
    assert client.get("/ledger/").status_code == 403
    token = csrf_token(client, "/resetmypassword/form")
    for step in ("upload", "mapping", "preview", "run"):
        assert client.post(f"/ledger/{step}", data={"csrf_token": token}).status_code == 403, step
    assert db.session.execute(select(func.count()).select_from(LedgerUpload)).scalar() == 0


def test_a_post_without_csrf_token_is_refused(app, demo):
    client = _client(app, "demo_discipline")
    response = client.post("/ledger/upload", data={"file": (io.BytesIO((DOCS / "ledger-example.xlsx").read_bytes()),
                                                            "ledger-example.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert db.session.execute(select(func.count()).select_from(LedgerUpload)).scalar() == 0


def test_upload_map_preview_import(app, demo):
    client = _client(app, "demo_discipline")
    mapping_page = _upload(client)
    assert mapping_page.status_code == 200
    text = _text(mapping_page)
    assert "ledger-example.xlsx:表头在第 2 行,其下有 21 行数据。" in text
    assert "2025-2026年" in text and "填表说明" in text  # the sheet choice
    form = _form(text, "ledger-mapping")
    assert form["map-1"] == "received_at" and form["map-21"] == ""  # 登记日期; 备注 not imported
    preview = client.post("/ledger/preview", data=form)
    assert preview.status_code == 200
    text = _text(preview)
    assert "所有行均通过校验。目前尚未写入任何数据:将新建投诉 21 件" in text and "导入 21 件投诉" in text
    assert "411421198503121232" in text  # the discipline office sees identity in full
    assert "超时" in text and _count() == 0
    assert db.session.get(LedgerColumn, "登记日期").field == "received_at"  # the mapping is kept
    confirm = _form(text, "ledger-confirm")
    done = client.post("/ledger/run", data=confirm)
    assert done.status_code == 200
    text = _text(done)
    assert "已导入:新建投诉 21 件" in text and "TS20250106-0001" in text and _count() == 21
    # The rows are cases now: listed with identity masked, as every list of cases.
    assert "4114**********1232" in text and "411421198503121232" not in text and "王桂芳" not in text
    assert db.session.execute(select(func.count()).select_from(LedgerUpload)).scalar() == 0
    # The confirmation posted again finds no upload: nothing happens twice.
    again = client.post("/ledger/run", data=confirm)
    assert again.status_code == 302 and _count() == 21
    assert "最近的导入" in _text(client.get("/ledger/")) and "ledger-example.xlsx" in _text(client.get("/ledger/"))
    # The case page tells where the case came from.
    case = db.session.execute(select(Complaint).where(Complaint.number == "TS20250106-0001")).scalar_one()
    page = _text(client.get(f"/complaints/show/{case.id}"))
    assert "从投诉登记台账导入" in page and "导入自投诉登记台账 ledger-example.xlsx,工作表“2025-2026年”第 3 行" in page


def test_the_gbk_file_after_the_workbook_imports_nothing(app, demo):
    client = _client(app, "demo_discipline")
    for name in ("ledger-example.xlsx", "ledger-example-gbk.csv"):
        text = _text(_upload(client, name))
        preview = _text(client.post("/ledger/preview", data=_form(text, "ledger-mapping")))
        if name.endswith(".xlsx"):
            client.post("/ledger/run", data=_form(preview, "ledger-confirm"))
    assert "编码:GBK" in text
    assert "没有需要导入的内容:全部 21 行以前都已导入。" in preview and "导入 21 件投诉" not in preview
    assert "4114**********1232" in preview  # cases of the database, shown masked as in a list
    assert _count() == 21


def test_preview_with_errors_offers_no_import(app, demo):
    client = _client(app, "demo_discipline")
    text = _text(_upload(client, "ledger-example-errors.csv"))
    form = _form(text, "ledger-mapping")
    preview = client.post("/ledger/preview", data=form)
    assert preview.status_code == 200
    text = _text(preview)
    assert "共 14 行中有 12 行不能导入,整份台账未写入任何数据" in text
    assert "第 6 行“被投诉网点”:组织机构中没有网点“城南分社”" in text
    assert "第 15 行:与第 2 行是同一件投诉" in text
    assert "ledger-confirm" in text and "导入 " not in re.sub(r"导入(投诉台账|为|其他|自)", "", text.split("ledger-confirm")[1])
    # Forcing the last step anyway checks again and writes nothing.
    forced = client.post("/ledger/run", data=_form(text, "ledger-confirm"))
    assert forced.status_code == 400 and "整份台账未写入任何数据" in _text(forced) and _count() == 0


def test_admin_sees_identity_masked_in_the_preview(app, demo):
    client = _client(app, "demo_admin")
    text = _text(_upload(client))
    preview = _text(client.post("/ledger/preview", data=_form(text, "ledger-mapping")))
    assert "4114**********1232" in preview and "411421198503121232" not in preview
    assert "138****2456" in preview and "王桂芳" not in preview


def test_mapping_refusals_beside_the_field(app, demo):
    client = _client(app, "demo_discipline")
    form = _form(_text(_upload(client)), "ledger-mapping")
    form["map-3"] = ""  # 投诉人 not imported
    form["map-9"] = "complainant_phone"  # 投诉内容 as the phone, already taken by 联系电话
    response = client.post("/ledger/preview", data=form)
    assert response.status_code == 400
    text = _text(response)
    assert "没有任何一列对应到投诉人;导入需要这一项。" in text and "“联系电话”已对应到联系电话" in text
    assert db.session.execute(select(func.count()).select_from(LedgerColumn)).scalar() == 0
    form["map-9"] = "facts"
    form["map-3"] = "complainant_name"
    form["default_branch"] = "999999"
    response = client.post("/ledger/preview", data=form)
    assert response.status_code == 400 and "请选择您权限范围内的营业网点" in _text(response)


@pytest.mark.parametrize("content, message", [
    (b"", "文件为空"),
    (bytes(range(256)) * 40, "既不是 Excel 工作簿"),
    (b"PK\x03\x04" + b"\x00" * 100, "不是有效的 Excel 工作簿"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "旧版 Excel"),
])
def test_malformed_uploads_are_refused_not_500(app, demo, content, message):
    client = _client(app, "demo_discipline")
    response = _upload(client, "x.xlsx", content)
    assert response.status_code == 400 and message in _text(response)
    token = csrf_token(client, "/ledger/")
    no_file = client.post("/ledger/upload", data={"csrf_token": token}, content_type="multipart/form-data")
    assert no_file.status_code == 400 and "请选择要上传的台账文件" in _text(no_file)


def test_a_token_is_its_owners_only(app, demo):
    admin = _client(app, "demo_admin")
    form = _form(_text(_upload(admin)), "ledger-mapping")
    office = _client(app, "demo_discipline")
    form["csrf_token"] = csrf_token(office, "/ledger/")
    for step in ("mapping", "preview", "run"):
        response = office.post(f"/ledger/{step}", data=form)
        assert response.status_code == 302, step
    assert "上传的文件已不再保留" in _text(office.get("/ledger/"))
    assert _count() == 0


def test_another_sheet_is_read_on_request(app, demo):
    client = _client(app, "demo_discipline")
    form = _form(_text(_upload(client)), "ledger-sheet")
    form["sheet"] = "填表说明"
    page = client.post("/ledger/mapping", data=form)
    assert page.status_code == 200 and "本台账为演示数据" in _text(page)
    form["sheet"] = "没有这张表"
    refused = client.post("/ledger/mapping", data=form)
    assert refused.status_code == 302 and "工作簿中没有工作表“没有这张表”" in _text(client.get("/ledger/"))


def _rows_csv(count):
    from scripts import ledger_examples as examples

    rows = []
    for n in range(count):
        row = list(examples.ROWS[n % len(examples.ROWS)])
        row[0] = f"S-{n}"
        rows.append(row)
    return examples.csv_text(rows).encode("utf-8")


def test_the_mapping_step_costs_the_same_whatever_the_ledger_size(app, demo):
    client = _client(app, "demo_discipline")
    counts = []
    for size in (3, 60):
        form = _form(_text(_upload(client, "s.csv", _rows_csv(size))), "ledger-mapping")
        with count_queries() as queries:
            assert client.post("/ledger/mapping", data=form).status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1] and counts[0] <= 12, counts


BAD = ["", "0", "-1", str(2**70), "9" * 5000, "x" * 70_000, "'; DROP TABLE complaint;--", "<script>", "是", "..\\a"]


def test_bad_values_in_every_later_step_never_answer_500(app, demo):
    """The mapping, preview and import steps with every field given values a browser never sends."""
    client = _client(app, "demo_discipline")
    form = _form(_text(_upload(client)), "ledger-mapping")
    for step in ("mapping", "preview", "run"):
        for name in [*form, "map-999"]:
            if name == "csrf_token":
                continue
            for value in BAD:
                response = client.post(f"/ledger/{step}", data={**form, name: value})
                assert response.status_code in (200, 302, 400), (step, name, value[:20], response.status_code)
                assert "Traceback" not in response.get_data(as_text=True)
    assert _count() in (0, 21)
