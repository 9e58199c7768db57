"""我的待办 at any size (issue 22): an index for a handler's open cases by due date

The to-do reads each kind of work as streams in the to-do order (``data/complaints.py``); the
handler's own open cases were found by ``handler_id`` and then sorted, among every case the
person ever handled (thousands at a million complaints). ``(handler_id, status, due_date)``
serves the stream in order.

Revision ID: 0020_todo_handler_index
Revises: 0019_ruling_bodies
Create Date: 2026-12-06 16:20:00

"""
from alembic import op


revision = "0020_todo_handler_index"
down_revision = "0019_ruling_bodies"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_complaint_handler_status_due", "complaint", ["handler_id", "status", "due_date"])


def downgrade():
    op.drop_index("ix_complaint_handler_status_due", table_name="complaint")
