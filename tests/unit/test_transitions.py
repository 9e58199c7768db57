"""The transition table and guards, without an app (domain.md §4)."""
from datetime import date
from types import SimpleNamespace

import pytest

from app.domain import states as s
from app.domain import transitions as t

ALL = frozenset(f"can_{name}" for name in ("accept", "reject", "transfer", "request_extension",
                                            "decide_extension", "reply", "close", "follow_up"))


def actor(roles=(), staff_id=None, units=(), everything=False, permissions=ALL):
    return t.Actor(user_id=1, staff_id=staff_id, roles=frozenset(roles), everything=everything,
                   unit_ids=frozenset(units), permissions=frozenset(permissions))


def case(**kw):
    base = dict(status=s.REGISTERED, branch_id=10, handling_unit_id=None, handler_id=None, respondent_staff_id=None,
                due_date=date(2026, 12, 10), extension_status=s.EXT_NONE, followed_up_at=None,
                ruling_result=None, ruling_final=False, reruling_status=s.RERULING_NONE, reruling_deadline=None,
                ruled_staff=[], appeal_applied_on=None, appeal_unit_id=None, replied_by_unit_id=None, replied_by_id=None,
                reply_method=None, reply_received_on=None, appeal_due_date=date(2026, 12, 16), reruling_unit_id=None)
    base.update(kw)
    return SimpleNamespace(**base)


DO = actor(["DisciplineOffice"], staff_id=1, everything=True)
HEAD = actor(["BranchHead"], staff_id=2, units=[10])
OTHER_HEAD = actor(["BranchHead"], staff_id=3, units=[20])
CLERK = actor(["CounterStaff"], staff_id=4, units=[10],
              permissions={"can_transfer", "can_request_extension", "can_reply", "can_close"})
TODAY = date(2026, 12, 1)


def names(c, a, today=TODAY):
    return [tr.name for tr in t.available(c, a, today)]


def test_table_covers_the_spec_and_names_are_unique():
    assert [tr.name for tr in t.TRANSITIONS] == [
        "accept", "reject", "transfer", "request_extension", "decide_extension", "reply", "record_receipt", "close",
        "follow_up", "appeal", "decide_appeal", "rule", "request_reruling", "decide_reruling",
        "mark_duplicate", "unmark_duplicate", "classify"]
    for tr in t.TRANSITIONS:
        assert set(tr.sources) <= set(s.STATUSES)
        assert tr.target is None or tr.target in s.STATUSES


def test_registered_case():
    assert names(case(), DO) == ["accept", "reject"]
    assert names(case(), HEAD) == ["accept"]
    assert names(case(), OTHER_HEAD) == []
    assert names(case(), CLERK) == []


def test_processing_case_by_role():
    c = case(status=s.PROCESSING, handling_unit_id=10, handler_id=4)
    assert names(c, DO) == ["transfer", "reply"]
    assert names(c, HEAD) == ["transfer", "request_extension", "reply"]
    assert names(c, CLERK) == ["transfer", "request_extension", "reply"]
    assert names(c, OTHER_HEAD) == []


def test_clerk_who_is_not_handler_can_do_nothing():
    c = case(status=s.PROCESSING, handling_unit_id=10, handler_id=99)
    assert names(c, CLERK) == []


def test_extension_only_before_deadline_and_once_pending():
    c = case(status=s.PROCESSING, handling_unit_id=10, handler_id=4)
    assert "request_extension" not in names(c, HEAD, today=date(2026, 12, 11))
    pending = case(status=s.PROCESSING, handling_unit_id=10, extension_status=s.EXT_REQUESTED)
    assert "request_extension" not in names(pending, HEAD)
    assert "decide_extension" in names(pending, DO)
    assert "decide_extension" not in names(pending, HEAD)
    refusal = t.check(t.BY_NAME["decide_extension"], case(status=s.PROCESSING), DO, TODAY)
    assert refusal.kind == t.CONFLICT


