"""Archiving closed cases after the retention period: export and mark, never delete.

Complaint files are kept at least three years after the case is closed (national rule for
complaint files). ``archive_closed`` writes every closed case closed before a date
that lies at least that long ago, with its timeline, rulings and attachment records, to a
JSON-lines file, then marks the cases ``archived_at``. Nothing is ever deleted: the
database keeps the cases, the file is the hand-over to the paper/electronic archive.
"""
import datetime as dt
import json
import os
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models.complaint import Attachment, Complaint, ComplaintEvent
from ..models.ruling import Ruling, RulingStaff
from ..domain import states as s
from .. import clock

MIN_RETENTION_YEARS = 3
FORMAT = "complaints-archive"
FORMAT_VERSION = 1


class RetentionError(ValueError):
    """The requested archive would include cases still inside the retention period."""


def retention_years(configured=None) -> int:
    """The configured retention, never below the three-year minimum."""
    try:
        years = int(configured) if configured is not None else MIN_RETENTION_YEARS
    except (TypeError, ValueError):
        years = MIN_RETENTION_YEARS
    return max(MIN_RETENTION_YEARS, years)


def latest_allowed_cutoff(today: dt.date, years: int = MIN_RETENTION_YEARS) -> dt.date:
    """The latest ``before`` date allowed on ``today``: cases closed before it are at least
    ``years`` old (29 February counts back to 28 February)."""
    return today - relativedelta(years=years)


def _value(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# The blind indexes (issue 24) mean nothing outside this database: not handed over.
_NOT_ARCHIVED = {"phone_index", "name_index"}


def _row(obj) -> dict:
    """The record's columns as read through the model: the complainant's identity decrypted (the
    archive is the hand-over of the whole file)."""
    return {column.key: _value(getattr(obj, column.key)) for column in obj.__table__.columns
            if column.key not in _NOT_ARCHIVED}


def candidates(before: dt.date):
    """Closed, not yet archived cases closed before ``before``, oldest id first."""
    limit = dt.datetime.combine(before, dt.time.min)
    return select(Complaint).where(
        Complaint.status == s.CLOSED,
        Complaint.closed_at.isnot(None),
        Complaint.closed_at < limit,
        Complaint.archived_at.is_(None),
    ).order_by(Complaint.id)


def _record(complaint) -> dict:
    events = db.session.execute(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id)
    ).scalars()
    rulings = db.session.execute(
        select(Ruling).where(Ruling.complaint_id == complaint.id).order_by(Ruling.id)
    ).scalars().all()
    staff = db.session.execute(
        select(RulingStaff).where(RulingStaff.complaint_id == complaint.id)
    ).scalars().all()
    attachments = db.session.execute(
        select(Attachment).where(Attachment.complaint_id == complaint.id).order_by(Attachment.id)
    ).scalars()
    return {
        "kind": "complaint",
        "complaint": _row(complaint),
        "events": [_row(event) for event in events],
        "rulings": [dict(_row(ruling), staff_ids=sorted(link.staff_id for link in staff if link.ruling_id == ruling.id))
                    for ruling in rulings],
        "attachments": [_row(attachment) for attachment in attachments],
    }


def archive_closed(before: dt.date, output: str, retention: int = MIN_RETENTION_YEARS, now=None) -> dict:
    """Export closed cases closed before ``before`` to ``output`` (JSON lines) and mark them.

    Refuses (``RetentionError``, nothing written) when ``before`` is later than ``retention``
    years before today. The file is complete and flushed to disk before any case is marked;
    if marking fails, nothing is marked, the file is removed and the run can be repeated.
    Returns the counts and the file's path.
    """
    now = now or clock.now()
    years = retention_years(retention)
    cutoff = latest_allowed_cutoff(now.date(), years)
    if before > cutoff:
        raise RetentionError(
            f"Closed cases are kept at least {years} years: --before must be {cutoff.isoformat()} or earlier."
        )
    output = os.path.abspath(output)
    if os.path.exists(output):
        raise FileExistsError(f"{output} exists already; choose another file.")
    os.makedirs(os.path.dirname(output), exist_ok=True)

    complaints = db.session.execute(candidates(before)).scalars().all()
    events = 0
    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # identities inside (§16)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            header = {"kind": "header", "format": FORMAT, "version": FORMAT_VERSION, "closed_before": before.isoformat(),
                      "exported_at": now.isoformat(), "count": len(complaints)}
            stream.write(json.dumps(header, ensure_ascii=False) + "\n")
            for complaint in complaints:
                record = _record(complaint)
                events += len(record["events"])
                stream.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        os.remove(output)
        raise

    try:
        for complaint in complaints:
            complaint.archived_at = now
            complaint.version = (complaint.version or 0) + 1
        db.session.commit()
    except BaseException as error:
        # File and marks go together: without the marks, the file is withdrawn too.
        db.session.rollback()
        os.remove(output)
        if isinstance(error, StaleDataError):
            raise RuntimeError("A case changed while it was being archived; nothing was marked. Run the command again.")
        raise
    return {"archived": len(complaints), "events": events, "output": output}
