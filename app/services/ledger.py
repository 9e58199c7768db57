"""Importing a complaint ledger (投诉登记台账, issue 23): the column mapping (a default by header,
saved for next time), every row replayed through the complaint services in one transaction — all
rows or none — and the import in the admin audit.

How a row becomes a case (``import_ledger``):

1. Its cells are read by the mapping: dates, the ledger's words for codes (``domain/ledger.py``),
   the branch by code or name, staff by name or employee number within that branch. Every problem
   of every row is collected, in Chinese, with the row number and the column.
2. Its identity (``domain.ledger.row_reference``) becomes the case's ``external_ref``: a row already
   imported (in this file or before) is skipped and nothing is created for it.
3. It is replayed in a savepoint through the services a clerk's steps go through — ``register``
   at the date of registration, ``accept`` (the deadline computed with the work calendar from the
   receipt, as always), ``reply`` at the reply date, ``close`` at the closing date, or ``reject`` —
   with their schemas and handlers (phone and ID number checks, dates, scope), then a ruling of
   record (``stage_ruling_of_record``), then the timeline entry "imported from the ledger, row N".
   A refusal of any step is the row's error; its savepoint is rolled back.
4. When any row has an error (or for a preview), everything is rolled back; otherwise the admin
   audit entry is added and the whole ledger commits at once.

The steps are taken by ``ledger_actor``: the importing user's scope, acting for the discipline
office whose paper record the ledger is, with no unit or staff of its own (the ledger names
neither who replied nor who handled, so the reply's deciding unit is the unit handling the case).
What the importing user sees of a complainant is decided by its own role, as everywhere.
"""
import datetime as dt
import secrets
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Tuple

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import delete, false, select, update
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..domain import ledger as d
from ..domain import states as s
from ..domain import transitions as t
from ..domain import vocabulary as v
from ..domain.payloads import Message, RegisterSchema, RejectSchema, ReplySchema
from ..errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from ..extensions import db
from ..i18n import label, translate_messages
from ..models import OrgUnit, Staff
from ..models.admin_audit import AdminAudit
from ..models.complaint import Complaint
from ..models.ledger import LedgerColumn, LedgerUpload
from ..security import masking
from ..security import permissions as p
from ..security.scope import staff_of
from . import complaints as svc
from .complaints import FieldErrors
from .ledger_file import Ledger, read_ledger  # noqa: F401 (read_ledger: the callers' entry)
from .timeline import record_event

UPLOAD_HOURS = 2  # an uploaded ledger waits this long for its next step on the page

NEW = "new"
BEFORE = "before"  # imported before: nothing is created
REFUSED = "refused"


# --- who may import, and as whom the steps are taken ---------------------------------------------

def may_import(user) -> bool:
    """The user holds the import permission (the discipline office; Admin holds every permission)."""
    if user is None or not getattr(user, "active", False):
        return False
    pairs = current_app.appbuilder.sm.role_permission_pairs(getattr(user, "roles", None) or [])
    return (p.can(p.LEDGER_IMPORT_PERMISSION), p.LEDGER_IMPORT) in pairs


REPLAYED = ("register", "accept", "reject", "reply", "close")


def ledger_actor(user) -> t.Actor:
    """Who replays a ledger's rows: ``user``'s scope (only branches in it can be imported into),
    acting for the discipline office with the permissions of the steps replayed, without a unit or
    staff record of its own."""
    own = svc.actor_for(user)
    return replace(own, staff_id=None, unit_id=None, ancestor_unit_ids=frozenset(),
                   roles=own.roles | {t.DISCIPLINE_OFFICE}, acts_as=own.acts_as | {t.DISCIPLINE_OFFICE},
                   permissions=frozenset(p.can(name) for name in REPLAYED))


# --- the mapping ---------------------------------------------------------------------------------

class MappingErrors(ValidationFailed):
    """The mapping cannot be used: ``{header or "_mapping": [messages]}`` (translated)."""

    def __init__(self, messages):
        super().__init__(gettext("The column mapping is not complete."))
        self.messages = messages

    def payload(self):
        return self.messages

    def lines(self) -> List[str]:
        return [message for messages in self.messages.values() for message in messages]


def field_label(name) -> str:
    """A ledger field as the pages name it (translated)."""
    return gettext(d.FIELDS[name][0]) if name in d.FIELDS else name


