"""Evidence through the API (issue 23 item 5): ``GET/POST /api/v1/complaint/<id>/attachments`` and
``GET …/attachments/<aid>``, under the case page's rules — who reads, who adds, the scope, the
masked file names, every refused upload leaving nothing behind, and a byte-for-byte round trip."""
import os
import re
from io import BytesIO
from urllib.parse import quote

import pytest

from app.extensions import db
from app.models.complaint import Attachment, ComplaintEvent
from app.security import roles as r
from app.services import attachments, complaints as svc

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x21" + bytes(range(255, -1, -1)) * 16
READERS = [r.DISCIPLINE_OFFICE, r.BRANCH_HEAD, r.COUNTER_STAFF, r.COMMITTEE, r.LEADERSHIP, r.ADMIN]
EDITORS = [r.DISCIPLINE_OFFICE, r.BRANCH_HEAD, r.COUNTER_STAFF]  # those who work on the case


@pytest.fixture
def folder(app, tmp_path):
    """Where this test's evidence is stored."""
    path = tmp_path / "attachments"
    app.config["UPLOAD_DIR"] = str(path)
    return path


@pytest.fixture
def case(users, make_complaint, clock, folder):
    """A processing case of branch 甲一分社, registered and handled by the counter clerk."""
    complaint = make_complaint(users[r.COUNTER_STAFF])
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept",
              {"level": "branch", "handler_id": users[r.COUNTER_STAFF].staff_records[0].id})
    return complaint


def upload(client, headers, cid, content, filename, field="file"):
    """POST ``content`` as ``filename`` in the multipart field ``field`` (no field: ``content`` None)."""
    data = {field: (BytesIO(content), filename)} if content is not None else {}
    return client.post(f"/api/v1/complaint/{cid}/attachments", headers=headers, data=data,
                       content_type="multipart/form-data")


def attach(user, cid, content=PDF, filename="证据.pdf"):
    """An attachment added through the service, as the page adds it."""
    return attachments.save(user, cid, filename, BytesIO(content))


def stored(folder):
    """What a refused upload must not change: files, rows, events."""
    files = sorted(os.listdir(folder)) if folder.exists() else []
    return files, db.session.query(Attachment).count(), db.session.query(ComplaintEvent).count()


def utf8_name(response):
    """The UTF-8 file name of a download's Content-Disposition (``filename*``)."""
    found = re.search(r"filename\*=UTF-8''([^;]+)", response.headers["Content-Disposition"])
    return found.group(1) if found else None


# --- who reads, who adds --------------------------------------------------------------------------

@pytest.mark.parametrize("role", READERS)
def test_whoever_reads_the_case_lists_and_downloads_its_evidence(client, users, api, case, role):
    item = attach(users[r.COUNTER_STAFF], case.id)
    headers = api(users[role].username)
    response = client.get(f"/api/v1/complaint/{case.id}/attachments", headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"] == [{
        "id": item.id, "filename": "证据.pdf", "content_type": "application/pdf", "size": len(PDF),
        "uploaded_at": "2026-12-01T10:00:00", "uploaded_by": "测试counter (counter)",
    }]
    download = client.get(f"/api/v1/complaint/{case.id}/attachments/{item.id}", headers=headers)
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("role", EDITORS)
def test_those_who_work_on_the_case_add_evidence(client, users, api, case, role):
    response = upload(client, api(users[role].username), case.id, PDF, "扫描件.pdf")
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer["result"]["filename"] == "扫描件.pdf" and answer["result"]["size"] == len(PDF)
    assert answer["id"] == answer["result"]["id"] == case.attachments[0].id
    assert answer["result"]["uploaded_by"].endswith(f"({users[role].username})")
    event = db.session.query(ComplaintEvent).filter_by(complaint_id=case.id, name="attach").one()
    assert event.note == "扫描件.pdf" and event.actor_id == users[role].id


@pytest.mark.parametrize("role", [r.COMMITTEE, r.LEADERSHIP, r.RERULING_BODY])
def test_roles_without_the_edit_permission_are_refused_403(client, users, api, case, folder, role):
    before = stored(folder)
    response = upload(client, api(users[role].username), case.id, PDF, "x.pdf")
    assert response.status_code == 403
    assert response.get_json()["message"] == "您没有执行此操作的权限。"
    assert stored(folder) == before


def test_admin_reads_but_does_not_work_on_cases_403(client, users, api, case, folder):
    before = stored(folder)
    response = upload(client, api("admin"), case.id, PDF, "x.pdf")
    assert response.status_code == 403
    assert response.get_json()["message"] == "只有纪检监察室、网点负责人或本案承办人可以办理此事项。"
    assert stored(folder) == before


