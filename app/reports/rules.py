"""Assessment scoring rules (考核, §3, §9) as data, with their defaults.

The source regulation breaks off at §20 ("对责任投诉 ……"), so the consequences of a complaint
are configurable: each rule gives the points per occurrence of one counted event (negative
points are deductions). ``flask deploy`` writes the defaults below whose key is missing (an
administrator's changes are never overwritten; reading the rules never writes), and the
administrator edits them on the "Assessment rules" page. Rules are switched off, never deleted.
"""
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models.assessment import AssessmentRule


# key → (label msgid, basis, default points). Order = display order.
DEFAULT_RULES = (
    ("complaint", _l("Complaint received against the unit or staff member"), "§9", Decimal("0")),
    ("responsible_18_1", _l("Responsible complaint: unclear explanation or staff mistake"), "§18(一)", Decimal("-2")),
    ("responsible_18_2", _l("Responsible complaint: bad service attitude"), "§18(二)", Decimal("-3")),
    ("responsible_18_3", _l("Responsible complaint: service manual or code of conduct not followed"), "§18(三)",
     Decimal("-3")),
    ("responsible_18_4", _l("Responsible complaint: fee dispute caused by an operating error"), "§18(四)",
     Decimal("-2")),
    ("responsible_18_5", _l("Responsible complaint: service too slow for lack of business knowledge"), "§18(五)",
     Decimal("-1")),
    ("overdue_without_extension", _l("Overrun without permission (past the deadline in force)"), "§13", Decimal("-2")),
    ("appeal_changed", _l("Decision changed on appeal"), "§14", Decimal("-1")),
    ("follow_up_unsatisfied", _l("Customer not satisfied at the follow-up visit"), "§15", Decimal("-0.5")),
)
DEFAULT_KEYS = tuple(key for key, *_ in DEFAULT_RULES)

# What each key counts for a branch (a column of the per-branch query) …
BRANCH_COUNTS = {
    "complaint": "received",
    "responsible_18_1": "ruling_18_1",
    "responsible_18_2": "ruling_18_2",
    "responsible_18_3": "ruling_18_3",
    "responsible_18_4": "ruling_18_4",
    "responsible_18_5": "ruling_18_5",
    "overdue_without_extension": "overdue_without_extension",
    "appeal_changed": "appeals_changed",
    "follow_up_unsatisfied": "follow_up_unsatisfied",
}
# … and for a staff member: complaints naming it, effective rulings holding it responsible, and
# overdue cases it handled without an approved extension. Appeals and follow-ups are the
# branch's (the decision and the visit are the unit's acts).
STAFF_COUNTS = {
    "complaint": lambda entry: entry["named"],
    "responsible_18_1": lambda entry: entry["responsible_by_category"]["18.1"],
    "responsible_18_2": lambda entry: entry["responsible_by_category"]["18.2"],
    "responsible_18_3": lambda entry: entry["responsible_by_category"]["18.3"],
    "responsible_18_4": lambda entry: entry["responsible_by_category"]["18.4"],
    "responsible_18_5": lambda entry: entry["responsible_by_category"]["18.5"],
    "overdue_without_extension": lambda entry: entry["overdue_without_extension"],
}


def ensure_default_rules() -> int:
    """Insert the default rules whose key is missing (labels in Chinese, the data language);
    returns how many were added. Existing rows are left as the administrator set them. Run by
    ``flask deploy``, never while serving a request."""
    present = set(db.session.execute(select(AssessmentRule.key)).scalars())
    missing = [rule for rule in DEFAULT_RULES if rule[0] not in present]
    if not missing:
        return 0
    with force_locale("zh"):
        for key, label, basis, points in missing:
            db.session.add(AssessmentRule(key=key, label=str(label), basis=basis, points=points, active=True,
                                          position=DEFAULT_KEYS.index(key)))
    db.session.commit()
    return len(missing)


def load_rules():
    """All rules in display order, as stored (a key without a rule counts nothing)."""
    return db.session.execute(
        select(AssessmentRule).order_by(AssessmentRule.position, AssessmentRule.id)).scalars().all()


def score(rules, counts) -> Decimal:
    """Σ points × occurrences over the active rules whose key appears in ``counts``."""
    total = Decimal("0")
    for rule in rules:
        if rule.active and rule.key in counts:
            total += Decimal(str(rule.points)) * int(counts[rule.key] or 0)
    return total
