"""The column types that keep the complainant's identity encrypted at rest (§16, issue 24).

``EncryptedIdentity`` is the one type of every identity column: the ORM and every Core statement
write through it (encrypted under the current key) and read through it (decrypted), so no other
code changes how it reads or writes a complaint. The field's name is the associated data of its
encryption (``app/crypto.py``). ``SealedChanges`` does the same for the identity values an edit
keeps in its timeline event (old and new phone number or address).

A stored value cannot be compared, sorted or searched in SQL: exact searches go through the blind
indexes (``Complaint.phone_index``, ``Complaint.name_index``), set beside the value on every write.
"""
from flask_appbuilder import Model
from sqlalchemy import JSON, Column, DateTime, Integer, String
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from ..crypto import cipher

# The identity fields an edit may change, whose old and new values its event keeps.
SEALED_CHANGES = ("complainant_phone", "complainant_address", "complainant_name", "complainant_id_number",
                  "principal_name")


class EncryptedComparisonError(TypeError):
    """SQL compared, sorted or searched an encrypted column: use its blind index."""


_NULL_TESTS = {operators.is_, operators.is_not, operators.eq, operators.ne}


class EncryptedIdentity(TypeDecorator):
    """Text stored as ``ENC1:<key id>:<base64>`` (VARCHAR without a length: a ciphertext is longer
    than the text; the input schemas keep the lengths).

    SQL can only test such a column for NULL: a comparison with a value, LIKE, IN or ORDER BY would
    silently compare ciphertexts (random nonces: nothing is ever equal), so it raises
    ``EncryptedComparisonError`` when the statement is built."""

    impl = String
    cache_ok = True

    class comparator_factory(TypeDecorator.Comparator):
        def operate(self, op, *other, **kwargs):
            # NULL tests pass; so does a comparison with another column, which the ORM itself makes
            # when it matches columns (never one a query of ours should make).
            if op in _NULL_TESTS and all(value is None or isinstance(value, ColumnElement) for value in other):
                return super().operate(op, *other, **kwargs)
            raise EncryptedComparisonError(
                f"{self.expr} is stored encrypted: compare its blind index (phone_index, name_index) instead.")

        def reverse_operate(self, op, other, **kwargs):
            raise EncryptedComparisonError(f"{self.expr} is stored encrypted and cannot be compared in SQL.")

    def __init__(self, field: str):
        super().__init__()
        self.field = field

    def process_bind_param(self, value, dialect):
        return None if value is None else cipher().seal(self.field, value)

    def process_result_value(self, value, dialect):
        return None if value is None else cipher().open(self.field, value)


def _sealed(payload, transform):
    if not isinstance(payload, dict) or not isinstance(payload.get("changes"), dict):
        return payload
    changes = payload["changes"]
    if not any(field in changes for field in SEALED_CHANGES):
        return payload
    sealed = {}
    for field, pair in changes.items():
        if field in SEALED_CHANGES and isinstance(pair, list):
            pair = [None if value is None else transform(field, value) for value in pair]
        sealed[field] = pair
    return {**payload, "changes": sealed}


class SealedChanges(TypeDecorator):
    """A timeline event's JSON payload whose ``changes`` of identity fields are encrypted."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return _sealed(value, cipher().seal) if value is not None else None

    def process_result_value(self, value, dialect):
        return _sealed(value, cipher().open) if value is not None else None


def seal_changes(payload):
    """``payload`` with its identity changes encrypted (bulk writers, re-encryption)."""
    return _sealed(payload, cipher().seal)


def open_changes(payload):
    return _sealed(payload, cipher().open)


class IdentityPass(Model):
    """One pass of ``flask keys rotate | encrypt-existing | decrypt-existing`` over the stored
    identity (``services/identity_keys.py``): what it brings every value to, and how far it got
    (the last complaint and timeline event done), committed with each batch, so an interrupted
    pass resumes where it stopped."""

    __tablename__ = "identity_pass"

    id = Column(Integer, primary_key=True)
    purpose = Column(String(8), nullable=False)  # rotate | encrypt | decrypt
    target_key = Column(String(16))  # the key every value is brought under (None: plain text)
    complaints_done = Column(Integer, nullable=False, default=0)
    events_done = Column(Integer, nullable=False, default=0)
    rewritten = Column(Integer, nullable=False, default=0)
    started_at = Column(DateTime, nullable=False)
    finished_at = Column(DateTime)
    retired_keys = Column(String(200))  # key ids a finished rotation took out of the keyring
