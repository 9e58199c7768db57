"""The kept complaint total (issue 9: the unfiltered list counts no table)."""
import re

import pytest
from sqlalchemy import delete, func, select

from app.errors import ValidationFailed
from app.extensions import db
from app.models.complaint import Complaint, ComplaintTotal
from app.security import roles as r
from app.services import totals
from tests.conftest import count_queries


def _exact():
    return db.session.execute(select(func.count()).select_from(Complaint)).scalar_one()


def test_register_keeps_the_total_and_a_repeat_or_a_refusal_does_not_move_it(app, users, make_complaint, org):
    assert totals.total() == 0
    for _ in range(3):
        make_complaint(users[r.COUNTER_STAFF])
    make_complaint(users[r.COUNTER_STAFF], external_ref="HOTLINE-1")
    make_complaint(users[r.COUNTER_STAFF], external_ref="HOTLINE-1")  # a repeat: the first case
    with pytest.raises(ValidationFailed):
        make_complaint(users[r.COUNTER_STAFF], branch_id=org["b1"].id)  # outside the clerk's branch
    db.session.rollback()
    assert totals.total() == _exact() == 4


def test_a_missing_row_is_written_from_an_exact_count(app, users, make_complaint):
    make_complaint(users[r.COUNTER_STAFF])
    db.session.execute(delete(ComplaintTotal))
    db.session.commit()
    assert totals.total() is None
    make_complaint(users[r.COUNTER_STAFF])
    assert totals.total() == _exact() == 2
    assert totals.recount() == 2


def test_unfiltered_list_of_a_role_that_sees_everything_counts_no_table(client, users, login, make_complaint, org):
    for i in range(6):
        make_complaint(users[r.DISCIPLINE_OFFICE], branch_id=(org["a1"] if i % 2 else org["b1"]).id)
    login("discipline")
    client.get("/complaints/list/")
    with count_queries() as q:
        assert client.get("/complaints/list/").status_code == 200
    # a count read from the complaint table (the header's unread notifications, counted over the
    # notification table, are not the list's)
    counted = [s for s in q.statements if "count(" in s.lower() and re.search(r"\bFROM complaint\b", s, re.I)]
    assert counted == []
    assert any("complaint_total" in s for s in q.statements)
    # a filter counts the matching rows as usual
    with count_queries() as q:
        assert client.get(f"/complaints/list/?_flt_0_branch={org['b1'].id}").status_code == 200
    assert any("count(" in s.lower() for s in q.statements)


def test_the_api_reports_the_same_totals_as_a_count(client, users, api, make_complaint, org):
    for i in range(5):
        make_complaint(users[r.DISCIPLINE_OFFICE], branch_id=(org["a1"] if i % 2 else org["b1"]).id)
    office = client.get("/api/v1/complaint/", headers=api("discipline")).get_json()
    assert office["count"] == 5
    head = client.get("/api/v1/complaint/", headers=api("branchhead")).get_json()
    assert head["count"] == 2  # the branch head's subtree (coop A) only: counted, not the total
    query = f"(filters:!((col:branch_id,opr:eq,value:{org['b1'].id})))"
    filtered = client.get("/api/v1/complaint/", headers=api("discipline"), query_string={"q": query}).get_json()
    assert filtered["count"] == 3
