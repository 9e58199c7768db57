"""report months: report counts kept per month and branch; open-late index (issue 9)

Revision ID: 0008_report_months
Revises: 0007_scope_indexes
Create Date: 2026-11-29 01:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008_report_months"
down_revision = "0007_scope_indexes"
branch_labels = None
depends_on = None


def upgrade():
    # Empty here: `flask deploy` fills it right after migrating (reports/monthly.py), and the
    # reports count case by case until then (no state row = not built).
    op.create_table(
        "complaint_month",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("fees", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["org_unit.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("month", "branch_id"),
    )
    op.create_table(
        "complaint_month_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.create_index(
            "ix_complaint_open_late",
            ["status", "due_date", "received_at", "branch_id", "replied_at", "extension_status"], unique=False,
        )


def downgrade():
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_open_late")
    op.drop_table("complaint_month_state")
    op.drop_table("complaint_month")
