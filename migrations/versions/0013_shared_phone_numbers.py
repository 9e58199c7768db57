"""phone numbers stored trimmed, indexed, and the cases sharing one marked (issue 9)

The dashboard's repeat complainants are grouped from the marked cases alone
(reports/repeats.py) instead of every case of the period.

Revision ID: 0013_shared_phone_numbers
Revises: 0012_kept_reply_days_and_staff
Create Date: 2026-11-29 07:10:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0013_shared_phone_numbers"
down_revision = "0012_kept_reply_days_and_staff"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (no batch copy of a million rows): SQLite allows it with a default.
    op.add_column("complaint", sa.Column("phone_shared", sa.Boolean(), nullable=False, server_default=sa.false()))
    # The numbers as the application now stores them: trimmed, and NULL when empty.
    op.execute("UPDATE complaint SET complainant_phone = NULLIF(TRIM(complainant_phone), '') "
               "WHERE complainant_phone IS NOT NULL AND complainant_phone <> TRIM(complainant_phone) "
               "OR complainant_phone = ''")
    op.create_index("ix_complaint_phone", "complaint", ["complainant_phone"], unique=False)
    op.execute("UPDATE complaint SET phone_shared = TRUE WHERE complainant_phone IN ("
               "SELECT complainant_phone FROM complaint WHERE complainant_phone IS NOT NULL "
               "GROUP BY complainant_phone HAVING COUNT(*) > 1)")
    op.create_index("ix_complaint_phone_shared", "complaint", ["received_at", "complainant_phone"], unique=False,
                    sqlite_where=sa.text("phone_shared = 1"), postgresql_where=sa.text("phone_shared"))


def downgrade():
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_phone_shared")
        batch_op.drop_index("ix_complaint_phone")
        batch_op.drop_column("phone_shared")
