"""/api/v1/workday/ per spec/api.md "Work calendar": Admin writes, everyone reads."""
from datetime import date

import prison
import pytest

from app.extensions import db
from app.models.calendar import WorkDay
from app.services import calendar as service
from app.services import calendar_import

URL = "/api/v1/workday/"
READERS = ["discipline", "committee", "reruling", "branchhead", "counter", "leader"]


@pytest.fixture
def hook_calls(monkeypatch):
    calls = []
    monkeypatch.setattr(service, "on_calendar_changed", lambda dates, user: calls.append((set(dates), user)))
    return calls


@pytest.fixture
def year_2025(app):
    calendar_import.import_from_package([2025])


def _rows():
    return sorted(
        tuple(row) for row in db.session.execute(
            db.select(WorkDay.date, WorkDay.is_workday, WorkDay.name, WorkDay.source)
        ).all()
    )


def _q(**args):
    return URL + "?q=" + prison.dumps(args)


def test_anonymous_gets_401(client, year_2025):
    row_id = db.session.query(WorkDay).first().id
    assert client.get(URL).status_code == 401
    assert client.get(f"{URL}{row_id}").status_code == 401
    assert client.post(URL, json={"date": "2026-03-07", "is_workday": True}).status_code == 401
    assert client.put(f"{URL}{row_id}", json={"is_workday": True}).status_code == 401
    assert client.delete(f"{URL}{row_id}").status_code == 401


def test_every_other_role_reads_and_gets_403_on_writes(client, users, api, year_2025, hook_calls):
    before = _rows()
    national_day_id = db.session.query(WorkDay).filter_by(date=date(2025, 10, 1)).one().id
    for username in READERS:
        headers = api(username)
        response = client.get(_q(filters=[{"col": "date", "opr": "year", "value": 2025}], page_size=100), headers=headers)
        assert response.status_code == 200, username
        body = response.get_json()
        assert body["count"] == len(before)
        national_day = next(item for item in body["result"] if item["date"] == "2025-10-01")
        assert national_day == {"id": national_day_id, "date": "2025-10-01", "is_workday": False, "name": "国庆节",
                                "source": "package"}
        assert client.get(f"{URL}{national_day_id}", headers=headers).status_code == 200
        assert client.get(f"{URL}_info", headers=headers).status_code == 200

        assert client.post(URL, headers=headers, json={"date": "2026-03-07", "is_workday": True}).status_code == 403
        assert client.put(f"{URL}{national_day_id}", headers=headers, json={"is_workday": True}).status_code == 403
        assert client.delete(f"{URL}{national_day_id}", headers=headers).status_code == 403, username
    assert _rows() == before and hook_calls == []


