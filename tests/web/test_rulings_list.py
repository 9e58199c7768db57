"""责任认定记录 (issue 21): the rulings list, its filters, sorting, export and API, scoped per role
exactly like the cases, with no complainant identity anywhere."""
import io
from datetime import datetime

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook

from app.security import roles as r
from app.services import complaints as svc
from tests.conftest import present

NOW = datetime(2026, 12, 1, 10, 0)
NAME = "名标记丙丁"
PHONE = "13900008888"
LIST = "/rulings/list/"


@pytest.fixture
def ruled(factory, users, org, make_complaint, cases):
    """The ``cases`` fixture's two rulings at branch A1 (clerk held responsible; one contested),
    a decided re-ruling on a third A1 case, and a ruling at branch B1 holding B1's clerk
    responsible — a counter-staff login that neither registered nor handles that case."""
    office, committee = users[r.DISCIPLINE_OFFICE], users[r.COMMITTEE]
    clerk = users[r.COUNTER_STAFF].staff_records[0]
    b1_clerk = factory.user(r.COUNTER_STAFF, "b1clerk", org["b1"], "counter_staff", staff_name="乙柜员")
    b1_handler = factory.user(r.COUNTER_STAFF, "b1handler", org["b1"], "counter_staff", staff_name="乙经办")

    def rule(user, case, staff, category="18.4"):
        svc.apply(committee, case.id, "rule", {
            "result": "responsible", "category": category, "verified": True, "staff_ids": [staff.id],
            **({"fee_borne": "50.00"} if category == "18.4" else {}), "basis": "柜员操作错误多收费用,经核实属实。", "members": present(committee)}, now=NOW)

    foreign = make_complaint(office, received_at="2026-11-30T09:00:00", branch_id=org["b1"].id, category="fee",
                             disputed_fee="50.00", complainant_name=NAME, complainant_phone=PHONE)
    svc.apply(office, foreign.id, "accept", {"level": "branch", "handler_id": b1_handler.staff_records[0].id}, now=NOW)
    svc.apply(b1_handler, foreign.id, "reply", {"method": "phone", "content": "已处理。"}, now=NOW)
    rule(committee, foreign, b1_clerk.staff_records[0])

    rerule = make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T09:00:00", category="fee",
                            disputed_fee="50.00")
    svc.apply(office, rerule.id, "accept", {"level": "branch", "handler_id": clerk.id}, now=NOW)
    svc.apply(users[r.COUNTER_STAFF], rerule.id, "reply", {"method": "phone", "content": "已处理。"}, now=NOW)
    rule(committee, rerule, clerk, "18.2")
    svc.apply(users[r.COUNTER_STAFF], rerule.id, "request_reruling", {"reason": "非本人失误。"}, now=NOW)
    svc.apply(users[r.RERULING_BODY], rerule.id, "decide_reruling", {
        "result": "not_responsible", "category": "19.2", "basis": "复核认定系统故障导致,非柜员失误。",
        "members": present(users[r.RERULING_BODY])}, now=NOW)
    return dict(foreign=foreign, rerule=rerule, contested=cases["ruled"], plain=cases["ruled_only"],
                b1_clerk=b1_clerk, clerk=clerk)


