"""The timeline as a story (处理记录): what each event did, in words, masked per viewer (§16).

Each event's payload is read as the service wrote it (``services/complaints.py``): a transfer's
units and people (from → to), deadlines old → new, an extension's request and decision with their
dates, a ruling's result and §18/§19 category, a re-ruling's outcome, an edit's fields. Events
written before a payload carried ``previous`` or ``deadline`` show what they have: the holder
before a transfer is the one the previous event assigned (register, accept and transfer always
recorded it), an approved extension's date the one decided or else the one requested.

Names of units and staff come from one lookup (``Names``), read by the caller for all events.
"""
from typing import List, NamedTuple, Optional, Tuple

from flask_babel import gettext

from ..domain import jrt0169
from ..domain import vocabulary as v
from ..domain.vocabulary import N_
from ..i18n import label
from ..security.masking import mask_text
from ..models.ruling import seat_label
from .presenter import event_changes


class Names(NamedTuple):
    """Unit and staff names by id, for the events of one case."""

    units: dict
    staff: dict


NO_NAMES = Names({}, {})


class Entry(NamedTuple):
    """One row of the timeline: the event and its details, ``[(label or None, text)]``."""

    event: object
    details: List[Tuple[Optional[str], str]]


def _holders(payload):
    for key in ("assigned", "previous"):
        holder = payload.get(key)
        if isinstance(holder, dict):
            yield holder


def referenced_ids(events):
    """(unit ids, staff ids) the events name: what ``Names`` must hold for them."""
    units, staff = set(), set()
    for event in events:
        payload = event.payload or {}
        for holder in _holders(payload):
            units.add(holder.get("unit_id"))
            staff.add(holder.get("handler_id"))
        units.update(payload.get(key) for key in ("branch_id", "handling_unit_id", "to_unit_id"))
        staff.update(payload.get(key) for key in ("handler_id", "to_staff_id"))
        staff.update(payload.get("staff_ids") or ())
        if isinstance(payload.get("members"), list):  # who sat on a ruling (issue 21)
            staff.update(payload["members"])
    return ({i for i in units if isinstance(i, int)}, {i for i in staff if isinstance(i, int)})


def _deadline(payload) -> Optional[dict]:
    """The deadline a transition moved, ``{"old", "new"}`` (a recomputation's payload names its
    deadline under the same key, as text, and carries its dates beside it)."""
    moved = payload.get("deadline")
    return moved if isinstance(moved, dict) else None


def _day(value) -> str:
    """An ISO date or date-time from a payload as shown: ``2026-12-01`` or ``2026-12-01 10:00``."""
    if not value:
        return "—"
    text = str(value)
    return text[:16].replace("T", " ") if "T" in text else text[:10]


def _change(old, new) -> str:
    return f"{_day(old)} → {_day(new)}" if old else _day(new)


