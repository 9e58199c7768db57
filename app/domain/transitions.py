"""The transition table as data (domain.md §4) and the rule "what may this actor do now".

Each transition is declared once, here: read the table beside the spec's — name, label, from-states,
to-state, permission, guard, payload schema. A guard states who, besides holding the permission,
may act on this particular case, and what the case must look like. Labels are msgids, translated
where they are shown.

Everything else that names a transition is derived from this table or checked against it at
import: the payload schemas by name (``PAYLOADS``), the Complaint permissions
(``security/permissions.py``), the grants (``security/roles.py``, through ``declared``), the
handlers that apply each transition (``services/complaints.py``, checked with ``per_transition``)
and the web forms (built from each payload schema, ``web/forms.py``).
"""
from dataclasses import dataclass
from datetime import date
from typing import Callable, FrozenSet, Mapping, Optional, Tuple, Type

from marshmallow import Schema

from . import committee
from . import payloads as p
from . import states as s


def N_(message: str) -> str:
    """Mark a msgid for extraction without translating it here (no Flask in this package)."""
    return message


DISCIPLINE_OFFICE = "DisciplineOffice"
BRANCH_HEAD = "BranchHead"
COMMITTEE = "Committee"
RERULING_BODY = "ReRulingBody"


@dataclass(frozen=True)
class Actor:
    """Who is acting: login, staff record, roles, scope and Complaint permissions."""

    user_id: Optional[int]
    staff_id: Optional[int]
    roles: FrozenSet[str]
    everything: bool
    unit_ids: FrozenSet[int]
    permissions: FrozenSet[str]
    unit_id: Optional[int] = None  # the actor's own unit
    ancestor_unit_ids: FrozenSet[int] = frozenset()  # its own unit and every unit above it
    shows_identity: bool = False  # a custom role shows complainants in full within its scope
    # Built-in roles whose steps a custom role's capabilities take (guards only; never what is seen).
    acts_as: FrozenSet[str] = frozenset()

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def acts(self, role: str) -> bool:
        """Whether the actor takes ``role``'s steps: holds it, or a custom role with its capabilities."""
        return role in self.roles or role in self.acts_as

    def covers(self, unit_id: Optional[int]) -> bool:
        return self.everything or (unit_id is not None and unit_id in self.unit_ids)


@dataclass(frozen=True)
class Refusal:
    """Why a transition is refused: ``forbidden`` (this actor) or ``conflict`` (this state)."""

    kind: str
    message: str


FORBIDDEN = "forbidden"
CONFLICT = "conflict"


# --- who -------------------------------------------------------------------------------------

def is_discipline_office(case, actor: Actor) -> bool:
    return actor.acts(DISCIPLINE_OFFICE)


def is_handler(case, actor: Actor) -> bool:
    """The staff member currently holding the case."""
    return actor.staff_id is not None and case.handler_id == actor.staff_id


def heads_case(case, actor: Actor) -> bool:
    """A branch head whose scope covers the unit handling the case (or its branch before acceptance)."""
    unit = case.handling_unit_id if case.handling_unit_id is not None else case.branch_id
    return actor.acts(BRANCH_HEAD) and not actor.everything and unit in actor.unit_ids


def _who(*checks: Callable, message: str) -> Callable:
    def guard(case, actor, today):
        if any(check(case, actor) for check in checks):
            return None
        return Refusal(FORBIDDEN, message)

    return guard


NOT_YOURS = N_("Only the discipline office, the branch head or the handler of this case may do this.")


# --- guards per transition -------------------------------------------------------------------

def guard_accept(case, actor, today):
    """Discipline office for any case; a branch head for its own branch (§11)."""
    if is_discipline_office(case, actor):
        return None
    if actor.acts(BRANCH_HEAD) and not actor.everything and case.branch_id in actor.unit_ids:
        return None
    return Refusal(FORBIDDEN, N_("Only the discipline office or the head of the branch concerned may accept this complaint."))


guard_reject = _who(is_discipline_office, message=N_("Only the discipline office may reject a complaint."))
guard_transfer = _who(is_discipline_office, heads_case, is_handler, message=NOT_YOURS)
guard_reply = guard_transfer
guard_close = guard_transfer


def guard_request_extension(case, actor, today):
    """§13: the handler or branch head asks, before the deadline, while no request is pending."""
    if not (heads_case(case, actor) or is_handler(case, actor)):
        return Refusal(FORBIDDEN, N_("Only the branch head or the handler of this case may request an extension."))
    if case.extension_status == s.EXT_REQUESTED:
        return Refusal(CONFLICT, N_("An extension request is already waiting for a decision."))
    if case.due_date is not None and today > case.due_date:
        return Refusal(CONFLICT, N_("An extension must be requested before the deadline has passed."))
    return None


