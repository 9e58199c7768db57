"""The vocabulary: every code of the domain and every field name, with its label (domain.md §3,
§9). Labels are English msgids marked for extraction (``N_``) and translated where they are shown
(``app.i18n``): pages, reports, the Excel export, printouts and the API all read them here.

No Flask here: this module sits at the bottom of the layers.
"""


def N_(message: str) -> str:
    """Mark a msgid for extraction without translating it here."""
    return message


# --- codes of a complaint (states.py) ------------------------------------------------------------

STATUSES = {
    "registered": N_("Registered"),
    "rejected": N_("Rejected"),
    "processing": N_("Processing"),
    "replied": N_("Replied"),
    "appealed": N_("Under appeal"),
    "closed": N_("Closed"),
}
CHANNELS = {
    "hotline": N_("Customer service hotline"),
    "phone": N_("Direct phone call"),
    "box": N_("Suggestion box"),
    "book": N_("Suggestion book"),
    "referral": N_("Referred by a superior"),
}
CATEGORIES = {
    "attitude": N_("Service attitude"),
    "efficiency": N_("Service efficiency"),
    "fee": N_("Service fees"),
    "error": N_("Business error"),
    "conduct": N_("Service standards"),
    "other": N_("Other"),
}
LEVELS = {"branch": N_("Branch level (10 working days)"), "union": N_("Union level (20 working days)")}
REPLY_METHODS = {"phone": N_("Telephone reply"), "letter": N_("Written reply"), "visit": N_("Home visit")}
REJECT_REASONS = {"ineligible": N_("Does not meet a condition of §4"), "out_of_scope": N_("Out of scope (§8)")}
EXTENSIONS = {"none": N_("None"), "requested": N_("Requested"), "approved": N_("Approved"), "refused": N_("Refused")}
ELIGIBILITY = {
    "service_standard": N_("(一) The service did not meet the published standards or commitments"),
    "fee_dispute": N_("(二) Objection to a fee charged"),
    "direct_interest": N_("(三) The complainant is a party directly concerned, or acts for one"),
    "clear_respondent": N_("(四) A clear branch or person is complained about"),
    "specific_facts": N_("(五) Specific facts are given"),
}
RULING_RESULTS = {"responsible": N_("Responsible complaint"), "not_responsible": N_("Not a responsible complaint")}
# §18 and §19, the article text beside each category.
RULING_CATEGORIES = {
    "18.1": N_("§18(一) Unclear explanation or a mistake by staff, verified as true"),
    "18.2": N_("§18(二) Bad service attitude of counter staff, verified as true"),
    "18.3": N_("§18(三) Not following the service manual or the code of conduct of bank staff, verified as true"),
    "18.4": N_("§18(四) A fee dispute caused by an operating error, verified as true; the responsible person bears the fee"),
    "18.5": N_("§18(五) Service too slow because staff do not know the business, verified as true"),
    "19.1": N_("§19(一) Caused by an incomplete business process"),
    "19.2": N_("§19(二) Caused by technical limits or a system failure"),
    "19.3": N_("§19(三) Caused by too few counter staff to serve in time"),
    "19.4": N_("§19(四) Caused by the customer being demanding, a misunderstanding or not knowing the rules"),
}
RERULING_STATUSES = {"none": N_("None"), "requested": N_("Requested"), "decided": N_("Decided (final)")}
# A ruling row (§17): the committee's ruling or the higher body's re-ruling, and where it stands.
RULING_KINDS = {"ruling": N_("Ruling"), "reruling": N_("Re-ruling")}
RULING_STANDINGS = {
    "final": N_("Final"),
    "replaced": N_("Replaced by the re-ruling"),
    "requested": N_("Re-ruling requested"),
    "open": N_("Not final yet"),
}
APPEAL_DECISIONS = {"upheld": N_("Original decision upheld"), "changed": N_("Original decision changed")}

EVENTS = {
    "register": N_("Registered"),
    "edit": N_("Edited"),
    "accept": N_("Accepted"),
    "reject": N_("Rejected"),
    "transfer": N_("Transferred"),
    "request_extension": N_("Extension requested"),
    "decide_extension": N_("Extension decided"),
    "reply": N_("Replied to customer"),
    "record_receipt": N_("Receipt of the letter recorded"),
    "close": N_("Closed"),
    "follow_up": N_("Follow-up recorded"),
    "attach": N_("Evidence attached"),
    "appeal": N_("Appeal recorded"),
    "decide_appeal": N_("Appeal decided"),
    "rule": N_("Ruling recorded"),
    "request_reruling": N_("Re-ruling requested"),
    "decide_reruling": N_("Re-ruling decided (final)"),
    "mark_duplicate": N_("Marked as a duplicate"),
    "unmark_duplicate": N_("Duplicate mark undone"),
    "classify": N_("Classification confirmed (JR/T 0169)"),
    # Issue 23: written on the original when a duplicate is merged into it or taken out again.
    "duplicate_added": N_("Duplicate merged into this case"),
    "duplicate_removed": N_("Duplicate separated from this case"),
    # Issue 23: the last entry of a case imported from the ledger kept before the system.
    "import": N_("Imported from the complaint ledger"),
    "recompute_deadline": N_("Deadline recomputed"),
    "remind": N_("Reminder"),
}


