"""The complaint record (domain.md §3) and its append-only timeline (domain.md §4)."""
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import (
    BigInteger,
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    event,
    false,
    text,
)
from sqlalchemy.orm import relationship

from .. import clock

from ..crypto import cipher, normal_name
from ..domain import states as s
from ..domain.phones import normal_phone
from .identity import EncryptedIdentity, SealedChanges


def _in(column, values):
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


# Every column the report aggregates read, the period's column first (see ix_complaint_report).
REPORT_COLUMNS = (
    "received_at", "branch_id", "status", "category", "channel", "level", "replied_at", "due_date",
    "extension_status", "ruling_result", "ruling_category", "ruling_final", "reruling_status",
    "followed_up_at", "follow_up_satisfied", "appeal_applied_on", "appeal_decision", "handler_id",
    "handling_unit_id", "respondent_staff_id", "phone_index", "duplicate_of_id",
)
OPEN_LATE_COLUMNS = ("status", "due_date", "received_at", "branch_id", "replied_at", "extension_status",
                     "duplicate_of_id")


class Complaint(Model):
    """One customer complaint (投诉单). Status, scope and deadline columns change only in services."""

    __tablename__ = "complaint"
    __table_args__ = (
        CheckConstraint(_in("status", s.STATUSES), name="ck_complaint_status"),
        CheckConstraint(_in("channel", s.CHANNELS), name="ck_complaint_channel"),
        CheckConstraint(_in("category", s.CATEGORIES), name="ck_complaint_category"),
        CheckConstraint("level IS NULL OR " + _in("level", s.LEVELS), name="ck_complaint_level"),
        CheckConstraint(_in("extension_status", s.EXTENSION_STATUSES), name="ck_complaint_extension_status"),
        CheckConstraint("disputed_fee IS NULL OR disputed_fee >= 0", name="ck_complaint_fee"),
        CheckConstraint(_in("reruling_status", s.RERULING_STATUSES), name="ck_complaint_reruling_status"),
        Index("ix_complaint_status_due", "status", "due_date"),
        # 我的待办: a handler's open cases by due date (issue 22), among all the cases they ever handled.
        Index("ix_complaint_handler_status_due", "handler_id", "status", "due_date"),
        # A branch head's newest cases, unit by unit, from these alone (security/scope.py
        # newest_candidates): the respondent is what "not about the branch head" tests.
        Index("ix_complaint_branch_received", "branch_id", "received_at", "respondent_staff_id"),
        Index("ix_complaint_handling_received", "handling_unit_id", "received_at", "respondent_staff_id"),
        # A branch head's open cases of its units by due date and its follow-ups newest closed
        # first (我的待办, data/complaints.py TODO_WORK).
        Index("ix_complaint_handling_status_due", "handling_unit_id", "status", "due_date"),
        Index("ix_complaint_handling_followup", "handling_unit_id", "status", "followed_up_at", "closed_at", "id"),
        # The to-do's kinds of work, each read in its own order (data/complaints.py _todo_parts).
        Index("ix_complaint_status_level_due", "status", "level", "due_date"),
        Index("ix_complaint_status_extension_due", "status", "extension_status", "due_date"),
        # id last: PostgreSQL walks it backwards for "newest closed first" (no implicit row id)
        Index("ix_complaint_followup", "status", "followed_up_at", "closed_at", "id"),
        Index("ix_complaint_status_appeal_due", "status", "appeal_decision_due"),
        # The scope's id queries and counts (security/scope.py) read these indexes alone: the
        # handled cases' count leaves out the branch's own cases, hence the branch_id; the id
        # last for PostgreSQL, whose indexes hold no row id (SQLite's hold the rowid anyway).
        Index("ix_complaint_branch_respondent", "branch_id", "respondent_staff_id", "id"),
        Index("ix_complaint_handling_branch_respondent", "handling_unit_id", "branch_id", "respondent_staff_id", "id"),
        # Covering index of the reports (reports/statistics.py): a period's aggregates read the
        # index alone, never the wide case rows (a year at a million cases: 5 s → well under 1 s).
        Index("ix_complaint_report", *REPORT_COLUMNS),
        # The reports' cases still processing past their due date, read from the index alone.
        Index("ix_complaint_open_late", *OPEN_LATE_COLUMNS),
        # Earlier complaints by the same phone number (the hotline's first question), and the
        # cases whose number another case shares: the repeat complainants of a period are
        # grouped from these few index entries instead of every case (reports/repeats.py).
        # The number itself is encrypted (issue 24): these index its blind index.
        Index("ix_complaint_phone_index", "phone_index"),
        # A complainant's name, exactly (the complaint list's identity search, data/search.py),
        # by its blind index.
        Index("ix_complaint_name_index", "name_index"),
        Index("ix_complaint_phone_shared", "received_at", "phone_index",
              sqlite_where=text("phone_shared = 1"), postgresql_where=text("phone_shared")),
    )

    id = Column(Integer, primary_key=True)
    number = Column(String(24), nullable=False, unique=True)
    external_ref = Column(String(64), unique=True)
    channel = Column(String(16), nullable=False, index=True)
    received_at = Column(DateTime, nullable=False, index=True)

    # The complainant's identity (§16), encrypted at rest (issue 24, models/identity.py): the
    # lengths (name 64, phone 32, ID number 32, address 200) are the input schemas'.
    complainant_name = Column(EncryptedIdentity("complainant_name"), nullable=False)
    complainant_phone = Column(EncryptedIdentity("complainant_phone"))  # its normal form (domain/phones.py); empty is None
    # Blind indexes (app/crypto.py): the keyed hash of the phone number's normal form and of the
    # name's, set on every write of the value; exact searches, the same caller and the repeat
    # complainants compare these, never the encrypted values.
    phone_index = Column(String(32))
    name_index = Column(String(32))
    # Another complaint has the same phone number (reports/repeats.py). Set when it becomes
    # true and never cleared: it may stay true after a number is corrected, never false wrongly.
    phone_shared = Column(Boolean, nullable=False, default=False, server_default=false())
    complainant_id_number = Column(EncryptedIdentity("complainant_id_number"))
    complainant_address = Column(EncryptedIdentity("complainant_address"))
    is_delegate = Column(Boolean, nullable=False, default=False)
    principal_name = Column(EncryptedIdentity("principal_name"))

    branch_id = Column(Integer, ForeignKey("org_unit.id", ondelete="RESTRICT"), nullable=False)
    branch = relationship("OrgUnit", foreign_keys=[branch_id])
    respondent_staff_id = Column(Integer, ForeignKey("staff.id", ondelete="RESTRICT"), index=True)
    respondent_staff = relationship("Staff", foreign_keys=[respondent_staff_id])

    category = Column(String(16), nullable=False, index=True)
    disputed_fee = Column(Numeric(12, 2))
    facts = Column(Text, nullable=False)
    customer_request = Column(Text)
    eligibility = Column(JSON)

    status = Column(String(16), nullable=False, default=s.REGISTERED, index=True)
    level = Column(String(8), index=True)
    handling_unit_id = Column(Integer, ForeignKey("org_unit.id", ondelete="RESTRICT"))
    handling_unit = relationship("OrgUnit", foreign_keys=[handling_unit_id])
    handler_id = Column(Integer, ForeignKey("staff.id", ondelete="RESTRICT"), index=True)
    handler = relationship("Staff", foreign_keys=[handler_id])
    due_date = Column(Date, index=True)
    due_date_provisional = Column(Boolean, nullable=False, default=False)
    # Working days the deadline counts from receipt (§12: 10 or 20): the longest level the case
    # has had, so a transfer down to a branch never shortens it (§12(三), domain.md §10).
    deadline_days = Column(Integer)
    extension_status = Column(String(12), nullable=False, default=s.EXT_NONE)
    extension_requested_due = Column(Date)

    replied_at = Column(DateTime)
    replied_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"))  # never decides the appeal
    reply_method = Column(String(8))
    # A written reply: the day the customer received it; the appeal window runs from it (§14).
    reply_received_on = Column(Date)
    reply_content = Column(Text)
    appeal_notice = Column(Text)
    appeal_due_date = Column(Date)
    closed_at = Column(DateTime)
    archived_at = Column(DateTime)  # exported by `flask archive` after the retention period; never deleted

    followed_up_at = Column(Date)
    follow_up_method = Column(String(8))
    follow_up_satisfied = Column(Boolean)
    follow_up_note = Column(Text)
    forwarded_to = Column(String(200))

    # The unit that decided (replied): neither it nor any unit below it decides the appeal (§14).
    replied_by_unit_id = Column(Integer, ForeignKey("org_unit.id", ondelete="RESTRICT"))
    replied_by_unit = relationship("OrgUnit", foreign_keys=[replied_by_unit_id])

    # Responsibility ruling (§17–§19): the effective result; rulings hold the full record.
    ruling_result = Column(String(16), index=True)
    ruling_category = Column(String(8))
    ruling_final = Column(Boolean, nullable=False, default=False)
    ruled_on = Column(Date)
    reruling_deadline = Column(Date)  # last day to request a re-ruling (configurable window)
    reruling_status = Column(String(12), nullable=False, default="none", index=True)
    reruling_requested_at = Column(DateTime)
    reruling_reason = Column(Text)
    # The higher ruling body the request is addressed to (§17): only it sees and decides it.
    reruling_unit_id = Column(Integer, ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)

    # Appeal (复议, §14).
    appeal_applied_on = Column(Date)
    appeal_content = Column(Text)
    appeal_unit_id = Column(Integer, ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)
    appeal_unit = relationship("OrgUnit", foreign_keys=[appeal_unit_id])
    appeal_decision_due = Column(Date, index=True)
    appeal_decision_due_provisional = Column(Boolean, nullable=False, default=False, server_default=false())
    appeal_decision = Column(String(8))
    appeal_decision_content = Column(Text)
    appeal_decided_at = Column(DateTime)

    # Staff members held responsible by a ruling on this case (read-only view of ruling_staff).
    ruled_staff = relationship(
        "Staff",
        secondary="ruling_staff",
        primaryjoin="Complaint.id == ruling_staff.c.complaint_id",
        secondaryjoin="Staff.id == ruling_staff.c.staff_id",
        viewonly=True,
    )

    # Issue 23: the case this one duplicates (the same caller, the same matter), set by
    # ``mark_duplicate`` and cleared by ``unmark_duplicate``; the reports count the matter once
    # (a duplicate is left out of every figure). Never a chain: the original is no duplicate.
    # (Unnamed and without ON DELETE, as SQLite's in-place ADD COLUMN … REFERENCES reflects it,
    # migration 0021; complaints are never deleted anyway.)
    duplicate_of_id = Column(Integer, ForeignKey("complaint.id"), index=True)
    duplicate_of = relationship("Complaint", remote_side=[id], foreign_keys=[duplicate_of_id])

    # Issue 23: JR/T 0169-2018 — business channel (A), business type (B) and complaint reason (C),
    # rows of the code table. Registration suggests them from the channel and category
    # (``services/classification.suggest``); the handler confirms or corrects them (``classify``),
    # which sets ``jrt_confirmed``. Added in place, without names, as SQLite's ADD COLUMN …
    # REFERENCES reflects them (migration 0022); codes are never deleted.
    jrt_channel_id = Column(Integer, ForeignKey("jrt_code.id"))
    jrt_business_id = Column(Integer, ForeignKey("jrt_code.id"))
    jrt_reason_id = Column(Integer, ForeignKey("jrt_code.id"))
    jrt_confirmed = Column(Boolean, nullable=False, default=False, server_default=false())
    jrt_channel = relationship("JrtCode", foreign_keys=[jrt_channel_id])
    jrt_business = relationship("JrtCode", foreign_keys=[jrt_business_id])
    jrt_reason = relationship("JrtCode", foreign_keys=[jrt_reason_id])

    created_at = Column(DateTime, nullable=False, default=lambda: clock.now())
    created_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"), index=True)
    created_by = relationship(User, foreign_keys=[created_by_id])
    version = Column(Integer, nullable=False, default=1)

    # Optimistic locking: every UPDATE says "WHERE version = <what I loaded>"; services bump the
    # version once per change (not once per flush), so clients see +1 per change.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    def __repr__(self) -> str:
        return self.number or "complaint"


