"""JR/T 0169-2018 classification (issue 23) through the services: the code table as loaded, the
suggestion registration makes, the classify step (who, when, what it refuses, what it records) and
the administrator's audited changes of the table."""
from datetime import date, datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.domain import jrt0169 as j
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.extensions import db
from app.models.admin_audit import AdminAudit
from app.models.classification import CodesAreKept, JrtCode
from app.models.complaint import Complaint, ComplaintEvent
from app.security import roles as r
from app.services import classification
from app.services import complaints as svc

NOW = datetime(2026, 12, 1, 10, 0)
CORRECTED = {"channel_code": "A010303", "business_code": "B03", "reason_code": "C02"}


def codes(case):
    db.session.expire_all()
    case = db.session.get(Complaint, case.id)
    return classification.codes_of(case), case.jrt_confirmed


def row(code):
    return db.session.execute(select(JrtCode).where(JrtCode.code == code)).scalar_one()


def classify(user, case, body=None, **kwargs):
    return svc.apply(user, case.id, "classify", dict(body or CORRECTED), now=NOW, **kwargs)


def messages(error):
    with force_locale("zh"):
        return error.payload()


# --- the table as migration 0022 loads it ---------------------------------------------------------

def test_the_table_holds_the_defaults_with_their_parents(app):
    loaded = classification.entries()
    assert [(e.code, e.name, e.dimension, e.parent, e.position) for e in loaded] == [
        (e.code, e.name, e.dimension, e.parent, e.position) for e in j.DEFAULT_CODES]
    assert row("A010301").parent.code == "A0103"


def test_codes_are_never_deleted(app):
    db.session.delete(row("C99"))
    with pytest.raises(CodesAreKept):
        db.session.flush()
    db.session.rollback()


# --- registration suggests ---------------------------------------------------------------------------

@pytest.mark.parametrize("channel, category, expected", [
    ("hotline", "attitude", ("A0101", "B01", "C01")),
    ("box", "fee", ("A0101", "B04", "C03")),
    ("referral", "other", ("A0101", "B99", "C99")),
])
def test_registration_suggests_codes_unconfirmed(app, users, make_complaint, channel, category, expected):
    case = make_complaint(users[r.COUNTER_STAFF], channel=channel, category=category)
    found, confirmed = codes(case)
    assert (found["channel_code"], found["business_code"], found["reason_code"]) == expected
    assert confirmed is False


def test_a_suggested_code_out_of_force_on_the_day_of_receipt_is_left_empty(app, users, make_complaint):
    classification.update_code(row("A0101").id, {"valid_to": "2026-11-30"}, users[r.ADMIN])
    before = make_complaint(users[r.COUNTER_STAFF], now=datetime(2026, 12, 1, 9), received_at="2026-11-30T09:00:00")
    after = make_complaint(users[r.COUNTER_STAFF], now=datetime(2026, 12, 1, 9), received_at="2026-12-01T08:00:00")
    assert codes(before)[0]["channel_code"] == "A0101"  # the expired code stays on the older case
    assert codes(after)[0] == {"channel_code": None, "business_code": "B01", "reason_code": "C01"}
    assert "A0101" not in dict(classification.choices("A", date(2026, 12, 1)))
    assert "A0101" in dict(classification.choices("A", date(2026, 11, 30)))


# --- the classify step -------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [r.DISCIPLINE_OFFICE, r.BRANCH_HEAD, r.COUNTER_STAFF])
def test_the_handler_the_branch_head_and_the_office_confirm(app, users, cases, role):
    case = cases["processing"]  # handled by the counter clerk of 甲一分社
    version = case.version
    classify(users[role], case)
    found, confirmed = codes(case)
    assert found == CORRECTED and confirmed is True
    assert db.session.get(Complaint, case.id).version == version + 1
    (event,) = db.session.execute(select(ComplaintEvent).where(
        ComplaintEvent.complaint_id == case.id, ComplaintEvent.name == "classify")).scalars().all()
    assert (event.from_status, event.to_status) == ("processing", "processing")
    assert event.payload["previous_codes"] == {"channel_code": "A0101", "business_code": "B04", "reason_code": "C03"}
    assert {key: event.payload[key] for key in CORRECTED} == CORRECTED
    assert event.payload["code_names"]["A010303"] == "移动客户端"
    assert event.actor_id == users[role].id


@pytest.mark.parametrize("role, error", [
    (r.COMMITTEE, PermissionDenied), (r.LEADERSHIP, PermissionDenied), (r.RERULING_BODY, NotFound),
    (r.ADMIN, PermissionDenied),
])
def test_others_may_not_confirm(app, users, cases, role, error):
    with pytest.raises(error):
        classify(users[role], cases["processing"])
    assert codes(cases["processing"])[1] is False


