"""我的待办 at any size (issue 22): a branch head's open cases and follow-ups by index

The to-do reads each kind of work one status at a time, each part through the index whose
columns are its equalities and then its order (``data/plans.read_by_index``). A branch head's
units' open cases are read by ``(handling_unit_id, status, due_date)``, which replaces
``(handling_unit_id, status)`` (every query of that one reads the longer index alike); its
follow-ups, newest closed first, by ``(handling_unit_id, status, followed_up_at, closed_at, id)``
instead of walking every closed case of the union not followed up.

Revision ID: 0021b_todo_unit_indexes
Revises: 0021_duplicates
Create Date: 2026-12-07 00:40:00

"""
from alembic import op


revision = "0021b_todo_unit_indexes"
down_revision = "0021_duplicates"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_complaint_handling_status_due", "complaint", ["handling_unit_id", "status", "due_date"])
    op.create_index("ix_complaint_handling_followup", "complaint",
                    ["handling_unit_id", "status", "followed_up_at", "closed_at", "id"])
    op.drop_index("ix_complaint_handling_status", table_name="complaint")


def downgrade():
    op.create_index("ix_complaint_handling_status", "complaint", ["handling_unit_id", "status"])
    op.drop_index("ix_complaint_handling_followup", table_name="complaint")
    op.drop_index("ix_complaint_handling_status_due", table_name="complaint")
