"""the ruling bodies as records (issue 21): committee and higher body, their rosters, who sat

- ``ruling_body``: the union's responsibility-ruling committee and the higher ruling body (§17),
  each at a unit, with its quorum rule.
- ``ruling_body_member``: a staff member's term on a body, with the committee role.
- ``ruling_member``: who sat on a ruling (and in which role that day).
- ``ruling.body_id``: the body that ruled. Rulings recorded before keep their free-text
  ``members`` unchanged (shown as they were); nothing is converted or lost.
- ``admin_audit.target_type`` admits ``body`` (changes to a body and its roster).

Revision ID: 0019_ruling_bodies
Revises: 0018c_must_change_password
Create Date: 2026-12-06 05:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = "0019_ruling_bodies"
down_revision = "0018c_must_change_password"
branch_labels = None
depends_on = None

OLD_TARGETS = "target_type IN ('user', 'role', 'group', 'settings')"
NEW_TARGETS = "target_type IN ('user', 'role', 'group', 'settings', 'body')"


def upgrade():
    op.create_table(
        "ruling_body",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("org_unit.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("quorum_percent", sa.Integer(), nullable=False, server_default="50"),
        sa.Column("chair_required", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.CheckConstraint("kind IN ('committee', 'higher')", name="ck_ruling_body_kind"),
        sa.CheckConstraint("quorum_percent >= 0 AND quorum_percent < 100", name="ck_ruling_body_quorum"),
        sa.UniqueConstraint("kind", "unit_id", name="uq_ruling_body_kind_unit"),
    )
    op.create_index("ix_ruling_body_unit_id", "ruling_body", ["unit_id"])
    op.create_table(
        "ruling_body_member",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("body_id", sa.Integer(), sa.ForeignKey("ruling_body.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("role", sa.String(12), nullable=False),
        sa.Column("term_from", sa.Date(), nullable=False),
        sa.Column("term_to", sa.Date()),
        sa.CheckConstraint("role IN ('chair', 'deputy', 'member', 'secretary')", name="ck_ruling_body_member_role"),
        sa.CheckConstraint("term_to IS NULL OR term_to >= term_from", name="ck_ruling_body_member_term"),
    )
    op.create_index("ix_ruling_body_member_body_id", "ruling_body_member", ["body_id"])
    op.create_index("ix_ruling_body_member_staff_id", "ruling_body_member", ["staff_id"])
    op.create_table(
        "ruling_member",
        sa.Column("ruling_id", sa.Integer(), sa.ForeignKey("ruling.id", ondelete="RESTRICT"), primary_key=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id", ondelete="RESTRICT"), primary_key=True),
        sa.Column("role", sa.String(12), nullable=False),
        sa.CheckConstraint("role IN ('chair', 'deputy', 'member', 'secretary')", name="ck_ruling_member_role"),
    )
    op.create_index("ix_ruling_member_staff_id", "ruling_member", ["staff_id"])
    with op.batch_alter_table("ruling", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_ruling_body_id", "ruling_body", ["body_id"], ["id"], ondelete="RESTRICT")
        batch_op.create_index("ix_ruling_body_id", ["body_id"])
    with op.batch_alter_table("admin_audit", schema=None) as batch_op:
        batch_op.drop_constraint("ck_admin_audit_target_type", type_="check")
        batch_op.create_check_constraint("ck_admin_audit_target_type", NEW_TARGETS)


def downgrade():
    # Refused while any ruling records who sat: dropping the rosters would lose that record.
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT COUNT(*) FROM ruling_member")).scalar():
        raise RuntimeError("rulings record members present from the roster; downgrading would lose them")
    op.execute("DELETE FROM admin_audit WHERE target_type = 'body'")
    with op.batch_alter_table("admin_audit", schema=None) as batch_op:
        batch_op.drop_constraint("ck_admin_audit_target_type", type_="check")
        batch_op.create_check_constraint("ck_admin_audit_target_type", OLD_TARGETS)
    with op.batch_alter_table("ruling", schema=None) as batch_op:
        batch_op.drop_index("ix_ruling_body_id")
        batch_op.drop_constraint("fk_ruling_body_id", type_="foreignkey")
        batch_op.drop_column("body_id")
    op.drop_index("ix_ruling_member_staff_id", "ruling_member")
    op.drop_table("ruling_member")
    op.drop_index("ix_ruling_body_member_staff_id", "ruling_body_member")
    op.drop_index("ix_ruling_body_member_body_id", "ruling_body_member")
    op.drop_table("ruling_body_member")
    op.drop_index("ix_ruling_body_unit_id", "ruling_body")
    op.drop_table("ruling_body")
