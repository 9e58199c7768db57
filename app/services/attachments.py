"""Evidence attachments (§4(五)): type and size checked, stored outside static/ under a random
name, readable only through the case's scope."""
import os
import secrets

from flask import current_app
from flask_babel import gettext

from ..errors import DomainError, ValidationFailed
from ..extensions import db
from ..models.complaint import Attachment
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


def save(user, complaint_id, filename, stream, now=None):
    """Attach a file to a case the user may edit (the edit rules: an open case, and a person who
    works on it); refuse unknown types, forged types, big files."""
    actor = svc.actor_for(user)
    complaint = svc.get_for(user, complaint_id)
    svc.check_editable(actor, complaint)
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
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
    except DomainError:
        os.remove(path)
        raise
    return attachment


def open_for(user, complaint_id, attachment_id):
    """(attachment, absolute path) if the user may see the case; else 404."""
    complaint = svc.get_for(user, complaint_id)
    attachment = db.session.get(Attachment, attachment_id) if svc.row_id(attachment_id) is not None else None
    if attachment is None or attachment.complaint_id != complaint.id:
        from ..errors import NotFound

        raise NotFound(gettext("Attachment not found."))
    return attachment, os.path.join(_directory(), attachment.stored_name)
