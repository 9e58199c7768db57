"""Staff members (domain.md §2), each in one unit and optionally linked to one login."""
import enum

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from ..domain import vocabulary
from ..i18n import label
from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Integer, String
from sqlalchemy.orm import relationship


class Position(str, enum.Enum):
    """Positions that matter to the complaint process."""

    counter_staff = "counter_staff"
    branch_head = "branch_head"
    discipline_officer = "discipline_officer"
    committee_member = "committee_member"
    manager = "manager"
    other = "other"




class Staff(Model):
    """A member of staff; ``user`` is the FAB login, at most one per staff record."""

    __tablename__ = "staff"
    __table_args__ = (
        CheckConstraint(
            "position IN ('counter_staff', 'branch_head', 'discipline_officer', "
            "'committee_member', 'manager', 'other')",
            name="ck_staff_position",
        ),
    )

    id = Column(Integer, primary_key=True)
    name = Column(String(64), nullable=False)
    employee_no = Column(String(32), nullable=False, unique=True)
    unit_id = Column(Integer, ForeignKey("org_unit.id", ondelete="RESTRICT"), nullable=False, index=True)
    unit = relationship("OrgUnit", backref="staff")
    position = Column(String(32), nullable=False, default=Position.other.value)
    active = Column(Boolean, nullable=False, default=True, server_default="1")
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), unique=True)
    user = relationship(User, backref="staff_records")

    def __repr__(self) -> str:
        return f"{self.name} ({self.employee_no})"

    @property
    def position_label(self) -> str:
        return label(vocabulary.POSITIONS, self.position)
