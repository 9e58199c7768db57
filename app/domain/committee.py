"""The rules of the ruling bodies (§17, issue 21), without Flask: who may sit on a ruling,
who is recused and whether those present make a quorum.

- A body's roster on a day: the terms running that day (``term_from`` ≤ day ≤ ``term_to``) of
  active staff.
- Recusal: a member does not sit on a ruling about themselves (the staff complained about or
  held responsible) or about a staff member of their own unit, nor on a case against their own
  unit (the branch complained about).
- Quorum: more than ``quorum_percent`` % (default 50: more than half) of the voting members
  (组长, 副组长, 成员; the secretary records but does not count) on the roster that day who are
  not recused; when the body requires it, the chair or a deputy is among them.
"""
from dataclasses import dataclass
from typing import Iterable, Optional

from .vocabulary import N_

COMMITTEE = "committee"
HIGHER = "higher"
BODY_KINDS = (COMMITTEE, HIGHER)

CHAIR, DEPUTY, MEMBER, SECRETARY = "chair", "deputy", "member", "secretary"
MEMBER_ROLES = (CHAIR, DEPUTY, MEMBER, SECRETARY)
VOTING_ROLES = (CHAIR, DEPUTY, MEMBER)
LEADING_ROLES = (CHAIR, DEPUTY)
DEFAULT_QUORUM_PERCENT = 50

BODY_KIND_LABELS = {COMMITTEE: N_("Responsibility-ruling committee"), HIGHER: N_("Higher ruling body")}
MEMBER_ROLE_LABELS = {CHAIR: N_("Chair"), DEPUTY: N_("Deputy chair"), MEMBER: N_("Member"),
                      SECRETARY: N_("Secretary")}

# Why a member is recused (shown beside the member on the form).
RECUSED_SELF = N_("the ruling concerns this member")
RECUSED_COLLEAGUE = N_("the ruling concerns a staff member of this member's unit")
RECUSED_UNIT = N_("the complaint is against this member's unit")
# … and what the member is told when they try (the case also leaves their to-do list).
RECUSAL_REFUSALS = {
    RECUSED_SELF: N_("You are recused from this ruling: it concerns you."),
    RECUSED_COLLEAGUE: N_("You are recused from this ruling: it concerns a staff member of your unit."),
    RECUSED_UNIT: N_("You are recused from this ruling: the complaint is against your unit."),
}


@dataclass(frozen=True)
class Seat:
    """One member on the roster that day: staff id and unit, committee role."""

    staff_id: int
    unit_id: int
    role: str
    name: str = ""


def recusal(seat: Seat, concerned: Iterable[tuple], branch_id: Optional[int]) -> Optional[str]:
    """Why ``seat`` may not sit (a message id), or None. ``concerned``: (staff id, unit id) of
    the staff complained about and held responsible; ``branch_id``: the unit complained about."""
    concerned = list(concerned)
    if any(staff_id == seat.staff_id for staff_id, _ in concerned):
        return RECUSED_SELF
    if any(unit_id == seat.unit_id for _, unit_id in concerned):
        return RECUSED_COLLEAGUE
    if branch_id is not None and seat.unit_id == branch_id:
        return RECUSED_UNIT
    return None


def quorum_needed(eligible_voting: int, quorum_percent: int) -> int:
    """The fewest voting members present that make more than ``quorum_percent`` % of
    ``eligible_voting`` (at least one)."""
    return max(1, eligible_voting * quorum_percent // 100 + 1)


def quorum_refusal(present: Iterable[Seat], eligible: Iterable[Seat], quorum_percent: int,
                   chair_required: bool) -> Optional[tuple]:
    """None when those ``present`` make a quorum of the ``eligible`` (roster that day, not
    recused); else (message id, values) saying what is missing."""
    voting = [seat for seat in eligible if seat.role in VOTING_ROLES]
    sitting = [seat for seat in present if seat.role in VOTING_ROLES]
    needed = quorum_needed(len(voting), quorum_percent)
    if len(sitting) < needed:
        return (N_("Not a quorum: %(present)d of %(eligible)d voting members present, at least %(needed)d needed."),
                {"present": len(sitting), "eligible": len(voting), "needed": needed})
    if chair_required and not any(seat.role in LEADING_ROLES for seat in sitting):
        if any(seat.role in LEADING_ROLES for seat in voting):
            return (N_("Not a quorum: the chair or a deputy chair must be among those present."), {})
        return (N_("Not a quorum: no chair or deputy chair may sit on this ruling; appoint one to the roster."), {})
    return None


# What pages and API call the fields of a body and of a member.
BODY_LABELS = {
    "id": N_("Id"),
    "name": N_("Name"),
    "kind": N_("Kind"),
    "unit": N_("Unit"),
    "unit_id": N_("Unit"),
    "quorum_percent": N_("Quorum percentage"),
    "chair_required": N_("Chair or deputy chair must be present"),
    "active": N_("Active"),
    "members": N_("Members"),
    "serving_today": N_("Members serving today"),
    "quorum_rule": N_("Quorum rule"),
}
MEMBER_LABELS = {
    "id": N_("Id"),
    "body": N_("Ruling body"),
    "body_id": N_("Ruling body"),
    "staff": N_("Staff member"),
    "staff_id": N_("Staff member"),
    "role": N_("Committee role"),
    "term_from": N_("Term from"),
    "term_to": N_("Term to (inclusive; empty: open)"),
}
