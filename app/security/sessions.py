"""Per-user session epochs: one switch that ends every web session and JWT of a user.

At login the user's current epoch is written into the signed session cookie and into every
access and refresh token (claim ``epoch``). Each request compares it with the database; a
mismatch — or a cookie or token without an epoch, or a user without an epoch row — logs the web
session out and answers 401 to the API (``epoch_matches``). The epoch is replaced by a new
random value on logout, on any password change and when the account is deactivated — by
whichever path (web forms, security API, CLI), because the change is detected in the ORM
flush itself.
"""
import hmac
import secrets
from typing import Optional

from flask import has_request_context, session
from flask_appbuilder.security.sqla.models import User
from flask_login import user_logged_in
from sqlalchemy import event, inspect

from .. import clock

from ..extensions import db
from ..models.auth import SessionEpoch
from .request_cache import request_cache

EPOCH_SESSION_KEY = "_epoch"
EPOCH_CLAIM = "epoch"


def new_epoch() -> str:
    """A fresh unguessable epoch value."""
    return secrets.token_hex(16)


def _memo() -> dict:
    return request_cache().setdefault("epochs", {})


def current_epoch(user_id: int) -> Optional[str]:
    """The user's current epoch, or None if the user never logged in (memoised per request)."""
    memo = _memo()
    if user_id not in memo:
        row = db.session.get(SessionEpoch, user_id)
        memo[user_id] = row.epoch if row is not None else None
    return memo[user_id]


def remember_epoch(user_id: int, epoch: Optional[str]) -> None:
    """Note the user's current epoch, read with the user (``SecurityManager.get_user_by_id``),
    so that the request's check needs no statement of its own."""
    _memo()[user_id] = epoch


def epoch_matches(presented, current) -> bool:
    """True only when a cookie or token presents the user's current epoch.

    A missing epoch on either side never matches: a cookie without one, or a user who has no
    epoch row yet (never logged in), is refused — ``None == None`` must not open an account.
    """
    if not isinstance(presented, str) or not presented or not current:
        return False
    return hmac.compare_digest(presented, current)


def ensure_epoch(user_id: int) -> str:
    """The user's current epoch, created (and committed) on first use."""
    epoch = current_epoch(user_id)
    if epoch is None:
        epoch = new_epoch()
        db.session.add(SessionEpoch(user_id=user_id, epoch=epoch, changed_at=clock.utc_now()))
        db.session.commit()
        _memo()[user_id] = epoch
    return epoch


def _replace_epoch(orm_session, user_id: int) -> None:
    with orm_session.no_autoflush:
        row = orm_session.get(SessionEpoch, user_id)
        if row is None:
            orm_session.add(SessionEpoch(user_id=user_id, epoch=new_epoch(), changed_at=clock.utc_now()))
        else:
            row.epoch = new_epoch()
            row.changed_at = clock.utc_now()
    _memo().pop(user_id, None)


def end_all_sessions(user_id: int) -> None:
    """Replace the user's epoch and commit: every session cookie and JWT of the user dies."""
    _replace_epoch(db.session, user_id)
    db.session.commit()


def _credentials_changed(user: User) -> bool:
    """A new password, a deactivation, or a password change newly required (issue 20): the
    user's open sessions and tokens end, so the requirement applies at once."""
    state = inspect(user)
    if state.attrs.password.history.has_changes():
        return True
    active = state.attrs.active.history
    if active.has_changes() and not user.active:
        return True
    required = state.attrs.must_change_password.history
    return required.has_changes() and bool(user.must_change_password)


@event.listens_for(db.session, "before_flush")
def _end_sessions_on_credential_change(orm_session, flush_context, instances) -> None:
    """A changed password or a deactivation, by any path, ends the user's sessions and tokens."""
    for item in list(orm_session.dirty):
        if isinstance(item, User) and item.id is not None and _credentials_changed(item):
            _replace_epoch(orm_session, item.id)


@user_logged_in.connect
def _remember_epoch_in_session(sender, user=None, **extra) -> None:
    """Every web login carries the user's current epoch in its session cookie."""
    if user is not None and has_request_context():
        session[EPOCH_SESSION_KEY] = ensure_epoch(user.id)