def test_closed_case_follow_up_once():
    c = case(status=s.CLOSED, handling_unit_id=10)
    assert names(c, DO) == ["follow_up"]
    assert names(c, HEAD) == ["follow_up"]
    assert names(case(status=s.CLOSED, handling_unit_id=10, followed_up_at=TODAY), DO) == []


def test_terminal_rejected_case_allows_nothing():
    for a in (DO, HEAD, CLERK):
        assert names(case(status=s.REJECTED), a) == []


@pytest.mark.parametrize("name", ["accept", "reply", "close"])
def test_missing_permission_is_forbidden(name):
    no_perms = actor(["DisciplineOffice"], everything=True, permissions=())
    tr = t.BY_NAME[name]
    c = case(status=tr.sources[0])
    assert t.check(tr, c, no_perms, TODAY).kind == t.FORBIDDEN


def test_wrong_state_is_conflict():
    assert t.check(t.BY_NAME["reply"], case(status=s.REGISTERED), DO, TODAY).kind == t.CONFLICT


RULING_PERMS = {"can_rule", "can_request_reruling", "can_decide_reruling", "can_appeal", "can_decide_appeal"}
COMMITTEE = actor(["Committee"], staff_id=7, everything=True, permissions=RULING_PERMS)
HIGHER = t.Actor(**{**actor(["ReRulingBody"], staff_id=8, units=[1], permissions=RULING_PERMS).__dict__, "unit_id": 1})
RULED = actor(["CounterStaff"], staff_id=4, units=[10], permissions=RULING_PERMS)
OFFICE = actor(["DisciplineOffice"], staff_id=1, everything=True, permissions=RULING_PERMS)


def test_rule_once_by_committee_only():
    c = case(status=s.PROCESSING)
    assert names(c, COMMITTEE) == ["rule"]
    assert "rule" not in names(c, OFFICE)
    assert t.check(t.BY_NAME["rule"], case(status=s.PROCESSING, ruling_result="responsible"), COMMITTEE, TODAY).kind == t.CONFLICT
    assert names(case(status=s.REGISTERED), COMMITTEE) == []


def test_reruling_by_the_ruled_staff_once_within_window():
    ruled = [SimpleNamespace(id=4, unit_id=10)]
    c = case(status=s.CLOSED, ruling_result="responsible", ruled_staff=ruled, reruling_deadline=date(2026, 12, 10))
    assert names(c, RULED) == ["request_reruling"]
    assert names(c, RULED, today=date(2026, 12, 11)) == []
    assert "request_reruling" in names(c, actor(["BranchHead"], staff_id=2, units=[10], permissions=RULING_PERMS))
    assert "request_reruling" not in names(c, actor(["BranchHead"], staff_id=3, units=[20], permissions=RULING_PERMS))
    requested = case(status=s.CLOSED, ruling_result="responsible", ruled_staff=ruled, reruling_status=s.RERULING_REQUESTED,
                     reruling_unit_id=1)
    assert names(requested, RULED) == []
    assert names(requested, HIGHER) == ["decide_reruling"]
    decided = case(status=s.CLOSED, ruling_result="responsible", ruled_staff=ruled, reruling_status=s.RERULING_DECIDED,
                   ruling_final=True)
    assert names(decided, RULED) == [] and names(decided, HIGHER) == []


def test_decide_reruling_without_request_is_conflict():
    c = case(status=s.CLOSED, ruling_result="responsible")
    assert t.check(t.BY_NAME["decide_reruling"], c, HIGHER, TODAY).kind == t.CONFLICT


def test_appeal_once_and_decided_by_the_superior_only():
    c = case(status=s.REPLIED, handling_unit_id=10, replied_by_unit_id=10)
    assert "appeal" in names(c, OFFICE)
    assert names(case(status=s.REPLIED, appeal_applied_on=TODAY), OFFICE) == []
    appealed = case(status=s.APPEALED, appeal_applied_on=TODAY, appeal_unit_id=5, replied_by_unit_id=10)
    superior = actor(["DisciplineOffice"], staff_id=1, everything=True, permissions=RULING_PERMS)
    superior = t.Actor(**{**superior.__dict__, "unit_id": 5, "ancestor_unit_ids": frozenset({5, 1})})
    assert "decide_appeal" in names(appealed, superior)
    branch = t.Actor(**{**superior.__dict__, "unit_id": 10, "ancestor_unit_ids": frozenset({10, 5, 1})})
    assert "decide_appeal" not in names(appealed, branch)
    elsewhere = t.Actor(**{**superior.__dict__, "unit_id": 6, "ancestor_unit_ids": frozenset({6, 1})})
    assert "decide_appeal" not in names(appealed, elsewhere)