# --- notifications (issue 23; models/notification.py) --------------------------------------------

# The kind of work a notification brings, as the header, the list and the API name it.
NOTIFICATION_KINDS = {
    "assigned": N_("Case assigned"),
    "transferred": N_("Case transferred"),
    "extension_requested": N_("Extension requested"),
    "extension_decided": N_("Extension decided"),
    "appeal_received": N_("Appeal received"),
    "reruling_requested": N_("Re-ruling requested"),
    "ruling_due": N_("Ruling due"),
    "due_soon": N_("Deadline near"),
    "overdue": N_("Overdue"),
    "appeal_due_soon": N_("Appeal decision deadline near"),
    "appeal_overdue": N_("Appeal decision overdue"),
}
# What the recipient is asked to do, composed at display time (``due``: the notification's date).
NOTIFICATION_TEXTS = {
    "assigned": N_("The case was accepted and is now with you (or your unit); handle it by %(due)s."),
    "transferred": N_("The case was transferred to you (or your unit); handle it by %(due)s."),
    "extension_requested": N_("An extension to %(due)s was requested; decide on it."),
    "extension_approved": N_("The extension was approved: the new deadline is %(due)s."),
    "extension_refused": N_("The extension was refused: the deadline stays %(due)s."),
    "appeal_received": N_("An appeal was recorded; decide it by %(due)s."),
    "reruling_requested": N_("A re-ruling was requested; decide on it."),
    "ruling_due": N_("The case is closed without a responsibility ruling; record the ruling."),
    "due_soon": N_("The deadline is %(due)s."),
    "overdue": N_("The deadline was %(due)s: the case is overdue."),
    "appeal_due_soon": N_("The appeal decision is due on %(due)s."),
    "appeal_overdue": N_("The appeal decision was due on %(due)s: it is overdue."),
}


PII_CHANNELS = {"page": N_("Case page"), "api": N_("API"), "export": N_("Export"), "print": N_("Printout"),
                "search": N_("Search by phone or name")}

# --- the organisation (models/org.py, models/staff.py) -------------------------------------------

UNIT_KINDS = {
    "union": N_("County union"),
    "cooperative": N_("Credit cooperative"),
    "branch": N_("Branch"),
    "department": N_("Department"),
}
POSITIONS = {
    "counter_staff": N_("Counter staff"),
    "branch_head": N_("Branch head"),
    "discipline_officer": N_("Discipline officer"),
    "committee_member": N_("Committee member"),
    "manager": N_("Manager"),
    "other": N_("Other"),
}

# --- roles (security/roles.py; domain.md §1) ---------------------------------------------------

ROLES = {
    "Admin": N_("System administrator"),
    "DisciplineOffice": N_("Union discipline inspection office"),
    "Committee": N_("Member of the complaint responsibility-ruling committee"),
    "ReRulingBody": N_("Higher ruling body"),
    "BranchHead": N_("Head of a business outlet"),
    "CounterStaff": N_("Counter clerk"),
    "Leadership": N_("Union leadership (read only)"),
}

# --- field names (pages, API label columns, error messages) ---------------------------------------

ORG_UNIT_LABELS = {
    "id": N_("ID"),
    "name": N_("Name"),
    "code": N_("Code"),
    "kind": N_("Kind"),
    "parent": N_("Parent unit"),
    "parent_id": N_("Parent unit"),
    "active": N_("Active"),
    "supervision_phone": N_("Supervision telephone"),
    "children": N_("Sub-units"),
    "staff": N_("Staff members"),
}

STAFF_LABELS = {
    "id": N_("ID"),
    "name": N_("Name"),
    "employee_no": N_("Employee number"),
    "unit": N_("Unit"),
    "unit_id": N_("Unit"),
    "position": N_("Position"),
    "active": N_("Active"),
    "user": N_("Login"),
    "user_id": N_("Login"),
}

