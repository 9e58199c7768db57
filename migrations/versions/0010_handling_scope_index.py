"""the handled-cases scope index also holds the branch, so a branch head's total reads indexes alone (issue 9)

Revision ID: 0010_handling_scope_index
Revises: 0009_followup_index_with_id
Create Date: 2026-11-29 03:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0010_handling_scope_index"
down_revision = "0009_followup_index_with_id"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_handling_respondent")
        batch_op.create_index("ix_complaint_handling_branch_respondent",
                              ["handling_unit_id", "branch_id", "respondent_staff_id"], unique=False)


def downgrade():
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_handling_branch_respondent")
        batch_op.create_index("ix_complaint_handling_respondent", ["handling_unit_id", "respondent_staff_id"],
                              unique=False)
