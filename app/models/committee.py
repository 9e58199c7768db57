"""The ruling bodies of §17 as records (issue 21): the union's responsibility-ruling committee
(联社客户投诉责任认定小组) and the higher ruling body (上一级责任认定部门) that decides re-rulings,
each with its roster (staff, committee role, term), and who sat on each ruling."""
from flask_appbuilder import Model
from sqlalchemy import Boolean, CheckConstraint, Column, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import relationship

from ..domain import committee as c
from .staff import Staff


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class RulingBody(Model):
    """A ruling body: ``kind`` is ``committee`` (rules, §17) or ``higher`` (decides re-rulings,
    final). Its quorum rule is its own: more than ``quorum_percent`` % of the voting members on
    the roster that day who are not recused, with the chair or a deputy among them when
    ``chair_required``."""

    __tablename__ = "ruling_body"
    __table_args__ = (
        CheckConstraint(_in("kind", c.BODY_KINDS), name="ck_ruling_body_kind"),
        CheckConstraint("quorum_percent >= 0 AND quorum_percent < 100", name="ck_ruling_body_quorum"),
        UniqueConstraint("kind", "unit_id", name="uq_ruling_body_kind_unit"),
    )

    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)
    kind = Column(String(12), nullable=False)
    unit_id = Column(Integer, ForeignKey("org_unit.id", ondelete="RESTRICT"), nullable=False, index=True)
    unit = relationship("OrgUnit")
    quorum_percent = Column(Integer, nullable=False, default=c.DEFAULT_QUORUM_PERCENT,
                            server_default=str(c.DEFAULT_QUORUM_PERCENT))
    chair_required = Column(Boolean, nullable=False, default=True, server_default="1")
    active = Column(Boolean, nullable=False, default=True, server_default="1")
    members = relationship("BodyMember", back_populates="body", order_by="BodyMember.id")

    def __repr__(self) -> str:
        return self.name


class BodyMember(Model):
    """One term of a staff member on a body's roster: from ``term_from`` to ``term_to``
    (inclusive; open-ended when empty). A term that ended stays, so past rulings keep it."""

    __tablename__ = "ruling_body_member"
    __table_args__ = (
        CheckConstraint(_in("role", c.MEMBER_ROLES), name="ck_ruling_body_member_role"),
        CheckConstraint("term_to IS NULL OR term_to >= term_from", name="ck_ruling_body_member_term"),
    )

    id = Column(Integer, primary_key=True)
    body_id = Column(Integer, ForeignKey("ruling_body.id", ondelete="RESTRICT"), nullable=False, index=True)
    body = relationship(RulingBody, back_populates="members")
    staff_id = Column(Integer, ForeignKey("staff.id", ondelete="RESTRICT"), nullable=False, index=True)
    staff = relationship(Staff)
    role = Column(String(12), nullable=False, default=c.MEMBER)
    term_from = Column(Date, nullable=False)
    term_to = Column(Date)

    def __repr__(self) -> str:
        return f"{self.staff.name if self.staff else self.staff_id}"

    def serves_on(self, day) -> bool:
        return self.term_from <= day and (self.term_to is None or day <= self.term_to)


class RulingMember(Model):
    """A member who sat on a ruling, with the committee role they held that day (kept even when
    their term ends or their role changes later)."""

    __tablename__ = "ruling_member"
    __table_args__ = (CheckConstraint(_in("role", c.MEMBER_ROLES), name="ck_ruling_member_role"),)

    ruling_id = Column(Integer, ForeignKey("ruling.id", ondelete="RESTRICT"), primary_key=True)
    staff_id = Column(Integer, ForeignKey("staff.id", ondelete="RESTRICT"), primary_key=True, index=True)
    staff = relationship(Staff, lazy="joined")
    role = Column(String(12), nullable=False)
