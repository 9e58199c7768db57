"""Duplicates (issue 23): the discipline office marks a second complaint about the same matter as a
duplicate of the first; both stay, the duplicate is closed with a link, the statistics count the
matter once and say so, and the undo restores exactly what was there."""
from datetime import datetime

import pytest
from sqlalchemy import select

from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.extensions import db
from app.models.complaint import Complaint, ComplaintEvent
from app.reports import statistics
from app.reports.period import parse_period
from app.security import roles as r
from app.services import complaints as svc
from tests import report_data as rd
from tests.services.test_monthly import assert_months_are_recounts

NOW = datetime(2026, 12, 1, 10, 0)
REASON = "同一客户就同一事项再次来电投诉。"
KEPT = ("status", "closed_at", "due_date", "due_date_provisional", "deadline_days", "extension_status",
        "extension_requested_due", "handling_unit_id", "handler_id", "level", "replied_at", "appeal_due_date")


def snapshot(case):
    db.session.refresh(case)
    return {name: getattr(case, name) for name in KEPT}


def mark(case, original, user=None, **body):
    return svc.apply(user or body.pop("as_user", None) or _office, case.id, "mark_duplicate",
                     {"original_number": original.number, "reason": REASON, **body}, now=NOW)


_office = None


@pytest.fixture(autouse=True)
def office(users):
    global _office
    _office = users[r.DISCIPLINE_OFFICE]
    return _office


def events(case, *names):
    return db.session.execute(select(ComplaintEvent).where(ComplaintEvent.complaint_id == case.id,
                                                           ComplaintEvent.name.in_(names))
                              .order_by(ComplaintEvent.id)).scalars().all()


@pytest.mark.parametrize("state", ["registered", "processing", "extension", "replied", "letter"])
def test_mark_and_undo_restore_the_case_exactly(app, cases, office, state):
    case, original = cases[state], cases["closed"]
    before = snapshot(case)
    version = case.version
    mark(case, original)
    db.session.refresh(case)
    assert case.status == "closed" and case.duplicate_of_id == original.id and case.closed_at == NOW
    assert case.due_date == before["due_date"]  # deadlines untouched
    (marked,) = events(case, "mark_duplicate")
    assert (marked.from_status, marked.to_status, marked.note) == (before["status"], "closed", REASON)
    assert marked.payload["original_number"] == original.number
    (added,) = events(original, "duplicate_added")
    assert added.payload == {"duplicate_id": case.id, "duplicate_number": case.number} and added.note == REASON

    svc.apply(office, case.id, "unmark_duplicate", {"reason": "经核实并非同一事项,恢复处理。"}, now=NOW)
    assert snapshot(case) == before
    assert case.duplicate_of_id is None and case.version == version + 2
    (undone,) = events(case, "unmark_duplicate")
    assert (undone.from_status, undone.to_status) == ("closed", before["status"])
    assert undone.payload["original_number"] == original.number
    assert [e.name for e in events(original, "duplicate_added", "duplicate_removed")] == [
        "duplicate_added", "duplicate_removed"]
    assert db.session.get(Complaint, case.id) is not None  # nothing is ever deleted


def test_the_case_number_is_taken_as_a_clerk_types_it(app, cases, office):
    case, original = cases["processing"], cases["closed"]
    svc.apply(office, case.id, "mark_duplicate", {"original_number": f"  {original.number.lower()} ",
                                                  "reason": REASON}, now=NOW)
    assert db.session.get(Complaint, case.id).duplicate_of_id == original.id


def field_refusal(case, body, field="original_number"):
    with pytest.raises(ValidationFailed) as error:
        svc.apply(_office, case.id, "mark_duplicate", body, now=NOW)
    assert field in error.value.payload(), error.value.payload()
    return error.value.payload()[field]


def test_each_refusal_of_the_form_names_its_field(app, cases):
    case, original = cases["processing"], cases["closed"]
    assert field_refusal(case, {"original_number": "TS20990101-0001", "reason": REASON})
    assert field_refusal(case, {"original_number": "12345", "reason": REASON})
    assert field_refusal(case, {"original_number": case.number, "reason": REASON})
    assert field_refusal(case, {"original_number": original.number}, "reason")
    assert field_refusal(case, {"original_number": original.number, "reason": "重复"}, "reason")
    assert db.session.get(Complaint, case.id).status == "processing"


def test_no_chains_the_answer_names_the_originals_original(app, cases, office):
    first, second, third = cases["closed"], cases["processing"], cases["registered"]
    mark(second, first)
    message = field_refusal(third, {"original_number": second.number, "reason": REASON})
    assert first.number in str(message)
    # … and a case others are marked against is not marked itself.
    with pytest.raises(Conflict):
        mark(first, cases["replied"])


def test_an_original_outside_the_scope_answers_as_one_that_does_not_exist(app, cases, users, make_complaint, org):
    """The lookup is the scope rule's: a branch head (whose scope is its branch) finds no case of
    another branch, with the same message as for a number no case has."""
    elsewhere = make_complaint(users[r.DISCIPLINE_OFFICE], branch_id=org["b1"].id)
    head = users[r.BRANCH_HEAD]
    messages = []
    for number in (elsewhere.number, "TS20990101-0001"):
        with pytest.raises(ValidationFailed) as error:
            svc._original(head, cases["processing"], number)
        messages.append((error.value.field, str(error.value.message)))
    assert messages[0] == messages[1] and messages[0][0] == "original_number"


