"""complaint total: the number of complaints in one row (issue 9)

Revision ID: 0005_complaint_total
Revises: 0004_audit_and_reports
Create Date: 2026-11-28 21:45:40

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0005_complaint_total"
down_revision = "0004_audit_and_reports"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "complaint_total",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # The row the application keeps from now on, written from an exact count of what is there.
    op.execute("INSERT INTO complaint_total (id, count) SELECT 1, COUNT(*) FROM complaint")


def downgrade():
    op.drop_table("complaint_total")
