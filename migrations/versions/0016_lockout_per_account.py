"""failed logins counted per resolved account (issue 17 item 10a)

``auth_login_failure.username`` (the typed name) becomes ``account``: ``user:<id>`` when the
typed name resolves to a user (username or e-mail address, as FAB's login resolves it), else
``name:<normalised typed name>`` (security/lockout.py). The rows are short-lived counters (a
15-minute window and lock) keyed the old way; they are dropped, so counting starts afresh at
the upgrade and any lock in force then is lifted.

Revision ID: 0016_lockout_per_account
Revises: 0015_rules_at_the_edges
Create Date: 2026-12-05 08:07:06

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0016_lockout_per_account"
down_revision = "0015_rules_at_the_edges"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DELETE FROM auth_login_failure")
    with op.batch_alter_table("auth_login_failure", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account", sa.String(length=256), nullable=False))
        batch_op.drop_constraint("uq_auth_login_failure_username_address", type_="unique")
        batch_op.create_unique_constraint("uq_auth_login_failure_account_address", ["account", "address"])
        batch_op.drop_column("username")


def downgrade():
    op.execute("DELETE FROM auth_login_failure")
    with op.batch_alter_table("auth_login_failure", schema=None) as batch_op:
        batch_op.add_column(sa.Column("username", sa.String(length=256), nullable=False))
        batch_op.drop_constraint("uq_auth_login_failure_account_address", type_="unique")
        batch_op.create_unique_constraint("uq_auth_login_failure_username_address", ["username", "address"])
        batch_op.drop_column("account")
