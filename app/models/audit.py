"""The PII access log (§16): who saw a complainant's full identity, when, where."""
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Integer, String, event
from sqlalchemy.orm import relationship


class PiiAccess(Model):
    """One full view of one complaint's complainant identity, or one search by identity (phone
    or name: one row per case it found, one without a case when it found none). Append-only."""

    __tablename__ = "pii_access"
    __table_args__ = (
        CheckConstraint("channel IN ('page', 'api', 'export', 'print', 'search')", name="ck_pii_access_channel"),
    )

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, index=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"), index=True)
    user = relationship(User)
    username = Column(String(128), nullable=False)
    # None only for a search by identity that found no case.
    complaint_id = Column(Integer, ForeignKey("complaint.id", ondelete="RESTRICT"), index=True)
    complaint = relationship("Complaint")
    channel = Column(String(8), nullable=False)

    def __repr__(self) -> str:
        return f"{self.username} {self.at}"


class AppendOnlyLog(Exception):
    """Raised when code tries to change or delete a PII log entry."""


@event.listens_for(PiiAccess, "before_update")
def _no_update(mapper, connection, target):
    raise AppendOnlyLog("the PII access log is append-only")


@event.listens_for(PiiAccess, "before_delete")
def _no_delete(mapper, connection, target):
    raise AppendOnlyLog("the PII access log is append-only")