class ComplaintEvent(Model):
    """One entry of a case's timeline: who did what, when, from which state to which."""

    __tablename__ = "complaint_event"

    id = Column(Integer, primary_key=True)
    complaint_id = Column(Integer, ForeignKey("complaint.id", ondelete="RESTRICT"), nullable=False, index=True)
    complaint = relationship(Complaint, backref="events")
    at = Column(DateTime, nullable=False)
    actor_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"))
    actor = relationship(User)
    actor_name = Column(String(128))
    name = Column(String(32), nullable=False)
    from_status = Column(String(16))
    to_status = Column(String(16))
    note = Column(Text)
    # An edit's old and new identity values are encrypted inside it (models/identity.py).
    payload = Column(SealedChanges)


class NumberCounter(Model):
    """Last case number handed out per day: numbers are allocated under a row lock, never reused."""

    __tablename__ = "number_counter"

    day = Column(String(8), primary_key=True)
    last = Column(Integer, nullable=False, default=0)


class ComplaintTotal(Model):
    """How many complaints exist (one row, id 1). ``register`` adds one in the same transaction
    as the case, and complaints are never deleted, so the unfiltered list of a role that sees
    every case shows its total without counting a table of a million rows."""

    __tablename__ = "complaint_total"

    id = Column(Integer, primary_key=True, autoincrement=False)
    count = Column(BigInteger, nullable=False, default=0)


