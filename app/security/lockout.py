"""Temporary lockout after repeated failed logins (counted per resolved account).

Failures are counted per (account, client address) pair and kept in the database
(``auth_login_failure``) so every worker process shares them. After
``LOGIN_LOCKOUT_MAX_FAILURES`` failures within ``LOGIN_LOCKOUT_WINDOW`` the pair is refused
for ``LOGIN_LOCKOUT_DURATION``, even with the right password.

The account is what the typed login name resolves to, exactly as FAB's login resolves it (the
username, case-insensitive, else the e-mail address): failures as ``alice`` and as
``alice@x.cn`` count together (``account_key``). A name that resolves to no account is counted
by its normalised text (``name_key``); both kinds of key share one column and never collide.

Why the pair: an attacker at another workstation can only lock the victim's account *from the
attacker's own address*; the victim still logs in from their desk. Unknown names are counted
and locked exactly like real ones, so neither the messages nor the lockout reveal whether an
account exists. Guessing from many addresses is slowed by the per-address rate limit on both
login endpoints and by the password policy.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models.auth import ACCOUNT_KEY_LENGTH, ADDRESS_LENGTH, LoginFailure


def account_key(user_id: int) -> str:
    """The counted form of a login name that resolves to the account ``user_id``."""
    return f"user:{int(user_id)}"


def name_key(typed) -> str:
    """The counted form of a login name that resolves to no account: trimmed, case-folded,
    bounded in length."""
    return ("name:" + str(typed or "").strip().lower())[:ACCOUNT_KEY_LENGTH]


def address_key(address) -> str:
    """The counted form of a client address."""
    return str(address or "unknown")[:ADDRESS_LENGTH]


@dataclass(frozen=True)
class LockoutPolicy:
    """How many failures, within which window, lock a pair for how long."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    duration: timedelta = timedelta(minutes=15)

    @classmethod
    def from_config(cls, config) -> "LockoutPolicy":
        """Read ``LOGIN_LOCKOUT_*`` settings (timedelta or minutes)."""
        return cls(
            max_failures=int(config.get("LOGIN_LOCKOUT_MAX_FAILURES", cls.max_failures)),
            window=_minutes(config.get("LOGIN_LOCKOUT_WINDOW", cls.window)),
            duration=_minutes(config.get("LOGIN_LOCKOUT_DURATION", cls.duration)),
        )

    def locked_until(self, row, now: datetime) -> Optional[datetime]:
        """When the pair's lock ends, or None if it is not locked at ``now``."""
        if row is not None and row.locked_until is not None and row.locked_until > now:
            return row.locked_until
        return None

    def register_failure(self, row, now: datetime) -> None:
        """Count one failure on ``row`` at ``now``; start a lock when the limit is reached."""
        expired_lock = row.locked_until is not None and row.locked_until <= now
        window_over = row.window_started_at is None or row.window_started_at + self.window <= now
        if expired_lock or window_over or not row.failures:
            row.failures = 1
            row.window_started_at = now
            row.locked_until = None
        else:
            row.failures += 1
        if row.failures >= self.max_failures:
            row.locked_until = now + self.duration


def _minutes(value) -> timedelta:
    if isinstance(value, timedelta):
        return value
    return timedelta(minutes=float(value))


class LockoutStore:
    """The policy applied to the ``auth_login_failure`` table."""

    def __init__(self, policy: LockoutPolicy):
        self.policy = policy

    @staticmethod
    def _row(key: str, address: str, for_update: bool = False):
        query = select(LoginFailure).where(LoginFailure.account == key, LoginFailure.address == address_key(address))
        if for_update:
            query = query.with_for_update()
        return db.session.execute(query).scalar_one_or_none()

    def locked_until(self, key: str, address: str, now: datetime) -> Optional[datetime]:
        """When the lock of this (account key, address) pair ends, or None."""
        return self.policy.locked_until(self._row(key, address), now)

    def record_failure(self, key: str, address: str, now: datetime) -> Optional[datetime]:
        """Count a failed login; return the end of the lock if the pair is now locked."""
        for _attempt in range(2):
            row = self._row(key, address, for_update=True)
            if row is None:
                row = LoginFailure(account=key, address=address_key(address), failures=0, window_started_at=now)
                db.session.add(row)
            self.policy.register_failure(row, now)
            self._purge(now)
            try:
                db.session.commit()
            except IntegrityError:
                # Another worker inserted the same pair first: count on its row.
                db.session.rollback()
                continue
            return self.policy.locked_until(row, now)
        return None

    def record_success(self, key: str, address: str) -> None:
        """A successful login clears the pair's failures."""
        db.session.execute(
            delete(LoginFailure).where(LoginFailure.account == key, LoginFailure.address == address_key(address))
        )
        db.session.commit()

    def _purge(self, now: datetime) -> None:
        """Drop pairs whose window and lock are both long over (keeps the table small)."""
        stale = now - self.policy.window - self.policy.duration
        db.session.execute(
            delete(LoginFailure).where(
                and_(
                    LoginFailure.window_started_at < stale,
                    or_(LoginFailure.locked_until.is_(None), LoginFailure.locked_until < now),
                )
            )
        )
