"""The union's business settings (issue 20): one row, written by ``flask deploy`` (seeded from
the environment once, when it does not exist) and changed only on the administrator's settings
page or ``PUT /api/v1/settings/`` (``services/settings.py``)."""
from flask_appbuilder import Model
from sqlalchemy import Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey, Integer
from sqlalchemy.orm import relationship

from .org import OrgUnit


class UnionSettings(Model):
    """The single settings row (id 1)."""

    __tablename__ = "union_settings"
    __table_args__ = (CheckConstraint("id = 1", name="ck_union_settings_single_row"),)

    id = Column(Integer, primary_key=True)
    # §14: who decides an appeal against a branch's or cooperative's decision, and against the union's own.
    appeal_body_branch_level_id = Column(Integer, ForeignKey("org_unit.id", ondelete="RESTRICT"))
    appeal_body_union_level_id = Column(Integer, ForeignKey("org_unit.id", ondelete="RESTRICT"))
    appeal_body_branch_level = relationship(OrgUnit, foreign_keys=[appeal_body_branch_level_id])
    appeal_body_union_level = relationship(OrgUnit, foreign_keys=[appeal_body_union_level_id])
    due_soon_working_days = Column(Integer, nullable=False)
    reruling_window_days = Column(Integer, nullable=False)
    extension_max_working_days = Column(Integer, nullable=False)
    regulatory_ceiling_enabled = Column(Boolean, nullable=False)
    regulatory_ceiling_days = Column(Integer, nullable=False)
    regulatory_ceiling_extended_days = Column(Integer, nullable=False)
    received_at_floor = Column(Date, nullable=False)
    updated_at = Column(DateTime)
    updated_by_id = Column(Integer)