def saved_mapping() -> Dict[str, str]:
    """Header (compared form) → field, as saved by the last imports."""
    return {row.header: row.field for row in db.session.execute(select(LedgerColumn)).scalars()}


def mapping_for(ledger: Ledger) -> Dict[str, str]:
    """The mapping a ledger starts with: saved for its headers, else by their names."""
    return d.default_mapping(ledger.headers, saved_mapping())


def check_mapping(ledger: Ledger, mapping: Dict[str, str], default_branch: bool = False) -> None:
    """Refuse a mapping (``MappingErrors``) naming a header the ledger lacks, a field that does not
    exist, one field for two columns, or missing a field the import needs (the branch may come from
    the branch chosen for the whole ledger instead)."""
    errors: Dict[str, List[str]] = {}
    taken = {}
    for header, name in mapping.items():
        if header not in ledger.headers:
            errors.setdefault("_mapping", []).append(
                gettext("The ledger has no column “%(column)s”.", column=d.short(header)))
        elif name and name not in d.FIELDS:
            errors.setdefault(header, []).append(gettext("Choose one of the options offered."))
        elif name and name in taken:
            errors.setdefault(header, []).append(gettext("“%(other)s” is already mapped to %(field)s.",
                                                         other=taken[name], field=field_label(name)))
        elif name:
            taken[name] = header
    needed = list(d.REQUIRED_FIELDS) + ([] if default_branch else ["branch"])
    for name in needed:
        if name not in taken:
            errors.setdefault("_mapping", []).append(
                gettext("No column is mapped to %(field)s; the import needs it.", field=field_label(name)))
    if errors:
        raise MappingErrors(errors)


def save_mapping(ledger: Ledger, mapping: Dict[str, str], user) -> None:
    """Keep the chosen field of each of the ledger's headers for the next import (commits)."""
    now, user_id = clock.now(), getattr(user, "id", None)  # read before any row is pending (no autoflush)
    stored = {row.header: row for row in db.session.execute(select(LedgerColumn)).scalars()}
    for header in ledger.headers:
        key = d.normal_word(header)[:d.MAX_HEADER_LENGTH]
        if not key:
            continue
        name = mapping.get(header) or d.IGNORE
        row = stored.get(key)
        if row is None:
            row = LedgerColumn(header=key)
            db.session.add(row)
            stored[key] = row
        if row.field != name or row.updated_at is None:
            row.field, row.updated_at, row.updated_by_id = name, now, user_id
    db.session.commit()


# --- uploads between the page's steps -------------------------------------------------------------

def keep_upload(user, filename: str, content: bytes, sheet: Optional[str] = None) -> Tuple[str, Ledger]:
    """Read the file (refused as a whole when it cannot be), keep it for ``user``'s next steps and
    return ``(token, ledger)``; the user's earlier uploads and every stale one are removed."""
    ledger = read_ledger(filename, content, sheet)
    stale = clock.now() - dt.timedelta(hours=UPLOAD_HOURS)
    db.session.execute(delete(LedgerUpload).where(
        (LedgerUpload.user_id == user.id) | (LedgerUpload.uploaded_at < stale)))
    token = secrets.token_urlsafe(32)
    db.session.add(LedgerUpload(token=token, user_id=user.id, filename=ledger.filename, content=bytes(content),
                                uploaded_at=clock.now()))
    db.session.commit()
    return token, ledger


def upload_of(user, token) -> LedgerUpload:
    """``user``'s kept upload ``token``; 404 when it is not theirs, removed or stale."""
    stale = clock.now() - dt.timedelta(hours=UPLOAD_HOURS)
    upload = None
    if isinstance(token, str) and 0 < len(token) <= 64:
        upload = db.session.execute(select(LedgerUpload).where(
            LedgerUpload.token == token, LedgerUpload.user_id == user.id,
            LedgerUpload.uploaded_at >= stale)).scalar_one_or_none()
    if upload is None:
        raise NotFound(gettext("The uploaded file is no longer kept; upload it again."))
    return upload


def forget_upload(upload: LedgerUpload) -> None:
    db.session.delete(upload)
    db.session.commit()


# --- the result ------------------------------------------------------------------------------------

