"""indexes the scope's id queries read alone (issue 9)

Revision ID: 0007_scope_indexes
Revises: 0006_report_and_todo_indexes
Create Date: 2026-11-28 23:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0007_scope_indexes"
down_revision = "0006_report_and_todo_indexes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.create_index("ix_complaint_branch_respondent", ["branch_id", "respondent_staff_id"], unique=False)
        batch_op.create_index("ix_complaint_handling_respondent", ["handling_unit_id", "respondent_staff_id"], unique=False)


def downgrade():
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_handling_respondent")
        batch_op.drop_index("ix_complaint_branch_respondent")