def test_a_clerk_who_does_not_handle_the_case_may_not(app, users, factory, org, cases):
    other = factory.user(r.COUNTER_STAFF, "clerk2", org["a1"], "counter_staff")
    case = cases["processing"]
    with pytest.raises(NotFound):  # outside a clerk's scope: registered or handled by it
        classify(other, case)
    svc.apply(users[r.DISCIPLINE_OFFICE], case.id, "transfer", {"to_unit_id": org["a1"].id,
                                                                  "to_staff_id": other.staff_records[0].id,
                                                                  "reason": "转交柜员二处理。"}, now=NOW)
    with pytest.raises(PermissionDenied):  # the clerk who registered it no longer handles it
        classify(users[r.COUNTER_STAFF], case)
    classify(other, case)
    assert codes(case)[1] is True


@pytest.mark.parametrize("state, allowed", [
    ("registered", False), ("rejected", False), ("processing", True), ("replied", True), ("appealed", True),
    ("closed", True),
])
def test_the_states_it_is_taken_in(app, users, cases, state, allowed):
    if allowed:
        classify(users[r.DISCIPLINE_OFFICE], cases[state])
        assert codes(cases[state])[1] is True
    else:
        with pytest.raises(Conflict):
            classify(users[r.DISCIPLINE_OFFICE], cases[state])


def test_a_duplicate_is_not_classified(app, users, cases):
    office = users[r.DISCIPLINE_OFFICE]
    svc.apply(office, cases["processing"].id, "mark_duplicate",
              {"original_number": cases["closed"].number, "reason": "同一客户就同一事项再次来电投诉。"}, now=NOW)
    with pytest.raises(Conflict):
        classify(office, cases["processing"])


@pytest.mark.parametrize("body, field, text", [
    ({**CORRECTED, "channel_code": "A9999"}, "channel_code", "JR/T 0169 代码表中没有代码 A9999。"),
    ({**CORRECTED, "channel_code": "B01"}, "channel_code", "B01 不是本维度的代码。"),
    ({**CORRECTED, "channel_code": "A0103"}, "channel_code", "A0103 下设细分代码,请选择最细一级的代码。"),
    ({**CORRECTED, "reason_code": "C0"}, "reason_code", "JR/T 0169 代码表中没有代码 C0。"),
])
def test_a_bad_code_is_refused_in_chinese_and_nothing_changes(app, users, cases, body, field, text):
    case = cases["processing"]
    before = codes(case)
    with pytest.raises(ValidationFailed) as refused:
        classify(users[r.DISCIPLINE_OFFICE], case, body)
    assert messages(refused.value) == {field: [text]}
    assert codes(case) == before
    assert not db.session.execute(select(ComplaintEvent).where(ComplaintEvent.name == "classify")).first()


def test_a_code_out_of_force_on_the_day_of_receipt_is_refused(app, users, cases):
    classification.update_code(row("B03").id, {"valid_from": "2026-12-01"}, users[r.ADMIN])
    with pytest.raises(ValidationFailed) as refused:
        classify(users[r.DISCIPLINE_OFFICE], cases["processing"])  # received 2026-11-30
    assert messages(refused.value) == {"business_code": ["代码 B03 在投诉受理日 2026-11-30 不在有效期内。"]}


def test_missing_fields_and_codes_typed_loosely(app, users, cases):
    with pytest.raises(ValidationFailed) as refused:
        classify(users[r.DISCIPLINE_OFFICE], cases["processing"], {"channel_code": "A0101"})
    assert set(messages(refused.value)) == {"business_code", "reason_code"}
    classify(users[r.DISCIPLINE_OFFICE], cases["processing"],
             {"channel_code": " a0101 ", "business_code": "b01", "reason_code": "c01"})
    assert codes(cases["processing"])[0] == {"channel_code": "A0101", "business_code": "B01", "reason_code": "C01"}


def test_a_wrong_code_is_named_with_the_missing_ones(app, users, cases):
    """One answer names every bad field: the code the table refuses beside the ones left empty."""
    with pytest.raises(ValidationFailed) as refused:
        classify(users[r.DISCIPLINE_OFFICE], cases["processing"], {"channel_code": "zzz-9", "business_code": ""})
    found = messages(refused.value)
    assert found["channel_code"] == ["JR/T 0169 代码表中没有代码 ZZZ-9。"]
    assert set(found) == {"channel_code", "business_code", "reason_code"}


def test_confirming_the_suggestion_then_correcting_it(app, users, cases):
    case = cases["replied"]
    office = users[r.DISCIPLINE_OFFICE]
    suggested = codes(case)[0]
    classify(office, case, suggested)
    assert codes(case) == (suggested, True)
    with pytest.raises(Conflict):  # the same codes again: nothing to record
        classify(office, case, suggested)
    classify(office, case)
    assert codes(case) == (CORRECTED, True)
    events = db.session.execute(select(ComplaintEvent).where(
        ComplaintEvent.complaint_id == case.id, ComplaintEvent.name == "classify").order_by(ComplaintEvent.id)).scalars()
    assert [e.payload["previous_codes"]["channel_code"] for e in events] == ["A0101", "A0101"]


