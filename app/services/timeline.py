"""The case timeline: append one event in the caller's transaction (never commits)."""
from ..extensions import db
from ..models.complaint import ComplaintEvent


def actor_display_name(user) -> str:
    """How an actor is shown in the timeline (system jobs have no user)."""
    if user is None:
        return "system"
    full = user.get_full_name()  # 姓 then 名 (models/auth.py)
    return f"{full} ({user.username})" if full else user.username


def record_event(complaint, name, user, at, from_status=None, to_status=None, note=None, payload=None):
    """Add a timeline entry for ``complaint``; the caller commits it with the change it describes."""
    event = ComplaintEvent(
        complaint=complaint,
        at=at,
        actor_id=getattr(user, "id", None),
        actor_name=actor_display_name(user),
        name=name,
        from_status=from_status,
        to_status=to_status if to_status is not None else from_status,
        note=note,
        payload=payload or None,
    )
    db.session.add(event)
    return event
