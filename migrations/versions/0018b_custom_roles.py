"""custom roles: what a role built by an administrator was built from

- ``custom_role``: one row per FAB role built from capabilities (app/security/capabilities.py):
  the capability codes, the scope (``unit``: own unit and below; ``all``: the whole
  organisation), whether the role shows the complainant's identity, a description. The seven
  built-in roles have no row; deleting the role deletes its row.

Revision ID: 0018b_custom_roles
Revises: 0017_find_a_case
Create Date: 2026-12-15 09:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0018b_custom_roles"
down_revision = "0018_union_settings"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "custom_role",
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("shows_identity", sa.Boolean(), nullable=False),
        sa.CheckConstraint("scope IN ('unit', 'all')", name="ck_custom_role_scope"),
        sa.ForeignKeyConstraint(["role_id"], ["ab_role.id"], name="fk_custom_role_role_id", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("role_id", name="pk_custom_role"),
    )


def downgrade():
    op.drop_table("custom_role")
