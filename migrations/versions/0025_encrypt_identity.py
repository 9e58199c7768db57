"""the complainant's identity encrypted at rest (issue 24): blind indexes, longer columns, passes

- ``complaint.phone_index``, ``complaint.name_index``: the blind indexes (keyed hashes,
  ``app/crypto.py``) that exact searches, the same caller and the repeat complainants compare
  instead of the values, with their indexes; they replace ``ix_complaint_phone`` and
  ``ix_complaint_name`` (an index of ciphertexts serves nothing) in the partial index of the shared
  numbers and in the reports' covering index.
- the identity columns (name, phone, ID number, address, principal) hold ``ENC1:<key id>:<base64>``
  text, longer than the value: PostgreSQL makes them VARCHAR without a length (no table rewrite);
  SQLite does not enforce lengths and keeps its columns (no copy of the complaint table).
- ``identity_pass``: the progress of ``flask keys rotate | encrypt-existing | decrypt-existing``.

The values themselves are encrypted by ``flask --app run keys encrypt-existing`` (run by
``flask deploy`` right after the upgrade): resumable, a batch per transaction, while the
application runs. This migration needs no key.

Downgrade (docs/security.md "Downgrade"): first ``IDENTITY_ENCRYPTION=0 flask --app run keys
decrypt-existing`` (every value written back in plain text), then ``flask --app run db downgrade
0024_notifications``. The downgrade refuses while any value is still encrypted: the older schema's
code would show ciphertext as names.

Revision ID: 0025_encrypt_identity
Revises: 0024_notifications
Create Date: 2026-12-10 09:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = "0025_encrypt_identity"
down_revision = "0024_notifications"
branch_labels = None
depends_on = None

IDENTITY = {"complainant_name": 64, "complainant_phone": 32, "complainant_id_number": 32,
            "complainant_address": 200, "principal_name": 64}
REPORT_HEAD = ["received_at", "branch_id", "status", "category", "channel", "level", "replied_at", "due_date",
               "extension_status", "ruling_result", "ruling_category", "ruling_final", "reruling_status",
               "followed_up_at", "follow_up_satisfied", "appeal_applied_on", "appeal_decision", "handler_id",
               "handling_unit_id", "respondent_staff_id"]


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def _shared_index(column):
    op.create_index("ix_complaint_phone_shared", "complaint", ["received_at", column], unique=False,
                    sqlite_where=sa.text("phone_shared = 1"), postgresql_where=sa.text("phone_shared"))


def _report_index(column):
    op.drop_index("ix_complaint_report", table_name="complaint")
    op.create_index("ix_complaint_report", "complaint", REPORT_HEAD + [column, "duplicate_of_id"], unique=False)


def upgrade():
    op.drop_index("ix_complaint_phone", table_name="complaint")
    op.drop_index("ix_complaint_name", table_name="complaint")
    op.drop_index("ix_complaint_phone_shared", table_name="complaint")
    for column in ("phone_index", "name_index"):
        if _sqlite():
            op.execute(f"ALTER TABLE complaint ADD COLUMN {column} VARCHAR(32)")
        else:
            op.add_column("complaint", sa.Column(column, sa.String(length=32), nullable=True))
    if not _sqlite():
        for column, length in IDENTITY.items():
            op.alter_column("complaint", column, type_=sa.String(), existing_type=sa.String(length=length))
    op.create_index("ix_complaint_phone_index", "complaint", ["phone_index"], unique=False)
    op.create_index("ix_complaint_name_index", "complaint", ["name_index"], unique=False)
    _shared_index("phone_index")
    _report_index("phone_index")
    op.create_table(
        "identity_pass",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=8), nullable=False),
        sa.Column("target_key", sa.String(length=16), nullable=True),
        sa.Column("complaints_done", sa.Integer(), nullable=False),
        sa.Column("events_done", sa.Integer(), nullable=False),
        sa.Column("rewritten", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("retired_keys", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade():
    bind = op.get_bind()
    sealed = " OR ".join(f"{column} LIKE 'ENC1:%'" for column in IDENTITY)
    encrypted = bind.execute(sa.text(f"SELECT COUNT(*) FROM complaint WHERE {sealed}")).scalar()
    encrypted += bind.execute(sa.text(
        "SELECT COUNT(*) FROM complaint_event WHERE name = 'edit' AND CAST(payload AS TEXT) LIKE '%ENC1:%'")).scalar()
    if encrypted:
        raise RuntimeError(
            f"{encrypted} complaint(s) or edit event(s) still hold encrypted identity, which the older schema's code "
            f"would show as it is stored. Write it back in plain text first: "
            f"IDENTITY_ENCRYPTION=0 flask --app run keys decrypt-existing (docs/security.md, \"Downgrade\").")
    op.drop_table("identity_pass")
    _report_index("complainant_phone")
    op.drop_index("ix_complaint_phone_shared", table_name="complaint")
    op.drop_index("ix_complaint_name_index", table_name="complaint")
    op.drop_index("ix_complaint_phone_index", table_name="complaint")
    for column in ("name_index", "phone_index"):
        op.execute(f"ALTER TABLE complaint DROP COLUMN {column}")
    if not _sqlite():
        for column, length in IDENTITY.items():
            op.alter_column("complaint", column, type_=sa.String(length=length), existing_type=sa.String())
    _shared_index("complainant_phone")
    op.create_index("ix_complaint_name", "complaint", ["complainant_name"], unique=False,
                    postgresql_ops={"complainant_name": "varchar_pattern_ops"})
    op.create_index("ix_complaint_phone", "complaint", ["complainant_phone"], unique=False)
