"""The union's settings (issue 20): page and API per role, Chinese errors beside the field,
nothing changed by bad input, every change audited, appeals decided with bodies picked on the page,
and the supervision telephone on the printed reply."""
from datetime import datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.admin_audit import AdminAudit
from app.models.settings import UnionSettings
from app.security import roles as r
from app.services import complaints as svc
from app.services import settings as service
from tests.conftest import csrf_token

OTHER_ROLES = [role for role in r.ROLE_NAMES if role != r.ADMIN]
USERNAMES = {r.ADMIN: "admin", r.DISCIPLINE_OFFICE: "discipline", r.COMMITTEE: "committee", r.RERULING_BODY: "reruling",
             r.BRANCH_HEAD: "branchhead", r.COUNTER_STAFF: "counter", r.LEADERSHIP: "leader"}


def _form(org, **overrides):
    data = {
        "appeal_body_branch_level_id": str(org["office"].id),
        "appeal_body_union_level_id": "",
        "due_soon_working_days": "3",
        "reruling_window_days": "20",
        "extension_max_working_days": "8",
        "regulatory_ceiling_enabled": "y",
        "regulatory_ceiling_days": "15",
        "regulatory_ceiling_extended_days": "30",
        "received_at_floor": "2001-01-01",
    }
    data.update(overrides)
    return data


@pytest.fixture
def upper(factory, org):
    """A union above the county union, so the union's own decisions have an appeal body."""
    city = factory.unit("市联社", "union", code="SL")
    org["union"].parent = city
    db.session.commit()
    return city


