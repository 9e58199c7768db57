"""indexes of the to-do's kinds of work and a covering index of the reports (issue 9)

Revision ID: 0006_report_and_todo_indexes
Revises: 0005_complaint_total
Create Date: 2026-11-28 22:20:40.113484

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0006_report_and_todo_indexes"
down_revision = "0005_complaint_total"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index('ix_complaint_followup', ['status', 'followed_up_at', 'closed_at'], unique=False)
        batch_op.create_index('ix_complaint_report', ['received_at', 'branch_id', 'status', 'category', 'channel', 'level', 'replied_at', 'due_date', 'extension_status', 'ruling_result', 'ruling_category', 'ruling_final', 'reruling_status', 'followed_up_at', 'follow_up_satisfied', 'appeal_applied_on', 'appeal_decision', 'handler_id', 'handling_unit_id', 'respondent_staff_id', 'complainant_phone'], unique=False)
        batch_op.create_index('ix_complaint_status_extension_due', ['status', 'extension_status', 'due_date'], unique=False)
        batch_op.create_index('ix_complaint_status_level_due', ['status', 'level', 'due_date'], unique=False)
        batch_op.create_index('ix_complaint_status_appeal_due', ['status', 'appeal_decision_due'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_appeal_unit_id'), ['appeal_unit_id'], unique=False)



def downgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_appeal_unit_id'))
        batch_op.drop_index('ix_complaint_status_appeal_due')
        batch_op.drop_index('ix_complaint_status_level_due')
        batch_op.drop_index('ix_complaint_status_extension_due')
        batch_op.drop_index('ix_complaint_report')
        batch_op.drop_index('ix_complaint_followup')

