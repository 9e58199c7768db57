"""The JR/T 0169-2018 code table (issue 23): one row per code of the three dimensions (A business
channel, B business type, C complaint reason), loaded by migration 0022 and edited by the
administrator (``services/classification.py``, audited). Codes are never deleted: a code that
leaves the standard gets its last day in force (``valid_to``), and the cases that carry it keep it.
Complaints refer to a row by its id, so correcting a code's text corrects every case that carries it.
"""
from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Integer, String, event
from sqlalchemy.orm import relationship

from ..domain import jrt0169


class JrtCode(Model):
    """One code: its text, name, dimension, parent code, the days it is in force and its order."""

    __tablename__ = "jrt_code"
    __table_args__ = (
        CheckConstraint("dimension IN ('A', 'B', 'C')", name="ck_jrt_code_dimension"),
        CheckConstraint("valid_from IS NULL OR valid_to IS NULL OR valid_to >= valid_from", name="ck_jrt_code_validity"),
    )

    id = Column(Integer, primary_key=True)
    code = Column(String(16), nullable=False, unique=True)
    name = Column(String(100), nullable=False)
    dimension = Column(String(1), nullable=False)
    parent_id = Column(Integer, ForeignKey("jrt_code.id"), index=True)
    parent = relationship("JrtCode", remote_side=[id])
    valid_from = Column(Date)
    valid_to = Column(Date)  # the last day in force (inclusive); empty: open
    position = Column(Integer, nullable=False, default=0)

    def entry(self, parent_code=None) -> jrt0169.Code:
        """The row as the domain rules read it (``parent_code``: the parent's code, when known)."""
        if parent_code is None and self.parent_id is not None and self.parent is not None:
            parent_code = self.parent.code
        return jrt0169.Code(self.code, self.name, self.dimension, parent_code, self.valid_from, self.valid_to,
                            self.position or 0, self.id)

    def __repr__(self) -> str:
        return f"{self.code} {self.name}"


class CodesAreKept(Exception):
    """Raised when code tries to delete a code: cases may carry it (end its validity instead)."""


@event.listens_for(JrtCode, "before_delete")
def _no_delete(mapper, connection, target):
    raise CodesAreKept("JR/T 0169 codes are never deleted; set the last day in force instead")