class Attachment(Model):
    """Evidence attached to a case (§4(五)); the file lives outside static/ under a random name."""

    __tablename__ = "complaint_attachment"

    id = Column(Integer, primary_key=True)
    complaint_id = Column(Integer, ForeignKey("complaint.id", ondelete="RESTRICT"), nullable=False, index=True)
    complaint = relationship(Complaint, backref="attachments")
    filename = Column(String(200), nullable=False)
    stored_name = Column(String(64), nullable=False, unique=True)
    content_type = Column(String(100), nullable=False)
    size = Column(Integer, nullable=False)
    uploaded_at = Column(DateTime, nullable=False)
    uploaded_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"))
    uploaded_by = relationship(User)


def not_a_duplicate(model=Complaint):
    """SQL: the case is not marked as a duplicate (issue 23). Written ``duplicate_of_id + 0 IS
    NULL`` so that no index serves it: the column is NULL for nearly every case, and a planner
    that looked ``IS NULL`` up in the column's own index walked the whole table (the dashboard at
    a million cases: 0.14 → 1.8 s). The covering report indexes hold the column, so aggregates
    still read them alone; the to-do and queues keep their own indexes."""
    return (model.duplicate_of_id + 0).is_(None)


def phone_index(phone):
    """The blind index of a phone number (any form; None for none)."""
    return cipher().blind_index("phone", normal_phone(phone))