class _Teller:
    """Walks a case's events in order, keeping what a later event needs from an earlier one."""

    def __init__(self, case, names: Names, full_identity: bool):
        self.case = case
        self.names = names
        self.full = full_identity
        self.holder = None  # {"unit_id", "handler_id"} the last event assigned
        self.requested = None  # the date the last extension request asked for

    def text(self, value):
        return mask_text(value, self.case, self.full)

    def members(self, payload) -> Optional[str]:
        """Who sat on a ruling: names and committee roles (issue 21), or the free text a ruling
        recorded before the roster existed, as it was."""
        members = payload.get("members")
        if not isinstance(members, list):
            return members
        roles = payload.get("member_roles") or []
        return "、".join(
            seat_label(self.names.staff.get(i) or f"#{i}", roles[n] if n < len(roles) else None)
            for n, i in enumerate(members))

    def holder_text(self, holder) -> str:
        if not holder:
            return "—"
        unit = self.names.units.get(holder.get("unit_id"))
        person = self.names.staff.get(holder.get("handler_id"))
        return " · ".join(part for part in (unit, person) if part) or "—"

    def tell(self, event) -> List[Tuple[Optional[str], str]]:
        payload = event.payload or {}
        lines = []

        def add(msgid, text):
            if text not in (None, ""):
                lines.append((gettext(msgid) if msgid else None, text))

        name = event.name
        previous = payload.get("previous") or self.holder
        assigned = payload.get("assigned")
        deadline = _deadline(payload)
        if name == "register":
            add(v.COMPLAINT_LABELS["channel"], label(v.CHANNELS, payload.get("channel")))
            add(v.COMPLAINT_LABELS["branch"], self.names.units.get(payload.get("branch_id")))
            add(v.COMPLAINT_LABELS["category"], label(v.CATEGORIES, payload.get("category")))
            add(N_("Assigned to"), self.holder_text(assigned) if assigned else None)
        elif name == "reject":
            add(N_("Reason"), label(v.REJECT_REASONS, payload.get("reason")))
        elif name == "accept":
            add(v.COMPLAINT_LABELS["level"], label(v.LEVELS, payload.get("level")))
            add(N_("Assigned to"), self.holder_text(assigned or previous))
        elif name == "transfer":
            add(N_("From"), self.holder_text(previous))
            to = assigned or {"unit_id": payload.get("to_unit_id"), "handler_id": payload.get("to_staff_id")}
            add(N_("To"), self.holder_text(to))
            add(v.COMPLAINT_LABELS["level"], label(v.LEVELS, payload.get("level")))
        elif name == "request_extension":
            self.requested = payload.get("requested_due_date")
            add(v.TRANSITION_FIELD_LABELS["requested_due_date"], _day(self.requested))
            add(v.TRANSITION_FIELD_LABELS["customer_informed_at"], _day(payload.get("customer_informed_at")))
            add(v.TRANSITION_FIELD_LABELS["customer_informed_by"], label(v.REPLY_METHODS, payload.get("customer_informed_by")))
            add(v.TRANSITION_FIELD_LABELS["report"], self.text(payload.get("report")))
        elif name == "decide_extension":
            approved = payload.get("approved")
            add(v.TRANSITION_FIELD_LABELS["approved"], label(v.EXTENSIONS, "approved" if approved else "refused"))
            if approved and not deadline:
                add(v.TRANSITION_FIELD_LABELS["due_date"], _day(payload.get("due_date") or self.requested))
        elif name == "reply":
            add(v.COMPLAINT_LABELS["reply_method"], label(v.REPLY_METHODS, payload.get("method")))
            add(v.COMPLAINT_LABELS["replied_at"], _day(payload.get("replied_at") or event.at.isoformat()))
            add(v.COMPLAINT_LABELS["reply_received_on"], _day(payload.get("customer_received_on"))
                if payload.get("customer_received_on") else None)
        elif name == "record_receipt":
            add(v.COMPLAINT_LABELS["reply_received_on"], _day(payload.get("customer_received_on")))
        elif name == "follow_up":
            add(v.COMPLAINT_LABELS["followed_up_at"], _day(payload.get("visited_at")))
            add(v.TRANSITION_FIELD_LABELS["method"], label(v.REPLY_METHODS, payload.get("method")))
            if payload.get("satisfied") is not None:
                add(v.COMPLAINT_LABELS["follow_up_satisfied"], gettext("Yes") if payload["satisfied"] else gettext("No"))
            add(v.TRANSITION_FIELD_LABELS["forwarded_to"], self.text(payload.get("forwarded_to")))
        elif name == "appeal":
            add(v.TRANSITION_FIELD_LABELS["applied_at"], _day(payload.get("applied_at")))
            add(N_("What the customer asks"), self.text(payload.get("content")))
        elif name == "decide_appeal":
            add(v.TRANSITION_FIELD_LABELS["approved"], label(v.APPEAL_DECISIONS, payload.get("decision")))
            add(v.COMPLAINT_LABELS["replied_at"], _day(payload.get("replied_at") or event.at.isoformat()))
            add(N_("Reply to the applicant"), self.text(payload.get("content")))
        elif name in ("rule", "decide_reruling"):
            add(N_("Result"), label(v.RULING_RESULTS, payload.get("result")))
            add(N_("Category (article)"), label(v.RULING_CATEGORIES, payload.get("category")))
            staff = [self.names.staff.get(i) or f"#{i}" for i in payload.get("staff_ids") or ()]
            add(N_("Staff held responsible"), "、".join(staff))
            add(v.TRANSITION_FIELD_LABELS["fee_borne"], payload.get("fee_borne"))
            add(N_("Committee members present"), self.members(payload))
            add(v.RULING_LABELS["ruled_on"], _day(payload.get("ruled_on")) if payload.get("ruled_on") else None)
        elif name in ("mark_duplicate", "unmark_duplicate"):
            add(N_("Duplicate of"), payload.get("original_number"))
        elif name in ("duplicate_added", "duplicate_removed"):
            add(N_("Duplicate complaint"), payload.get("duplicate_number"))
        elif name == "classify":
            # Issue 23: each dimension's code (old → new where the handler corrected it).
            names, before = payload.get("code_names") or {}, payload.get("previous_codes") or {}

            def shown(code):
                return f"{code} {names.get(code, '')}".strip() if code else "—"

            for dimension in jrt0169.DIMENSIONS:
                field = jrt0169.FIELDS[dimension]
                new, old = payload.get(field), before.get(field)
                add(jrt0169.DIMENSION_LABELS[dimension], shown(new) if old == new else f"{shown(old)} → {shown(new)}")
        elif name == "import":
            file, row, sheet = self.text(payload.get("file")), payload.get("row"), payload.get("sheet")
            if sheet:
                add(None, gettext("Imported from the ledger %(file)s, sheet %(sheet)s, row %(row)s",
                                  file=file, sheet=sheet, row=row))
            else:
                add(None, gettext("Imported from the ledger %(file)s, row %(row)s", file=file, row=row))
            add(N_("Ledger number"), payload.get("ledger_number"))
        elif name == "edit":
            for change in event_changes(event, self.full, self.case):
                field = change["field"]
                old, new = change["old"], change["new"]
                if field == "category":
                    old, new = label(v.CATEGORIES, old), label(v.CATEGORIES, new)
                old = "—" if old in (None, "") else old
                new = "—" if new in (None, "") else new
                add(v.COMPLAINT_LABELS.get(field, field), f"{old} → {new}")
        if deadline:
            add(v.COMPLAINT_LABELS["due_date"], _change(deadline.get("old"), deadline.get("new")))
        if payload.get("ledger_row") is not None:  # a step the ledger import replayed (issue 23)
            add(N_("Recorded from"), gettext("the complaint ledger, row %(row)s", row=payload["ledger_row"]))
        add(NOTE_LABELS.get(name, None if name in UNLABELLED_NOTES else N_("Note")), self.text(event.note))
        if assigned:
            self.holder = assigned
        return lines


