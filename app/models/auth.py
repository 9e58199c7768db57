"""Authentication state kept in the database, so every worker process sees the same values.

- ``LoginFailure``: failed logins counted per (account, client address) pair, for the
  temporary lockout (docs/security.md, "Lockout key"); the account is ``user:<id>`` when the
  typed name resolves to a user, else ``name:<normalised typed name>``.
- ``SessionEpoch``: a random per-user value copied into the session cookie and into every
  JWT at login; changing it (logout, password change, deactivation) ends them all at once.
"""
from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint

ACCOUNT_KEY_LENGTH = 256
ADDRESS_LENGTH = 64
EPOCH_LENGTH = 32


class LoginFailure(Model):
    """Recent failed logins of one (account key, client address) pair (``security/lockout.py``)."""

    __tablename__ = "auth_login_failure"
    __table_args__ = (
        UniqueConstraint("account", "address", name="uq_auth_login_failure_account_address"),
        Index("ix_auth_login_failure_window_started_at", "window_started_at"),
    )

    id = Column(Integer, primary_key=True)
    account = Column(String(ACCOUNT_KEY_LENGTH), nullable=False)
    address = Column(String(ADDRESS_LENGTH), nullable=False)
    failures = Column(Integer, nullable=False, default=0)
    window_started_at = Column(DateTime, nullable=False)
    locked_until = Column(DateTime, nullable=True)

    def __repr__(self) -> str:
        return f"<LoginFailure {self.account}@{self.address}: {self.failures}>"


class SessionEpoch(Model):
    """The current session epoch of one user; sessions and tokens carrying another are dead."""

    __tablename__ = "auth_session_epoch"

    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    epoch = Column(String(EPOCH_LENGTH), nullable=False)
    changed_at = Column(DateTime, nullable=False)

    def __repr__(self) -> str:
        return f"<SessionEpoch user={self.user_id}>"
