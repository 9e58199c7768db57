"""the union's settings in the database, and each unit's supervision telephone (issue 20)

- ``union_settings``: one row (id 1) with the appeal bodies (org units), the due-soon working
  days, the re-ruling window, the extension maximum, the regulatory ceiling and the received-at
  floor. The migration creates the table empty: ``flask deploy`` writes the row once, seeded
  from the environment (``services/settings.py: seed``); afterwards only the administrator
  changes it.
- ``org_unit.supervision_phone``: the published supervision telephone of a unit (§6).
- ``admin_audit``: changes of the settings are audited too (target type ``settings``).

Revision ID: 0018_union_settings
Revises: 0017_find_a_case
Create Date: 2026-12-10 09:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0018_union_settings"
down_revision = "0017_find_a_case"
branch_labels = None
depends_on = None

TARGETS_BEFORE = "target_type IN ('user', 'role', 'group')"
TARGETS_AFTER = "target_type IN ('user', 'role', 'group', 'settings')"


def upgrade():
    op.create_table(
        "union_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_body_branch_level_id", sa.Integer(), nullable=True),
        sa.Column("appeal_body_union_level_id", sa.Integer(), nullable=True),
        sa.Column("due_soon_working_days", sa.Integer(), nullable=False),
        sa.Column("reruling_window_days", sa.Integer(), nullable=False),
        sa.Column("extension_max_working_days", sa.Integer(), nullable=False),
        sa.Column("regulatory_ceiling_enabled", sa.Boolean(), nullable=False),
        sa.Column("regulatory_ceiling_days", sa.Integer(), nullable=False),
        sa.Column("regulatory_ceiling_extended_days", sa.Integer(), nullable=False),
        sa.Column("received_at_floor", sa.Date(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("id = 1", name="ck_union_settings_single_row"),
        sa.ForeignKeyConstraint(["appeal_body_branch_level_id"], ["org_unit.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["appeal_body_union_level_id"], ["org_unit.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.add_column("org_unit", sa.Column("supervision_phone", sa.String(length=32), nullable=True))
    with op.batch_alter_table("admin_audit", schema=None) as batch_op:
        batch_op.drop_constraint("ck_admin_audit_target_type", type_="check")
        batch_op.create_check_constraint("ck_admin_audit_target_type", TARGETS_AFTER)


def downgrade():
    # The audit is append-only: once it holds settings changes the older table cannot take them,
    # and the way back is a backup taken before the upgrade.
    changes = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM admin_audit WHERE target_type = 'settings'")).scalar()
    if changes:
        raise RuntimeError("The admin audit holds changes of the settings, which the older schema cannot keep; "
                           "restore the backup taken before the upgrade instead.")
    with op.batch_alter_table("admin_audit", schema=None) as batch_op:
        batch_op.drop_constraint("ck_admin_audit_target_type", type_="check")
        batch_op.create_check_constraint("ck_admin_audit_target_type", TARGETS_BEFORE)
    op.drop_table("union_settings")
    # A plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): batch mode would recreate org_unit, which
    # SQLite refuses while complaints refer to it.
    op.drop_column("org_unit", "supervision_phone")
