"""Record each full view of a complainant's identity, and each search by it (§16, domain.md §7)."""
from ..extensions import db
from ..models.audit import PiiAccess
from .. import clock

# "search": a list searched by the complainant's phone number or name (page or API).
CHANNELS = ("page", "api", "export", "print", "search")


def log_identity_views(user, complaint_ids, channel, now=None):
    """Append one log row per complaint whose full identity ``user`` just saw, and commit.

    Rows are inserted in bulk so an export of many cases costs one statement per chunk.
    """
    if channel not in CHANNELS:
        raise ValueError(channel)
    ids = list(dict.fromkeys(complaint_ids))
    if not ids:
        return 0
    return _append(user, ids, channel, now)


def log_identity_search(user, complaint_ids, now=None):
    """Append a search by identity: one row per case it found and shows (the searched phone or
    name belongs to these complainants), or one row without a case when it found none, and
    commit. The searched value itself is not recorded: the log would hold it unmasked."""
    ids = list(dict.fromkeys(complaint_ids)) or [None]
    return _append(user, ids, "search", now)


def _append(user, ids, channel, now):
    at = now or clock.now()
    username = getattr(user, "username", None) or "?"
    rows = [{"at": at, "user_id": getattr(user, "id", None), "username": username,
             "complaint_id": complaint_id, "channel": channel} for complaint_id in ids]
    for start in range(0, len(rows), 1000):
        db.session.execute(PiiAccess.__table__.insert(), rows[start:start + 1000])
    db.session.commit()
    return len(rows)
