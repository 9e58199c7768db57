"""Rules for the organisation tree and staff records (domain.md §2)."""
import re

from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..errors import ValidationFailed
from ..extensions import db
from ..models import OrgUnit, Staff
from ..models.org import UnitKind
from ..models.staff import Position
from ..ids import row_id

# §6: a published telephone: digits with spaces, dashes, brackets or a leading +, an extension
# after 转 or -, at least 3 digits (a short service number such as 96xxx counts), at most 32 characters.
_SUPERVISION_PHONE = re.compile(r"\+?[0-9()（） \-]*[0-9][0-9()（） \-]*(?:转[0-9]{1,6})?", re.ASCII)

# Which kinds of unit may stand directly above a unit of each kind. A union may sit under
# another union (a provincial union is a unit too); only a union may be a root.
ALLOWED_PARENT_KINDS = {
    UnitKind.union.value: {UnitKind.union.value, None},
    UnitKind.cooperative.value: {UnitKind.union.value},
    UnitKind.branch.value: {UnitKind.cooperative.value, UnitKind.union.value},
    UnitKind.department.value: {UnitKind.union.value},
}


def _ancestors(unit_id):
    """Ids from ``unit_id`` up to the root (stops on a cycle)."""
    parents = dict(db.session.execute(select(OrgUnit.id, OrgUnit.parent_id)).all())
    seen = []
    current = unit_id
    while current is not None and current not in seen:
        seen.append(current)
        current = parents.get(current)
    return seen


def check_unit(unit: OrgUnit) -> None:
    """Validate a unit before it is saved: kind, parent kind, no cycle, unique code."""
    if unit.kind not in ALLOWED_PARENT_KINDS:
        raise ValidationFailed(_l("Unknown kind of unit."), field="kind")
    if not (unit.name or "").strip():
        raise ValidationFailed(_l("A name is required."), field="name")
    if not (unit.code or "").strip():
        raise ValidationFailed(_l("A code is required."), field="code")
    parent = unit.parent if unit.parent is not None else (
        db.session.get(OrgUnit, unit.parent_id) if row_id(unit.parent_id) is not None else None
    )
    if unit.parent_id and parent is None:
        raise ValidationFailed(_l("The parent unit does not exist."), field="parent_id")
    parent_kind = parent.kind if parent is not None else None
    if parent_kind not in ALLOWED_PARENT_KINDS[unit.kind]:
        raise ValidationFailed(_l("This kind of unit cannot be placed under that parent."), field="parent_id")
    if parent is not None and unit.id is not None and unit.id in _ancestors(parent.id):
        raise ValidationFailed(_l("A unit cannot be placed under itself or one of its own sub-units."), field="parent_id")
    with db.session.no_autoflush:
        clash = db.session.execute(
            select(OrgUnit.id).where(OrgUnit.code == unit.code.strip(), OrgUnit.id != (unit.id or 0))
        ).first()
    if clash:
        raise ValidationFailed(_l("This code is already used by another unit."), field="code")
    unit.code = unit.code.strip()
    unit.name = unit.name.strip()
    phone = (unit.supervision_phone or "").strip()
    if phone and (len(phone) > 32 or not _SUPERVISION_PHONE.fullmatch(phone)
                  or sum(ch.isdigit() for ch in phone) < 3):
        raise ValidationFailed(_l("A supervision telephone has at least 3 digits (spaces, dashes, brackets and "
                                  "an extension after 转 allowed), at most 32 characters."),
                               field="supervision_phone")
    unit.supervision_phone = phone or None


def supervision_phone(unit) -> str:
    """§6: the published supervision telephone of ``unit``, else of its nearest ancestor that has
    one ("" when none has)."""
    phones = {row.id: (row.parent_id, row.supervision_phone)
              for row in db.session.execute(select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.supervision_phone))}
    current, seen = getattr(unit, "id", None), set()
    while current is not None and current not in seen:
        seen.add(current)
        parent, phone = phones.get(current, (None, None))
        if phone:
            return phone
        current = parent
    return ""


def check_staff(staff: Staff) -> None:
    """Validate a staff record: position, unit exists, unique employee number and login."""
    if staff.position not in {p.value for p in Position}:
        raise ValidationFailed(_l("Unknown position."), field="position")
    if not (staff.name or "").strip():
        raise ValidationFailed(_l("A name is required."), field="name")
    if not (staff.employee_no or "").strip():
        raise ValidationFailed(_l("An employee number is required."), field="employee_no")
    unit_id = staff.unit.id if staff.unit is not None else staff.unit_id
    if row_id(unit_id) is None or db.session.get(OrgUnit, unit_id) is None:
        raise ValidationFailed(_l("The unit does not exist."), field="unit_id")
    user_id = staff.user.id if staff.user is not None else staff.user_id
    if user_id is not None and (row_id(user_id) is None or db.session.get(User, user_id) is None):
        raise ValidationFailed(_l("The login does not exist."), field="user_id")
    with db.session.no_autoflush:
        if db.session.execute(
            select(Staff.id).where(Staff.employee_no == staff.employee_no.strip(), Staff.id != (staff.id or 0))
        ).first():
            raise ValidationFailed(_l("This employee number is already used."), field="employee_no")
        if user_id is not None and db.session.execute(
            select(Staff.id).where(Staff.user_id == user_id, Staff.id != (staff.id or 0))
        ).first():
            raise ValidationFailed(_l("This login is already linked to another staff member."), field="user_id")
    staff.employee_no = staff.employee_no.strip()
    staff.name = staff.name.strip()


def check_unit_deletable(unit: OrgUnit) -> None:
    """A unit still holding sub-units or staff cannot be deleted (its history would dangle)."""
    with db.session.no_autoflush:
        if db.session.execute(select(OrgUnit.id).where(OrgUnit.parent_id == unit.id)).first():
            raise ValidationFailed(_l("This unit still has sub-units; move or delete them first."))
        if db.session.execute(select(Staff.id).where(Staff.unit_id == unit.id)).first():
            raise ValidationFailed(_l("This unit still has staff members; move them first."))