def guard_decide_extension(case, actor, today):
    """§13: only the discipline office decides, and only on a pending request."""
    if not is_discipline_office(case, actor):
        return Refusal(FORBIDDEN, N_("Only the discipline office may decide on an extension."))
    if case.extension_status != s.EXT_REQUESTED:
        return Refusal(CONFLICT, N_("There is no pending extension request."))
    return None


def guard_follow_up(case, actor, today):
    """§15: the branch head or the discipline office revisits each closed case once."""
    if not (is_discipline_office(case, actor) or heads_case(case, actor)):
        return Refusal(FORBIDDEN, N_("Only the discipline office or the branch head may record a follow-up."))
    if case.followed_up_at is not None:
        return Refusal(CONFLICT, N_("The follow-up of this case has already been recorded."))
    return None


def guard_rule(case, actor, today):
    """§17: one ruling per case, by the committee; corrections only through a re-ruling."""
    if not actor.acts(COMMITTEE):
        return Refusal(FORBIDDEN, N_("Only members of the responsibility-ruling committee may record a ruling."))
    if case.ruling_result is not None:
        return Refusal(CONFLICT, N_("This case already has a ruling; it can only be changed through a re-ruling."))
    return _recused(case, actor, ())


def _recused(case, actor, ruled):
    """§17, issue 21: a member does not rule on themselves, on a colleague of their own unit or on a
    case against their own unit (``domain/committee.recusal``); the case then leaves their to-do."""
    if actor.staff_id is None:
        return None
    respondent = getattr(case, "respondent_staff", None)
    concerned = [(member.id, member.unit_id) for member in [respondent, *ruled] if member is not None]
    why = committee.recusal(committee.Seat(actor.staff_id, actor.unit_id, committee.MEMBER), concerned,
                            case.branch_id)
    return None if why is None else Refusal(FORBIDDEN, committee.RECUSAL_REFUSALS[why])


def guard_request_reruling(case, actor, today):
    """§17: the ruled staff member (or its branch head on its behalf) asks once, in time."""
    if case.ruling_result is None:
        return Refusal(CONFLICT, N_("There is no ruling to contest."))
    if case.reruling_status != s.RERULING_NONE or case.ruling_final:
        return Refusal(CONFLICT, N_("A re-ruling has already been requested; its decision is final."))
    ruled = list(case.ruled_staff)
    is_ruled = actor.staff_id is not None and any(member.id == actor.staff_id for member in ruled)
    heads_ruled = actor.acts(BRANCH_HEAD) and not actor.everything and any(
        member.unit_id in actor.unit_ids for member in ruled
    )
    if not (is_ruled or heads_ruled):
        return Refusal(FORBIDDEN, N_("Only a staff member held responsible, or that member's branch head, may request a re-ruling."))
    if case.reruling_deadline is not None and today > case.reruling_deadline:
        return Refusal(CONFLICT, N_("The period for requesting a re-ruling has ended."))
    return None


def guard_decide_reruling(case, actor, today):
    """§17: the higher ruling body the request was addressed to decides it; its ruling is final."""
    if not actor.acts(RERULING_BODY):
        return Refusal(FORBIDDEN, N_("Only the higher ruling body may decide a re-ruling."))
    if case.reruling_status != s.RERULING_REQUESTED:
        return Refusal(CONFLICT, N_("There is no pending re-ruling request."))
    if actor.unit_id is None or actor.unit_id != case.reruling_unit_id:
        return Refusal(FORBIDDEN, N_("Only the higher ruling body the request was sent to may decide it."))
    return _recused(case, actor, list(case.ruled_staff))


def guard_record_receipt(case, actor, today):
    """§14: for a written reply, the day the customer received it starts the appeal window; the
    side that replied records it once."""
    if not (is_discipline_office(case, actor) or heads_case(case, actor) or is_handler(case, actor)):
        return Refusal(FORBIDDEN, NOT_YOURS)
    if case.reply_method != "letter":
        return Refusal(CONFLICT, N_("Only a written reply has a day of receipt to record."))
    if case.reply_received_on is not None:
        return Refusal(CONFLICT, N_("The day the customer received the reply is already recorded."))
    return None


def guard_appeal(case, actor, today):
    """§14: the discipline office records the customer's application, once per case, once the
    window it must fall in is known (a letter: from the day the customer received it)."""
    if not actor.acts(DISCIPLINE_OFFICE):
        return Refusal(FORBIDDEN, N_("Only the discipline office records an appeal."))
    if case.appeal_applied_on is not None:
        return Refusal(CONFLICT, N_("An appeal has already been recorded for this case."))
    if case.reply_method == "letter" and case.reply_received_on is None and case.appeal_due_date is None:
        return Refusal(CONFLICT, N_("Record the day the customer received the written reply first: the appeal "
                                    "window runs from it (§14)."))
    return None


