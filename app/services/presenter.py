"""How a complaint looks to a viewer: masked identity, derived fields (api.md field names)."""
from ..security.masking import IDENTITY_FIELDS, identity, mask_text, sees_identity, shown
from . import classification
from . import complaints as svc
from .attachments import shown_filename
from .timeline import actor_display_name


def _dt(value):
    return value.isoformat(timespec="seconds") if value is not None else None


def _d(value):
    return value.isoformat() if value is not None else None


def complaint_dict(complaint, actor, today, masked=False) -> dict:
    """The complaint resource as ``actor`` may see it on ``today`` (``masked``: identity masked
    even for those who may see it — lists never show full identity)."""
    data = {
        "id": complaint.id,
        "number": complaint.number,
        "external_ref": complaint.external_ref,
        "channel": complaint.channel,
        "received_at": _dt(complaint.received_at),
        "is_delegate": complaint.is_delegate,
        "branch_id": complaint.branch_id,
        "respondent_staff_id": complaint.respondent_staff_id,
        "category": complaint.category,
        "disputed_fee": float(complaint.disputed_fee) if complaint.disputed_fee is not None else None,
        "facts": complaint.facts,
        "customer_request": complaint.customer_request,
        "eligibility": complaint.eligibility,
        "status": complaint.status,
        "level": complaint.level,
        "handling_unit_id": complaint.handling_unit_id,
        "handler_id": complaint.handler_id,
        "due_date": _d(complaint.due_date),
        "due_date_provisional": bool(complaint.due_date_provisional),
        "overdue": svc.is_overdue(complaint, today),
        "extension_status": complaint.extension_status,
        "extension_requested_due": _d(complaint.extension_requested_due),
        "replied_at": _dt(complaint.replied_at),
        "reply_method": complaint.reply_method,
        "reply_content": complaint.reply_content,
        "deciding_unit_id": complaint.replied_by_unit_id,
        "reply_received_on": _d(complaint.reply_received_on),
        "appeal_notice": complaint.appeal_notice,
        "appeal_due_date": _d(complaint.appeal_due_date),
        "appeal_applied_on": _d(complaint.appeal_applied_on),
        "appeal_unit_id": complaint.appeal_unit_id,
        "appeal_decision_due_date": _d(complaint.appeal_decision_due),
        "appeal_decision_due_provisional": bool(complaint.appeal_decision_due_provisional),
        "appeal_decision": complaint.appeal_decision,
        "closed_at": _dt(complaint.closed_at),
        "followed_up_at": _d(complaint.followed_up_at),
        "follow_up_method": complaint.follow_up_method,
        "follow_up_satisfied": complaint.follow_up_satisfied,
        "forwarded_to": complaint.forwarded_to,
        "ruling_result": getattr(complaint, "ruling_result", None),
        "ruling_category": getattr(complaint, "ruling_category", None),
        "ruling_final": bool(getattr(complaint, "ruling_final", False)),
        "reruling_status": getattr(complaint, "reruling_status", None) or "none",
        "reruling_unit_id": complaint.reruling_unit_id,
        # Issue 23 (an addition to api.md): the case this one duplicates, or null.
        "duplicate_of": ({"id": complaint.duplicate_of_id, "number": complaint.duplicate_of.number}
                         if complaint.duplicate_of_id is not None else None),
        # Issue 23 (an addition to api.md): the JR/T 0169 codes with their names, and whether the
        # handler confirmed them (unconfirmed: as registration suggested them).
        "classification": classification_dict(complaint),
        "created_at": _dt(complaint.created_at),
        "version": complaint.version,
    }
    data.update(identity(actor, complaint, force_mask=masked))
    # Texts staff typed may name the complainant: masked as the identity fields are (§16).
    full = not masked and sees_identity(actor, complaint)
    for name in ("facts", "customer_request", "reply_content"):
        data[name] = mask_text(data[name], complaint, full)
    return data


def classification_dict(complaint) -> dict:
    """``{"channel", "business", "reason"}`` (each ``{"code", "name"}`` or null) and ``confirmed``;
    the codes from the table read once per request, whatever the number of complaints answered."""
    table = {row.id: row for row in classification.rows()}
    return {
        "channel": classification.describe(table.get(complaint.jrt_channel_id)),
        "business": classification.describe(table.get(complaint.jrt_business_id)),
        "reason": classification.describe(table.get(complaint.jrt_reason_id)),
        "confirmed": bool(complaint.jrt_confirmed),
    }


def event_changes(event, full_identity: bool, case=None) -> list:
    """An edit event's changed fields as ``[{"field", "old", "new"}]``, oldest value first; the
    complainant's contact fields masked unless the viewer sees identity, and so is the identity
    inside a changed text (§16)."""
    changes = (event.payload or {}).get("changes") if event.name == "edit" else None
    if not changes:
        return []
    case = case if case is not None else event.complaint
    out = []
    for field, (old, new) in sorted(changes.items()):
        if field in IDENTITY_FIELDS:
            old, new = shown(field, old, full_identity), shown(field, new, full_identity)
        elif isinstance(old, str) or isinstance(new, str):
            old, new = mask_text(old, case, full_identity), mask_text(new, case, full_identity)
        out.append({"field": field, "old": old, "new": new})
    return out


def carries_identity(events) -> bool:
    """Whether any of ``events`` records a change of the complainant's identity fields."""
    return any(item["field"] in IDENTITY_FIELDS for event in events for item in event_changes(event, False))


def event_dict(event, full_identity: bool = False) -> dict:
    data = {
        "at": _dt(event.at),
        "actor": event.actor_name,
        "name": event.name,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "note": mask_text(event.note, event.complaint, full_identity) if event.note else event.note,
    }
    changes = event_changes(event, full_identity)
    if changes:
        data["changes"] = changes
    return data


def attachment_dict(attachment, actor) -> dict:
    """One evidence file as the API gives it out to ``actor``: its name as the case page shows it
    (identity inside it masked per viewer, §16), and who added it as the timeline names them."""
    return {
        "id": attachment.id,
        "filename": shown_filename(actor, attachment),
        "content_type": attachment.content_type,
        "size": attachment.size,
        "uploaded_at": _dt(attachment.uploaded_at),
        "uploaded_by": actor_display_name(attachment.uploaded_by) if attachment.uploaded_by is not None else None,
    }
