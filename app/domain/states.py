"""States and code lists of a complaint (domain.md §3, §4; api.md)."""

REGISTERED = "registered"
REJECTED = "rejected"
PROCESSING = "processing"
REPLIED = "replied"
APPEALED = "appealed"
CLOSED = "closed"
STATUSES = (REGISTERED, REJECTED, PROCESSING, REPLIED, APPEALED, CLOSED)
OPEN_STATUSES = (REGISTERED, PROCESSING)

CHANNELS = ("hotline", "phone", "box", "book", "referral")  # §7, §12(三)
CATEGORIES = ("attitude", "efficiency", "fee", "error", "conduct", "other")  # §2, §4
LEVELS = ("branch", "union")  # §12
REPLY_METHODS = ("phone", "letter", "visit")  # §10
REJECT_REASONS = ("ineligible", "out_of_scope")  # §4, §8

EXT_NONE = "none"
EXT_REQUESTED = "requested"
EXT_APPROVED = "approved"
EXT_REFUSED = "refused"
EXTENSION_STATUSES = (EXT_NONE, EXT_REQUESTED, EXT_APPROVED, EXT_REFUSED)

# The §4 acceptance checklist, recorded at acceptance.
ELIGIBILITY_ITEMS = (
    "service_standard",  # (一) service below the published standards / commitments
    "fee_dispute",  # (二) objection to a fee charged
    "direct_interest",  # (三) the complainant (or principal) is directly concerned
    "clear_respondent",  # (四) a clear respondent branch or person
    "specific_facts",  # (五) specific facts
)

# Responsibility rulings (§17–§19).
RESPONSIBLE = "responsible"
NOT_RESPONSIBLE = "not_responsible"
RULING_RESULTS = (RESPONSIBLE, NOT_RESPONSIBLE)
# §18 (一)–(五): the branch is responsible; §19 (一)–(四): it is not.
RULING_CATEGORIES = {
    RESPONSIBLE: ("18.1", "18.2", "18.3", "18.4", "18.5"),
    NOT_RESPONSIBLE: ("19.1", "19.2", "19.3", "19.4"),
}
FEE_CATEGORY = "18.4"  # §18(四): the responsible person bears the disputed fee
RERULING_NONE = "none"
RERULING_REQUESTED = "requested"
RERULING_DECIDED = "decided"
RERULING_STATUSES = (RERULING_NONE, RERULING_REQUESTED, RERULING_DECIDED)
APPEAL_DECISIONS = ("upheld", "changed")
RULEABLE = (PROCESSING, REPLIED, CLOSED)
# Issue 23: a case still being worked on may be closed as a duplicate; not a closed or rejected one
# (final), nor one under appeal (§14: the appeal body owes the applicant its decision first).
DUPLICABLE = (REGISTERED, PROCESSING, REPLIED)
# Issue 23 (JR/T 0169): the handler confirms or corrects the classification once the complaint is
# accepted, and may correct it until the statistics are sent (a closed case too).
CLASSIFIABLE = (PROCESSING, REPLIED, APPEALED, CLOSED)
