"""rules at the edges (issue 17): deadline days kept through transfers, who replied, a letter's
day of receipt, the appeal decision deadline's provisional flag, the re-ruling body addressed

- ``deadline_days``: 10 or 20 working days (§12) from the level the case has; a transfer down to a
  branch keeps the longer count (§12(三)).
- ``replied_by_id``: the person who replied (never decides the appeal, §14), from the reply event.
- ``reply_received_on``: for a written reply, the day the customer received it (§14).
- ``appeal_decision_due_provisional``: the 30-working-day deadline touches an unpublished year.
- the assessment rule ``overdue_without_extension`` keeps its key; its default label now names
  every overrun of the deadline in force (未经许可超时), an approved extension's included.
- ``reruling_unit_id``: the higher ruling body a re-ruling request is addressed to (§17). Decided
  requests get the unit of the staff member who decided them; pending ones the unit whose code is
  ``RERULING_BODY_UNIT`` (environment, default ``SL``), when it exists.

Revision ID: 0015_rules_at_the_edges
Revises: 0014_handling_received_index
Create Date: 2026-12-05 09:00:00

"""
import os

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0015_rules_at_the_edges"
down_revision = "0014_handling_received_index"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("complaint") as batch:
        batch.add_column(sa.Column("deadline_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("replied_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reply_received_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("reruling_unit_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("appeal_decision_due_provisional", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.create_foreign_key("fk_complaint_replied_by_id_ab_user", "ab_user", ["replied_by_id"], ["id"],
                                 ondelete="RESTRICT")
        batch.create_foreign_key("fk_complaint_reruling_unit_id_org_unit", "org_unit", ["reruling_unit_id"], ["id"],
                                 ondelete="RESTRICT")
        batch.create_index("ix_complaint_reruling_unit_id", ["reruling_unit_id"], unique=False)

    op.execute("UPDATE complaint SET deadline_days = CASE level WHEN 'union' THEN 20 WHEN 'branch' THEN 10 END "
               "WHERE level IS NOT NULL")
    op.execute(
        "UPDATE complaint SET replied_by_id = (SELECT e.actor_id FROM complaint_event e "
        "WHERE e.complaint_id = complaint.id AND e.name = 'reply' ORDER BY e.id DESC LIMIT 1) "
        "WHERE replied_at IS NOT NULL"
    )
    op.execute(
        "UPDATE complaint SET reruling_unit_id = (SELECT s.unit_id FROM complaint_event e "
        "JOIN staff s ON s.user_id = e.actor_id WHERE e.complaint_id = complaint.id "
        "AND e.name = 'decide_reruling' ORDER BY e.id DESC LIMIT 1) "
        "WHERE reruling_status = 'decided'"
    )
    # The assessment's §13 rule counts every overrun of the deadline in force (an approved one
    # included): its default label says so; a label an administrator changed stays.
    op.execute("UPDATE assessment_rule SET label = '未经许可超时(超过有效处理时限)' "
               "WHERE key = 'overdue_without_extension' AND label = '未经批准延期超时'")
    code = os.environ.get("RERULING_BODY_UNIT", "SL")
    op.get_bind().execute(
        sa.text("UPDATE complaint SET reruling_unit_id = (SELECT id FROM org_unit WHERE code = :code) "
                "WHERE reruling_status = 'requested'"),
        {"code": code},
    )


def downgrade():
    with op.batch_alter_table("complaint") as batch:
        batch.drop_index("ix_complaint_reruling_unit_id")
        batch.drop_constraint("fk_complaint_reruling_unit_id_org_unit", type_="foreignkey")
        batch.drop_constraint("fk_complaint_replied_by_id_ab_user", type_="foreignkey")
        batch.drop_column("appeal_decision_due_provisional")
        batch.drop_column("reruling_unit_id")
        batch.drop_column("reply_received_on")
        batch.drop_column("replied_by_id")
        batch.drop_column("deadline_days")
