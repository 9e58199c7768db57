"""The key figures of a summary, in display order with their names and kinds: what the dashboard
and the Excel export both show."""
from flask_babel import lazy_gettext as _l


# (label, getter, kind) — kind: "count", "rate" (0–1), "days", "money".
KEY_FIGURES = (
    (_l("Complaints received"), lambda d: d["received"], "count"),
    (_l("Still open"), lambda d: d["open"], "count"),
    (_l("Replied"), lambda d: d["replied"], "count"),
    (_l("Replied on time"), lambda d: d["on_time"], "count"),
    (_l("On-time rate"), lambda d: d["on_time_rate"], "rate"),
    (_l("Average working days to reply"), lambda d: d["average_working_days_to_reply"], "days"),
    (_l("Overdue"), lambda d: d["overdue"]["total"], "count"),
    (_l("Overdue with an approved extension"), lambda d: d["overdue"]["with_extension"], "count"),
    (_l("Overdue without an approved extension"), lambda d: d["overdue"]["without_extension"], "count"),
    (_l("Overdue and still open"), lambda d: d["overdue"]["open"], "count"),
    (_l("Extensions approved"), lambda d: d["extensions"]["approved"], "count"),
    (_l("Responsible complaints"), lambda d: d["rulings"]["responsible"], "count"),
    (_l("Not responsible"), lambda d: d["rulings"]["not_responsible"], "count"),
    (_l("Fees borne (yuan)"), lambda d: d["fees_borne"], "money"),
    (_l("Appeals filed"), lambda d: d["appeals"]["filed"], "count"),
    (_l("Appeals decided"), lambda d: d["appeals"]["decided"], "count"),
    (_l("Decisions changed on appeal"), lambda d: d["appeals"]["changed"], "count"),
    (_l("Follow-up visits done"), lambda d: d["follow_up"]["done"], "count"),
    (_l("Satisfied at follow-up"), lambda d: d["follow_up"]["satisfied"], "count"),
    (_l("Satisfaction rate"), lambda d: d["follow_up"]["satisfaction_rate"], "rate"),
    (_l("Closed, awaiting follow-up"), lambda d: d["follow_up"]["awaiting"], "count"),
    (_l("Repeat complainants (same phone)"), lambda d: d["repeat_complainants"]["complainants"], "count"),
    (_l("Complaints from repeat complainants"), lambda d: d["repeat_complainants"]["complaints"], "count"),
)


def figure_rows(data):
    """[(label, value, kind)] of the key figures of a summary."""
    return [(str(label), getter(data), kind) for label, getter, kind in KEY_FIGURES]