@dataclass
class RowResult:
    """What one data row becomes (or why it cannot), in plain values the pages and command show."""

    number: int
    outcome: str = NEW
    errors: List[str] = field(default_factory=list)
    case_number: Optional[str] = None  # the case it became (after the import) or was imported as before
    complaint_id: Optional[int] = None
    status: Optional[str] = None
    received_at: Optional[dt.datetime] = None
    branch: str = ""
    category: Optional[str] = None
    complainant: Dict[str, Optional[str]] = field(default_factory=dict)  # as the importing user sees it
    due_date: Optional[dt.date] = None
    due_provisional: bool = False
    replied_at: Optional[dt.datetime] = None
    closed_at: Optional[dt.datetime] = None
    late: bool = False
    ruling: Optional[str] = None
    ruling_category: Optional[str] = None


@dataclass
class ImportResult:
    ledger: Ledger
    mapping: Dict[str, str]
    rows: List[RowResult]
    dry_run: bool
    committed: bool = False

    @property
    def errors(self) -> List[str]:
        return [message for row in self.rows for message in row.errors]

    @property
    def refused_rows(self) -> int:
        return sum(1 for row in self.rows if row.outcome == REFUSED)

    @property
    def new(self) -> int:
        return sum(1 for row in self.rows if row.outcome == NEW)

    @property
    def before(self) -> int:
        return sum(1 for row in self.rows if row.outcome == BEFORE)


# --- the import ------------------------------------------------------------------------------------

def default_branch(user, unit_id) -> Optional[OrgUnit]:
    """The branch chosen for the rows that name none: an active branch in ``user``'s scope."""
    if unit_id in (None, ""):
        return None
    from ..ids import row_id

    unit = db.session.get(OrgUnit, row_id(unit_id)) if row_id(unit_id) is not None else None
    if unit is None or not unit.active or unit.kind != "branch" or not svc.actor_for(user).covers(unit.id):
        raise ValidationFailed(gettext("Choose a branch in your own scope."), field="default_branch")
    return unit


def import_ledger(user, ledger: Ledger, mapping: Optional[Dict[str, str]] = None, default_branch_id=None,
                  dry_run: bool = False) -> ImportResult:
    """Import ``ledger`` as ``user``: every row validated and replayed (above), then all committed
    at once — or, with ``dry_run`` or when any row is refused, nothing. ``mapping``: header →
    field (default: ``mapping_for``); ``default_branch_id``: the branch of rows that name none."""
    if not may_import(user):
        raise PermissionDenied(gettext("Your role does not have this permission."))
    mapping = dict(mapping) if mapping is not None else mapping_for(ledger)
    branch = default_branch(user, default_branch_id)
    check_mapping(ledger, mapping, default_branch=branch is not None)
    replay = _Replay(user, ledger, mapping, branch)
    try:
        rows = replay.run()
    except Exception:
        db.session.rollback()
        raise
    result = ImportResult(ledger, mapping, rows, dry_run)
    if dry_run or result.refused_rows or not result.new:
        db.session.rollback()
        for row in rows:  # the numbers the preview allocated were rolled back with everything else
            if row.outcome == NEW:
                row.case_number = row.complaint_id = None
        return result
    db.session.add(AdminAudit(
        at=replay.now, actor_id=getattr(user, "id", None), actor_name=getattr(user, "username", None) or "system",
        target_type="ledger", target_name=ledger.filename[:128], action="create",
        changes={"file": ledger.filename, "sheet": ledger.sheet, "sha256": ledger.sha256, "rows": len(rows),
                 "imported": result.new, "skipped": result.before},
    ))
    svc.commit_change()
    result.committed = True
    # The rows are cases now, and a list of cases never carries full identity (it is shown, and
    # logged, one case at a time on the case page).
    for row in result.rows:
        row.complainant = {name: masking.shown(name, value, False) for name, value in row.complainant.items()}
    return result


