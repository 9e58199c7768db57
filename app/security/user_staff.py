"""A login's staff record (issue 20 item 4): the user form and the security API link a login to an
existing staff record, create one for it, or leave it without one (an administrator needs none).

domain.md §1: a user is linked to one staff record, a staff record to one unit; its unit decides
the user's scope. The rules (the same for page and API):

- an existing record may be linked only when no other login holds it;
- a new record needs an employee number no other record has, an active unit chosen from the
  organisation tree and a position from the list; its name is the user's 姓 and 名;
- linking another record, or none, releases the one held before (it stays, without a login).

The checks return the translated message per field instead of raising, so the page shows them
beside the fields with the values kept, and the API answers 400 naming the field.
"""
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..domain import vocabulary
from ..extensions import db
from ..ids import row_id
from ..models import OrgUnit, Staff

NONE, EXISTING, NEW = "none", "existing", "new"
MODES = {
    NONE: _l("No staff record (e.g. an administrator)"),
    EXISTING: _l("Link an existing staff record"),
    NEW: _l("Create a staff record"),
}
EMPLOYEE_NO_MAX = Staff.__table__.c.employee_no.type.length
NAME_MAX = Staff.__table__.c.name.type.length


def linked_staff(user):
    """The staff record ``user`` holds, or None."""
    if user is None or user.id is None:
        return None
    with db.session.no_autoflush:
        return db.session.execute(select(Staff).where(Staff.user_id == user.id)).scalar_one_or_none()


def linkable_staff(user_id=None):
    """Staff records without a login (and the one ``user_id`` holds), by unit and employee number."""
    query = select(Staff).join(OrgUnit, Staff.unit_id == OrgUnit.id).order_by(OrgUnit.code, Staff.employee_no)
    if user_id is not None:
        query = query.where((Staff.user_id.is_(None)) | (Staff.user_id == user_id))
    else:
        query = query.where(Staff.user_id.is_(None))
    return db.session.execute(query).scalars().all()


def staff_label(staff) -> str:
    """How a staff record is offered and shown: name · unit · position (employee number)."""
    if staff is None:
        return "—"
    parts = [staff.name, staff.unit.name if staff.unit is not None else "", staff.position_label]
    return f"{' · '.join(part for part in parts if part)}({staff.employee_no})"


def unit_choices():
    """Active units, in code order, as offered to a new staff record."""
    return db.session.execute(select(OrgUnit).where(OrgUnit.active.is_(True)).order_by(OrgUnit.code)).scalars().all()


def problems(mode, user_id=None, staff=None, employee_no=None, unit=None, position=None) -> dict:
    """{field: translated message} of what is wrong with the requested link (empty when fine).

    ``staff`` and ``unit`` are rows or ids; ``user_id`` is the login being edited (None when new).
    Field names: ``staff`` (the record to link), ``employee_no``, ``unit``, ``position``.
    """
    found = {}
    if mode not in MODES:
        return {"staff_mode": str(_l("Choose what to do with the staff record."))}
    if mode == EXISTING:
        record = find_row(Staff, staff)
        if record is None:
            found["staff"] = str(_l("Choose the staff record to link."))
        elif record.user_id is not None and record.user_id != user_id:
            found["staff"] = str(_l("This staff record is already linked to another login."))
    elif mode == NEW:
        number = (employee_no or "").strip() if isinstance(employee_no, str) else ""
        if not number:
            found["employee_no"] = str(_l("An employee number is required."))
        elif len(number) > EMPLOYEE_NO_MAX:
            found["employee_no"] = str(_l("At most %(count)d characters.", count=EMPLOYEE_NO_MAX))
        else:
            with db.session.no_autoflush:
                if db.session.execute(select(Staff.id).where(Staff.employee_no == number)).first():
                    found["employee_no"] = str(_l("This employee number is already used."))
        chosen = find_row(OrgUnit, unit)
        if chosen is None or not chosen.active:
            found["unit"] = str(_l("Choose the unit from the list."))
        if position not in vocabulary.POSITIONS:
            found["position"] = str(_l("Choose the position from the list."))
    return found


def apply(user, mode, staff=None, employee_no=None, unit=None, position=None, name=None) -> None:
    """Link ``user`` as requested (``problems`` found nothing); the caller commits with the user.

    The record held before is released when another one, or none, is chosen."""
    current = linked_staff(user)
    if mode == EXISTING:
        record = find_row(Staff, staff)
        if current is not None and current is not record:
            current.user = None
        record.user = user
    elif mode == NEW:
        if current is not None:
            current.user = None
        record = Staff(name=(name or user.username)[:NAME_MAX], employee_no=employee_no.strip(),
                       unit=find_row(OrgUnit, unit), position=position, active=True, user=user)
        db.session.add(record)
    elif current is not None:
        current.user = None


def full_name(user) -> str:
    """The name a new staff record gets: 姓 then 名."""
    return User.get_full_name(user) if user is not None else ""


def find_row(model, value):
    """``value`` as a row of ``model``: a row, an id (as number or text), or None."""
    if value is None or isinstance(value, model):
        return value
    pk = row_id(value) if not isinstance(value, bool) else None
    return db.session.get(model, pk) if pk is not None else None
