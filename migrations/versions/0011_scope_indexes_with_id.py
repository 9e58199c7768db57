"""the scope's indexes end with the id, so PostgreSQL reads a small scope's ids from them alone (issue 9)

Revision ID: 0011_scope_indexes_with_id
Revises: 0010_handling_scope_index
Create Date: 2026-11-29 04:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0011_scope_indexes_with_id"
down_revision = "0010_handling_scope_index"
branch_labels = None
depends_on = None

BRANCH = ["branch_id", "respondent_staff_id"]
HANDLING = ["handling_unit_id", "branch_id", "respondent_staff_id"]


def _recreate(batch_op, name, columns):
    batch_op.drop_index(name)
    batch_op.create_index(name, columns, unique=False)


def upgrade():
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        _recreate(batch_op, "ix_complaint_branch_respondent", BRANCH + ["id"])
        _recreate(batch_op, "ix_complaint_handling_branch_respondent", HANDLING + ["id"])


def downgrade():
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        _recreate(batch_op, "ix_complaint_branch_respondent", BRANCH)
        _recreate(batch_op, "ix_complaint_handling_branch_respondent", HANDLING)
