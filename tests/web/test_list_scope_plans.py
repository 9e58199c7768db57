"""The list's two ways of finding a page of a narrowed scope give the same page (issue 9).

A page of few matching cases fetches them by id; a page of many walks the list's order and
tests membership in the scope (data.plans.ORDERED_SCAN_FROM). Both must show exactly the
scope's cases, in the same order, on pages and in the API."""
import pytest

from datetime import datetime

from app.data import plans
from app.services import complaints as svc
from app.security import roles as r
from tests.conftest import count_queries

NOW = datetime(2026, 12, 1, 10, 0)


def _numbers(client, url, headers=None):
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    if headers:
        return [row["number"] for row in response.get_json()["result"]], response.get_json()["count"]
    page = response.get_data(as_text=True)
    import re
    return re.findall(r"TS\d{8}-\d{4}", page), None


@pytest.mark.parametrize("threshold", [0, 10**9])
def test_both_plans_show_the_scope_only_in_order(client, users, login, api, make_complaint, org, monkeypatch, threshold):
    for i in range(12):
        make_complaint(users[r.DISCIPLINE_OFFICE], branch_id=(org["a1"] if i % 3 else org["b1"]).id,
                       received_at=f"2026-11-{10 + i:02d}T09:00:00")
    monkeypatch.setattr(plans, "ORDERED_SCAN_FROM", threshold)
    rows, count = _numbers(client, "/api/v1/complaint/?q=(order_column:received_at,order_direction:desc)", api("branchhead"))
    assert count == 8 and len(rows) == 8  # coop A's cases only (8 of 12)
    assert rows == sorted(rows, reverse=True)
    login("branchhead")
    with count_queries() as q:
        page, _ = _numbers(client, "/complaints/list/")
    assert sorted(set(page), reverse=True) == rows
    pages = [st for st in q.statements if "LIMIT" in st and "complaint.received_at" in st]
    assert pages
    walked = all("complaint.id IN (SELECT complaint.id" not in st for st in pages)
    assert walked == (threshold == 0)  # the plan the threshold asked for was the one used


def test_walked_page_tests_each_case_never_joins_the_scope(app, users, make_complaint, org):
    """The walked page tests each case it walks against the scope's conditions (the ruled cases:
    PostgreSQL hashes their ids once), never a join that compares each walked row with every id
    of the scope (2.4 s for a branch head at a million)."""
    from flask import g
    from sqlalchemy import select, text

    from app.extensions import db
    from app.models.complaint import Complaint
    from app.security.scope import complaint_clause

    for i in range(6):
        make_complaint(users[r.DISCIPLINE_OFFICE], branch_id=org["a1"].id)
    user = users[r.BRANCH_HEAD]
    with app.test_request_context():
        g.user = user
        query = (select(Complaint.id).where(complaint_clause(user, Complaint, ordered_scan=True))
                 .order_by(Complaint.received_at.desc(), Complaint.id.desc()).limit(25))
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = "\n".join(str(row[-1]) for row in db.session.execute(text(f"EXPLAIN {compiled}")))
        assert len(db.session.execute(query).all()) == 6
    if db.engine.dialect.name == "postgresql":
        assert "hashed SubPlan" in plan, plan
    else:
        assert "Join" not in plan


@pytest.mark.parametrize("username, role", [
    ("branchhead", r.BRANCH_HEAD), ("counter", r.COUNTER_STAFF), ("reruling", r.RERULING_BODY),
    ("discipline", r.DISCIPLINE_OFFICE),
])
def test_the_lists_total_is_the_number_of_cases_in_scope(app, client, users, api, make_complaint, org, username, role):
    """The list's total counts the scope's ids (not the cases they select); it must equal the
    number of cases the scope shows, whichever ways a case is reached (several at once too)."""
    from flask import g
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models.complaint import Complaint
    from app.security.scope import complaint_clause

    head = users[r.BRANCH_HEAD].staff_records[0]
    for i in range(9):
        branch = org["a1"] if i % 3 else org["b1"]
        clerk = i % 2 and branch is org["a1"]  # counter staff registers for its own branch only
        case = make_complaint(users[r.COUNTER_STAFF] if clerk else users[r.DISCIPLINE_OFFICE], branch_id=branch.id,
                              respondent_staff_id=head.id if i == 4 else None)
        if i % 4 == 0:
            svc.apply(users[r.DISCIPLINE_OFFICE], case.id, "accept", {"level": "branch"}, now=NOW)
    response = client.get("/api/v1/complaint/", headers=api(username))
    assert response.status_code == 200
    with app.test_request_context():
        g.user = users[role]
        expected = db.session.execute(
            select(func.count()).select_from(Complaint).where(complaint_clause(users[role], Complaint))).scalar()
    assert response.get_json()["count"] == expected
    assert expected > 0 or role == r.RERULING_BODY


