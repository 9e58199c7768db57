"""notifications (issue 23): the person who must act learns of it in the page header

One new table; nothing else changes, so SQLite creates it in place (no batch copy of any table).
``uq_notification_remind`` keeps ``flask remind``'s once per recipient, case and day (transition
notifications leave ``remind_day`` empty and never collide).

Revision ID: 0024_notifications
Revises: 0023_ledger_import
Create Date: 2026-12-09 10:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = "0024_notifications"
down_revision = "0023_ledger_import"
branch_labels = None
depends_on = None

KINDS = ("assigned", "transferred", "extension_requested", "extension_decided", "appeal_received",
         "reruling_requested", "ruling_due", "due_soon", "overdue", "appeal_due_soon", "appeal_overdue")


def upgrade():
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("remind_day", sa.Date(), nullable=True),
        sa.Column("emailed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN (%s)" % ", ".join(f"'{kind}'" for kind in KINDS), name="ck_notification_kind"),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaint.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["recipient_id"], ["ab_user.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("recipient_id", "complaint_id", "remind_day", name="uq_notification_remind"),
    )
    op.create_index("ix_notification_complaint_id", "notification", ["complaint_id"], unique=False)
    op.create_index("ix_notification_recipient_id", "notification", ["recipient_id", "id"], unique=False)
    op.create_index("ix_notification_recipient_unread", "notification", ["recipient_id", "read_at"], unique=False)


def downgrade():
    op.drop_index("ix_notification_recipient_unread", table_name="notification")
    op.drop_index("ix_notification_recipient_id", table_name="notification")
    op.drop_index("ix_notification_complaint_id", table_name="notification")
    op.drop_table("notification")
