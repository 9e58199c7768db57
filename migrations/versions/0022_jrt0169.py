"""JR/T 0169-2018 classification (issue 23): the code table, the three codes of a complaint

- ``jrt_code``: the code table (code, name, dimension A/B/C, parent, first and last day in force,
  order), loaded with the defaults of ``app/domain/jrt0169.py`` (docs/regulatory.md says which of
  them a source confirms);
- ``complaint.jrt_channel_id``, ``jrt_business_id``, ``jrt_reason_id`` (rows of the table) and
  ``jrt_confirmed``. Existing complaints get the codes registration would have suggested from their
  channel and category (``app/domain/jrt0169.suggestion``), marked unconfirmed: the quarterly
  report counts them, and says how many are still unconfirmed, until a handler confirms them;
- ``admin_audit.target_type`` admits ``jrt_code`` (the administrator's changes of the table).

SQLite: the complaint columns and their references are added in place (``ALTER TABLE … ADD COLUMN
… REFERENCES``) and dropped in place (``DROP COLUMN``): a batch copy of the complaint table is
refused while events, rulings and logs refer to it (as migration 0021). PostgreSQL: named foreign keys.

Revision ID: 0022_jrt0169
Revises: 0021b_todo_unit_indexes
Create Date: 2026-12-10 10:00:00

"""
import sqlalchemy as sa
from alembic import op

from app.domain import jrt0169

revision = "0022_jrt0169"
down_revision = "0021b_todo_unit_indexes"
branch_labels = None
depends_on = None

COLUMNS = ("jrt_channel_id", "jrt_business_id", "jrt_reason_id")
OLD_TARGETS = "target_type IN ('user', 'role', 'group', 'settings', 'body')"
NEW_TARGETS = "target_type IN ('user', 'role', 'group', 'settings', 'body', 'jrt_code')"


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def _suggested(column, mapping):
    """SQL: the id of the code ``mapping`` suggests for the complaint's ``column`` (NULL for none)."""
    cases = " ".join(f"WHEN '{value}' THEN '{code}'" for value, code in mapping.items())
    return f"(SELECT id FROM jrt_code WHERE code = CASE {column} {cases} END)"


def upgrade():
    op.create_table(
        "jrt_code",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("dimension", sa.String(1), nullable=False),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("jrt_code.id"), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("dimension IN ('A', 'B', 'C')", name="ck_jrt_code_dimension"),
        sa.CheckConstraint("valid_from IS NULL OR valid_to IS NULL OR valid_to >= valid_from",
                           name="ck_jrt_code_validity"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_jrt_code_parent_id", "jrt_code", ["parent_id"], unique=False)
    insert = sa.text("INSERT INTO jrt_code (code, name, dimension, parent_id, valid_from, valid_to, position) "
                     "VALUES (:code, :name, :dimension, (SELECT id FROM jrt_code WHERE code = :parent), "
                     ":valid_from, :valid_to, :position)")
    bind = op.get_bind()
    for entry in jrt0169.DEFAULT_CODES:  # parents come first
        bind.execute(insert, {"code": entry.code, "name": entry.name, "dimension": entry.dimension,
                              "parent": entry.parent, "valid_from": entry.valid_from, "valid_to": entry.valid_to,
                              "position": entry.position})

    if _sqlite():
        for column in COLUMNS:
            op.execute(f"ALTER TABLE complaint ADD COLUMN {column} INTEGER REFERENCES jrt_code (id)")
        op.execute("ALTER TABLE complaint ADD COLUMN jrt_confirmed BOOLEAN DEFAULT 0 NOT NULL")
    else:
        for column in COLUMNS:
            op.add_column("complaint", sa.Column(column, sa.Integer(), nullable=True))
            op.create_foreign_key(f"fk_complaint_{column}", "complaint", "jrt_code", [column], ["id"])
        op.add_column("complaint", sa.Column("jrt_confirmed", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(
        "UPDATE complaint SET "
        f"jrt_channel_id = {_suggested('channel', jrt0169.SUGGEST_CHANNEL)}, "
        f"jrt_business_id = {_suggested('category', jrt0169.SUGGEST_BUSINESS)}, "
        f"jrt_reason_id = {_suggested('category', jrt0169.SUGGEST_REASON)}"
    )

    with op.batch_alter_table("admin_audit", schema=None) as batch_op:
        batch_op.drop_constraint("ck_admin_audit_target_type", type_="check")
        batch_op.create_check_constraint("ck_admin_audit_target_type", NEW_TARGETS)


def downgrade():
    # Refused once a handler confirmed a classification: dropping the columns would lose that work
    # (the timeline keeps the classify events, which an older version does not know).
    if op.get_bind().execute(sa.text("SELECT COUNT(*) FROM complaint WHERE jrt_confirmed")).scalar():
        raise RuntimeError("complaints carry confirmed JR/T 0169 classifications; downgrading would lose them")
    op.execute("DELETE FROM admin_audit WHERE target_type = 'jrt_code'")
    with op.batch_alter_table("admin_audit", schema=None) as batch_op:
        batch_op.drop_constraint("ck_admin_audit_target_type", type_="check")
        batch_op.create_check_constraint("ck_admin_audit_target_type", OLD_TARGETS)
    if not _sqlite():
        for column in COLUMNS:
            op.drop_constraint(f"fk_complaint_{column}", "complaint", type_="foreignkey")
    for column in (*COLUMNS, "jrt_confirmed"):
        op.execute(f"ALTER TABLE complaint DROP COLUMN {column}")
    op.drop_index("ix_jrt_code_parent_id", table_name="jrt_code")
    op.drop_table("jrt_code")