# How each event's note is labelled: a reason, a basis, a file's name, or a note; the notes the
# system writes itself (reminders, recomputed deadlines) stand unlabelled.
NOTE_LABELS = (dict.fromkeys(("transfer", "request_extension", "request_reruling", "mark_duplicate", "unmark_duplicate",
                               "duplicate_added", "duplicate_removed"), N_("Reason"))
               | dict.fromkeys(("rule", "decide_reruling"), N_("Basis")) | {"attach": N_("File")})
UNLABELLED_NOTES = ("register", "remind", "recompute_deadline", "import")


def timeline(events, case, full_identity: bool, names: Names = NO_NAMES) -> List[Entry]:
    """``events`` (oldest first) with their details as ``case``'s viewer may read them."""
    teller = _Teller(case, names, full_identity)
    return [Entry(event, teller.tell(event)) for event in events]


def merged_duplicates(events) -> List[Tuple[int, str]]:
    """Issue 23: the duplicates merged into a case now, ``[(id, number)]`` in the order they were
    merged, told by its own timeline (each mark and undo writes one event on the original), so the
    case page reads them without a statement of its own."""
    merged = {}
    for event in events:
        payload = event.payload or {}
        if event.name == "duplicate_added":
            merged[payload.get("duplicate_id")] = payload.get("duplicate_number")
        elif event.name == "duplicate_removed":
            merged.pop(payload.get("duplicate_id"), None)
    return list(merged.items())


class ExtensionRequest(NamedTuple):
    """One §13 request for more time, as the extension report (延期申请报告) prints it."""

    event: object  # the request_extension event (when, by whom, the reason as its note)
    payload: dict
    deadline: Optional[str]  # the deadline in force when it was asked for, when the events tell it
    decision: Optional[object]  # the decide_extension event that answered it, if any
    new_due_date: Optional[str]  # the date approved


def extension_requests(events) -> List[ExtensionRequest]:
    """§13: each extension request of a case with the deadline in force at the time and the
    decision on it, from the events (oldest first). The deadline is known from the events that
    recorded it (acceptance, transfer, approval, a calendar recomputation); older events did not."""
    requests, in_force, open_request = [], None, None
    for event in events:
        payload = event.payload or {}
        if event.name == "request_extension":
            open_request = len(requests)
            requests.append(ExtensionRequest(event, payload, in_force, None, None))
        elif event.name == "decide_extension" and open_request is not None:
            request = requests[open_request]
            approved = (_deadline(payload) or {}).get("new") or payload.get("due_date") \
                or request.payload.get("requested_due_date")
            requests[open_request] = request._replace(decision=event,
                                                      new_due_date=approved if payload.get("approved") else None)
            open_request = None
        moved = _deadline(payload)
        if moved:
            in_force = moved.get("new")
        elif event.name == "recompute_deadline" and payload.get("deadline") == "handling":
            in_force = payload.get("new")
    return requests
