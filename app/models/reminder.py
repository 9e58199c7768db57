"""Reminders recorded by ``flask remind`` (限时处理, §12–§13): at most one per case per day."""
from flask_appbuilder import Model
from sqlalchemy import Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint


class Reminder(Model):
    __tablename__ = "reminder"
    __table_args__ = (
        UniqueConstraint("complaint_id", "day", name="uq_reminder_complaint_day"),
        CheckConstraint("kind IN ('due_soon', 'overdue', 'appeal_due_soon', 'appeal_overdue')", name="ck_reminder_kind"),
    )

    id = Column(Integer, primary_key=True)
    complaint_id = Column(Integer, ForeignKey("complaint.id", ondelete="RESTRICT"), nullable=False, index=True)
    day = Column(Date, nullable=False, index=True)
    kind = Column(String(16), nullable=False)
    created_at = Column(DateTime, nullable=False)
    emailed = Column(Boolean, nullable=False, default=False)