def _numbers(client, url=LIST):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _api_numbers(client, headers, query=""):
    response = client.get(f"/api/v1/ruling/{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# Who sees which case's rulings: the complaint scope rule, case by case.
SEES = {
    "admin": {"foreign", "rerule", "contested", "plain"},
    "discipline": {"foreign", "rerule", "contested", "plain"},
    "committee": {"foreign", "rerule", "contested", "plain"},
    "leader": {"foreign", "rerule", "contested", "plain"},
    "branchhead": {"rerule", "contested", "plain"},
    "counter": {"rerule", "contested", "plain"},
    "reruling": {"rerule", "contested"},  # the re-ruling requests addressed to its unit
    "b1clerk": {"foreign"},  # held responsible by the ruling (§17)
    "b1handler": {"foreign"},
}
CASES = ("foreign", "rerule", "contested", "plain")


@pytest.mark.parametrize("username", sorted(SEES))
def test_list_page_and_api_are_scoped_like_the_cases(client, login, api, ruled, username):
    login(username)
    body = _numbers(client)
    seen = {name for name in CASES if ruled[name].number in body}
    assert seen == SEES[username]
    result = _api_numbers(client, api(username))
    assert {row["number"] for row in result["result"]} == {ruled[name].number for name in SEES[username]}
    assert result["count"] == len(result["result"])
    for name in CASES:
        for ruling in ruled[name].rulings:
            status = client.get(f"/api/v1/ruling/{ruling.id}", headers=api(username)).status_code
            assert status == (200 if name in SEES[username] else 404), (name, status)


@pytest.mark.parametrize("username", ["branchhead", "counter", "b1clerk"])
def test_filters_and_sorting_stay_within_the_scope(client, login, api, ruled, org, username):
    """Filtering on a related column (the case's branch, the staff held responsible), on the
    kind/finality and sorting never reach a case outside the scope."""
    login(username)
    foreign, own = ruled["foreign"].number, ruled["plain"].number
    urls = [
        f"{LIST}?_flt_0_complaint={org['b1'].id}",
        f"{LIST}?_flt_0_complaint={org['a1'].id}",
        f"{LIST}?_flt_0_staff={ruled['b1_clerk'].staff_records[0].id}",
        f"{LIST}?_flt_0_staff={ruled['clerk'].id}",
        f"{LIST}?_flt_0_kind=ruling",
        f"{LIST}?_flt_0_kind=final",
        f"{LIST}?_flt_0_result=responsible",
        f"{LIST}?_flt_0_category=18.4",
        f"{LIST}?_flt_0_ruled_on=2026",
        f"{LIST}?_oc_RulingView=fee_borne&_od_RulingView=desc",
        f"{LIST}?_oc_RulingView=category&_od_RulingView=asc&psize_RulingView=100",
    ]
    for url in urls:
        body = _numbers(client, url)
        if username != "b1clerk":
            assert foreign not in body, url
        else:
            assert own not in body, url
    headers = api(username)
    for query in [f"?q=(filters:!((col:complaint,opr:branch,value:{org['b1'].id})))",
                  f"?q=(filters:!((col:staff,opr:held,value:{ruled['b1_clerk'].staff_records[0].id})))",
                  "?q=(filters:!((col:kind,opr:standing,value:final)))",
                  "?q=(filters:!((col:result,opr:eq,value:responsible)))",
                  "?q=(order_column:fee_borne,order_direction:desc)"]:
        numbers = {row["number"] for row in _api_numbers(client, headers, query)["result"]}
        assert (foreign not in numbers) if username != "b1clerk" else (own not in numbers), query


def test_filters_find_what_they_say(client, login, ruled, org):
    login("discipline")
    by_branch = _numbers(client, f"{LIST}?_flt_0_complaint={org['b1'].id}")
    assert ruled["foreign"].number in by_branch and ruled["plain"].number not in by_branch
    by_staff = _numbers(client, f"{LIST}?_flt_0_staff={ruled['b1_clerk'].staff_records[0].id}")
    assert ruled["foreign"].number in by_staff and ruled["plain"].number not in by_staff
    replaced = _numbers(client, f"{LIST}?_flt_0_kind=replaced")
    assert ruled["rerule"].number in replaced and ruled["plain"].number not in replaced
    requested = _numbers(client, f"{LIST}?_flt_0_kind=requested")
    assert ruled["contested"].number in requested and ruled["plain"].number not in requested
    final = _numbers(client, f"{LIST}?_flt_0_kind=final")
    assert ruled["rerule"].number in final and ruled["contested"].number not in final
    category = _numbers(client, f"{LIST}?_flt_0_category=19.2")
    assert ruled["rerule"].number in category and ruled["plain"].number not in category


def test_unlisted_columns_unknown_filters_and_orders_are_refused_or_ignored(client, login, api, ruled):
    login("counter")
    # A filter on a column not offered (the case's complainant, its basis) is not applied.
    body = _numbers(client, f"{LIST}?_flt_0_basis=x")
    assert ruled["plain"].number in body
    assert client.get(f"{LIST}?_oc_RulingView=complaint.complainant_name").status_code == 400
    assert client.get(f"{LIST}?_oc_RulingView=basis").status_code == 400
    assert client.get(f"{LIST}?psize_RulingView=100000").status_code == 400
    assert client.get(f"{LIST}?_flt_0_kind=nonsense").status_code == 400
    assert client.get(f"{LIST}?_flt_0_complaint=abc").status_code == 400
    headers = api("counter")
    for query in ["?q=(filters:!((col:basis,opr:eq,value:x)))",
                  "?q=(filters:!((col:complaint,opr:rel_o_m,value:1)))",
                  "?q=(order_column:basis,order_direction:asc)"]:
        assert client.get(f"/api/v1/ruling/{query}", headers=headers).status_code == 400, query
    # Read-only: no add, edit, delete, show page, no _info.
    for url in ("/rulings/add", "/rulings/edit/1", "/rulings/delete/1", "/rulings/show/1"):
        assert client.get(url).status_code == 404, url
    assert client.get("/api/v1/ruling/_info", headers=headers).status_code in (404, 405)
    assert client.delete("/api/v1/ruling/1", headers=headers).status_code in (404, 405)


def test_no_complainant_identity_anywhere(client, login, api, ruled):
    login("discipline")  # sees identity in full on the case page; never in this list
    for text in (_numbers(client), str(_api_numbers(client, api("discipline"))),
                 _export_text(client, "/rulings/export/")):
        assert NAME not in text and PHONE not in text and "张三丰" not in text and "13812345678" not in text


def _export_text(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    return "\n".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row)


def test_export_is_scoped_and_filtered(client, login, ruled, org):
    login("branchhead")
    text = _export_text(client, "/rulings/export/")
    assert ruled["plain"].number in text and ruled["foreign"].number not in text
    text = _export_text(client, f"/rulings/export/?_flt_0_complaint={org['b1'].id}")
    assert ruled["foreign"].number not in text and ruled["plain"].number not in text
    with force_locale("zh"):
        assert "重新认定" in _export_text(client, "/rulings/export/")


def test_export_needs_its_permission(client, login, ruled):
    login("counter")
    assert client.get("/rulings/export/").status_code == 403
    assert "/rulings/export/" not in _numbers(client)


def test_a_staff_member_sees_their_own_rulings(client, login, ruled):
    login("b1clerk")
    body = _numbers(client)
    assert ruled["foreign"].number in body and "我的责任认定" in body
    mine = _numbers(client, f"{LIST}?_flt_1_staff=1")
    assert ruled["foreign"].number in mine


def test_my_rulings_finds_only_mine(client, login, ruled):
    """The counter clerk of A1, held responsible on three cases: its own quick filter finds them."""
    login("counter")
    mine = _numbers(client, f"{LIST}?_flt_1_staff=1")
    assert all(ruled[name].number in mine for name in ("contested", "plain", "rerule"))
    assert ruled["foreign"].number not in mine


def test_chinese_labels_and_links(client, login, ruled):
    login("discipline")
    body = _numbers(client)
    for text in ("责任认定记录", "重新认定", "已被重新认定取代", "终局", "责任投诉", "承担资费", "认定日期"):
        assert text in body, text
    assert f'href="/complaints/show/{ruled["plain"].id}"' in body
    assert "第十八条(四)" in body


def _rule_more(make_complaint, users, clerk, count):
    """``count`` more cases, each ruled with ``clerk`` responsible."""
    for _ in range(count):
        case = make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T09:00:00")
        svc.apply(users[r.DISCIPLINE_OFFICE], case.id, "accept", {"level": "branch", "handler_id": clerk.id}, now=NOW)
        svc.apply(users[r.COUNTER_STAFF], case.id, "reply", {"method": "phone", "content": "已处理。"}, now=NOW)
        svc.apply(users[r.COMMITTEE], case.id, "rule", {
            "result": "responsible", "category": "18.2", "verified": True, "staff_ids": [clerk.id],
            "basis": "柜员服务态度生硬,经核实属实。", "members": present(users[r.COMMITTEE])}, now=NOW)


@pytest.mark.parametrize("username", ["discipline", "branchhead", "counter"])
def test_statement_count_is_bounded_and_does_not_grow(client, login, api, ruled, make_complaint, users, username):
    """The list page, the API list and a staff page: the same statements for 4 rulings as for 16,
    within the list pages' ceiling (tests/web/test_statement_counts.py)."""
    from tests.web.test_statement_counts import CEILING, _count

    login(username)
    headers = api(username)
    clerk = users[r.COUNTER_STAFF].staff_records[0]
    urls = [LIST, f"{LIST}?_flt_0_kind=final&_oc_RulingView=fee_borne&_od_RulingView=desc"]
    few = [_count(client, url) for url in urls] + [_count(client, "/api/v1/ruling/", headers)]
    _rule_more(make_complaint, users, clerk, 12)
    many = [_count(client, url) for url in urls] + [_count(client, "/api/v1/ruling/", headers)]
    assert many == few
    assert max(many) <= CEILING + 2, many  # who sat on each ruling (issue 21) adds up to two statements


def test_the_staff_page_statement_count_does_not_grow(client, login, ruled, make_complaint, users):
    from tests.web.test_statement_counts import _count

    login("discipline")
    clerk = ruled["clerk"]
    few = _count(client, f"/staffview/show/{clerk.id}")
    _rule_more(make_complaint, users, clerk, 5)
    assert _count(client, f"/staffview/show/{clerk.id}") == few


def test_the_staff_page_lists_the_persons_rulings(client, login, ruled):
    login("discipline")
    body = _numbers(client, f"/staffview/show/{ruled['clerk'].id}")
    assert "staff-rulings" in body
    for name in ("contested", "plain", "rerule"):
        assert f'href="/complaints/show/{ruled[name].id}"' in body
    assert ruled["foreign"].number not in body
    # The re-ruling outcome: the re-ruling that no longer holds the clerk responsible is listed.
    assert "非责任投诉" in body or "不属于责任投诉" in body or "重新认定" in body


def test_the_staff_page_and_list_are_scoped_for_a_unit_scoped_custom_role(client, factory, org, ruled):
    """A custom role scoped to cooperative B that maintains staff: B1's clerk's ruling is on its
    staff page and list; A1's clerk's page shows none of A1's rulings."""
    from app.extensions import db
    from app.security import capabilities as caps
    from app.services import roles as service
    from tests.conftest import web_login

    role = service.save("乙社人事", "", ["read", "organisation"], caps.SCOPE_UNIT, False)
    user = factory.user(r.COUNTER_STAFF, "coopb", org["coop_b"], "other")
    user.roles = [role]
    db.session.commit()
    web_login(client, "coopb")
    own = _numbers(client, f"/staffview/show/{ruled['b1_clerk'].staff_records[0].id}")
    assert ruled["foreign"].number in own
    other = _numbers(client, f"/staffview/show/{ruled['clerk'].id}")
    assert not any(ruled[name].number in other for name in ("contested", "plain", "rerule"))
    listed = _numbers(client)
    assert ruled["foreign"].number in listed and ruled["plain"].number not in listed