@pytest.mark.parametrize("state", ["closed", "rejected", "appealed", "ruled_only"])
def test_final_appealed_and_ruled_cases_are_not_marked(app, cases, state):
    with pytest.raises(Conflict):
        mark(cases[state], cases["registered"])


@pytest.mark.parametrize("role", [r.ADMIN, r.COMMITTEE, r.RERULING_BODY, r.BRANCH_HEAD, r.COUNTER_STAFF,
                                  r.LEADERSHIP])
def test_only_the_discipline_office_marks_and_undoes(app, cases, users, office, role):
    case, original = cases["processing"], cases["closed"]
    # The higher ruling body does not even see the case (404); every other role is refused (403).
    refused = NotFound if role == r.RERULING_BODY else PermissionDenied
    with pytest.raises(refused):
        mark(case, original, users[role])
    mark(case, original)
    with pytest.raises(refused):
        svc.apply(users[role], case.id, "unmark_duplicate", {"reason": REASON}, now=NOW)
    if role == r.RERULING_BODY:
        return
    names = [tr.name for tr in svc.available_transitions(users[role], db.session.get(Complaint, case.id), NOW.date())]
    assert "unmark_duplicate" not in names


def test_a_marked_case_takes_no_other_step_and_a_stale_version_is_refused(app, cases, office, users):
    case, original = cases["replied"], cases["closed"]
    with pytest.raises(Conflict):
        mark(case, original, version=case.version - 1)
    mark(case, original)
    case = db.session.get(Complaint, case.id)
    assert [tr.name for tr in svc.available_transitions(office, case, NOW.date())] == ["unmark_duplicate"]
    with pytest.raises(Conflict):
        svc.apply(office, case.id, "follow_up", {"visited_at": "2026-12-01", "method": "phone", "satisfied": True},
                  now=NOW)
    with pytest.raises(Conflict):
        svc.edit(office, case.id, {"version": case.version, "facts": "补充"})
    with pytest.raises(Conflict):
        svc.apply(office, cases["processing"].id, "unmark_duplicate", {"reason": REASON}, now=NOW)
    with pytest.raises(Conflict):
        svc.apply(office, case.id, "unmark_duplicate", {"reason": REASON, "version": case.version - 1}, now=NOW)


# --- the statistics count the matter once -------------------------------------------------------

@pytest.fixture
def report_cases(users, factory, org, make_complaint, built_once):
    return built_once("report data", lambda: rd.build(users, factory, org, make_complaint), factory)


def figures(user, args=rd.PERIOD):
    return statistics.summary(user, parse_period(user, args, rd.TODAY.date()), rd.TODAY.date())


@pytest.mark.parametrize("args", [rd.PERIOD, {"start": "2026-11-03", "end": "2026-11-20"},
                                  {"start": "2026-10-01", "end": "2026-12-31"}])
def test_statistics_leave_the_duplicate_out_and_the_months_stay_a_recount(app, users, report_cases, args,
                                                                          monkeypatch):
    from app.reports import monthly

    user = users[r.DISCIPLINE_OFFICE]
    before = figures(user, args)
    assert before["duplicates"] == 0
    c5, c1 = report_cases["c5"], report_cases["c1"]  # the same caller (REPEAT_PHONE)
    svc.apply(user, c5.id, "mark_duplicate", {"original_number": c1.number, "reason": REASON},
              now=rd.TODAY)
    assert_months_are_recounts()
    after = figures(user, args)
    assert after["duplicates"] == 1
    assert after["received"] == before["received"] - 1
    assert after["by_status"]["processing"] == before["by_status"]["processing"] - 1
    assert after["by_status"]["closed"] == before["by_status"]["closed"]  # the duplicate is not a closed case
    assert after["repeat_complainants"]["complaints"] < before["repeat_complainants"]["complaints"]
    monkeypatch.setattr(monthly, "is_built", lambda: False)
    assert figures(user, args) == after  # counted case by case: the same
    monkeypatch.undo()

    svc.apply(user, c5.id, "unmark_duplicate", {"reason": "经核实并非同一事项。"}, now=rd.TODAY)
    assert_months_are_recounts()
    assert figures(user, args) == before


def test_the_assessment_and_the_export_leave_the_duplicate_out(app, users, report_cases):
    from app.reports import export
    from app.reports.rules import load_rules

    user = users[r.DISCIPLINE_OFFICE]
    period = parse_period(user, rd.PERIOD, rd.TODAY.date())
    count = export.count_cases(user, period)
    svc.apply(user, report_cases["c5"].id, "mark_duplicate",
              {"original_number": report_cases["c1"].number, "reason": REASON}, now=rd.TODAY)
    report = statistics.assessment(user, period, rd.TODAY.date(), load_rules())
    assert report["duplicates"] == 1
    b1 = report_cases["c5"].branch_id
    assert next(row for row in report["branches"] if row["branch_id"] == b1)["received"] == 0
    assert export.count_cases(user, period) == count - 1
