"""follow-up index ends with the id, so PostgreSQL reads the newest closed cases from it (issue 9)

Revision ID: 0009_followup_index_with_id
Revises: 0008_report_months
Create Date: 2026-11-29 01:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0009_followup_index_with_id"
down_revision = "0008_report_months"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_followup")
        batch_op.create_index("ix_complaint_followup", ["status", "followed_up_at", "closed_at", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_followup")
        batch_op.create_index("ix_complaint_followup", ["status", "followed_up_at", "closed_at"], unique=False)