def test_a_branch_head_reading_a_case_handled_above_it_may_not_add_evidence(client, users, api, make_complaint,
                                                                              clock, folder, org):
    """It sees the case against its branch, but the union handles it: the page shows no upload form."""
    complaint = make_complaint(users[r.DISCIPLINE_OFFICE])
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "union"})
    assert complaint.handling_unit_id != org["a1"].id
    head = api("branchhead")
    assert client.get(f"/api/v1/complaint/{complaint.id}/attachments", headers=head).status_code == 200
    before = stored(folder)
    assert upload(client, head, complaint.id, PDF, "x.pdf").status_code == 403
    assert stored(folder) == before


@pytest.mark.parametrize("step", ["close", "reject"])
def test_a_closed_or_rejected_case_takes_no_evidence_409(client, users, api, make_complaint, case, folder, step):
    office = users[r.DISCIPLINE_OFFICE]
    if step == "close":
        svc.apply(users[r.COUNTER_STAFF], case.id, "reply", {"method": "phone", "content": "已电话回复客户。"})
        svc.apply(users[r.COUNTER_STAFF], case.id, "close", {})
        complaint = case
    else:
        complaint = make_complaint(users[r.COUNTER_STAFF])
        svc.apply(office, complaint.id, "reject", {"reason": "ineligible", "note": "不属于投诉受理范围。"})
    before = stored(folder)
    response = upload(client, api("discipline"), complaint.id, PDF, "x.pdf")
    assert response.status_code == 409
    assert response.get_json()["message"] == "已办结或不予受理的投诉不能再编辑。"
    assert stored(folder) == before
    # Its evidence is still read.
    assert client.get(f"/api/v1/complaint/{complaint.id}/attachments", headers=api("discipline")).status_code == 200


# --- scope ------------------------------------------------------------------------------------------

def test_outside_the_scope_everything_is_404(client, users, api, factory, org, case, folder):
    item = attach(users[r.COUNTER_STAFF], case.id)
    factory.user(r.BRANCH_HEAD, "headb1", org["b1"], "branch_head")
    factory.user(r.COUNTER_STAFF, "clerk2", org["a1"], "counter_staff")  # same branch, not its case
    for username in ("headb1", "clerk2", "reruling"):
        headers = api(username)
        assert client.get(f"/api/v1/complaint/{case.id}/attachments", headers=headers).status_code == 404, username
        assert client.get(f"/api/v1/complaint/{case.id}/attachments/{item.id}", headers=headers).status_code == 404
        if username != "reruling":  # the re-ruling body has no edit permission at all: 403 (above)
            before = stored(folder)
            response = upload(client, headers, case.id, PDF, "x.pdf")
            assert response.status_code == 404 and response.get_json()["message"] == "投诉单不存在。"
            assert stored(folder) == before


def test_unknown_cases_and_files_are_404(client, users, api, make_complaint, case):
    item = attach(users[r.COUNTER_STAFF], case.id)
    other = make_complaint(users[r.COUNTER_STAFF])
    office = api("discipline")
    # A file of another case, even one the caller sees, is not found under this one.
    assert client.get(f"/api/v1/complaint/{other.id}/attachments/{item.id}", headers=office).status_code == 404
    assert client.get(f"/api/v1/complaint/{case.id}/attachments/{item.id + 1}", headers=office).status_code == 404
    assert client.get(f"/api/v1/complaint/{case.id}/attachments/{2**63}", headers=office).status_code == 404
    assert client.get("/api/v1/complaint/999999/attachments", headers=office).status_code == 404
    assert upload(client, office, 999999, PDF, "x.pdf").status_code == 404
    assert client.get(f"/api/v1/complaint/{other.id}/attachments", headers=office).get_json() == {"result": []}


def test_anonymous_callers_get_401(client, case):
    assert client.get(f"/api/v1/complaint/{case.id}/attachments").status_code == 401
    assert upload(client, {}, case.id, PDF, "x.pdf").status_code == 401


# --- the complainant's identity in file names (§16) ----------------------------------------------

def test_file_names_are_masked_for_viewers_who_see_identity_masked(client, users, api, case):
    item = attach(users[r.COUNTER_STAFF], case.id, filename="张三丰身份证.pdf")
    for username, shown in (("discipline", "张三丰身份证.pdf"), ("branchhead", "张三丰身份证.pdf"),
                            ("counter", "张三丰身份证.pdf"), ("committee", "张**身份证.pdf"),
                            ("leader", "张**身份证.pdf"), ("admin", "张**身份证.pdf")):
        headers = api(username)
        listed = client.get(f"/api/v1/complaint/{case.id}/attachments", headers=headers).get_json()["result"]
        assert listed[0]["filename"] == shown, username
        download = client.get(f"/api/v1/complaint/{case.id}/attachments/{item.id}", headers=headers)
        assert utf8_name(download) == quote(shown), username


# --- refused uploads change nothing --------------------------------------------------------------------

