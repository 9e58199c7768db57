"""users: a password change required at the next login (issue 20 item 4)

- ``ab_user.must_change_password``: set by an administrator (user form, reset action or the
  security API); while it is set the user can use nothing but the own-password form, and the
  API login is refused. Existing users start without it.

Revision ID: 0018c_must_change_password
Revises: 0018b_custom_roles
Create Date: 2026-12-16 09:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0018c_must_change_password"
down_revision = "0018b_custom_roles"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ab_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("ab_user", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
