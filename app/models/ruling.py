"""Responsibility rulings (责任认定, §17–§19): the committee's ruling and the final re-ruling."""
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import relationship

from ..domain import committee
from ..i18n import label

class RulingStaff(Model):
    """A staff member a ruling holds responsible. ``complaint_id`` is repeated so that "the cases
    whose ruling names me" is one indexed lookup (the ruled staff member may see them, §17)."""

    __tablename__ = "ruling_staff"

    ruling_id = Column(Integer, ForeignKey("ruling.id", ondelete="RESTRICT"), primary_key=True)
    staff_id = Column(Integer, ForeignKey("staff.id", ondelete="RESTRICT"), primary_key=True, index=True)
    complaint_id = Column(Integer, ForeignKey("complaint.id", ondelete="RESTRICT"), nullable=False, index=True)


ruled_staff = RulingStaff.__table__


class Ruling(Model):
    """One ruling on a case: ``kind`` is ``ruling`` (the committee) or ``reruling`` (final, §17).

    A re-ruling never overwrites the original: both rows stay; the case shows the effective one.
    """

    __tablename__ = "ruling"
    __table_args__ = (
        CheckConstraint("kind IN ('ruling', 'reruling')", name="ck_ruling_kind"),
        CheckConstraint("result IN ('responsible', 'not_responsible')", name="ck_ruling_result"),
        CheckConstraint("fee_borne IS NULL OR fee_borne >= 0", name="ck_ruling_fee"),
    )

    id = Column(Integer, primary_key=True)
    complaint_id = Column(Integer, ForeignKey("complaint.id", ondelete="RESTRICT"), nullable=False, index=True)
    complaint = relationship("Complaint", backref="rulings")
    kind = Column(String(12), nullable=False)
    result = Column(String(16), nullable=False)
    category = Column(String(8), nullable=False, index=True)
    verified = Column(Boolean, nullable=False, default=False)
    basis = Column(Text, nullable=False)
    # Issue 21: the body that ruled and who sat (``present``). ``members`` is the free text of
    # rulings recorded before the roster existed, kept and shown as it was.
    body_id = Column(Integer, ForeignKey("ruling_body.id", ondelete="RESTRICT"), index=True)
    body = relationship("RulingBody")
    members = Column(Text)
    fee_borne = Column(Numeric(12, 2))
    ruled_on = Column(Date, nullable=False)
    recorded_at = Column(DateTime, nullable=False)
    recorded_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"))
    recorded_by = relationship(User)
    links = relationship(RulingStaff, cascade="all", order_by=RulingStaff.staff_id)
    staff = relationship("Staff", secondary=ruled_staff, order_by="Staff.id", viewonly=True)
    # Who sat: one more statement for all the rulings read (names joined into it).
    present = relationship("RulingMember", cascade="all", order_by="RulingMember.staff_id", lazy="selectin")

    @property
    def members_present(self) -> str:
        """Who sat, by name and committee role, chair first ("王组长(组长)、…"); a ruling recorded
        before the roster existed shows its free text as it was."""
        if self.present:
            order = {role: n for n, role in enumerate(committee.MEMBER_ROLES)}
            seats = sorted(self.present, key=lambda m: (order.get(m.role, len(order)), m.staff_id))
            return "、".join(seat_label(m.staff.name, m.role) for m in seats)
        return self.members or ""


def seat_label(name, role) -> str:
    """"赵丽华(组长)": a member by name and the committee role held that day."""
    return f"{name}({label(committee.MEMBER_ROLE_LABELS, role)})" if role in committee.MEMBER_ROLE_LABELS else name