@pytest.mark.parametrize("content, filename, field, message", [
    (b"MZ\x90\x00 an executable", "setup.exe", "file",
     "只能上传 PDF、JPEG、PNG、Word(.docx)、Excel(.xlsx)和 MP3 文件。"),
    (b"MZ\x90\x00 an executable", "扫描件.pdf", "file", "文件内容与其类型不符。"),
    (b"\x89PNG\r\n\x1a\n not a recording", "录音.mp3", "file", "文件内容与其类型不符。"),
    (b"", "空.pdf", "file", "文件为空。"),
    (b"%PDF-" + b"0" * 1024 * 1024, "大.pdf", "file", "文件超过 1 MB。"),
    (PDF, "", "file", "请选择要上传的文件。"),
    (None, None, None, "请选择要上传的文件。"),
    (PDF, "x.pdf", "document", "请选择要上传的文件。"),
])
def test_each_bad_upload_is_refused_400_and_leaves_nothing(client, users, api, app, case, folder,
                                                           content, filename, field, message):
    app.config["MAX_ATTACHMENT_BYTES"] = 1024 * 1024
    attach(users[r.COUNTER_STAFF], case.id)  # the folder exists and holds one file
    version = db.session.get(type(case), case.id).version
    before = stored(folder)
    response = upload(client, {**api("counter"), "Accept-Language": "zh"}, case.id, content, filename,
                      field=field or "file")
    assert response.status_code == 400, response.get_json()
    assert response.get_json() == {"message": {"file": [message]}}
    assert stored(folder) == before
    db.session.expire_all()
    assert db.session.get(type(case), case.id).version == version


def test_refusals_speak_english_when_asked(client, api, case):
    response = client.post(f"/api/v1/complaint/{case.id}/attachments?_l_=en", headers=api("counter"),
                           data={"file": (BytesIO(b"plain text"), "notes.txt")}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.get_json() == {"message": {"file": [
        "Only PDF, JPEG, PNG, Word (.docx), Excel (.xlsx) and MP3 files can be attached."]}}


def test_a_request_beyond_the_server_limit_answers_413_in_json(client, api, app, case, folder):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    before = stored(folder)
    response = upload(client, api("counter"), case.id, PDF * 64, "大.pdf")
    assert response.status_code == 413
    assert response.mimetype == "application/json"
    assert response.get_json() == {"message": "上传的内容过大。"}
    assert stored(folder) == before


def test_control_characters_are_dropped_from_the_name(client, api, case):
    """A NUL no database text may hold; a right-to-left override that would show 'gpj.pdf' as 'fdp.jpg'."""
    response = upload(client, api("counter"), case.id, PDF, "扫描\x00件\u202egpj.pdf")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["result"]["filename"] == "扫描件gpj.pdf"


# --- a round trip, byte for byte ------------------------------------------------------------------------

def test_a_recording_and_a_scan_come_back_byte_for_byte(client, api, case, folder):
    head = api("branchhead")
    sent = {}
    for content, filename, kind in ((MP3, "热线录音 2026-12-01.mp3", "audio/mpeg"),
                                    (PDF, "客户来信扫描件.pdf", "application/pdf")):
        response = upload(client, head, case.id, content, filename)
        assert response.status_code == 201, response.get_json()
        result = response.get_json()["result"]
        assert (result["filename"], result["content_type"], result["size"]) == (filename, kind, len(content))
        sent[result["id"]] = (content, filename, kind)
    listed = client.get(f"/api/v1/complaint/{case.id}/attachments", headers=api("discipline")).get_json()["result"]
    assert [item["id"] for item in listed] == sorted(sent)  # oldest first
    for aid, (content, filename, kind) in sent.items():
        download = client.get(f"/api/v1/complaint/{case.id}/attachments/{aid}", headers=api("discipline"))
        assert download.status_code == 200
        assert download.data == content
        assert download.mimetype == kind
        assert utf8_name(download) == quote(filename)
    assert len(os.listdir(folder)) == 2  # stored under random names, nothing else
    assert not set(os.listdir(folder)) & {filename for _, filename, _ in sent.values()}


# --- the OpenAPI document --------------------------------------------------------------------------------

def test_the_endpoints_are_in_the_openapi_document(client, users, api):
    document = client.get("/api/v1/_openapi", headers=api("leader")).get_json()
    paths = document["paths"]
    listing = paths["/api/v1/complaint/{pk}/attachments"]
    body = listing["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["properties"]["file"] == {"type": "string", "format": "binary"} and body["required"] == ["file"]
    assert set(listing["post"]["responses"]) == {"201", "400", "401", "403", "404", "409", "413"}
    assert set(listing["get"]["responses"]) == {"200", "401", "403", "404"}
    schema = document["components"]["schemas"]["ComplaintApi.attachment"]
    assert set(schema["properties"]) == {"id", "filename", "content_type", "size", "uploaded_at", "uploaded_by"}
    download = paths["/api/v1/complaint/{pk}/attachments/{attachment_id}"]["get"]
    assert [p["name"] for p in download["parameters"]] == ["pk", "attachment_id"]
    file_answer = document["components"]["responses"]["attachment_file"]["content"]
    assert set(file_answer) == {kind for kind, _ in attachments.ALLOWED.values()}
