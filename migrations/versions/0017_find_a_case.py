"""finding a case: phone numbers in one normal form, an index on the complainant's name, and
searches by identity in the identity access log

- ``complaint.complainant_phone``: every stored number rewritten in the normal form the
  application now writes (``app/domain/phones.py``: no spaces, dashes, dots or parentheses, no
  country code +86), so "138 0013 8000" and "13800138000" are one caller; the cases whose number
  another case now shares are marked (``phone_shared``, reports/repeats.py).
- ``ix_complaint_name``: the search by name, exact or by its first characters (PostgreSQL: the
  pattern operator class, which serves LIKE 'x%' whatever the collation, and equality).
- ``pii_access``: channel ``search`` (a list searched by phone or name), and a search that found
  no case is logged without one (``complaint_id`` may be NULL).

Revision ID: 0017_find_a_case
Revises: 0016_lockout_per_account
Create Date: 2026-12-08 09:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0017_find_a_case"
down_revision = "0016_lockout_per_account"
branch_labels = None
depends_on = None

CHUNK = 5000
CHANNELS_BEFORE = "channel IN ('page', 'api', 'export', 'print')"
CHANNELS_AFTER = "channel IN ('page', 'api', 'export', 'print', 'search')"


def _normalise_phones(bind) -> None:
    """Rewrite the numbers not in the normal form, walking the table by id in chunks."""
    # The application's own rule: the migration stores numbers as the application writes them.
    from app.domain.phones import normal_phone

    select = sa.text("SELECT id, complainant_phone FROM complaint WHERE id > :last "
                     "AND complainant_phone IS NOT NULL ORDER BY id LIMIT :chunk")
    update = sa.text("UPDATE complaint SET complainant_phone = :phone WHERE id = :id")
    last = 0
    while True:
        rows = bind.execute(select, {"last": last, "chunk": CHUNK}).all()
        if not rows:
            break
        last = rows[-1][0]
        changed = [{"id": row_id, "phone": normal_phone(phone)} for row_id, phone in rows
                   if normal_phone(phone) != phone]
        if changed:
            bind.execute(update, changed)


def upgrade():
    bind = op.get_bind()
    _normalise_phones(bind)
    op.execute("UPDATE complaint SET phone_shared = TRUE WHERE NOT phone_shared AND complainant_phone IN ("
               "SELECT complainant_phone FROM complaint WHERE complainant_phone IS NOT NULL "
               "GROUP BY complainant_phone HAVING COUNT(*) > 1)")
    op.create_index("ix_complaint_name", "complaint", ["complainant_name"], unique=False,
                    postgresql_ops={"complainant_name": "varchar_pattern_ops"})
    with op.batch_alter_table("pii_access", schema=None) as batch_op:
        batch_op.alter_column("complaint_id", existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint("ck_pii_access_channel", type_="check")
        batch_op.create_check_constraint("ck_pii_access_channel", CHANNELS_AFTER)


def downgrade():
    # The identity access log is never rewritten (§16): once it holds searches, the older table
    # cannot take them, and the way back is a backup taken before the upgrade.
    searches = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM pii_access WHERE channel = 'search'")).scalar()
    if searches:
        raise RuntimeError("The identity access log holds searches by phone or name, which the older schema "
                           "cannot keep; restore the backup taken before the upgrade instead.")
    with op.batch_alter_table("pii_access", schema=None) as batch_op:
        batch_op.drop_constraint("ck_pii_access_channel", type_="check")
        batch_op.create_check_constraint("ck_pii_access_channel", CHANNELS_BEFORE)
        batch_op.alter_column("complaint_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index("ix_complaint_name", table_name="complaint")
