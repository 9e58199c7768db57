"""Issue 23: ``/api/v1/notification/`` — one's own notifications only (404 for another's), marking
read, paging and the unread filter, 400 for a bad ``q``, in the OpenAPI document."""
from datetime import datetime

import prison

from app.security import roles as r
from app.services import complaints as svc

NOW = datetime(2026, 12, 1, 10, 0)


def _assigned(users, make_complaint, n=1):
    made = []
    for _ in range(n):
        complaint = make_complaint(users[r.COUNTER_STAFF])
        svc.apply(users[r.DISCIPLINE_OFFICE], complaint.id, "accept",
                  {"level": "branch", "handler_id": users[r.COUNTER_STAFF].staff_records[0].id}, now=NOW)
        made.append(complaint)
    return made


def test_list_is_own_only_newest_first_masked(client, users, api, make_complaint):
    first, second = _assigned(users, make_complaint, 2)
    answer = client.get("/api/v1/notification/", headers=api("counter"))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["count"] == 2 and body["unread"] == 2 and len(body["ids"]) == 2
    numbers = [item["complaint_number"] for item in body["result"]]
    assert numbers == [second.number, first.number]
    item = body["result"][0]
    assert item["kind"] == "assigned" and item["kind_label"] == "案件交办" and item["branch"] == "甲一分社"
    assert item["complainant_name"] == "张**" and item["may_open"] is True and item["read_at"] is None
    assert second.due_date.isoformat() in item["text"] and "张三丰" not in str(body)
    other = client.get("/api/v1/notification/", headers=api("branchhead")).get_json()
    assert other["count"] == 0 and other["result"] == []


def test_get_and_read_one_404_for_anothers(client, users, api, make_complaint):
    _assigned(users, make_complaint)
    note_id = client.get("/api/v1/notification/", headers=api("counter")).get_json()["ids"][0]
    assert client.get(f"/api/v1/notification/{note_id}", headers=api("branchhead")).status_code == 404
    assert client.post(f"/api/v1/notification/{note_id}/read", headers=api("branchhead")).status_code == 404
    assert client.post("/api/v1/notification/99999999/read", headers=api("counter")).status_code == 404
    assert client.get(f"/api/v1/notification/{note_id}", headers=api("counter")).get_json()["result"]["read_at"] is None
    read = client.post(f"/api/v1/notification/{note_id}/read", headers=api("counter"))
    assert read.status_code == 200 and read.get_json()["result"]["read_at"] is not None
    first_time = read.get_json()["result"]["read_at"]
    again = client.post(f"/api/v1/notification/{note_id}/read", headers=api("counter")).get_json()
    assert again["result"]["read_at"] == first_time
    assert client.get("/api/v1/notification/", headers=api("counter")).get_json()["unread"] == 0


def test_paging_unread_filter_and_read_all(client, users, api, make_complaint):
    _assigned(users, make_complaint, 3)
    headers = api("counter")
    page = client.get("/api/v1/notification/?q=" + prison.dumps({"page": 1, "page_size": 2}), headers=headers).get_json()
    assert page["count"] == 3 and len(page["result"]) == 1
    first = client.get("/api/v1/notification/", headers=headers).get_json()["ids"][0]
    client.post(f"/api/v1/notification/{first}/read", headers=headers)
    unread = client.get("/api/v1/notification/?q=(unread:!t)", headers=headers).get_json()
    assert unread["count"] == 2 and first not in unread["ids"]
    assert client.post("/api/v1/notification/read_all", headers=headers).get_json() == {"marked": 2}
    assert client.get("/api/v1/notification/?q=(unread:!t)", headers=headers).get_json()["count"] == 0


def test_bad_queries_answer_400_in_chinese(client, users, api):
    headers = api("counter")
    for q, field in (("(page_size:0)", "page_size"), ("(page_size:101)", "page_size"), ("(unread:yes)", "unread"),
                     ("(order_column:id)", "order_column"), ("!(1,2)", "q")):
        answer = client.get(f"/api/v1/notification/?q={q}", headers=headers)
        assert answer.status_code == 400, q
        assert field in answer.get_json()["message"], (q, answer.get_json())
    # a page that is no page number at all is refused before any view (input_checks), in Chinese too
    answer = client.get("/api/v1/notification/?q=(page:'a')", headers=headers)
    assert answer.status_code == 400 and answer.get_json()["message"] == "页码或每页条数无效。"


def test_anonymous_401_and_a_browser_cookie_is_not_enough(client, users, login):
    assert client.get("/api/v1/notification/").status_code == 401
    login("counter")
    assert client.get("/api/v1/notification/").status_code == 401


def test_documented_in_the_openapi_document(client, users, api):
    paths = client.get("/api/v1/_openapi", headers=api("counter")).get_json()["paths"]
    assert {"/api/v1/notification/", "/api/v1/notification/{pk}", "/api/v1/notification/{pk}/read",
            "/api/v1/notification/read_all"} <= set(paths)
