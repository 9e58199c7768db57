"""Record each full view of a complainant's identity (§16, domain.md §7)."""
from ..extensions import db
from ..models.audit import PiiAccess
from .. import clock

CHANNELS = ("page", "api", "export", "print")


def log_identity_views(user, complaint_ids, channel, now=None):
    """Append one log row per complaint whose full identity ``user`` just saw, and commit.

    Rows are inserted in bulk so an export of many cases costs one statement per chunk.
    """
    if channel not in CHANNELS:
        raise ValueError(channel)
    ids = list(dict.fromkeys(complaint_ids))
    if not ids:
        return 0
    at = now or clock.now()
    username = getattr(user, "username", None) or "?"
    rows = [{"at": at, "user_id": getattr(user, "id", None), "username": username,
             "complaint_id": complaint_id, "channel": channel} for complaint_id in ids]
    for start in range(0, len(rows), 1000):
        db.session.execute(PiiAccess.__table__.insert(), rows[start:start + 1000])
    db.session.commit()
    return len(rows)
