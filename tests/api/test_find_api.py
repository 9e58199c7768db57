"""Finding a case over the API (data/search.py): FAB's ``filters`` on the case number (any part),
the texts, phone and name (roles that see identity only, within the cases whose identity they
see, each search logged), the same caller and the repeat callers; scope, masking, refusals in
Chinese and no 500 for any value.

The calls are those of tests/web/test_find.py: the caller 138 0013 8000 made c1, c2 (A1, the
counter clerk's), c3 (B1) and c4 (A1, handled by the discipline office); another caller c5.
"""
import json

import prison
import pytest

from app.extensions import db
from app.models.audit import PiiAccess
from app.security import roles as r
from tests.web.test_find import IDENTITY_ROLES, MASKED_ROLES, calls  # noqa: F401 (the fixture)

URL = "/api/v1/complaint/"


def q(*filters, **extra):
    """The rison ``q`` of ``filters`` given as (col, opr, value)."""
    return prison.dumps({"filters": [{"col": c, "opr": o, "value": v} for c, o, v in filters], "page_size": 100, **extra})


def listed(client, headers, *filters):
    response = client.get(URL, query_string={"q": q(*filters)}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def keys(answer, calls):
    ids = set(answer["ids"])
    return sorted(key for key, case in calls.items() if case.id in ids)


def searches(user):
    return sorted((row.complaint_id or 0) for row in db.session.query(PiiAccess).filter_by(user_id=user.id, channel="search"))


@pytest.mark.parametrize("username, expected", [
    ("discipline", ["c1", "c2", "c3", "c4"]), ("branchhead", ["c1", "c2"]), ("counter", ["c1", "c2"])])
def test_phone_and_name_filters_for_identity_roles(client, users, api, calls, username, expected):
    headers = api(username)
    for value in ("138 0013 8000", "138-0013-8000", "+86 13800138000", "8613800138000"):
        assert keys(listed(client, headers, ("complainant_phone", "eq", value)), calls) == expected, value
    assert keys(listed(client, headers, ("complainant_name", "eq", "张三丰")), calls) == expected
    # Issue 24: whole names only (the blind index), spaces inside ignored; no "sw".
    assert keys(listed(client, headers, ("complainant_name", "eq", "张 三丰")), calls) == expected
    assert keys(listed(client, headers, ("complainant_name", "eq", "张三")), calls) == []


def test_answers_stay_masked_and_each_identity_search_is_logged(client, users, api, calls):
    headers = api("discipline")
    answer = listed(client, headers, ("complainant_phone", "eq", "138 0013 8000"))
    assert {row["complainant_phone"] for row in answer["result"]} == {"138****8000"}
    assert {row["complainant_name"] for row in answer["result"]} == {"张**"}
    found = sorted(calls[key].id for key in ("c1", "c2", "c3", "c4"))
    assert searches(users[r.DISCIPLINE_OFFICE]) == found
    listed(client, headers, ("complainant_name", "eq", "王二麻子"))  # found nothing: one row without a case
    assert searches(users[r.DISCIPLINE_OFFICE]) == [0] + found
    listed(client, headers, ("number", "ct", "0002"), ("facts", "ct", "叫号"))  # no identity: not logged
    assert searches(users[r.DISCIPLINE_OFFICE]) == [0] + found


@pytest.mark.parametrize("username", MASKED_ROLES)
def test_identity_filters_are_refused_in_chinese_for_masked_roles(client, users, api, calls, username):
    for column, operation in [("complainant_phone", "eq"), ("complainant_name", "eq")]:
        response = client.get(URL, query_string={"q": q((column, operation, "138"))}, headers=api(username))
        assert response.status_code == 400
        assert "脱敏" in response.get_json()["message"]
    user = next(u for u in users.values() if u.username == username)
    assert searches(user) == []


@pytest.mark.parametrize("username", MASKED_ROLES)
def test_info_offers_masked_roles_no_identity_filter(client, users, api, username):
    answer = client.get(URL + "_info?q=(keys:!(filters))", headers=api(username)).get_json()
    assert "complainant_phone" not in answer["filters"] and "complainant_name" not in answer["filters"]
    assert [flt["operator"] for flt in answer["filters"]["facts"]] == ["ct"]


@pytest.mark.parametrize("username", IDENTITY_ROLES)
def test_info_offers_identity_roles_phone_and_name(client, users, api, username):
    answer = client.get(URL + "_info?q=(keys:!(filters))", headers=api(username)).get_json()
    assert [flt["operator"] for flt in answer["filters"]["complainant_phone"]] == ["eq"]
    assert [flt["operator"] for flt in answer["filters"]["complainant_name"]] == ["eq"]
    assert [flt["operator"] for flt in answer["filters"]["number"]][:2] == ["search", "ct"]


@pytest.mark.parametrize("username, expected", [
    ("discipline", ["c2"]), ("branchhead", ["c2"]), ("counter", ["c2"]), ("committee", ["c2"]), ("leader", ["c2"]),
    ("reruling", [])])
def test_any_part_of_the_number_and_words_of_the_texts(client, users, api, calls, username, expected):
    headers = api(username)
    assert keys(listed(client, headers, ("number", "ct", "0002")), calls) == expected
    assert keys(listed(client, headers, ("number", "ct", "1201-0002")), calls) == expected
    assert keys(listed(client, headers, ("number", "search", "0002")), calls) == expected
    assert keys(listed(client, headers, ("facts", "ct", "书面道歉")), calls) == expected  # the customer's request
    # FAB's own operators on the number still work
    assert keys(listed(client, headers, ("number", "eq", calls["c2"].number)), calls) == expected


@pytest.mark.parametrize("username, expected", [
    ("discipline", ["c1", "c2", "c3", "c4"]), ("branchhead", ["c1", "c2", "c4"]), ("counter", ["c1", "c2"]),
    ("committee", ["c1", "c2", "c3", "c4"])])
def test_same_caller_and_repeat_callers_in_scope(client, users, api, calls, username, expected):
    headers = api(username)
    assert keys(listed(client, headers, ("phone_shared", "same", calls["c1"].id)), calls) == expected
    assert keys(listed(client, headers, ("phone_shared", "same", str(calls["c1"].id))), calls) == expected
    repeats = keys(listed(client, headers, ("phone_shared", "repeat", "2026-12-01..2026-12-31")), calls)
    assert repeats == (expected if len(expected) > 1 else [])
    user = next(u for u in users.values() if u.username == username)
    assert searches(user) == []  # no number was searched


UNUSABLE = [
    ("complainant_phone", "sw", "138"), ("complainant_phone", "ct", "138"), ("complainant_id_number", "eq", "1"),
    ("complainant_name", "sw", "张"),  # issue 24: names are found whole only
    ("complainant_address", "ct", "x"), ("number", "nope", "1"), ("facts", "eq", "x"), ("phone_shared", "eq", True),
    ("number", "ct", 4), ("number", "ct", True), ("facts", "ct", ["a", 1]), ("complainant_phone", "eq", 13800138000),
    ("number", "search", "x" * 101), ("phone_shared", "same", "x"), ("phone_shared", "same", 2**40),
    ("phone_shared", "same", -1), ("phone_shared", "repeat", "2026-12-01"), ("phone_shared", "repeat", 2026),
    ("phone_shared", "repeat", "2026-13-01..2026-12-31"), ("phone_shared", "repeat", "2026-12-01..2026-12-31@0"),
]
ODD = ["%", "_", "\\", "'", "+86", "８６", "TS", "-", "😀", "　", "", " ", "a" * 100]


def test_unusable_filters_are_refused_in_chinese(client, users, api, calls):
    for item in UNUSABLE:
        response = client.get(URL, query_string={"q": q(item)}, headers=api("discipline"))
        assert response.status_code == 400, item
        message = response.get_json()["message"]
        assert isinstance(message, str) and any("\u4e00" <= ch <= "\u9fff" for ch in message), message


def test_odd_values_never_fail(client, users, api, calls):
    for column, operation in [("number", "search"), ("number", "ct"), ("complainant_phone", "eq"),
                              ("complainant_name", "eq"), ("facts", "ct")]:
        for value in ODD:
            response = client.get(URL, query_string={"q": q((column, operation, value))}, headers=api("discipline"))
            assert response.status_code == 200, (column, operation, value, response.get_json())


def test_the_list_does_not_sort_by_identity_or_text(client, users, api, calls):
    for column in ["complainant_phone", "complainant_name", "facts", "phone_shared"]:
        query = json.dumps({"order_column": column, "order_direction": "asc"})
        assert client.get(URL, query_string={"q": query}, headers=api("discipline")).status_code == 400