def name_index(name):
    """The blind index of a name (``crypto.normal_name``; None for none)."""
    return cipher().blind_index("name", None if name is None else normal_name(name))


@event.listens_for(Complaint.complainant_phone, "set", retval=True)
def _normal_phone(target, value, oldvalue, initiator):
    """Every write of a phone number stores its normal form (``domain.phones.normal_phone``) and
    its blind index."""
    value = normal_phone(value)
    target.phone_index = phone_index(value)
    return value


@event.listens_for(Complaint.complainant_name, "set")
def _name_index(target, value, oldvalue, initiator):
    """Every write of a name stores its blind index."""
    target.name_index = name_index(value)


class AppendOnly(Exception):
    """Raised when code tries to change or delete a timeline entry."""


@event.listens_for(ComplaintEvent, "before_update")
def _no_event_update(mapper, connection, target):
    raise AppendOnly("complaint events are append-only")


@event.listens_for(ComplaintEvent, "before_delete")
def _no_event_delete(mapper, connection, target):
    raise AppendOnly("complaint events are append-only")


@event.listens_for(Complaint, "before_delete")
def _no_complaint_delete(mapper, connection, target):
    raise AppendOnly("complaints are never deleted")


class ComplaintMonth(Model):
    """The report counts of the complaints received in one calendar month against one branch
    (``reports/monthly.py``): every additive figure of the reports that does not depend on the
    day it is read, as JSON, the fees borne under the effective rulings, the reply days and the
    staff held responsible. Recomputed from the
    cases in the transaction that changes them, so a long period's figures read a few hundred
    rows instead of every case."""

    __tablename__ = "complaint_month"

    month = Column(Date, primary_key=True)  # the first day of the month
    branch_id = Column(Integer, ForeignKey("org_unit.id", ondelete="RESTRICT"), primary_key=True)
    counts = Column(Text, nullable=False)  # JSON list in the order of statistics.COUNT_NAMES
    fees = Column(Numeric(14, 2), nullable=False, default=0)
    reply_days = Column(Text, nullable=False, default="[0, []]", server_default="[0, []]")  # ReplyDays.kept
    staff = Column(Text, nullable=False, default="[]", server_default="[]")  # StaffRulings.kept


class ComplaintMonthState(Model):
    """One row (id 1): which definition of the counts ``complaint_month`` holds. The reports
    read the months only while it is the running code's (``reports.monthly.version()``); a
    database where it is missing or older is counted case by case until ``flask deploy`` (or
    ``flask report rebuild-months``) rebuilds them."""

    __tablename__ = "complaint_month_state"

    id = Column(Integer, primary_key=True, autoincrement=False)
    version = Column(String(40), nullable=False)
    built_at = Column(DateTime, nullable=False)