def guard_decide_appeal(case, actor, today):
    """§14: the superior unit or department of the body that decided — the appeal unit named when the
    appeal was recorded, and only it; never the deciding unit, a unit below it, or the person who
    replied."""
    if case.appeal_unit_id is None or actor.unit_id != case.appeal_unit_id:
        return Refusal(FORBIDDEN, N_("Only the superior body the appeal was sent to may decide it."))
    if case.replied_by_unit_id is not None and case.replied_by_unit_id in actor.ancestor_unit_ids:
        return Refusal(FORBIDDEN, N_("The unit that made the decision cannot decide an appeal against it."))
    if actor.user_id is not None and case.replied_by_id == actor.user_id:
        return Refusal(FORBIDDEN, N_("The person who replied cannot decide the appeal against the reply."))
    return None


def guard_mark_duplicate(case, actor, today):
    """Issue 23: the discipline office itself (no capability of a custom role carries it) closes a
    second complaint about the same matter as a duplicate; a case with a responsibility ruling is
    not one (its ruling counts in the statistics, §17–§19)."""
    if not actor.has_role(DISCIPLINE_OFFICE):
        return Refusal(FORBIDDEN, N_("Only the discipline office may mark a complaint as a duplicate."))
    if case.ruling_result is not None:
        return Refusal(CONFLICT, N_("A case with a responsibility ruling cannot be marked as a duplicate."))
    return None


def guard_unmark_duplicate(case, actor, today):
    """Issue 23: the discipline office undoes its mark; the case returns to the status it had."""
    if not actor.has_role(DISCIPLINE_OFFICE):
        return Refusal(FORBIDDEN, N_("Only the discipline office may undo a duplicate mark."))
    if getattr(case, "duplicate_of_id", None) is None:
        return Refusal(CONFLICT, N_("This case is not marked as a duplicate."))
    return None


def guard_classify(case, actor, today):
    """Issue 23 (JR/T 0169): whoever handles the case — its handler, the branch head over it or the
    discipline office — confirms or corrects the classification registration suggested."""
    if is_discipline_office(case, actor) or heads_case(case, actor) or is_handler(case, actor):
        return None
    return Refusal(FORBIDDEN, N_("Only the discipline office, the branch head or the handler of this case may "
                                 "confirm its classification."))


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: Tuple[str, ...]
    target: Optional[str]  # None: the status stays as it is (or, undoing a duplicate, as it was before)
    permission: str  # FAB permission "can_<permission>" on the Complaint resource
    guard: Optional[Callable]
    payload: Type[Schema]  # its JSON body (the API) and its form (the pages); the handler checks the rest


TRANSITIONS = (
    #          name                 label                               from                        to              permission            guard                    payload
    Transition("accept",            N_("Accept"),                       (s.REGISTERED,),            s.PROCESSING,   "accept",             guard_accept,            p.AcceptSchema),
    Transition("reject",            N_("Reject"),                       (s.REGISTERED,),            s.REJECTED,     "reject",             guard_reject,            p.RejectSchema),
    Transition("transfer",          N_("Transfer"),                     (s.PROCESSING,),            None,           "transfer",           guard_transfer,          p.TransferSchema),
    Transition("request_extension", N_("Request extension"),            (s.PROCESSING,),            None,           "request_extension",  guard_request_extension, p.RequestExtensionSchema),
    Transition("decide_extension",  N_("Decide extension"),             (s.PROCESSING,),            None,           "decide_extension",   guard_decide_extension,  p.DecideExtensionSchema),
    Transition("reply",             N_("Reply to customer"),            (s.PROCESSING,),            s.REPLIED,      "reply",              guard_reply,             p.ReplySchema),
    Transition("record_receipt",    N_("Record receipt of the letter"), (s.REPLIED, s.CLOSED),      None,           "record_receipt",     guard_record_receipt,    p.RecordReceiptSchema),
    Transition("close",             N_("Close"),                        (s.REPLIED,),               s.CLOSED,       "close",              guard_close,             p.CloseSchema),
    Transition("follow_up",         N_("Record follow-up"),             (s.CLOSED,),                None,           "follow_up",          guard_follow_up,         p.FollowUpSchema),
    Transition("appeal",            N_("Record appeal"),                (s.REPLIED, s.CLOSED),      s.APPEALED,     "appeal",             guard_appeal,            p.AppealSchema),
    Transition("decide_appeal",     N_("Decide appeal"),                (s.APPEALED,),              s.REPLIED,      "decide_appeal",      guard_decide_appeal,     p.DecideAppealSchema),
    Transition("rule",              N_("Record ruling"),                s.RULEABLE,                 None,           "rule",               guard_rule,              p.RuleSchema),
    Transition("request_reruling",  N_("Request re-ruling"),            s.RULEABLE + (s.APPEALED,), None,           "request_reruling",   guard_request_reruling,  p.RequestRerulingSchema),
    Transition("decide_reruling",   N_("Decide re-ruling"),             s.RULEABLE + (s.APPEALED,), None,           "decide_reruling",    guard_decide_reruling,   p.DecideRerulingSchema),
    Transition("mark_duplicate",    N_("Mark as duplicate"),            s.DUPLICABLE,               s.CLOSED,       "mark_duplicate",     guard_mark_duplicate,    p.MarkDuplicateSchema),
    Transition("unmark_duplicate",  N_("Undo duplicate mark"),          (s.CLOSED,),                None,           "unmark_duplicate",   guard_unmark_duplicate,  p.UnmarkDuplicateSchema),
    Transition("classify",          N_("Confirm classification"),       s.CLASSIFIABLE,             None,           "classify",           guard_classify,          p.ClassifySchema),
)

