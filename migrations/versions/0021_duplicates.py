"""duplicates (issue 23): a complaint marked as a duplicate of another keeps a link to it

``duplicate_of_id`` points from the duplicate to the case it duplicates (the same caller, the same
matter). The reports leave duplicates out of every count (``reports/figures.counted``), so the
column joins the two covering report indexes, which the report aggregates read alone; an index of
its own finds a period's duplicates (the "另有 N 件重复投诉" note).

SQLite: the column and its reference are added in place (``ALTER TABLE … ADD COLUMN … REFERENCES``)
and dropped in place (``DROP COLUMN``, SQLite 3.35+): batch mode would copy the complaint table,
which SQLite refuses to drop while events, rulings and logs refer to it. PostgreSQL: a named
foreign key.

Revision ID: 0021_duplicates
Revises: 0020_todo_handler_index
Create Date: 2026-12-08 10:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = "0021_duplicates"
down_revision = "0020_todo_handler_index"
branch_labels = None
depends_on = None

FK = "fk_complaint_duplicate_of_id"
REPORT_BEFORE = ["received_at", "branch_id", "status", "category", "channel", "level", "replied_at", "due_date",
                 "extension_status", "ruling_result", "ruling_category", "ruling_final", "reruling_status",
                 "followed_up_at", "follow_up_satisfied", "appeal_applied_on", "appeal_decision", "handler_id",
                 "handling_unit_id", "respondent_staff_id", "complainant_phone"]
OPEN_LATE_BEFORE = ["status", "due_date", "received_at", "branch_id", "replied_at", "extension_status"]


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def _covering_indexes(extra):
    op.drop_index("ix_complaint_report", table_name="complaint")
    op.drop_index("ix_complaint_open_late", table_name="complaint")
    op.create_index("ix_complaint_report", "complaint", REPORT_BEFORE + extra, unique=False)
    op.create_index("ix_complaint_open_late", "complaint", OPEN_LATE_BEFORE + extra, unique=False)


def upgrade():
    if _sqlite():
        op.execute("ALTER TABLE complaint ADD COLUMN duplicate_of_id INTEGER REFERENCES complaint (id)")
    else:
        op.add_column("complaint", sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
        op.create_foreign_key(FK, "complaint", "complaint", ["duplicate_of_id"], ["id"])
    op.create_index("ix_complaint_duplicate_of_id", "complaint", ["duplicate_of_id"], unique=False)
    _covering_indexes(["duplicate_of_id"])


def downgrade():
    _covering_indexes([])
    op.drop_index("ix_complaint_duplicate_of_id", table_name="complaint")
    if not _sqlite():
        op.drop_constraint(FK, "complaint", type_="foreignkey")
    op.execute("ALTER TABLE complaint DROP COLUMN duplicate_of_id")
