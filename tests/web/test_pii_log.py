"""Every full view of a complainant's identity is logged; the log is read-only (§16, issue 6)."""
from app.extensions import db
from app.models.audit import AppendOnlyLog, PiiAccess
from app.security import roles as r
from tests.conftest import csrf_token


def channels(user):
    return sorted(row.channel for row in db.session.query(PiiAccess).filter_by(user_id=user.id))


def test_case_page_and_api_get_are_logged_for_full_viewers(client, users, login, api, make_complaint):
    complaint = make_complaint(users[r.COUNTER_STAFF])
    client.get(f"/api/v1/complaint/{complaint.id}", headers=api("discipline"))
    login("discipline")
    client.get(f"/complaints/show/{complaint.id}")
    assert channels(users[r.DISCIPLINE_OFFICE]) == ["api", "page"]
    row = db.session.query(PiiAccess).filter_by(channel="api").one()
    assert row.complaint_id == complaint.id and row.username == "discipline"


def test_masked_views_are_not_logged(client, users, login, api, make_complaint):
    complaint = make_complaint(users[r.COUNTER_STAFF])
    client.get(f"/api/v1/complaint/{complaint.id}", headers=api("committee"))
    login("committee")
    client.get(f"/complaints/show/{complaint.id}")
    assert channels(users[r.COMMITTEE]) == []


def test_api_list_never_carries_full_identity(client, users, api, make_complaint):
    make_complaint(users[r.COUNTER_STAFF])
    listed = client.get("/api/v1/complaint/", headers=api("discipline")).get_json()["result"]
    assert listed[0]["complainant_phone"] == "138****5678"
    assert db.session.query(PiiAccess).count() == 0


def test_discipline_office_reads_the_log_nobody_changes_it(client, users, login, make_complaint):
    complaint = make_complaint(users[r.COUNTER_STAFF])
    login("discipline")
    client.get(f"/complaints/show/{complaint.id}")
    html = client.get("/pii-log/list/").get_data(as_text=True)
    assert "discipline" in html and complaint.number in html
    row_id = db.session.query(PiiAccess).first().id
    token = csrf_token(client)
    for path in (f"/pii-log/edit/{row_id}", f"/pii-log/delete/{row_id}", "/pii-log/add"):
        assert client.post(path, data={"csrf_token": token}).status_code in (403, 404, 405)
    assert db.session.query(PiiAccess).count() == 1
    client.post("/logout/", data={"csrf_token": token})
    login("branchhead")
    assert client.get("/pii-log/list/").status_code == 403


def test_log_rows_cannot_be_altered_in_code(app, users, make_complaint):
    import pytest

    from app.services.pii import log_identity_views

    complaint = make_complaint(users[r.COUNTER_STAFF])
    log_identity_views(users[r.DISCIPLINE_OFFICE], [complaint.id], "export")
    row = db.session.query(PiiAccess).one()
    row.username = "someone else"
    with pytest.raises(AppendOnlyLog):
        db.session.flush()
    db.session.rollback()


def test_edit_form_never_offers_masked_contact_fields(client, users, login, make_complaint, factory, org):
    complaint = make_complaint(users[r.COUNTER_STAFF])
    from app.services import complaints as svc
    from datetime import datetime

    head_staff = users[r.BRANCH_HEAD].staff_records[0]
    svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept", {"level": "branch", "handler_id": head_staff.id},
              now=datetime(2026, 12, 1, 10))
    # the registrant is no longer the handler: it may still edit facts, but never sees the phone
    login("counter")
    html = client.get(f"/complaints/edit/{complaint.id}").get_data(as_text=True)
    assert 'name="facts"' in html
    assert 'name="complainant_phone"' not in html and "13812345678" not in html


def test_export_with_identity_is_logged_per_case(client, users, api, make_complaint, clock):
    first = make_complaint(users[r.COUNTER_STAFF])
    second = make_complaint(users[r.COUNTER_STAFF])
    response = client.get("/api/v1/report/export?start=2026-11-01&end=2026-12-31", headers=api("discipline"))
    assert response.status_code == 200
    logged = sorted(row.complaint_id for row in db.session.query(PiiAccess).filter_by(channel="export"))
    assert logged == sorted([first.id, second.id])
    response = client.get("/api/v1/report/export?start=2026-11-01&end=2026-12-31", headers=api("leader"))
    assert response.status_code == 200
    assert db.session.query(PiiAccess).filter_by(user_id=users[r.LEADERSHIP].id).count() == 0
