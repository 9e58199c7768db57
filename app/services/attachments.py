"""Evidence attachments (§4(五)): type and size checked, stored outside static/ under a random
name, readable only through the case's scope. The case page and the API
(``/api/v1/complaint/<id>/attachments``) call these same functions."""
import os
import secrets
import unicodedata

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models.complaint import Attachment
from ..security.masking import mask_text, sees_identity
from .. import clock
from . import complaints as svc
from .timeline import record_event

# extension → (content type, magic-byte prefixes)
ALLOWED = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "mp3": ("audio/mpeg", (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")),
}


def _directory():
    path = current_app.config["UPLOAD_DIR"]
    os.makedirs(path, exist_ok=True)
    return path


def clean_filename(filename) -> str:
    """The file name as sent, without its folders and without control or format characters (a
    NUL no database text may hold, a right-to-left override that disguises the extension)."""
    name = os.path.basename((filename or "").replace("\\", "/"))
    return "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()


def save(user, complaint_id, filename, stream, now=None):
    """Attach a file to a case the user may edit (the edit rules: an open case, and a person who
    works on it); refuse a missing file, unknown types, forged types, empty and big files.

    The case is checked first, whatever the request carries: outside the scope 404, not editable
    403 or 409. Nothing stays of a refused upload: no file, no row, no event."""
    actor = svc.actor_for(user)
    complaint = svc.get_for(user, complaint_id)
    svc.check_editable(actor, complaint)
    if stream is None or not filename:
        raise ValidationFailed(gettext("Choose a file to attach."), field="file")
    name = clean_filename(filename)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED:
        raise ValidationFailed(gettext("Only PDF, JPEG, PNG, Word (.docx), Excel (.xlsx) and MP3 files can be attached."), field="file")
    limit = current_app.config["MAX_ATTACHMENT_BYTES"]
    content = stream.read(limit + 1)
    if not content:
        raise ValidationFailed(gettext("The file is empty."), field="file")
    if len(content) > limit:
        raise ValidationFailed(gettext("The file is larger than %(mb)d MB.", mb=limit // (1024 * 1024)), field="file")
    content_type, magics = ALLOWED[extension]
    if not any(content.startswith(magic) for magic in magics):
        raise ValidationFailed(gettext("The file's content does not match its type."), field="file")
    stored = secrets.token_hex(16) + "." + extension
    path = os.path.join(_directory(), stored)
    with open(path, "wb") as handle:
        handle.write(content)
    now = now or clock.now()
    attachment = Attachment(
        complaint=complaint, filename=name[:200], stored_name=stored, content_type=content_type,
        size=len(content), uploaded_at=now, uploaded_by_id=getattr(user, "id", None),
    )
    db.session.add(attachment)
    record_event(complaint, "attach", user, now, complaint.status, complaint.status, note=name[:200])
    try:
        svc.commit_change(complaint)
    except Exception:
        db.session.rollback()
        os.remove(path)
        raise
    return attachment


def save_upload(user, complaint_id, upload, now=None):
    """``save`` for a request's file field ``upload`` (a werkzeug ``FileStorage``; None when the
    request has no such field)."""
    return save(user, complaint_id, getattr(upload, "filename", None), getattr(upload, "stream", None), now)


def list_for(user, complaint_id):
    """The case's attachments in the order they were added, if the user may see the case; else
    404. Whoever may read the case sees its evidence, as on the case page."""
    complaint = svc.get_for(user, complaint_id)
    rows = db.session.execute(
        select(Attachment).where(Attachment.complaint_id == complaint.id)
        .options(selectinload(Attachment.uploaded_by)).order_by(Attachment.id)
    ).scalars().all()
    return rows


def open_for(user, complaint_id, attachment_id):
    """(attachment, absolute path) if the user may see the case; else 404 (also for an attachment
    of another case)."""
    complaint = svc.get_for(user, complaint_id)
    attachment = db.session.get(Attachment, attachment_id) if svc.row_id(attachment_id) is not None else None
    if attachment is None or attachment.complaint_id != complaint.id:
        raise NotFound(gettext("Attachment not found."))
    return attachment, os.path.join(_directory(), attachment.stored_name)


def shown_filename(actor, attachment) -> str:
    """The attachment's file name as ``actor`` sees it, in a list and on a download alike: the
    complainant's identity inside it masked for a viewer who sees identity masked (§16)."""
    case = attachment.complaint
    return mask_text(attachment.filename, case, sees_identity(actor, case))
