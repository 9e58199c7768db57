"""The ruling bodies at work (§17, issue 21): which body rules a case, its roster on the ruling
day, who is recused and why, and the check of the members a ruling says were present (quorum,
recusal, the recorder among them). The rules themselves are ``domain/committee.py``; the roster
is maintained in ``services/committee_roster.py``."""
import datetime as dt
from typing import FrozenSet, Iterable, Optional

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..domain import committee as c
from ..errors import ValidationFailed
from ..extensions import db
from ..models import OrgUnit, Staff
from ..models.committee import BodyMember, RulingBody, RulingMember
from ..security.scope import all_units

MEMBERS_FIELD = "members"


def _ancestry(unit_id) -> list:
    """``unit_id`` and its ancestors, nearest first."""
    chain, seen = [], set()
    while unit_id is not None and unit_id not in seen:
        seen.add(unit_id)
        chain.append(unit_id)
        unit_id = db.session.execute(select(OrgUnit.parent_id).where(OrgUnit.id == unit_id)).scalar()
    return chain


def _nearest(kind, unit_id) -> Optional[RulingBody]:
    chain = _ancestry(unit_id)
    bodies = db.session.execute(select(RulingBody).where(
        RulingBody.kind == kind, RulingBody.active.is_(True), RulingBody.unit_id.in_(chain))).scalars().all()
    by_unit = {body.unit_id: body for body in bodies}
    return next((by_unit[unit] for unit in chain if unit in by_unit), None)


def committee_for(complaint) -> Optional[RulingBody]:
    """§17: the responsibility-ruling committee of the case: the active committee at the branch
    complained about or its nearest ancestor (the county union's)."""
    return _nearest(c.COMMITTEE, complaint.branch_id)


def higher_body_for(complaint) -> Optional[RulingBody]:
    """§17: the higher ruling body (上一级责任认定部门) a re-ruling request on the case goes to:
    the nearest active higher body at the branch complained about or above it."""
    return _nearest(c.HIGHER, complaint.branch_id)


def higher_body_at(unit_id) -> Optional[RulingBody]:
    return db.session.execute(select(RulingBody).where(
        RulingBody.kind == c.HIGHER, RulingBody.unit_id == unit_id)).scalar()


def body_for(complaint, transition_name) -> Optional[RulingBody]:
    """The body whose members sit on ``transition_name`` (``rule`` or ``decide_reruling``)."""
    if transition_name == "decide_reruling":
        return higher_body_at(complaint.reruling_unit_id) if complaint.reruling_unit_id else None
    return committee_for(complaint)


def units_served(staff_id: Optional[int], day: dt.date, kind: str) -> FrozenSet[int]:
    """The units whose cases the bodies of ``kind`` that ``staff_id`` serves on ``day`` decide: for
    a committee, every branch whose nearest active committee is one of them (``committee_for``);
    for a higher body, its own unit (the unit a re-ruling request is addressed to). Empty for
    someone on no roster that day: they cannot sit, so nothing waits for them (我的待办)."""
    if staff_id is None:
        return frozenset()
    mine = set(db.session.execute(
        select(RulingBody.id).join(BodyMember, BodyMember.body_id == RulingBody.id).where(
            BodyMember.staff_id == staff_id, RulingBody.kind == kind, RulingBody.active.is_(True),
            BodyMember.term_from <= day, (BodyMember.term_to.is_(None)) | (BodyMember.term_to >= day))
    ).scalars())
    if not mine:
        return frozenset()
    at_unit = dict(db.session.execute(select(RulingBody.unit_id, RulingBody.id).where(
        RulingBody.kind == kind, RulingBody.active.is_(True))).all())
    if kind == c.HIGHER:
        return frozenset(unit for unit, body in at_unit.items() if body in mine)
    parents = {unit.id: unit.parent_id for unit in all_units()}
    served = set()
    for unit_id in parents:
        current, seen = unit_id, set()
        while current is not None and current not in seen and current not in at_unit:
            seen.add(current)
            current = parents.get(current)
        if current in at_unit and at_unit[current] in mine:
            served.add(unit_id)
    return frozenset(served)


def roster(body: RulingBody, day: dt.date) -> list:
    """The body's seats on ``day``: the running terms of active staff, chair first."""
    rows = db.session.execute(
        select(BodyMember).options(selectinload(BodyMember.staff)).where(
            BodyMember.body_id == body.id, BodyMember.term_from <= day,
            (BodyMember.term_to.is_(None)) | (BodyMember.term_to >= day))
    ).scalars().all()
    seats = {}
    for row in rows:
        if row.staff is not None and row.staff.active and row.staff_id not in seats:
            seats[row.staff_id] = c.Seat(row.staff_id, row.staff.unit_id, row.role, row.staff.name)
    order = {role: n for n, role in enumerate(c.MEMBER_ROLES)}
    return sorted(seats.values(), key=lambda seat: (order[seat.role], seat.name, seat.staff_id))


