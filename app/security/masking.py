"""Who sees the complainant's identity (§16, domain.md §7), and the masks everyone else sees.

One function decides, by (viewer, case): pages, API, exports and logs all call it. Its SQL twin
(``identity_clause``) selects the same cases in a query: a search by phone number or name finds
only cases whose identity the searcher sees in full, so nobody recovers a masked value by
searching for it (domain.md §7).
"""
import re
from sqlalchemy import and_, false, func, or_, select, true

from ..domain.transitions import BRANCH_HEAD, DISCIPLINE_OFFICE, Actor
from .roles import COUNTER_STAFF

IDENTITY_FIELDS = ("complainant_name", "complainant_phone", "complainant_id_number", "complainant_address", "principal_name")


def sees_identity(actor: Actor, case) -> bool:
    """Full identity for the discipline office, the current handler and the handling branch head,
    and for a custom role that shows identity: within its scope (the whole organisation or its
    unit's subtree).

    The staff member a complaint names, or a ruling holds responsible, never sees who complained.
    """
    if actor.staff_id is not None and case.respondent_staff_id == actor.staff_id:
        return False
    # ruled_staff is read only when a ruling exists (a case without a result has none).
    if (actor.staff_id is not None and case.ruling_result is not None
            and any(member.id == actor.staff_id for member in case.ruled_staff)):
        return False
    if actor.has_role(DISCIPLINE_OFFICE) or (actor.shows_identity and actor.everything):
        return True
    if actor.staff_id is not None and case.handler_id == actor.staff_id:
        return True
    unit = case.handling_unit_id if case.handling_unit_id is not None else case.branch_id
    in_unit = not actor.everything and unit in actor.unit_ids
    return (actor.has_role(BRANCH_HEAD) or actor.shows_identity) and in_unit


# The roles whose work shows them complainants in full (domain.md §1, §7): the only roles
# offered a search by phone number or name. Committee, re-ruling body, leadership and Admin see
# identity masked and are never offered it.
IDENTITY_SEARCH_ROLES = (DISCIPLINE_OFFICE, BRANCH_HEAD, COUNTER_STAFF)


def may_search_identity(actor: Actor) -> bool:
    """Whether ``actor`` is offered the search by phone number and name (domain.md §7)."""
    return actor.shows_identity or any(actor.has_role(role) for role in IDENTITY_SEARCH_ROLES)


def identity_clause(actor: Actor, model):
    """SQL condition true for the cases of ``model`` whose identity ``actor`` sees in full:
    ``sees_identity`` as a query (tests/services/test_identity_search.py keeps them equal)."""
    from ..models.ruling import ruled_staff

    if actor.has_role(DISCIPLINE_OFFICE) or (actor.shows_identity and actor.everything):
        who = true()
    else:
        ways = []
        if actor.staff_id is not None:
            ways.append(model.handler_id == actor.staff_id)
        if (actor.has_role(BRANCH_HEAD) or actor.shows_identity) and not actor.everything and actor.unit_ids:
            ways.append(func.coalesce(model.handling_unit_id, model.branch_id).in_(sorted(actor.unit_ids)))
        if not ways:
            return false()
        who = or_(*ways)
    if actor.staff_id is None:
        return who
    not_named = or_(model.respondent_staff_id.is_(None), model.respondent_staff_id != actor.staff_id)
    ruled = select(ruled_staff.c.complaint_id).where(ruled_staff.c.staff_id == actor.staff_id)
    not_ruled = or_(model.ruling_result.is_(None), model.id.not_in(ruled))
    return and_(who, not_named, not_ruled)


def mask_name(value):
    """张三 → 张*, 欧阳娜娜 → 欧***."""
    if not value:
        return value
    return value[0] + "*" * max(len(value) - 1, 1)


def mask_phone(value):
    """13812345678 → 138****5678; short numbers keep only their last two digits."""
    if not value:
        return value
    if len(value) >= 11:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return "*" * max(len(value) - 2, 1) + value[-2:]


def mask_id_number(value):
    """330102199001011234 → 3301**********1234."""
    if not value:
        return value
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_address(value):
    """Keep the first six characters (county/town), hide the rest."""
    if not value:
        return value
    return value[:6] + "****"


MASKS = {
    "complainant_name": mask_name,
    "complainant_phone": mask_phone,
    "complainant_id_number": mask_id_number,
    "complainant_address": mask_address,
    "principal_name": mask_name,
}


def identity(actor: Actor, case, force_mask=False) -> dict:
    """The complainant fields of ``case`` as ``actor`` may see them (always masked with ``force_mask``)."""
    full = not force_mask and sees_identity(actor, case)
    return {name: shown(name, getattr(case, name), full) for name in IDENTITY_FIELDS}


def shown(name: str, value, full: bool):
    """One complainant field (``IDENTITY_FIELDS``) as given out: in full, or masked."""
    return value if full else MASKS[name](value)


# --- identity inside free text (§16) -----------------------------------------------------------

# Characters a phone or ID number may be typed with between its digits.
_SEPARATORS = r"[\s\-]?"


def _pattern(value: str) -> "re.Pattern":
    """``value`` found in text even when typed with spaces or dashes between its characters."""
    return re.compile(_SEPARATORS.join(re.escape(ch) for ch in value), re.IGNORECASE)


def mask_text(text, case, full: bool):
    """``text`` typed by staff (facts, reply, notes …) as a viewer sees it: for a viewer who sees
    identity masked (``full`` false), every occurrence of the complainant's name, the principal's
    name, phone, ID number and address is replaced by its mask (张三丰 → 张**). A name of one
    character is left alone (masking it would mask the character everywhere and reveal no more
    than the mask itself)."""
    if full or not text:
        return text
    for name in IDENTITY_FIELDS:
        value = (getattr(case, name, None) or "").strip()
        if len(value) < 2:
            continue
        masked = MASKS[name](value)
        if name in ("complainant_phone", "complainant_id_number"):
            text = _pattern(value).sub(masked, text)
        else:
            text = text.replace(value, masked)
    return text