def test_scope_count_adds_up_every_way_of_reaching_a_case_once(app, users, factory, org, make_complaint):
    """``scope_count`` counts each way of reaching a case without the cases an earlier way
    reached: for every kind of user (several roles at once too, a case reached in several ways,
    a case naming the branch head itself) it equals the number of cases the scope selects, and
    the walked page's conditions select the same cases."""
    from flask import g
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models.complaint import Complaint
    from app.security.scope import complaint_clause
    from app.data.plans import scope_count
    from tests import report_data

    cases = report_data.build(users, factory, org, make_complaint)
    head = users[r.BRANCH_HEAD].staff_records[0]
    # Handled by coop A for another cooperative's branch; one case names the branch head.
    cases["c5"].handling_unit_id = org["a1"].id
    cases["c9"].handling_unit_id = org["a1"].id
    cases["c9"].respondent_staff_id = head.id
    cases["c7"].reruling_status = "requested"
    db.session.commit()
    multi = factory.user(r.BRANCH_HEAD, "multi", org["coop_a"], "branch_head")
    sm = app.appbuilder.sm
    multi.roles += [sm.find_role(r.COUNTER_STAFF), sm.find_role(r.RERULING_BODY)]
    db.session.commit()
    counted = {}
    for user in [*users.values(), cases["counter2"], multi]:
        with app.test_request_context():
            g.user = user
            total = scope_count(user)
            by_id = db.session.execute(select(func.count()).select_from(Complaint)
                                       .where(complaint_clause(user, Complaint))).scalar_one()
            walked = db.session.execute(select(func.count()).select_from(Complaint)
                                        .where(complaint_clause(user, Complaint, ordered_scan=True))).scalar_one()
        assert walked == by_id, user.username
        assert total == (None if by_id == len(cases) - 1 and user.username in
                         {"admin", "discipline", "committee", "leader"} else by_id), user.username
        counted[user.username] = by_id
    # The data reach each kind of user in several ways (not an empty comparison): a1's head
    # sees a1's six cases and c5 it handles, not c9 that names it.
    assert counted["branchhead"] == 7 and counted["multi"] > counted["branchhead"] and counted["counter2"] >= 1


@pytest.mark.parametrize("direction", ["desc", "asc"])
def test_candidate_pages_equal_the_fetched_pages(client, users, api, make_complaint, org, monkeypatch, direction):
    """A large scope's page in order of receipt reads each way's first cases unit by unit
    (``plans.newest_candidates``): page after page it shows what fetching every case of the
    scope shows. The branch's newest cases name the branch head (hidden from it) and the
    oldest too, so a way's first cases must be its visible ones; two cases of another branch
    are handled by the head's branch."""
    from app.extensions import db
    from app.models.complaint import Complaint
    from tests.conftest import count_queries

    head = users[r.BRANCH_HEAD].staff_records[0]
    for i in range(14):
        branch = (org["a1"], org["b1"])[i % 2]
        case = db.session.get(Complaint, make_complaint(
            users[r.DISCIPLINE_OFFICE], branch_id=branch.id, received_at=f"2026-11-{2 + i:02d}T09:{i:02d}:00",
            respondent_staff_id=head.id if i in (0, 8, 10, 12) else None).id)
        # the office handles the branch's cases; the branch handles two of another branch's
        case.handling_unit_id = org["a1"].id if i in (3, 9) else org["office"].id
    db.session.commit()

    def pages(threshold):
        monkeypatch.setattr(plans, "ORDERED_SCAN_FROM", threshold)
        out = []
        with count_queries() as q:
            for page in range(3):
                rows, count = _numbers(client, "/api/v1/complaint/?q=(order_column:received_at,order_direction:"
                                       f"{direction},page:{page},page_size:2)", api("branchhead"))
                out.append(rows)
        return out, count, q.statements

    fetched, count, _ = pages(10**9)
    candidates, same_count, statements = pages(0)
    assert count == same_count == 5  # a1's cases 2, 4, 6 and the two it handles (3, 9)
    assert candidates == fetched
    flat = [number for page in fetched for number in page]
    assert len(flat) == len(set(flat)) == 5
    assert flat == sorted(flat, reverse=direction == "desc")
    # the page read each way's first cases (an ordered, limited select per way)
    assert any("UNION ALL" in st and "ORDER BY complaint.received_at" in st.split("UNION ALL")[0]
               for st in statements)


@pytest.mark.parametrize("search", ["phone_box", "phone_filter", "name", "number"])
def test_a_search_by_index_tests_each_found_case_against_the_scope(client, users, login, api, make_complaint, org,
                                                                   monkeypatch, search):
    """Issue 22: a phone, name or case-number search finds few cases through its index; count and
    page then test each found case against the scope (no list of the scope's ids, which at a
    million cases is a branch head's 15k) and find exactly what the plain scope clause finds."""
    from app.data.interfaces import ComplaintInterface

    # The counter clerk's cases of 甲一分社 (whose identity the branch head sees), the office's of 乙一分社.
    made = [make_complaint(users[r.COUNTER_STAFF] if i % 3 else users[r.DISCIPLINE_OFFICE],
                           branch_id=(org["a1"] if i % 3 else org["b1"]).id,
                           complainant_phone="13912345678", complainant_name="王小明",
                           received_at=f"2026-11-{10 + i:02d}T09:00:00") for i in range(9)]
    term = {"phone_box": "_flt_0_number=139%201234%205678", "phone_filter": "_flt_0_complainant_phone=13912345678",
            "name": "_flt_0_complainant_name=%E7%8E%8B%E5%B0%8F%E6%98%8E",
            "number": f"_flt_0_number={made[4].number[-9:]}"}[search]
    login("branchhead")

    def shown(narrowing):
        monkeypatch.setattr(ComplaintInterface, "_narrowed_by_index", staticmethod(lambda filters: narrowing))
        with count_queries() as q:
            page, _ = _numbers(client, f"/complaints/list/?{term}")
        return page, q.statements

    plain, plain_statements = shown(False)
    monkeypatch.undo()
    with count_queries() as q:
        narrowed, _ = _numbers(client, f"/complaints/list/?{term}")
    assert narrowed == plain and narrowed  # the same cases of coop A, in the same order
    expected = {c.number for c in made if c.branch_id == org["a1"].id}
    if search == "number":
        expected = {made[4].number} & expected
    assert set(narrowed) == expected
    collected = [st for st in q.statements if "complaint.id IN (SELECT complaint.id" in st]
    assert not collected, collected  # neither the count nor the page collects the scope's ids
    assert any("complaint.id IN (SELECT complaint.id" in st for st in plain_statements)