def concerned(complaint, staff_ids: Iterable[int] = ()) -> list:
    """(staff id, unit id) of the staff the ruling is about: complained about and held responsible."""
    ids = [i for i in [complaint.respondent_staff_id, *staff_ids] if isinstance(i, int)]
    if not ids:
        return []
    return list(db.session.execute(select(Staff.id, Staff.unit_id).where(Staff.id.in_(ids))).all())


def seating(complaint, transition_name, day: dt.date, staff_ids: Iterable[int] = ()):
    """The body and its seats that day, each with why it is recused (None: may sit)."""
    body = body_for(complaint, transition_name)
    if body is None:
        return None, []
    about = concerned(complaint, staff_ids)
    return body, [(seat, c.recusal(seat, about, complaint.branch_id)) for seat in roster(body, day)]


def _refuse(message):
    raise ValidationFailed(message, field=MEMBERS_FIELD)


def check_present(complaint, transition_name, member_ids, recorder_staff_id, day, staff_ids=()):
    """The members a ruling says were present, checked: all on the body's roster that day, none
    recused, a quorum, the person recording among them. Returns (body, seats present)."""
    body, seats = seating(complaint, transition_name, day, staff_ids)
    if body is None:
        _refuse(gettext("No ruling body is set up for this case; the discipline office maintains the bodies "
                        "and their members."))
    if not seats:
        _refuse(gettext("%(body)s has no member serving on %(day)s; the discipline office maintains its members.",
                        body=body.name, day=day.isoformat()))
    by_id = {seat.staff_id: (seat, why) for seat, why in seats}
    chosen = list(dict.fromkeys(member_ids))
    unknown = [i for i in chosen if i not in by_id]
    if unknown:
        _refuse(gettext("Choose the members present from the roster of %(body)s serving on %(day)s.",
                        body=body.name, day=day.isoformat()))
    recused = [(by_id[i][0], by_id[i][1]) for i in chosen if by_id[i][1] is not None]
    if recused:
        seat, why = recused[0]
        _refuse(gettext("%(name)s is recused: %(why)s.", name=seat.name, why=gettext(why)))
    if recorder_staff_id is None or recorder_staff_id not in chosen:
        _refuse(gettext("The person recording the ruling must be one of the members present."))
    present = [by_id[i][0] for i in chosen]
    eligible = [seat for seat, why in seats if why is None]
    refusal = c.quorum_refusal(present, eligible, body.quorum_percent, body.chair_required)
    if refusal is not None:
        message, values = refusal
        _refuse(gettext(message, **values))
    return body, present


def record_present(ruling, body, present) -> None:
    """Attach who sat to ``ruling`` (and the body that ruled)."""
    ruling.body = body
    ruling.members = None
    ruling.present = [RulingMember(staff_id=seat.staff_id, role=seat.role) for seat in present]


def present_names(ruling) -> str:
    """Who sat on ``ruling`` (``Ruling.members_present``)."""
    return ruling.members_present


# --- deploy ------------------------------------------------------------------------------------

# The configuration naming the unit of each body for its first deploy (unit codes).
SEED_KEYS = {c.COMMITTEE: ("COMMITTEE_UNIT", "LS"), c.HIGHER: ("RERULING_BODY_UNIT", "SL")}


def default_name(kind, unit) -> str:
    """§17's names: 联社客户投诉责任认定小组, and the higher body after its unit."""
    if kind == c.COMMITTEE:
        return f"{unit.name}客户投诉责任认定小组"
    return f"{unit.name}客户投诉责任认定(复核)小组"


def seed(config) -> list:
    """``flask deploy``: each kind of body that does not exist yet is created at the unit its
    configuration key names, once that unit exists (without members: the discipline office adds
    them). Never changes a body that exists. Returns the names created."""
    from ..models.admin_audit import AdminAudit
    from .. import clock

    created = []
    for kind, (key, default) in SEED_KEYS.items():
        if db.session.execute(select(RulingBody.id).where(RulingBody.kind == kind).limit(1)).scalar() is not None:
            continue
        code = config.get(key, default)
        unit = db.session.execute(select(OrgUnit).where(OrgUnit.code == code)).scalar() if code else None
        if unit is None:
            continue
        body = RulingBody(name=default_name(kind, unit), kind=kind, unit=unit)
        db.session.add(body)
        db.session.flush()
        db.session.add(AdminAudit(at=clock.now(), actor_id=None, actor_name="system", target_type="body",
                                  target_id=body.id, target_name=body.name, action="create",
                                  changes={"kind": {"from": None, "to": kind}, "unit": {"from": None, "to": unit.name}}))
        created.append(body.name)
    db.session.commit()
    return created
