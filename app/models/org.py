"""The organisation tree (domain.md §2): union → cooperatives → branches, plus departments."""
import enum

from flask_appbuilder import Model
from ..domain import vocabulary
from ..i18n import label
from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Integer, String
from sqlalchemy.orm import relationship


class UnitKind(str, enum.Enum):
    """Kinds of organisation unit."""

    union = "union"
    cooperative = "cooperative"
    branch = "branch"
    department = "department"




class OrgUnit(Model):
    """One unit of the organisation; scope is a unit and everything below it."""

    __tablename__ = "org_unit"
    __table_args__ = (
        CheckConstraint("kind IN ('union', 'cooperative', 'branch', 'department')", name="ck_org_unit_kind"),
    )

    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)
    code = Column(String(32), nullable=False, unique=True)
    kind = Column(String(16), nullable=False, index=True)
    parent_id = Column(Integer, ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)
    parent = relationship("OrgUnit", remote_side=[id], backref="children")
    active = Column(Boolean, nullable=False, default=True, server_default="1")
    # §6: the published supervision telephone (服务监督电话); a unit without one uses its nearest ancestor's.
    supervision_phone = Column(String(32))

    def __repr__(self) -> str:
        return self.name

    @property
    def kind_label(self) -> str:
        return label(vocabulary.UNIT_KINDS, self.kind)