BY_NAME = {t.name: t for t in TRANSITIONS}
PAYLOADS = {t.name: t.payload for t in TRANSITIONS}


def declared(name: str) -> Transition:
    """The transition declared as ``name``; a name the table does not declare fails here (ValueError)."""
    transition = BY_NAME.get(name)
    if transition is None:
        raise ValueError(f"no transition {name!r} is declared in app/domain/transitions.py")
    return transition


# Steps that cannot be undone, with what makes them so: the pages show a summary of what is about
# to be written and apply it only once it is confirmed (the API applies at once: a client confirms
# by calling). Every other transition is applied from its form directly.
CONFIRM_FIRST = {
    "reject": N_("A complaint that is not accepted ends here: it cannot be accepted later (§4, §8)."),
    "close": N_("A closed case can no longer be replied to, transferred or edited."),
    "decide_appeal": N_("The appeal decision is the last word on the appeal: it cannot be changed afterwards (§14)."),
    "decide_reruling": N_("The re-ruling is final: no further re-ruling can be requested, and it replaces the "
                          "committee's result (§17)."),
}


# Issue 23: a case marked as a duplicate is closed with its link; the only step left is undoing it
# (it is never followed up, ruled on, appealed or edited: the original carries the matter).
ON_A_DUPLICATE = ("unmark_duplicate",)


# Issue 23: steps that correct the record rather than move the case on. They are offered on the case
# page and over the API, but never make a case a to-do nor show among its to-do steps (the quarterly
# report counts what is still unconfirmed); the case page opens their form on a page of its own.
CORRECTIONS = ("classify",)
OWN_PAGE = ("classify",)


def per_transition(mapping: Mapping[str, object], what: str) -> Mapping[str, object]:
    """``mapping`` (transition name → ``what``) when it has exactly one entry per declared
    transition; ValueError naming the missing and the undeclared names otherwise."""
    missing = [t.name for t in TRANSITIONS if t.name not in mapping]
    undeclared = sorted(set(mapping) - set(BY_NAME))
    if missing or undeclared:
        raise ValueError(f"{what}: none for {missing}, undeclared {undeclared}")
    return mapping

# Registration creates the case; it has no from-state (domain.md §4 "register").
REGISTER_PERMISSION = "register"
READ_PERMISSION = "read"
EDIT_PERMISSION = "edit"


def check(transition: Transition, case, actor: Actor, today: date) -> Optional[Refusal]:
    """Why ``actor`` may not apply ``transition`` to ``case`` today, or None when it may."""
    if f"can_{transition.permission}" not in actor.permissions:
        return Refusal(FORBIDDEN, N_("Your role does not have this permission."))
    if case.status not in transition.sources:
        return Refusal(CONFLICT, N_("This action is not allowed in the case's current status."))
    if getattr(case, "duplicate_of_id", None) is not None and transition.name not in ON_A_DUPLICATE:
        return Refusal(CONFLICT, N_("This case is marked as a duplicate of another case; undo the mark first."))
    if transition.guard is not None:
        return transition.guard(case, actor, today)
    return None


def available(case, actor: Actor, today: date):
    """The transitions ``actor`` may apply to ``case`` now, in table order."""
    return [t for t in TRANSITIONS if check(t, case, actor, today) is None]


for _name in (*CONFIRM_FIRST, *ON_A_DUPLICATE, *CORRECTIONS, *OWN_PAGE):
    declared(_name)  # a step named here is a declared transition
