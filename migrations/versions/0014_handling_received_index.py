"""a branch head's newest cases, unit by unit, from an index alone (issue 9)

The cases against a unit and the cases it handles, in order of receipt, with the respondent
(security/scope.py newest_candidates reads the first cases of each).

Revision ID: 0014_handling_received_index
Revises: 0013_shared_phone_numbers
Create Date: 2026-11-29 07:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0014_handling_received_index"
down_revision = "0013_shared_phone_numbers"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_complaint_branch_received", table_name="complaint")
    op.create_index("ix_complaint_branch_received", "complaint", ["branch_id", "received_at", "respondent_staff_id"],
                    unique=False)
    op.create_index("ix_complaint_handling_received", "complaint",
                    ["handling_unit_id", "received_at", "respondent_staff_id"], unique=False)


def downgrade():
    op.drop_index("ix_complaint_handling_received", table_name="complaint")
    op.drop_index("ix_complaint_branch_received", table_name="complaint")
    op.create_index("ix_complaint_branch_received", "complaint", ["branch_id", "received_at"], unique=False)
