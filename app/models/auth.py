"""Authentication state kept in the database, so every worker process sees the same values;
and FAB's login extended with the forced password change and names in Chinese order.

- ``LoginFailure``: failed logins counted per (account, client address) pair, for the
  temporary lockout (docs/security.md, "Lockout key"); the account is ``user:<id>`` when the
  typed name resolves to a user, else ``name:<normalised typed name>``.
- ``SessionEpoch``: a random per-user value copied into the session cookie and into every
  JWT at login; changing it (logout, password change, deactivation) ends them all at once.
"""
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, false

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


# --- FAB's login (``ab_user``), extended in place -------------------------------------------------
#
# FAB's documented way to extend its User is a subclass mapped to the same table; every query
# here that selects FAB's ``User`` (scope, staff, audit, the security API) would then load
# objects without the new column. The column is added to FAB's mapped class instead (declarative
# classes accept new columns after they are built), so it is one ``ab_user`` column for FAB, the
# pages, the API and Alembic alike (migration 0018c).

# Issue 20: an administrator may require a new password at the next login; until the user has
# chosen one, every page but the own-password form sends it there (security/password_change.py).
User.must_change_password = Column(Boolean, nullable=False, default=False, server_default=false())


def _full_name_in_chinese_order(user) -> str:
    """姓 then 名, without a space: ``last_name`` holds the family name (姓), ``first_name`` the
    given name (名), as FAB's fields mean them (README, "Rules as implemented")."""
    return f"{user.last_name or ''}{user.first_name or ''}".strip()


User.get_full_name = _full_name_in_chinese_order