def test_only_the_ruling_body_addressed_decides_a_reruling():
    """§17: the request goes to one higher ruling body; another unit's ReRulingBody may not decide it."""
    requested = case(status=s.CLOSED, ruling_result="responsible", reruling_status=s.RERULING_REQUESTED,
                     reruling_unit_id=1)
    assert names(requested, HIGHER) == ["decide_reruling"]
    other = t.Actor(**{**HIGHER.__dict__, "unit_id": 2})
    assert t.check(t.BY_NAME["decide_reruling"], requested, other, TODAY).kind == t.FORBIDDEN
    no_unit = t.Actor(**{**HIGHER.__dict__, "unit_id": None})
    assert names(requested, no_unit) == []


def _superior(unit_id, ancestors, user_id=1):
    base = actor(["DisciplineOffice"], staff_id=1, everything=True, permissions=RULING_PERMS)
    return t.Actor(**{**base.__dict__, "user_id": user_id, "unit_id": unit_id, "ancestor_unit_ids": frozenset(ancestors)})


def test_an_appeal_is_decided_by_its_appeal_unit_only():
    """§14: the unit below the appeal unit used to pass (its ancestors include the appeal unit)."""
    appealed = case(status=s.APPEALED, appeal_applied_on=TODAY, appeal_unit_id=5, replied_by_unit_id=10,
                    replied_by_id=42)
    assert names(appealed, _superior(5, {5, 1})) == ["decide_appeal"]
    below_appeal_unit = _superior(7, {7, 5, 1})
    assert t.check(t.BY_NAME["decide_appeal"], appealed, below_appeal_unit, TODAY).kind == t.FORBIDDEN


def test_the_deciding_unit_and_the_replier_never_decide_the_appeal():
    # The appeal unit lies below the deciding unit (a misconfiguration the service refuses too).
    inside = case(status=s.APPEALED, appeal_applied_on=TODAY, appeal_unit_id=5, replied_by_unit_id=1, replied_by_id=42)
    assert t.check(t.BY_NAME["decide_appeal"], inside, _superior(5, {5, 1}), TODAY).kind == t.FORBIDDEN
    replier = case(status=s.APPEALED, appeal_applied_on=TODAY, appeal_unit_id=5, replied_by_unit_id=10, replied_by_id=9)
    refusal = t.check(t.BY_NAME["decide_appeal"], replier, _superior(5, {5, 1}, user_id=9), TODAY)
    assert refusal.kind == t.FORBIDDEN and "replied" in refusal.message


def test_a_letter_must_be_received_before_an_appeal_and_its_receipt_is_recorded_once():
    perms = ALL | RULING_PERMS | {"can_record_receipt", "can_appeal"}
    office = actor(["DisciplineOffice"], staff_id=1, everything=True, permissions=perms)
    letter = case(status=s.REPLIED, handling_unit_id=10, handler_id=4, reply_method="letter", appeal_due_date=None)
    assert "record_receipt" in names(letter, office) and "appeal" not in names(letter, office)
    assert t.check(t.BY_NAME["appeal"], letter, office, TODAY).kind == t.CONFLICT
    received = case(status=s.CLOSED, reply_method="letter", reply_received_on=TODAY, appeal_due_date=date(2026, 12, 16))
    assert "record_receipt" not in names(received, office) and "appeal" in names(received, office)
    by_phone = case(status=s.REPLIED, reply_method="phone")
    assert t.check(t.BY_NAME["record_receipt"], by_phone, office, TODAY).kind == t.CONFLICT