def test_a_stale_version_is_refused(app, users, cases):
    case = cases["processing"]
    with pytest.raises(Conflict):
        classify(users[r.DISCIPLINE_OFFICE], case, {**CORRECTED, "version": case.version - 1})


def test_the_classification_never_makes_a_to_do(app, users, cases):
    from app.data import complaints as reads

    page = reads.todo(users[r.COUNTER_STAFF], date(2026, 12, 1), 2)
    assert page.items and all("classify" not in [a.name for a in item.actions] for item in page.items)
    assert "classify" in [t.name for t in svc.available_transitions(users[r.COUNTER_STAFF], cases["processing"],
                                                                    date(2026, 12, 1))]


# --- the administrator's changes --------------------------------------------------------------------

def audits():
    return db.session.execute(select(AdminAudit).where(AdminAudit.target_type == "jrt_code")
                              .order_by(AdminAudit.id)).scalars().all()


def test_adding_and_changing_a_code_is_audited(app, users):
    admin = users[r.ADMIN]
    added = classification.create_code({"code": "c11", "name": " 定价收费 ", "dimension": "C", "position": 300},
                                       admin)
    assert (added.code, added.name, added.parent_id) == ("C11", "定价收费", None)
    classification.update_code(added.id, {"name": "因定价收费引起的投诉", "valid_from": "2027-01-01"}, admin)
    classification.update_code(added.id, {"name": "因定价收费引起的投诉"}, admin)  # nothing changes: no entry
    sub = classification.create_code({"code": "B0101", "name": "活期储蓄", "dimension": "B",
                                       "parent_id": row("B01").id}, admin)
    create, update, create_sub = audits()
    assert (create.action, create.actor_name, create.target_name) == ("create", "admin", "C11 定价收费")
    assert create.changes["code"] == {"from": None, "to": "C11"} and create.changes["dimension"]["to"] == "C"
    assert update.action == "update" and update.changes == {
        "name": {"from": "定价收费", "to": "因定价收费引起的投诉"}, "valid_from": {"from": None, "to": "2027-01-01"}}
    assert create_sub.changes["parent"] == {"from": None, "to": "B01"}
    # B01 now has a sub-code: a new case chooses it, not B01.
    assert "B01" not in dict(classification.choices("B", date(2026, 12, 1)))
    assert sub.code in dict(classification.choices("B", date(2026, 12, 1)))


def test_correcting_a_codes_text_corrects_the_cases(app, users, make_complaint):
    case = make_complaint(users[r.COUNTER_STAFF], category="other")
    classification.update_code(row("C99").id, {"code": "C11"}, users[r.ADMIN])
    assert codes(case)[0]["reason_code"] == "C11"
    assert audits()[-1].changes == {"code": {"from": "C99", "to": "C11"}}


@pytest.mark.parametrize("change, field, text", [
    ({"code": "C01"}, "code", "已有其他代码使用该编码。"),
    ({"code": "B99"}, "code", "代码须以所属维度的字母开头。"),
    ({"code": "C-1"}, "code", "代码由所属维度的字母(A、B 或 C)加最多 15 位大写字母或数字组成。"),
    ({"parent_id": "A01"}, "parent_id", None),
    ({"valid_from": "2026-02-01", "valid_to": "2026-01-31"}, "valid_to", "有效期截止日不能早于起始日。"),
    ({"dimension": "A"}, "dimension", "代码的维度不能修改:已有投诉在该维度使用此代码。"),
    ({"name": "  "}, "name", "名称为必填项。"),
    ({"position": "x"}, "position", None),
])
def test_bad_changes_are_refused_beside_the_field_and_change_nothing(app, users, change, field, text):
    target = row("C99")
    if change.get("parent_id") == "A01":
        change = {"parent_id": row("A01").id}
        text = "上级代码须属于同一维度。"
    before = (target.code, target.name, target.parent_id, target.valid_from, target.valid_to, target.position)
    with pytest.raises(ValidationFailed) as refused:
        classification.update_code(target.id, change, users[r.ADMIN])
    payload = messages(refused.value)
    assert field in payload
    if text:
        assert payload[field] == [text]
    db.session.rollback()
    target = row("C99")
    assert (target.code, target.name, target.parent_id, target.valid_from, target.valid_to, target.position) == before
    assert audits() == []


def test_a_code_is_not_placed_under_its_own_sub_code(app, users):
    with pytest.raises(ValidationFailed) as refused:
        classification.update_code(row("A01").id, {"parent_id": row("A010301").id}, users[r.ADMIN])
    assert messages(refused.value) == {"parent_id": ["代码不能挂在自身或其下级代码之下。"]}


def test_a_new_code_needs_its_fields(app, users):
    with pytest.raises(ValidationFailed) as refused:
        classification.create_code({"code": "D01", "name": "", "dimension": "D"}, users[r.ADMIN])
    assert {"name", "dimension"} <= set(messages(refused.value))
    with pytest.raises(NotFound):
        classification.update_code(10**6, {"name": "x"}, users[r.ADMIN])