def test_admin_adds_edits_and_deletes_through_the_service(client, users, api, hook_calls):
    headers = api("admin")
    response = client.post(URL, headers=headers, json={"date": "2026-03-07", "is_workday": True, "name": "加班日"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["result"] == {"date": "2026-03-07", "is_workday": True, "name": "加班日"}
    row_id = body["id"]
    assert isinstance(row_id, int)
    assert client.get(f"{URL}{row_id}", headers=headers).get_json()["result"] == {
        "id": row_id, "date": "2026-03-07", "is_workday": True, "name": "加班日", "source": "admin",
    }
    assert hook_calls[-1][0] == {date(2026, 3, 7)}
    assert hook_calls[-1][1].username == "admin"
    assert service.load_calendar().is_workday(date(2026, 3, 7))

    response = client.put(f"{URL}{row_id}", headers=headers, json={"is_workday": False})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"] == {"date": "2026-03-07", "is_workday": False, "name": "加班日"}
    assert hook_calls[-1][0] == {date(2026, 3, 7)}

    response = client.put(f"{URL}{row_id}", headers=headers, json={"date": "2026-03-14", "is_workday": True})
    assert response.status_code == 200
    assert hook_calls[-1][0] == {date(2026, 3, 14)}  # Mar 7 was a day off before and after
    db.session.expire_all()
    assert _rows() == [(date(2026, 3, 14), True, "加班日", "admin")]

    assert client.delete(f"{URL}{row_id}", headers=headers).status_code == 200
    assert hook_calls[-1][0] == {date(2026, 3, 14)}
    db.session.expire_all()
    assert _rows() == []
    assert len(hook_calls) == 4


def test_admin_edit_of_a_package_day_becomes_an_administrators_day(client, users, api, year_2025):
    headers = api("admin")
    row = db.session.query(WorkDay).filter_by(date=date(2025, 10, 8)).one()
    response = client.put(f"{URL}{row.id}", headers=headers, json={"is_workday": True, "name": "本社上班"})
    assert response.status_code == 200
    assert client.get(f"{URL}{row.id}", headers=headers).get_json()["result"]["source"] == "admin"
    assert service.load_calendar().is_workday(date(2025, 10, 8))


BAD_POSTS = [
    ({"date": "2026-13-01", "is_workday": True}, "date"),
    ({"date": "07/03/2026", "is_workday": True}, "date"),
    ({"date": "1999-03-06", "is_workday": True}, "date"),
    ({"date": "2025-10-01", "is_workday": True}, "date"),  # already in the calendar
    ({"is_workday": True}, "date"),
    ({"date": "2026-03-07"}, "is_workday"),
    ({"date": "2026-03-07", "is_workday": "maybe"}, "is_workday"),
    ({"date": "2026-03-07", "is_workday": None}, "is_workday"),
    ({"date": "2026-03-07", "is_workday": True, "name": "长" * 65}, "name"),
    ({"date": "2026-03-07", "is_workday": True, "source": "package"}, "source"),
    ({"date": "2026-03-07", "is_workday": True, "updated_by_id": 1}, "updated_by_id"),
]


def test_bad_input_is_400_and_changes_nothing(client, users, api, year_2025, hook_calls):
    before = _rows()
    for body, field in BAD_POSTS:
        response = client.post(URL, headers=api("admin"), json=body)
        assert response.status_code == 400, (body, response.get_json())
        message = response.get_json()["message"]
        assert isinstance(message, dict) and field in message, (body, message)
    assert _rows() == before and hook_calls == []


def test_bad_put_is_400_and_changes_nothing(client, users, api, year_2025, hook_calls):
    headers = api("admin")
    row = db.session.query(WorkDay).filter_by(date=date(2025, 10, 8)).one()
    before = _rows()
    for body in ({"date": "2025-10-01"}, {"source": "admin"}, {"is_workday": "x"}, {"date": "2101-01-01"}):
        response = client.put(f"{URL}{row.id}", headers=headers, json=body)
        assert response.status_code == 400, (body, response.get_json())
    db.session.expire_all()
    assert _rows() == before and hook_calls == []


def test_missing_rows_are_404(client, users, api):
    headers = api("admin")
    assert client.get(f"{URL}999", headers=headers).status_code == 404
    assert client.put(f"{URL}999", headers=headers, json={"is_workday": True}).status_code == 404
    assert client.delete(f"{URL}999", headers=headers).status_code == 404


def test_not_json_is_400(client, users, api):
    response = client.post(URL, headers=api("admin"), data="date=2026-03-07")
    assert response.status_code == 400


def test_list_filters_and_order(client, users, api, year_2025):
    headers = api("leader")
    days_off = client.get(_q(filters=[{"col": "is_workday", "opr": "is", "value": False}], page_size=100), headers=headers).get_json()
    assert days_off["count"] > 20 and all(not item["is_workday"] for item in days_off["result"])
    make_up = client.get(
        _q(filters=[{"col": "is_workday", "opr": "is", "value": True}], order_column="date", order_direction="asc"),
        headers=headers,
    ).get_json()
    assert [item["date"] for item in make_up["result"]] == [
        "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
    ]
    assert client.get(_q(filters=[{"col": "date", "opr": "year", "value": 2024}]), headers=headers).get_json()["count"] == 0
    by_source = client.get(_q(filters=[{"col": "source", "opr": "eq", "value": "package"}]), headers=headers).get_json()
    assert by_source["count"] == len(_rows())


def test_undeclared_filter_or_order_column_is_400(client, users, api, year_2025):
    headers = api("leader")
    assert client.get(_q(filters=[{"col": "updated_by_id", "opr": "eq", "value": 1}]), headers=headers).status_code == 400
    assert client.get(_q(order_column="updated_at", order_direction="asc"), headers=headers).status_code == 400


def test_validation_messages_are_translated(client, users, api, app):
    from flask_babel import force_locale, gettext

    response = client.post(URL, headers=api("admin"), json={"date": "2026-03-07", "is_workday": True, "source": "x"})
    with app.test_request_context(), force_locale("zh"):
        assert response.get_json()["message"]["source"] == [gettext("Unknown field.")]


def test_a_date_time_names_its_beijing_date(client, users, api, hook_calls):
    """api.md "Additions": a date field takes a date-time too (issue 17 item 12)."""
    headers = api("admin")
    # 16:30 UTC on 03-06 is already 03-07 in Beijing.
    response = client.post(URL, headers=headers, json={"date": "2026-03-06T16:30:00Z", "is_workday": True})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["result"]["date"] == "2026-03-07"
    row_id = response.get_json()["id"]
    response = client.put(f"{URL}{row_id}", headers=headers, json={"date": "2026-03-14T09:00:00+08:00"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"]["date"] == "2026-03-14"
    response = client.put(f"{URL}{row_id}", headers=headers, json={"date": "9999-12-31T00:00:00"})
    assert response.status_code == 400 and "date" in response.get_json()["message"]
