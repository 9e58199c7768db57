"""Retention and archive; request log, job log and the audit of administrative changes."""
import json
import logging
import os
from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.admin_audit import AdminAudit, AppendOnlyAudit
from app.models.complaint import Complaint
from app.ops.observability import log_job
from app.security import roles as r
from app.services import archive
from app.services import complaints as svc
from tests.conftest import PASSWORD

OLD = datetime(2022, 3, 1, 9, 0, 0)       # closed more than three years before "now"
RECENT = datetime(2024, 6, 3, 9, 0, 0)    # closed less than three years before "now"
NOW = datetime(2026, 12, 1, 10, 0, 0)


def _closed(users, make_complaint, at):
    complaint = make_complaint(users[r.COUNTER_STAFF], now=at)
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch"}, now=at)
    svc.apply(users[r.COUNTER_STAFF], complaint.id, "reply", {"method": "phone", "content": "已处理"}, now=at)
    svc.apply(users[r.COUNTER_STAFF], complaint.id, "close", {}, now=at)
    return complaint


@pytest.fixture
def cases(app, users, make_complaint):
    old = _closed(users, make_complaint, OLD)
    recent = _closed(users, make_complaint, RECENT)
    still_open = make_complaint(users[r.COUNTER_STAFF], now=OLD)
    rejected = make_complaint(users[r.COUNTER_STAFF], now=OLD)
    svc.apply(users[r.DISCIPLINE_OFFICE], rejected.id, "reject", {"reason": "ineligible", "note": "不属于投诉受理范围,不予受理"}, now=OLD)
    return dict(old=old.id, recent=recent.id, open=still_open.id, rejected=rejected.id)


# --- retention and archive -------------------------------------------------------------------

def test_retention_is_at_least_three_years():
    assert archive.retention_years(1) == 3 and archive.retention_years(None) == 3 and archive.retention_years(5) == 5
    assert archive.latest_allowed_cutoff(NOW.date()).isoformat() == "2023-12-01"
    assert archive.latest_allowed_cutoff(datetime(2028, 2, 29).date()).isoformat() == "2025-02-28"


def test_archive_refuses_cases_inside_the_retention_period(app, cases, clock, tmp_path):
    clock["now"] = NOW
    output = tmp_path / "too-young.jsonl"
    result = app.test_cli_runner().invoke(args=["archive", "--before", "2024-01-01", "--output", str(output)])
    assert result.exit_code != 0 and "at least 3 years" in result.output and "2023-12-01" in result.output
    assert not output.exists()
    assert db.session.execute(select(func.count()).where(Complaint.archived_at.isnot(None))).scalar() == 0


def test_archive_refuses_a_configured_retention_below_three_years(app, cases, tmp_path):
    with pytest.raises(archive.RetentionError):
        archive.archive_closed(datetime(2025, 1, 1).date(), str(tmp_path / "x.jsonl"), retention=1, now=NOW)


def test_archive_exports_old_closed_cases_with_their_events_marks_them_and_deletes_nothing(
        app, cases, clock, tmp_path, caplog):
    clock["now"] = NOW
    caplog.set_level(logging.INFO, logger="complaints.job")
    output = tmp_path / "archive" / "closed.jsonl"
    total = db.session.execute(select(func.count()).select_from(Complaint)).scalar()

    result = app.test_cli_runner().invoke(args=["archive", "--before", "2023-12-01", "--output", str(output)])

    assert result.exit_code == 0, result.output
    assert oct(os.stat(output).st_mode & 0o777) == "0o600"
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["kind"] == "header" and lines[0]["count"] == 1 and lines[0]["closed_before"] == "2023-12-01"
    record = lines[1]
    assert record["complaint"]["id"] == cases["old"] and record["complaint"]["complainant_name"] == "张三丰"
    assert [event["name"] for event in record["events"]] == ["register", "accept", "reply", "close"]
    db.session.expire_all()
    marked = dict(db.session.execute(select(Complaint.id, Complaint.archived_at)).all())
    assert marked[cases["old"]] == NOW
    assert marked[cases["recent"]] is None and marked[cases["open"]] is None and marked[cases["rejected"]] is None
    assert db.session.execute(select(func.count()).select_from(Complaint)).scalar() == total
    job = [json.loads(record.getMessage()) for record in caplog.records if record.name == "complaints.job"]
    assert job[-1]["job"] == "archive" and job[-1]["archived"] == 1 and job[-1]["events"] == 4

    again = app.test_cli_runner().invoke(args=["archive", "--before", "2023-12-01", "--output", str(tmp_path / "b.jsonl")])
    assert again.exit_code == 0 and again.output.startswith("0 closed cases")


# --- request log -----------------------------------------------------------------------------

def _request_lines(caplog):
    return [json.loads(record.getMessage()) for record in caplog.records if record.name == "complaints.request"]


def test_request_log_is_one_json_line_without_query_or_personal_data(app, client, users, login, caplog):
    caplog.set_level(logging.INFO, logger="complaints.request")
    client.get("/login/?next=/complaint/list/&phone=13812345678")
    anonymous = _request_lines(caplog)[-1]
    assert set(anonymous) == {"event", "method", "path", "status", "duration_ms", "user_id"}
    assert anonymous["path"] == "/login/" and anonymous["method"] == "GET" and anonymous["status"] == 200
    assert anonymous["user_id"] is None and anonymous["duration_ms"] >= 0

    login("counter")
    caplog.clear()
    client.get("/complaintview/list/?_flt_0_complainant_name=张三丰")
    entry = _request_lines(caplog)[-1]
    assert entry["user_id"] == users[r.COUNTER_STAFF].id and entry["path"] == "/complaintview/list/"
    for record in caplog.records:
        assert "13812345678" not in record.getMessage() and "张三丰" not in record.getMessage()


