"""ledger import (issue 23): the saved column mapping, uploads between the page's steps, the audit

- ``ledger_column``: the field each ledger header was mapped to last time (the next import of a
  ledger with that header starts from it).
- ``ledger_upload``: a ledger file uploaded on the import page, kept for its owner between the
  steps (mapping → preview → import) under a random token; removed once imported or stale.
- ``admin_audit.target_type`` admits ``ledger`` (each import: who, the file, the rows imported).

Imported complaints need no column of their own: a row's identity is its ``external_ref``
(``ledger:`` + a digest), which is already unique.

Revision ID: 0023_ledger_import
Revises: 0022_jrt0169
Create Date: 2026-12-07 09:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = "0023_ledger_import"
down_revision = "0022_jrt0169"
branch_labels = None
depends_on = None

OLD_TARGETS = "target_type IN ('user', 'role', 'group', 'settings', 'body', 'jrt_code')"
NEW_TARGETS = "target_type IN ('user', 'role', 'group', 'settings', 'body', 'jrt_code', 'ledger')"


def upgrade():
    op.create_table(
        "ledger_column",
        sa.Column("header", sa.String(64), primary_key=True),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), sa.ForeignKey("ab_user.id", ondelete="RESTRICT")),
    )
    op.create_table(
        "ledger_upload",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("token"),
    )
    op.create_index("ix_ledger_upload_user_id", "ledger_upload", ["user_id"])
    op.create_index("ix_ledger_upload_uploaded_at", "ledger_upload", ["uploaded_at"])
    with op.batch_alter_table("admin_audit", schema=None) as batch_op:
        batch_op.drop_constraint("ck_admin_audit_target_type", type_="check")
        batch_op.create_check_constraint("ck_admin_audit_target_type", NEW_TARGETS)


def downgrade():
    op.execute("DELETE FROM admin_audit WHERE target_type = 'ledger'")
    with op.batch_alter_table("admin_audit", schema=None) as batch_op:
        batch_op.drop_constraint("ck_admin_audit_target_type", type_="check")
        batch_op.create_check_constraint("ck_admin_audit_target_type", OLD_TARGETS)
    op.drop_index("ix_ledger_upload_uploaded_at", "ledger_upload")
    op.drop_index("ix_ledger_upload_user_id", "ledger_upload")
    op.drop_table("ledger_upload")
    op.drop_table("ledger_column")