# Which ledger field a service's field error belongs to, per step.
STEP_FIELDS = {
    "register": {"received_at": "received_at", "channel": "channel", "complainant_name": "complainant_name",
                 "complainant_phone": "complainant_phone", "complainant_id_number": "complainant_id_number",
                 "complainant_address": "complainant_address", "principal_name": "principal_name",
                 "is_delegate": "principal_name", "branch_id": "branch", "respondent_staff_id": "respondent_staff",
                 "category": "category", "disputed_fee": "disputed_fee", "facts": "facts",
                 "customer_request": "customer_request", "external_ref": "ledger_number"},
    "accept": {"level": "level", "handling_unit_id": "level"},
    "reject": {"reason": "reply_content", "note": "reply_content"},
    "reply": {"method": "reply_method", "content": "reply_content", "replied_at": "replied_at"},
    "close": {"note": "closed_at"},
    "rule": {"result": "ruling", "category": "ruling_category", "verified": "ruling", "staff_ids": "ruled_staff",
             "fee_borne": "fee_borne", "basis": "ruling", "ruled_on": "ruled_on"},
}
STEP_DEFAULT_FIELD = {"accept": "status", "reject": "status", "reply": "replied_at", "close": "closed_at",
                      "rule": "ruling"}
# A field without a column of its own is named by the column it was read from.
FALLBACK_FIELD = {"ruling_category": "ruling", "ruled_on": "ruling", "closed_at": "replied_at"}


def _present(data: dict) -> dict:
    """``data`` without its empty values: an empty cell is a missing field (the schemas say so)."""
    return {name: value for name, value in data.items() if value not in (None, "")}


class _RowProblems(Exception):
    """The problems of one row (already worded): the row is refused."""


@dataclass
class _Parsed:
    """A row's cells read into what the services take."""

    reference: str
    register: dict
    received_at: dt.datetime
    status: str
    branch: OrgUnit
    level: str = "branch"
    replied_at: Optional[dt.datetime] = None
    reply: Optional[dict] = None
    closed_at: Optional[dt.datetime] = None
    reject: Optional[dict] = None
    ruling: Optional[dict] = None
    ruled_on: Optional[dt.date] = None
    ledger_number: Optional[str] = None


class _Units:
    """Active units by code and by name, and staff by unit (one read each per import)."""

    def __init__(self):
        units = db.session.execute(select(OrgUnit).where(OrgUnit.active.is_(True))).scalars().all()
        self.by_code, self.by_name = {}, {}
        for unit in units:
            self.by_code.setdefault(d.normal_word(unit.code).lower(), []).append(unit)
            self.by_name.setdefault(d.normal_word(unit.name), []).append(unit)
        self.staff: Dict[int, List[Staff]] = {}
        for member in db.session.execute(select(Staff)).scalars():
            self.staff.setdefault(member.unit_id, []).append(member)

    def unit(self, text) -> OrgUnit:
        key = d.normal_word(text)
        found = self.by_code.get(key.lower()) or self.by_name.get(key) or []
        if not found:
            raise ValueError(gettext("There is no branch “%(value)s” in the organisation (write its name or code as "
                                     "the organisation tree has it).", value=d.short(text)))
        if len(found) > 1:
            raise ValueError(gettext("Several units are called “%(value)s”: write the branch's code instead.",
                                     value=d.short(text)))
        return found[0]

    def member(self, text, branch: OrgUnit) -> Staff:
        key = d.normal_word(text)
        found = [m for m in self.staff.get(branch.id, []) if key in (d.normal_word(m.name), d.normal_word(m.employee_no))]
        if not found:
            raise ValueError(gettext("%(branch)s has no staff member “%(value)s” (write the name or employee number).",
                                     branch=branch.name, value=d.short(text)))
        if len(found) > 1:
            raise ValueError(gettext("Several staff members of %(branch)s are called “%(value)s”: write the employee "
                                     "number instead.", branch=branch.name, value=d.short(text)))
        return found[0]


def _words():
    """The code tables of the ledger's words (with the codes' labels as the pages show them in Chinese)
    and, for messages, the words each accepts."""
    with force_locale("zh"):
        def table(words, labels):
            shown = {code: gettext(msgid) for code, msgid in labels.items()}
            accepted = "、".join(dict.fromkeys(shown[code] for code in words))
            return d.words_table(words, shown), accepted

        statuses = {code: v.STATUSES[code] for code in d.LEDGER_STATUSES}
        return {
            "channel": table(d.CHANNEL_WORDS, v.CHANNELS),
            "category": table(d.CATEGORY_WORDS, v.CATEGORIES),
            "reply_method": table(d.REPLY_METHOD_WORDS, v.REPLY_METHODS),
            "level": table(d.LEVEL_WORDS, {"branch": "网点权限", "union": "联社权限"}),
            "status": table(d.STATUS_WORDS, statuses),
        }