COMPLAINT_LABELS = {
    "id": N_("ID"),
    "number": N_("Complaint number"),
    "external_ref": N_("External reference"),
    "channel": N_("Channel"),
    "received_at": N_("Received at"),
    "complainant_name": N_("Complainant"),
    "complainant_phone": N_("Phone"),
    "phone_shared": N_("Repeat caller"),
    "complainant_id_number": N_("ID number"),
    "complainant_address": N_("Address"),
    "is_delegate": N_("Acting for another person"),
    "principal_name": N_("Principal"),
    "branch": N_("Branch complained about"),
    "branch_id": N_("Branch complained about"),
    "respondent_staff": N_("Staff member complained about"),
    "respondent_staff_id": N_("Staff member complained about"),
    "category": N_("Category"),
    "disputed_fee": N_("Disputed fee (yuan)"),
    "facts": N_("Facts"),
    "customer_request": N_("Customer's request"),
    "status": N_("Status"),
    "level": N_("Handling level"),
    "handling_unit": N_("Handling unit"),
    "handling_unit_id": N_("Handling unit"),
    "handler": N_("Handler"),
    "handler_id": N_("Handler"),
    "due_date": N_("Due date"),
    "due_date_provisional": N_("Provisional due date"),
    "extension_status": N_("Extension"),
    "replied_at": N_("Replied at"),
    "reply_method": N_("Reply method"),
    "reply_content": N_("Reply"),
    "appeal_due_date": N_("Appeal window ends"),
    "deciding_unit_id": N_("Deciding unit"),
    "reply_received_on": N_("Customer received the reply on"),
    "appeal_applied_on": N_("Date of the application"),
    "appeal_unit_id": N_("Decided by"),
    "appeal_decision_due_date": N_("Decision due"),
    "appeal_decision_due_provisional": N_("Provisional"),
    "closed_at": N_("Closed at"),
    "followed_up_at": N_("Follow-up date"),
    "follow_up_satisfied": N_("Customer satisfied"),
    "created_at": N_("Registered at"),
    "created_by": N_("Registered by"),
    "version": N_("Version"),
    # Issue 23: the JR/T 0169 classification.
    "jrt_channel": N_("Business channel (A)"),
    "jrt_business": N_("Business type (B)"),
    "jrt_reason": N_("Complaint reason (C)"),
    "jrt_confirmed": N_("Classification confirmed"),
}

# The rulings list (责任认定记录) and its API.
RULING_LABELS = {
    "id": N_("ID"),
    "complaint": N_("Complaint"),
    "complaint_id": N_("Complaint"),
    "number": N_("Complaint number"),
    "complaint.branch": N_("Branch complained about"),
    "branch": N_("Branch complained about"),
    "kind": N_("Kind"),
    "result": N_("Result"),
    "category": N_("Ruling category"),
    "verified": N_("Verified"),
    "members": N_("Members present"),
    "members_present": N_("Members present"),
    "present": N_("Members present"),
    "staff": N_("Staff held responsible"),
    "fee_borne": N_("Fee borne (yuan)"),
    "ruled_on": N_("Ruled on"),
    "standing": N_("Finality"),
}

# Fields of the transition forms (api.md bodies), for error messages and forms.
TRANSITION_FIELD_LABELS = {
    "level": N_("Handling level"),
    "handling_unit_id": N_("Handling unit"),
    "handler_id": N_("Handler"),
    "eligibility": N_("Conditions of §4"),
    "note": N_("Note"),
    "reason": N_("Reason"),
    "to_unit_id": N_("To unit"),
    "to_staff_id": N_("To staff member"),
    "customer_informed_at": N_("Customer informed at"),
    "customer_informed_by": N_("Customer informed by"),
    "report": N_("Written report to the discipline office"),
    "requested_due_date": N_("Requested new due date"),
    "approved": N_("Decision"),
    "method": N_("Method"),
    "content": N_("Reply"),
    "visited_at": N_("Follow-up date"),
    "satisfied": N_("Customer satisfied"),
    "forwarded_to": N_("Forwarded to"),
    "customer_received_on": N_("Customer received the reply on"),
    "due_date": N_("New due date"),
    "fee_borne": N_("Fee borne by the responsible person (yuan)"),
    "applied_at": N_("Date of the application"),
    "original_number": N_("Original case number"),
    "channel_code": N_("Business channel (A)"),
    "business_code": N_("Business type (B)"),
    "reason_code": N_("Complaint reason (C)"),
    "file": N_("File"),
}

# The JR/T 0169 code table (issue 23) and its page.
JRT_CODE_LABELS = {
    "id": N_("ID"),
    "code": N_("Code"),
    "name": N_("Name"),
    "dimension": N_("Dimension"),
    "parent": N_("Parent code"),
    "parent_id": N_("Parent code"),
    "valid_from": N_("In force from"),
    "valid_to": N_("In force until"),
    "position": N_("Order"),
    "in_force": N_("In force today"),
}

PII_LOG_LABELS = {
    "at": N_("Time"),
    "username": N_("User"),
    "user": N_("User"),
    "complaint": N_("Complaint"),
    "channel": N_("Channel of access"),
}


# --- the work calendar (domain.md §5) ----------------------------------------------------------------

CALENDAR_SOURCES = {
    "package": N_("Calendar package"),
    "admin": N_("Administrator"),
    "import": N_("File import"),
}

WORK_DAY_LABELS = {
    "id": N_("ID"),
    "date": N_("Date"),
    "is_workday": N_("Working day"),
    "name": N_("Name"),
    "source": N_("Source"),
    "updated_at": N_("Updated at"),
    "updated_by": N_("Updated by"),
}

CALENDAR_YEAR_LABELS = {
    "year": N_("Year"),
    "published": N_("Published"),
    "source": N_("Source"),
    "note": N_("Note"),
}
