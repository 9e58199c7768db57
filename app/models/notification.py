"""Notifications (issue 23): the person who must act on a case learns of it in the page header.

A row says who (``recipient_id``, a login), what kind of work (``kind``), which case, when, and
whether it was read. It never stores text about the complainant: the page and the API compose
the words at display time from the kind, the case (number, branch, the complainant's name as the
recipient may see it then) and ``due``/``params`` (dates and flags only).

``remind_day`` is set only on the notifications ``flask remind`` writes: one per recipient, case
and day (``uq_notification_remind``). Notifications of a transition leave it empty, and NULLs
never collide in a unique constraint, so a case transferred twice in a day notifies twice.
"""
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import JSON, CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import relationship

# Every kind, in the order the README lists them (domain/vocabulary.py NOTIFICATION_KINDS labels them).
KINDS = ("assigned", "transferred", "extension_requested", "extension_decided", "appeal_received",
         "reruling_requested", "ruling_due", "due_soon", "overdue", "appeal_due_soon", "appeal_overdue")


class Notification(Model):
    __tablename__ = "notification"
    __table_args__ = (
        CheckConstraint("kind IN (%s)" % ", ".join(f"'{kind}'" for kind in KINDS), name="ck_notification_kind"),
        UniqueConstraint("recipient_id", "complaint_id", "remind_day", name="uq_notification_remind"),
        # The header's unread count, and a user's list newest first.
        Index("ix_notification_recipient_unread", "recipient_id", "read_at"),
        Index("ix_notification_recipient_id", "recipient_id", "id"),
    )

    id = Column(Integer, primary_key=True)
    recipient_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"), nullable=False)
    recipient = relationship(User)
    kind = Column(String(24), nullable=False)
    complaint_id = Column(Integer, ForeignKey("complaint.id", ondelete="RESTRICT"), nullable=False, index=True)
    complaint = relationship("Complaint")
    created_at = Column(DateTime, nullable=False)
    read_at = Column(DateTime)
    # The date the notification is about: a deadline, the date asked or approved (none for some kinds).
    due = Column(Date)
    # Flags and codes only (an extension approved or refused); never a name or a number of the complainant.
    params = Column(JSON)
    remind_day = Column(Date)
    emailed_at = Column(DateTime)

    def __repr__(self) -> str:
        return f"{self.kind} #{self.complaint_id}"