class _Replay:
    """One import's rows: read, checked, replayed."""

    def __init__(self, user, ledger: Ledger, mapping: Dict[str, str], branch: Optional[OrgUnit]):
        self.user = user
        self.ledger = ledger
        self.viewer = svc.actor_for(user)
        self.actor = ledger_actor(user)
        self.columns = {name: header for header, name in mapping.items() if name}
        self.default_branch = branch
        self.units = _Units()
        self.words = _words()
        self.now = clock.now()
        self.today = self.now.date()
        own = staff_of(user)
        self.own_unit = own.unit if own is not None and own.unit.kind in ("union", "department") else None

    # --- messages

    def column(self, name) -> str:
        """The column a field was read from, as the ledger heads it (or the field's label)."""
        header = self.columns.get(name) or self.columns.get(FALLBACK_FIELD.get(name, ""))
        return header if header else field_label(name)

    def say(self, number, name, problem) -> str:
        problem = translate_messages(problem) if isinstance(problem, (Message, str)) else str(problem)
        if name is None:
            return gettext("Row %(row)d: %(problem)s", row=number, problem=problem)
        return gettext("Row %(row)d, “%(column)s”: %(problem)s", row=number, column=self.column(name), problem=problem)

    # --- the whole ledger

    def run(self) -> List[RowResult]:
        # A write opens the transaction before the first savepoint: SQLite's driver starts none for a
        # SAVEPOINT, and releasing the first one would then commit it (pysqlite's transaction handling).
        db.session.execute(update(LedgerColumn).where(false()).values(field=LedgerColumn.field))
        results, parsed = [], {}
        seen = {}
        for row in self.ledger.rows:
            result = RowResult(row.number)
            results.append(result)
            try:
                item = self.parse(row)
            except _RowProblems as problems:
                result.outcome, result.errors = REFUSED, list(problems.args[0])
                continue
            if item.reference in seen:
                result.outcome = REFUSED
                result.errors.append(self.say(row.number, None, gettext(
                    "This is the same complaint as row %(row)d (the same ledger number, or the same content).",
                    row=seen[item.reference])))
                continue
            seen[item.reference] = row.number
            parsed[row.number] = item
        existing = self.imported_before([item.reference for item in parsed.values()])
        # Each row is flushed when it is replayed: the reads of the next rows need no autoflush
        # (which would look over every object of the import each time).
        with db.session.no_autoflush:
            for result in results:
                item = parsed.get(result.number)
                if item is None:
                    continue
                if item.reference in existing:
                    self.before(result, existing[item.reference])
                    continue
                self.replay(result, item)
        return results

    def imported_before(self, references) -> Dict[str, Optional[Complaint]]:
        """Reference → the case imported under it before (None when it lies outside the user's scope)."""
        found = {}
        for start in range(0, len(references), 500):
            chunk = references[start:start + 500]
            rows = db.session.execute(select(Complaint.external_ref, Complaint.id).where(
                Complaint.external_ref.in_(chunk))).all()
            ids = {ref: complaint_id for ref, complaint_id in rows}
            if not ids:
                continue
            visible = {c.id: c for c in db.session.execute(
                svc.scoped_select(self.user).where(Complaint.id.in_(list(ids.values())))).scalars()}
            for ref, complaint_id in ids.items():
                found[ref] = visible.get(complaint_id)
        return found

    def before(self, result: RowResult, complaint: Optional[Complaint]):
        if complaint is None:
            result.outcome = REFUSED
            result.errors.append(self.say(result.number, None, gettext(
                "This row was imported before, into a case outside your scope.")))
            return
        result.outcome = BEFORE
        result.case_number, result.complaint_id = complaint.number, complaint.id
        # A case of the database is shown as every list shows one: identity masked.
        self.describe(result, complaint, force_mask=True)

    # --- reading one row

    def parse(self, row) -> _Parsed:
        problems: List[Tuple[Optional[str], str]] = []  # (ledger field, worded problem)
        texts = {name: d.cell_text(row.cells.get(header)) for name, header in self.columns.items()}
        raw = {name: row.cells.get(header) for name, header in self.columns.items()}

        def problem(name, message):
            problems.append((name, self.say(row.number, name, message)))

        def code(name):
            if not texts.get(name):
                return None
            table, accepted = self.words[name]
            try:
                return d.parse_code(texts[name], table, accepted)
            except ValueError as error:
                problem(name, error.args[0])
                return None

        def moment(name, earlier=None):
            """A date (and time) of the row, not in the future, not before ``earlier`` on its day."""
            if not texts.get(name):
                return None
            try:
                value, has_time = d.parse_datetime(raw[name])
            except ValueError as error:
                problem(name, error.args[0])
                return None
            if value > self.now:
                problem(name, gettext("This date cannot be in the future."))
                return None
            if not has_time and earlier is not None and value.date() == earlier.date() and value < earlier:
                value = earlier  # a bare date on the day of the earlier step: not before it
            return value

        received = moment("received_at")
        if not texts.get("received_at"):
            problem("received_at", gettext("Missing data for required field."))
        branch = self.default_branch
        if texts.get("branch"):
            try:
                branch = self.units.unit(texts["branch"])
            except ValueError as error:
                branch = None
                problem("branch", error.args[0])
        elif branch is None:
            problem("branch", gettext("Missing data for required field."))
        channel, category, level = code("channel"), code("category"), code("level") or "branch"
        reply_method = code("reply_method")
        status = code("status")

        register = {
            "channel": channel, "complainant_name": texts.get("complainant_name") or None,
            "complainant_phone": texts.get("complainant_phone") or None,
            "complainant_address": texts.get("complainant_address") or None,
            "category": category, "facts": texts.get("facts") or None,
            "customer_request": texts.get("customer_request") or None,
        }
        if isinstance(raw.get("complainant_id_number"), (int, float)) and not isinstance(raw["complainant_id_number"], bool):
            problem("complainant_id_number", gettext(
                "The ID number is stored as a number in the spreadsheet, which keeps only 15 digits: format the column "
                "as text and enter the number again."))
        else:
            register["complainant_id_number"] = texts.get("complainant_id_number") or None
        if texts.get("principal_name"):
            register.update(is_delegate=True, principal_name=texts["principal_name"])
        if texts.get("disputed_fee"):
            try:
                register["disputed_fee"] = d.parse_amount(raw["disputed_fee"])
            except ValueError as error:
                problem("disputed_fee", error.args[0])
        if branch is not None:
            register["branch_id"] = branch.id
            if texts.get("respondent_staff"):
                try:
                    register["respondent_staff_id"] = self.units.member(texts["respondent_staff"], branch).id
                except ValueError as error:
                    problem("respondent_staff", error.args[0])

        replied = moment("replied_at", received)
        if status is None:  # the ledger does not say: a row with a reply (or closing date) is a closed case
            status = s.CLOSED if (texts.get("replied_at") or texts.get("closed_at") or reply_method) else s.PROCESSING
        status_label = label(v.STATUSES, status)
        closed = moment("closed_at", replied)
        if texts.get("closed_at") and status != s.CLOSED:
            problem("closed_at", gettext("Only a closed complaint has a closing date; the status is “%(status)s”.",
                                         status=status_label))
        if status in (s.REGISTERED, s.PROCESSING):
            for name in ("replied_at", "reply_method", "reply_content"):
                if texts.get(name):
                    problem(name, gettext("A complaint with the status “%(status)s” has no reply yet; leave this cell "
                                          "empty or correct the status.", status=status_label))
        if status == s.REJECTED and texts.get("reply_method"):
            problem("reply_method", gettext("A complaint with the status “%(status)s” has no reply yet; leave this cell "
                                            "empty or correct the status.", status=status_label))
        if status in (s.REPLIED, s.CLOSED) and not texts.get("replied_at"):
            problem("replied_at", gettext("A replied or closed complaint needs the date of its reply."))
        if closed is not None and replied is not None and closed < replied:
            problem("closed_at", gettext("A complaint cannot be closed before its reply."))

        parsed_ruling, ruled_on = self.parse_ruling(row.number, texts, raw, branch, problem,
                                                    closed or replied or received)
        register = {name: value for name, value in register.items() if value is not None}
        self.check_payloads(row.number, register, received, status, reply_method, texts, replied, problems)
        if problems:
            raise _RowProblems([line for _name, line in problems])

        ledger_number = texts.get("ledger_number") or None
        reference = d.row_reference(branch.code, ledger_number, texts)
        register["external_ref"] = reference
        register["received_at"] = received.isoformat()
        item = _Parsed(reference=reference, register=register, received_at=received, status=status, branch=branch,
                       level=level, ledger_number=ledger_number[:64] if ledger_number else None, ruling=parsed_ruling,
                       ruled_on=ruled_on)
        if status == s.REJECTED:
            explanation = texts.get("reply_content", "")
            item.reject = _present({"reason": "out_of_scope" if d.out_of_scope(explanation) else "ineligible",
                                    "note": explanation})
            item.replied_at = replied
        elif status in (s.REPLIED, s.CLOSED):
            item.replied_at = replied
            item.reply = _present({"method": reply_method, "content": texts.get("reply_content"),
                                   "replied_at": replied.isoformat()})
            item.closed_at = (closed or replied) if status == s.CLOSED else None
        return item

    def check_payloads(self, number, register, received, status, reply_method, texts, replied, problems):
        """The registration's and the reply's (or rejection's) schemas, as the services will load
        them, so that a row's problems are named together; a field already named is not named again."""
        named = {name for name, _line in problems}
        floor = svc.received_at_floor()

        def load(schema, data, step):
            try:
                schema(floor=floor).load(data)
            except ValidationError as error:
                problems.extend(pair for pair in self.refusal(number, step, FieldErrors(error.messages))
                                if pair[0] not in named)

        checked = {**register, "branch_id": register.get("branch_id", 0)}
        if received is not None:
            checked["received_at"] = received.isoformat()
        load(RegisterSchema, checked, "register")
        if status in (s.REPLIED, s.CLOSED) and replied is not None:
            load(ReplySchema, _present({"method": reply_method, "content": texts.get("reply_content"),
                                        "replied_at": replied.isoformat()}), "reply")
        if status == s.REJECTED:
            load(RejectSchema, _present({"reason": "ineligible", "note": texts.get("reply_content")}), "reject")

    def parse_ruling(self, number, texts, raw, branch, problem, default_day):
        """The ruling of record a row gives (``RuleSchema``'s body without members) and its date."""
        given = [name for name in ("ruling", "ruling_category", "ruled_staff", "fee_borne", "ruled_on") if texts.get(name)]
        if not given:
            return None, None
        if not (texts.get("ruling") or texts.get("ruling_category")):
            problem(given[0], gettext("Staff held responsible, a fee borne or a date of ruling need the ruling itself "
                                      "(责任认定)."))
            return None, None
        result, category = d.parse_ruling(texts.get("ruling", ""))
        if texts.get("ruling") and result is None and category is None:
            problem("ruling", gettext("“%(value)s” is not one of: %(choices)s.", value=d.short(texts["ruling"]),
                                      choices="责任投诉、非责任投诉"))
            return None, None
        if texts.get("ruling_category"):
            more_result, more_category = d.parse_ruling(texts["ruling_category"])
            if more_category is None:
                problem("ruling_category", gettext("Give the article of the ruling: §18 (一)–(五) or §19 (一)–(四), "
                                                   "e.g. 第十八条(二)."))
                return None, None
            category, result = more_category, result or more_result
        if category is None:
            problem("ruling", gettext("Give the article of the ruling: §18 (一)–(五) or §19 (一)–(四), e.g. 责任投诉"
                                      "(第十八条(二))."))
            return None, None
        staff_ids = []
        if branch is not None:
            for name in d.split_names(texts.get("ruled_staff", "")):
                try:
                    staff_ids.append(self.units.member(name, branch).id)
                except ValueError as error:
                    problem("ruled_staff", error.args[0])
        body = {"result": result, "category": category, "verified": result == s.RESPONSIBLE, "staff_ids": staff_ids}
        if texts.get("fee_borne"):
            try:
                body["fee_borne"] = d.parse_amount(raw["fee_borne"])
            except ValueError as error:
                problem("fee_borne", error.args[0])
        ruled_on = default_day.date() if default_day is not None else None
        if texts.get("ruled_on"):
            try:
                ruled_on = d.parse_datetime(raw["ruled_on"])[0].date()
            except ValueError as error:
                problem("ruled_on", error.args[0])
            else:
                if ruled_on > self.today:
                    problem("ruled_on", gettext("This date cannot be in the future."))
        with force_locale("zh"):  # the basis is part of the case record, written in Chinese
            body["basis"] = gettext("Recorded from the complaint ledger %(file)s, row %(row)d: %(text)s",
                                    file=self.ledger.filename, row=number,
                                    text=" ".join(texts.get(name, "") for name in ("ruling", "ruling_category")).strip())
        return body, ruled_on

    # --- replaying one row

    def replay(self, result: RowResult, item: _Parsed):
        number = result.number
        tag = {"ledger_row": number}
        savepoint = db.session.begin_nested()
        step = "register"
        try:
            complaint, _created = svc.stage_registration(self.actor, self.user, item.register, item.received_at, tag)
            if item.status == s.REJECTED:
                step = "reject"
                svc.stage_transition(self.actor, self.user, complaint, "reject", item.reject,
                                     item.replied_at or item.received_at, tag)
            elif item.status != s.REGISTERED:
                step = "accept"
                accept = {"level": item.level}
                if item.level == "union":
                    accept["handling_unit_id"] = self.union_unit(item.branch).id
                svc.stage_transition(self.actor, self.user, complaint, "accept", accept, item.received_at, tag)
                if item.reply is not None:
                    step = "reply"
                    svc.stage_transition(self.actor, self.user, complaint, "reply", item.reply, item.replied_at, tag)
                    # The ledger does not say who replied; the person importing it did not.
                    complaint.replied_by_id = None
                if item.closed_at is not None:
                    step = "close"
                    svc.stage_transition(self.actor, self.user, complaint, "close", {}, item.closed_at, tag)
            if item.ruling is not None:
                db.session.flush()  # the ruling's staff rows name the case by its id
                step = "rule"
                at = max(dt.datetime.combine(item.ruled_on, dt.time()), item.closed_at or item.replied_at
                         or item.received_at)
                svc.stage_ruling_of_record(self.user, complaint, item.ruling, item.ruled_on, at, tag)
            record_event(complaint, "import", self.user, self.now, complaint.status, complaint.status,
                         payload={"file": self.ledger.filename, "sheet": self.ledger.sheet, "row": number,
                                  "ledger_number": item.ledger_number})
            db.session.flush()
        except DomainError as error:
            savepoint.rollback()
            result.outcome = REFUSED
            result.errors.extend(line for _name, line in self.refusal(number, step, error))
            return
        except IntegrityError:
            savepoint.rollback()
            result.outcome = REFUSED
            result.errors.append(self.say(number, None, gettext("The data conflicts with existing records.")))
            return
        savepoint.commit()
        result.case_number, result.complaint_id = complaint.number, complaint.id
        self.describe(result, complaint)

    def refusal(self, number, step, error: DomainError) -> List[Tuple[Optional[str], str]]:
        """A step's refusal as ``(ledger field, worded problem)`` pairs, each beside the column it is about."""
        payload = error.payload()
        if not isinstance(payload, dict):
            name = STEP_DEFAULT_FIELD.get(step)
            return [(name, self.say(number, name, payload))]
        pairs = []
        for key, messages in payload.items():
            name = STEP_FIELDS.get(step, {}).get(key, STEP_DEFAULT_FIELD.get(step))
            for message in messages if isinstance(messages, list) else [messages]:
                pairs.append((name, self.say(number, name, message if isinstance(message, str) else str(message))))
        return pairs

    def union_unit(self, branch: OrgUnit) -> OrgUnit:
        """The unit handling a union-level row: the importing user's own union or department, else
        the nearest union above the branch."""
        if self.own_unit is not None:
            return self.own_unit
        unit = branch.parent
        while unit is not None and unit.kind != "union":
            unit = unit.parent
        return unit or branch

    def describe(self, result: RowResult, complaint: Complaint, force_mask: bool = False):
        """The case (staged or stored) as the preview and result show it to the importing user."""
        result.status = complaint.status
        result.received_at = complaint.received_at
        result.branch = complaint.branch.name if complaint.branch is not None else ""
        result.category = complaint.category
        result.complainant = {name: value for name, value in masking.identity(self.viewer, complaint, force_mask).items()
                              if name in ("complainant_name", "complainant_phone", "complainant_id_number")}
        result.due_date, result.due_provisional = complaint.due_date, bool(complaint.due_date_provisional)
        result.replied_at, result.closed_at = complaint.replied_at, complaint.closed_at
        result.late = svc.is_overdue(complaint, self.today)
        result.ruling, result.ruling_category = complaint.ruling_result, complaint.ruling_category
