"""the kept months also hold the reply days and the staff held responsible (issue 9)

The kept counts change form (a list) with them, so the definition's version changes and
``flask deploy`` rebuilds the months; until then the reports count case by case.

Revision ID: 0012_kept_reply_days_and_staff
Revises: 0011_scope_indexes_with_id
Create Date: 2026-11-29 07:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0012_kept_reply_days_and_staff"
down_revision = "0011_scope_indexes_with_id"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("complaint_month", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_days", sa.Text(), nullable=False, server_default="[0, []]"))
        batch_op.add_column(sa.Column("staff", sa.Text(), nullable=False, server_default="[]"))


def downgrade():
    with op.batch_alter_table("complaint_month", schema=None) as batch_op:
        batch_op.drop_column("staff")
        batch_op.drop_column("reply_days")