def test_request_log_names_the_token_user(app, client, users, api, caplog):
    headers = api("discipline")
    caplog.set_level(logging.INFO, logger="complaints.request")
    assert client.get("/api/v1/complaint/", headers=headers).status_code == 200
    assert _request_lines(caplog)[-1]["user_id"] == users[r.DISCIPLINE_OFFICE].id


def test_log_job_writes_the_counts(app, caplog):
    caplog.set_level(logging.INFO, logger="complaints.job")
    entry = log_job("remind", due_soon=3, overdue=1, mailed=2)
    line = json.loads(caplog.records[-1].getMessage())
    assert line == entry and line["job"] == "remind" and (line["due_soon"], line["overdue"], line["mailed"]) == (3, 1, 2)


# --- audit of administrative changes ---------------------------------------------------------

def _audit(target_type=None):
    query = select(AdminAudit).order_by(AdminAudit.id)
    if target_type:
        query = query.where(AdminAudit.target_type == target_type)
    return db.session.execute(query).scalars().all()


def test_admin_changes_to_users_and_roles_are_audited_with_who_and_when(app, client, users, api, clock):
    clock["now"] = NOW
    admin = api("admin")
    sm = app.appbuilder.sm
    counter_role, leader_role = sm.find_role(r.COUNTER_STAFF), sm.find_role(r.LEADERSHIP)
    start = len(_audit())

    response = client.post("/api/v1/security/users/", headers=admin, json={
        "username": "newclerk", "first_name": "新", "last_name": "柜员", "email": "newclerk@test.invalid",
        "password": "Clerk#Pass2026", "active": True, "roles": [counter_role.id],
    })
    assert response.status_code == 201, response.get_json()
    user_id = response.get_json()["id"]
    response = client.put(f"/api/v1/security/users/{user_id}", headers=admin,
                          json={"roles": [leader_role.id], "active": False, "email": "changed@test.invalid"})
    assert response.status_code == 200, response.get_json()
    # Built-in roles keep their permissions (issue 20): a custom role's are set instead.
    custom_id = client.post("/api/v1/security/roles/", headers=admin, json={"name": "Readers"}).get_json()["id"]
    permission_ids = [pv.id for pv in leader_role.permissions][:3]
    for ids in (permission_ids, permission_ids[:1]):
        response = client.post(f"/api/v1/security/roles/{custom_id}/permissions", headers=admin,
                               json={"permission_view_menu_ids": ids})
        assert response.status_code == 200, response.get_json()

    db.session.expire_all()
    entries = _audit()[start:]
    created = next(e for e in entries if e.action == "create" and e.target_type == "user")
    assert (created.target_id, created.target_name, created.actor_name) == (user_id, "newclerk", "admin")
    assert created.actor_id == users[r.ADMIN].id and created.at == NOW
    assert created.changes["roles"] == {"added": [r.COUNTER_STAFF], "removed": []}
    assert "Clerk#Pass2026" not in json.dumps(created.changes) and "password" not in created.changes
    # One request may flush twice (FAB loads the roles between setting fields and roles): one
    # entry per flush, same actor and time.
    updates = [e for e in entries if e.action == "update" and e.target_type == "user" and e.target_id == user_id]
    assert {(e.actor_name, e.at) for e in updates} == {("admin", NOW)}
    changes = {key: value for e in updates for key, value in e.changes.items() if key != "fields"}
    fields = {field for e in updates for field in e.changes["fields"]}
    assert changes["roles"] == {"added": [r.LEADERSHIP], "removed": [r.COUNTER_STAFF]}
    assert changes["active"] == {"from": True, "to": False}
    assert fields == {"roles", "active", "email"}
    assert "changed@test.invalid" not in json.dumps([e.changes for e in updates])
    role = next(e for e in entries if e.target_type == "role" and e.target_id == custom_id
                and "permissions" in (e.changes or {}) and e.changes["permissions"]["removed"])
    assert role.action == "update" and role.actor_name == "admin" and role.changes["permissions"]["removed"]


def test_a_login_is_not_an_administrative_change(app, client, users, login):
    start = len(_audit("user"))
    login("counter")
    db.session.expire_all()
    assert len(_audit("user")) == start


def test_password_changes_are_audited_without_the_password(app, users):
    start = len(_audit("user"))
    app.appbuilder.sm.reset_password(users[r.LEADERSHIP].id, "Another#Pass2026")
    entry = _audit("user")[start:][-1]
    assert entry.action == "update" and entry.changes["fields"] == ["password"]
    assert "Another#Pass2026" not in json.dumps(entry.changes) and entry.actor_name == "system"


def test_the_audit_is_append_only(app, users):
    entry = _audit()[-1]
    entry.actor_name = "someone else"
    with pytest.raises(AppendOnlyAudit):
        db.session.commit()
    db.session.rollback()
    db.session.delete(_audit()[-1])
    with pytest.raises(AppendOnlyAudit):
        db.session.commit()
    db.session.rollback()


def test_cli_user_commands_are_audited_as_the_system(app):
    from flask_appbuilder.cli import create_user

    result = app.test_cli_runner().invoke(create_user, args=[
        "--role", r.LEADERSHIP, "--username", "cliuser", "--firstname", "命令",
        "--lastname", "行", "--email", "cli@test.invalid", "--password", "Cli#Password2026"])
    assert result.exit_code == 0, result.output
    entry = _audit("user")[-1]
    assert (entry.action, entry.target_name, entry.actor_name, entry.actor_id) == ("create", "cliuser", "system", None)
    assert PASSWORD not in json.dumps(entry.changes)
