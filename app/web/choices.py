"""Translated labels for the code lists (states.py) shown on pages and exports."""
from flask_babel import lazy_gettext as _l

STATUSES = {
    "registered": _l("Registered"),
    "rejected": _l("Rejected"),
    "processing": _l("Processing"),
    "replied": _l("Replied"),
    "appealed": _l("Under appeal"),
    "closed": _l("Closed"),
}
CHANNELS = {
    "hotline": _l("Customer service hotline"),
    "phone": _l("Direct phone call"),
    "box": _l("Suggestion box"),
    "book": _l("Suggestion book"),
    "referral": _l("Referred by a superior"),
}
CATEGORIES = {
    "attitude": _l("Service attitude"),
    "efficiency": _l("Service efficiency"),
    "fee": _l("Service fees"),
    "error": _l("Business error"),
    "conduct": _l("Service standards"),
    "other": _l("Other"),
}
LEVELS = {"branch": _l("Branch level (10 working days)"), "union": _l("Union level (20 working days)")}
REPLY_METHODS = {"phone": _l("Telephone reply"), "letter": _l("Written reply"), "visit": _l("Home visit")}
REJECT_REASONS = {"ineligible": _l("Does not meet a condition of §4"), "out_of_scope": _l("Out of scope (§8)")}
EXTENSIONS = {"none": _l("None"), "requested": _l("Requested"), "approved": _l("Approved"), "refused": _l("Refused")}
ELIGIBILITY = {
    "service_standard": _l("(一) The service did not meet the published standards or commitments"),
    "fee_dispute": _l("(二) Objection to a fee charged"),
    "direct_interest": _l("(三) The complainant is a party directly concerned, or acts for one"),
    "clear_respondent": _l("(四) A clear branch or person is complained about"),
    "specific_facts": _l("(五) Specific facts are given"),
}
RULING_RESULTS = {"responsible": _l("Responsible complaint"), "not_responsible": _l("Not a responsible complaint")}
# §18 and §19, the article text beside each category.
RULING_CATEGORIES = {
    "18.1": _l("§18(一) Unclear explanation or a mistake by staff, verified as true"),
    "18.2": _l("§18(二) Bad service attitude of counter staff, verified as true"),
    "18.3": _l("§18(三) Not following the service manual or the code of conduct of bank staff, verified as true"),
    "18.4": _l("§18(四) A fee dispute caused by an operating error, verified as true; the responsible person bears the fee"),
    "18.5": _l("§18(五) Service too slow because staff do not know the business, verified as true"),
    "19.1": _l("§19(一) Caused by an incomplete business process"),
    "19.2": _l("§19(二) Caused by technical limits or a system failure"),
    "19.3": _l("§19(三) Caused by too few counter staff to serve in time"),
    "19.4": _l("§19(四) Caused by the customer being demanding, a misunderstanding or not knowing the rules"),
}
RERULING_STATUSES = {"none": _l("None"), "requested": _l("Requested"), "decided": _l("Decided (final)")}
APPEAL_DECISIONS = {"upheld": _l("Original decision upheld"), "changed": _l("Original decision changed")}

EVENTS = {
    "register": _l("Registered"),
    "edit": _l("Edited"),
    "accept": _l("Accepted"),
    "reject": _l("Rejected"),
    "transfer": _l("Transferred"),
    "request_extension": _l("Extension requested"),
    "decide_extension": _l("Extension decided"),
    "reply": _l("Replied to customer"),
    "record_receipt": _l("Receipt of the letter recorded"),
    "close": _l("Closed"),
    "follow_up": _l("Follow-up recorded"),
    "attach": _l("Evidence attached"),
    "appeal": _l("Appeal recorded"),
    "decide_appeal": _l("Appeal decided"),
    "rule": _l("Ruling recorded"),
    "request_reruling": _l("Re-ruling requested"),
    "decide_reruling": _l("Re-ruling decided (final)"),
    "recompute_deadline": _l("Deadline recomputed"),
    "remind": _l("Reminder"),
}


def label(mapping, value):
    """The translated label of ``value`` in ``mapping`` (the raw value when unknown)."""
    if value is None:
        return ""
    return mapping.get(value, value)

PII_CHANNELS = {"page": _l("Case page"), "api": _l("API"), "export": _l("Export"), "print": _l("Printout")}