def test_page_is_admin_only(app, users):
    from tests.conftest import web_login

    for role in OTHER_ROLES:
        client = app.test_client()
        web_login(client, USERNAMES[role])
        assert client.get("/settings/").status_code in (302, 403), role
        token = csrf_token(client, "/resetmypassword/form")
        assert client.post("/settings/", data={"csrf_token": token}).status_code in (302, 403), role
    client = app.test_client()
    web_login(client, "admin")
    page = client.get("/settings/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "复议" in html and "纪检监察室" in html and "<select" in html


def test_api_is_admin_only(app, client, users, api):
    for role in OTHER_ROLES:
        headers = api(USERNAMES[role])
        assert client.get("/api/v1/settings/", headers=headers).status_code == 403, role
        assert client.put("/api/v1/settings/", headers=headers, json={"due_soon_working_days": 5}).status_code == 403
    assert client.get("/api/v1/settings/").status_code == 401
    answer = client.get("/api/v1/settings/", headers=api("admin"))
    assert answer.status_code == 200
    assert answer.get_json()["result"]["due_soon_working_days"] == 2
    assert service.current().due_soon_working_days == 2  # unchanged by the refused calls


def test_page_saves_and_audits(app, client, users, org, upper, login):
    login("admin")
    token = csrf_token(client, "/settings/")
    response = client.post("/settings/", data={**_form(org, appeal_body_union_level_id=str(upper.id)),
                                               "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    row = db.session.get(UnionSettings, 1)
    assert (row.due_soon_working_days, row.reruling_window_days, row.extension_max_working_days) == (3, 20, 8)
    assert row.appeal_body_branch_level_id == org["office"].id and row.appeal_body_union_level_id == upper.id
    entry = db.session.execute(select(AdminAudit).where(AdminAudit.target_type == "settings")).scalar_one()
    assert entry.actor_name == "admin" and entry.action == "update" and entry.at is not None
    assert entry.changes["due_soon_working_days"] == {"before": 2, "after": 3}
    assert entry.changes["received_at_floor"] == {"before": "2000-01-01", "after": "2001-01-01"}
    assert "市联社" in entry.changes["appeal_body_union_level_id"]["after"]
    page = client.get("/settings/").get_data(as_text=True)
    assert 'id="settings-changes"' in page and "admin" in page


@pytest.mark.parametrize("field, value, expected", [
    ("due_soon_working_days", "0", "不小于1"),
    ("extension_max_working_days", "abc", "整数"),
    ("received_at_floor", "2099-01-01", "不能晚于今天"),
    ("regulatory_ceiling_days", "", "必须填写"),
    ("received_at_floor", "1980-01-01", "1990-01-01"),
    ("appeal_body_branch_level_id", "__branch__", "上级机构"),
])
def test_page_errors_beside_the_field_in_chinese_and_nothing_changes(app, client, users, org, upper, login,
                                                                      field, value, expected):
    value = str(org["a1"].id) if value == "__branch__" else value
    login("admin")
    token = csrf_token(client, "/settings/")
    response = client.post("/settings/", data={**_form(org, appeal_body_union_level_id=str(upper.id), **{field: value}),
                                               "csrf_token": token})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    block = html.split(f'data-field="{field}"', 1)[1].split('data-field=', 1)[0]
    assert "field-error" in block and expected in block, block
    assert db.session.get(UnionSettings, 1) is None
    assert db.session.execute(select(AdminAudit).where(AdminAudit.target_type == "settings")).first() is None


def test_api_validation(app, client, users, org, upper, api):
    headers = api("admin")
    branch = org["a1"]
    cases = [
        ({"appeal_body_branch_level_id": branch.id}, "appeal_body_branch_level_id"),
        ({"appeal_body_union_level_id": org["union"].id}, "appeal_body_union_level_id"),
        ({"appeal_body_branch_level_id": 999999}, "appeal_body_branch_level_id"),
        ({"due_soon_working_days": 11}, "due_soon_working_days"),
        ({"reruling_window_days": -1}, "reruling_window_days"),
        ({"regulatory_ceiling_days": 20, "regulatory_ceiling_extended_days": 10}, "regulatory_ceiling_extended_days"),
        ({"received_at_floor": "not a date"}, "received_at_floor"),
        ({"colour": "red"}, "colour"),
    ]
    for body, field in cases:
        answer = client.put("/api/v1/settings/", headers=headers, json=body)
        assert answer.status_code == 400, (body, answer.get_json())
        message = answer.get_json()["message"]
        assert field in message and any("\u4e00" <= ch <= "\u9fff" for ch in message[field][0]), message
    assert client.put("/api/v1/settings/", headers=headers, json=[1]).status_code == 400
    assert db.session.get(UnionSettings, 1) is None
    answer = client.put("/api/v1/settings/", headers=headers, json={"appeal_body_union_level_id": upper.id,
                                                                     "due_soon_working_days": 4})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["result"]["due_soon_working_days"] == 4
    assert answer.get_json()["result"]["appeal_body_union_level_id"] == upper.id


def test_floor_cannot_pass_a_kept_complaint(app, users, org, make_complaint, clock):
    make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T09:00:00")
    with pytest.raises(service.SettingsErrors) as refused:
        service.update({"received_at_floor": "2026-12-01"}, users[r.ADMIN])
    assert "received_at_floor" in refused.value.messages


def test_settings_drive_the_rules(app, users, org, upper, cases, clock):
    """The floor, the re-ruling window and the due-soon days are read from the settings."""
    service.update({"received_at_floor": "2020-01-01", "reruling_window_days": 30,
                    "appeal_body_union_level_id": upper.id}, users[r.ADMIN])
    assert svc.received_at_floor().isoformat() == "2020-01-01"
    ruled = db.session.get(type(cases["ruled_only"]), cases["ruled_only"].id)
    assert (ruled.reruling_deadline - ruled.ruled_on).days == 15  # ruled before the change
    from app.reports.statistics import due_soon_days

    service.update({"due_soon_working_days": 5}, users[r.ADMIN])
    assert due_soon_days() == 5


def test_fresh_install_with_other_codes_decides_appeals_after_the_admin_picks_the_bodies(app, factory, clock):
    """No unit has the configured codes: appeals have no body until the admin chooses one on the page."""
    union = factory.unit("某县联社", "union", code="X-UNION")
    office = factory.unit("某纪检室", "department", union, code="X-JJ")
    coop = factory.unit("某信用社", "cooperative", union, code="X-C")
    branch = factory.unit("某分社", "branch", coop, code="X-B")
    admin = factory.user(r.ADMIN, "admin2")
    discipline = factory.user(r.DISCIPLINE_OFFICE, "office2", office, "discipline_officer")
    counter = factory.user(r.COUNTER_STAFF, "counter2", branch, "counter_staff")
    app.config.update(APPEAL_BODY_BRANCH_LEVEL="LS-JJ", APPEAL_BODY_UNION_LEVEL="SL")
    assert service.seed()  # the first deploy: no unit has the configured codes
    assert service.current().appeal_body_branch_level_id is None
    now = datetime(2026, 12, 1, 10, 0)
    complaint, _ = svc.register(counter, {
        "channel": "phone", "complainant_name": "王五", "complainant_phone": "13812345678",
        "branch_id": branch.id, "category": "attitude", "facts": "柜员态度不好。"}, now=now)
    svc.apply(discipline, complaint.id, "accept", {"level": "branch", "handler_id": counter.staff_records[0].id}, now=now)
    svc.apply(counter, complaint.id, "reply", {"method": "phone", "content": "已致歉。"}, now=now)
    from app.errors import Conflict

    with pytest.raises(Conflict):
        svc.apply(discipline, complaint.id, "appeal", {"applied_at": "2026-12-01", "content": "不服处理结果。"}, now=now)

    client = app.test_client()
    from tests.conftest import web_login

    web_login(client, "admin2")
    token = csrf_token(client, "/settings/")
    response = client.post("/settings/", data={**_form({"office": office}), "csrf_token": token,
                                               "appeal_body_union_level_id": str(union.id)})
    assert response.status_code == 400  # the county union cannot review its own decisions
    assert db.session.get(UnionSettings, 1).appeal_body_branch_level_id is None
    response = client.post("/settings/", data={**_form({"office": office}), "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    svc.apply(discipline, complaint.id, "appeal", {"applied_at": "2026-12-01", "content": "不服处理结果。"}, now=now)
    db.session.expire_all()
    assert db.session.get(type(complaint), complaint.id).appeal_unit_id == office.id


def test_supervision_phone_on_the_printed_reply_and_the_notice(app, client, users, org, cases, login):
    """§6: the replying unit's telephone, else its nearest ancestor's."""
    from app.services.org import check_unit

    org["coop_a"].supervision_phone = "0579-8888 1234"
    check_unit(org["coop_a"])
    db.session.commit()
    counter = users[r.COUNTER_STAFF]
    complaint = svc.register(counter, {"channel": "phone", "complainant_name": "李四", "complainant_phone": "13812345679",
                                       "branch_id": org["a1"].id, "category": "attitude", "facts": "态度不好。"},
                             now=datetime(2026, 12, 1, 9))[0]
    now = datetime(2026, 12, 1, 10, 0)
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept",
              {"level": "branch", "handler_id": counter.staff_records[0].id}, now=now)
    svc.apply(counter, complaint.id, "reply", {"method": "letter", "content": "已核实并致歉。"}, now=now)
    db.session.expire_all()
    stored = db.session.get(type(complaint), complaint.id)
    assert "0579-8888 1234" in stored.appeal_notice
    login("discipline")
    page = client.get(f"/complaints/print_reply/{complaint.id}").get_data(as_text=True)
    assert "监督电话" in page and "0579-8888 1234" in page
    # A reply printed before the phone was published shows it too (beside the stored notice).
    org["a1"].supervision_phone = "96596"
    db.session.commit()
    page = client.get(f"/complaints/print_reply/{cases['replied'].id}").get_data(as_text=True)
    assert "96596" in page


def test_supervision_phone_is_checked(app, org):
    from app.errors import ValidationFailed
    from app.services.org import check_unit

    org["a1"].supervision_phone = "call us"
    with pytest.raises(ValidationFailed) as refused:
        check_unit(org["a1"])
    assert refused.value.field == "supervision_phone"
