"""The complaint ledger import (issue 23): the column mapping saved for next time, and a ledger
file uploaded on the import page between its steps (mapping → preview → import)."""
from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Integer, LargeBinary, String


class LedgerColumn(Model):
    """The field a ledger header was mapped to last time (``""``: the column is ignored): the next
    ledger with that header is mapped the same way. One row per header, union-wide."""

    __tablename__ = "ledger_column"

    header = Column(String(64), primary_key=True)  # as ``domain.ledger.normal_word`` compares it
    field = Column(String(32), nullable=False, default="")
    updated_at = Column(DateTime, nullable=False)
    updated_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"))


class LedgerUpload(Model):
    """A ledger file uploaded on the import page, kept for its owner between the steps under a
    random token (the page carries the token, never the file), removed once it is imported and
    after ``UPLOAD_HOURS`` (services/ledger.py). In the database, so that any app server serves
    the next step."""

    __tablename__ = "ledger_upload"

    id = Column(Integer, primary_key=True)
    token = Column(String(64), nullable=False, unique=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    filename = Column(String(200), nullable=False)
    content = Column(LargeBinary, nullable=False)
    uploaded_at = Column(DateTime, nullable=False, index=True)
