"""Excel export (domain.md §8, api.md "Reports"): the summary, the assessment and the case list.

openpyxl's write-only mode writes each row to a temporary file as it is appended, and the case
list is read in chunks (``yield_per``), so a year of cases exports in bounded memory. Every text
cell is formula-injection-safe: a value starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is prefixed with an apostrophe, and characters XML forbids are dropped. The
case list is scoped like every page and masked by ``masking.identity`` (§16).
"""
import tempfile
from decimal import Decimal

from flask_babel import gettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models.complaint import Complaint
from ..security.masking import identity, sees_identity
from ..services.pii import log_identity_views
from ..services import complaints as svc
from ..views import choices as c
from . import statistics
from .labels import figure_rows, status_label

CHUNK = 500
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="305496")
_TITLE_FONT = Font(bold=True, size=14)
_SECTION_FONT = Font(bold=True, size=11, color="305496")


def neutralise(value):
    """A cell value that no spreadsheet evaluates as a formula; XML-illegal characters dropped."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(DANGEROUS_PREFIXES):
            return "'" + value
        return value
    if isinstance(value, Decimal):
        return float(value)
    return value


class Sheet:
    """A write-only worksheet with the few styles the report uses."""

    def __init__(self, workbook, title, widths):
        self.ws = workbook.create_sheet(title=title)
        for index, width in enumerate(widths):
            self.ws.column_dimensions[_column(index)].width = width

    def cell(self, value, font=None, fill=None, number_format=None, border=False, wrap=False):
        cell = WriteOnlyCell(self.ws, value=neutralise(value))
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill
        if number_format is not None:
            cell.number_format = number_format
        if border:
            cell.border = _BORDER
        if wrap:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        return cell

    def title(self, text):
        self.ws.append([self.cell(text, font=_TITLE_FONT)])

    def section(self, text):
        self.ws.append([])
        self.ws.append([self.cell(text, font=_SECTION_FONT)])

    def header(self, labels):
        self.ws.append([self.cell(str(label), font=_HEADER_FONT, fill=_HEADER_FILL, border=True, wrap=True)
                        for label in labels])

    def row(self, values, formats=None):
        formats = formats or {}
        self.ws.append([self.cell(value, number_format=formats.get(index), border=True)
                        for index, value in enumerate(values)])

    def plain(self, values):
        self.ws.append([self.cell(value) for value in values])


def _column(index):
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


PERCENT = "0.0%"
MONEY = "#,##0.00"
DAY = "yyyy-mm-dd"
MINUTE = "yyyy-mm-dd hh:mm"


def _period_lines(sheet, period, today):
    sheet.plain([gettext("Period of receipt"), f"{period.start.isoformat()} — {period.end.isoformat()}"])
    sheet.plain([gettext("Unit"), period.unit.name if period.unit is not None else gettext("All units in your scope")])
    sheet.plain([gettext("Figures as of"), today.isoformat()])


def write_summary(workbook, data, period, today):
    """汇总: key figures and every breakdown of ``statistics.summary``."""
    sheet = Sheet(workbook, gettext("Summary"), [28, 14, 12, 12, 12, 12, 12, 12, 14, 12, 12])
    sheet.title(gettext("Customer complaint statistics"))
    _period_lines(sheet, period, today)

    sheet.section(gettext("Key figures"))
    sheet.header([gettext("Figure"), gettext("Value")])
    for label, value, kind in figure_rows(data):
        sheet.row([label, value], {1: PERCENT if kind == "rate" else (MONEY if kind == "money" else None)})

    for title, mapping, labels in (
        (gettext("By status"), data["by_status"], c.STATUSES),
        (gettext("By channel"), data["by_channel"], c.CHANNELS),
        (gettext("By category"), data["by_category"], c.CATEGORIES),
        (gettext("Rulings by category (§18, §19)"), data["rulings"]["by_category"], c.RULING_CATEGORIES),
    ):
        sheet.section(title)
        sheet.header([gettext("Item"), gettext("Complaints")])
        for code, count in mapping.items():
            sheet.row([str(c.label(labels, code)), count])

    sheet.section(gettext("By branch"))
    sheet.header([gettext("Branch"), gettext("Received"), gettext("Replied"), gettext("On time"),
                  gettext("On-time rate"), gettext("Overdue"), gettext("Overdue without extension"),
                  gettext("Responsible"), gettext("Not responsible"), gettext("Fees borne (yuan)")])
    for row in data["by_branch"]:
        sheet.row([row["branch"], row["received"], row["replied"], row["on_time"], row["on_time_rate"],
                   row["overdue"], row["overdue_without_extension"], row["responsible"], row["not_responsible"],
                   row["fees_borne"]], {4: PERCENT, 9: MONEY})

    sheet.section(gettext("By month"))
    sheet.header([gettext("Month"), gettext("Received"), gettext("Replied"), gettext("On time"),
                  gettext("Overdue"), gettext("Responsible")])
    for row in data["by_month"]:
        sheet.row([row["month"], row["received"], row["replied"], row["on_time"], row["overdue"], row["responsible"]])

    sheet.section(gettext("Responsible staff (effective rulings)"))
    sheet.header([gettext("Staff member"), gettext("Unit"), gettext("Responsible complaints"),
                  gettext("Fees borne (yuan)")])
    for row in data["rulings"]["by_staff"]:
        sheet.row([row["staff"], row["unit"], row["responsible"], row["fee_borne"]], {3: MONEY})


def write_assessment(workbook, data, period, today):
    """考核表: the rules applied, then one sheet per branch and one per staff member."""
    categories = statistics.RESPONSIBLE_CATEGORIES
    sheet = Sheet(workbook, gettext("Assessment by branch"), [24, 10, 10] + [10] * len(categories) + [12, 12, 12, 14, 10])
    sheet.title(gettext("Assessment report (by branch)"))
    _period_lines(sheet, period, today)
    sheet.section(gettext("Scoring rules"))
    sheet.header([gettext("Rule"), gettext("Article"), gettext("Points per occurrence"), gettext("Active")])
    for rule in data["rules"]:
        sheet.row([rule["label"], rule["basis"], rule["points"], gettext("Yes") if rule["active"] else gettext("No")])
    sheet.section(gettext("Branches"))
    sheet.header([gettext("Branch"), gettext("Received"), gettext("Responsible"),
                  *[f"§{code[:2]}({_roman(code)})" for code in categories],
                  gettext("Overdue without extension"), gettext("Decision changed on appeal"),
                  gettext("Unsatisfied at follow-up"), gettext("Fees borne (yuan)"), gettext("Points")])
    for row in data["branches"]:
        sheet.row([row["branch"], row["received"], row["responsible"],
                   *[row["responsible_by_category"][code] for code in categories],
                   row["overdue_without_extension"], row["appeals_changed"], row["follow_up_unsatisfied"],
                   row["fees_borne"], row["points"]], {3 + len(categories) + 3: MONEY})

    people = Sheet(workbook, gettext("Assessment by staff"), [14, 12, 22, 10, 10] + [10] * len(categories) + [12, 14, 10])
    people.title(gettext("Assessment report (by staff member)"))
    _period_lines(people, period, today)
    people.plain([gettext("A fee borne under a ruling that holds several staff members responsible is split equally among them.")])
    people.ws.append([])
    people.header([gettext("Staff member"), gettext("Employee number"), gettext("Unit"), gettext("Complaints naming the staff member"),
                   gettext("Responsible"), *[f"§{code[:2]}({_roman(code)})" for code in categories],
                   gettext("Overdue without extension"), gettext("Fees borne (yuan)"), gettext("Points")])
    for row in data["staff"]:
        people.row([row["staff"], row["employee_no"], row["unit"], row["named"], row["responsible"],
                    *[row["responsible_by_category"][code] for code in categories],
                    row["overdue_without_extension"], row["fees_borne"], row["points"]],
                   {5 + len(categories) + 1: MONEY})


def _roman(code):
    return "一二三四五"[int(code.split(".")[1]) - 1]


CASE_COLUMNS = (
    ("number", 18), ("received_at", 17), ("channel", 14), ("complainant_name", 12), ("complainant_phone", 15),
    ("branch", 22), ("respondent_staff", 12), ("category", 12), ("status", 10), ("level", 16),
    ("handling_unit", 20), ("handler", 10), ("due_date", 12), ("extension_status", 10), ("replied_at", 17),
    ("overdue", 8), ("ruling_result", 14), ("ruling_category", 10), ("appeal_decision", 14),
    ("follow_up_satisfied", 10),
)


def case_headers():
    from ..labels import COMPLAINT_LABELS

    extra = {
        "overdue": gettext("Overdue"),
        "ruling_result": gettext("Ruling"),
        "ruling_category": gettext("Ruling category"),
        "appeal_decision": gettext("Appeal decision"),
        "follow_up_satisfied": gettext("Satisfied at follow-up"),
        "respondent_staff": gettext("Staff member complained about"),
        "replied_at": gettext("Replied at"),
    }
    return [str(extra.get(name) or COMPLAINT_LABELS.get(name) or name) for name, _ in CASE_COLUMNS]


def case_identity(actor, case) -> dict:
    """The complainant columns of one exported case as ``actor`` may see them (§16): full only
    where ``masking.identity`` gives them in full, masked everywhere else."""
    return identity(actor, case)


def _yes_no(value):
    if value is None:
        return ""
    return gettext("Yes") if value else gettext("No")


def case_values(actor, case, today):
    who = case_identity(actor, case)
    return [
        case.number,
        case.received_at,
        str(c.label(c.CHANNELS, case.channel)),
        who["complainant_name"],
        who["complainant_phone"],
        case.branch.name if case.branch else "",
        case.respondent_staff.name if case.respondent_staff else "",
        str(c.label(c.CATEGORIES, case.category)),
        status_label(case.status),
        str(c.label(c.LEVELS, case.level)),
        case.handling_unit.name if case.handling_unit else "",
        case.handler.name if case.handler else "",
        case.due_date,
        str(c.label(c.EXTENSIONS, case.extension_status)),
        case.replied_at,
        _yes_no(svc.is_overdue(case, today)),
        str(c.label(c.RULING_RESULTS, case.ruling_result)),
        case.ruling_category or "",
        str(c.label(c.APPEAL_DECISIONS, case.appeal_decision)),
        _yes_no(case.follow_up_satisfied),
    ]


def case_rows(user, period):
    """The period's cases in scope, read ``CHUNK`` at a time (bounded memory)."""
    query = (
        select(Complaint)
        .where(*statistics.base_conditions(user, period))
        .order_by(Complaint.received_at, Complaint.id)
        .options(
            selectinload(Complaint.branch), selectinload(Complaint.handling_unit), selectinload(Complaint.handler),
            selectinload(Complaint.respondent_staff), selectinload(Complaint.ruled_staff),
        )
        .execution_options(yield_per=CHUNK)
    )
    return db.session.execute(query).scalars()


def write_cases(workbook, user, actor, period, today):
    """投诉清单: one row per case, streamed."""
    sheet = Sheet(workbook, gettext("Case list"), [width for _, width in CASE_COLUMNS])
    sheet.ws.freeze_panes = "B2"
    sheet.header(case_headers())
    formats = {1: MINUTE, 12: DAY, 14: MINUTE}
    shown_in_full = []
    for case in case_rows(user, period):
        sheet.row(case_values(actor, case, today), formats)
        if sees_identity(actor, case):
            shown_in_full.append(case.id)
    return shown_in_full


def export_workbook(user, period, today, include_assessment, rules=None):
    """Build the workbook into a temporary file (rewound, deleted when closed) and return it."""
    actor = svc.actor_for(user)
    workbook = Workbook(write_only=True)
    data = statistics.summary(user, period, today)
    write_summary(workbook, data, period, today)
    if include_assessment:
        write_assessment(workbook, statistics.assessment(user, period, today, rules), period, today)
    shown_in_full = write_cases(workbook, user, actor, period, today)
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        workbook.save(handle)
    except Exception:
        handle.close()
        raise
    # §16: each case whose complainant identity leaves in full is logged (after the streaming
    # read has finished, since logging commits).
    log_identity_views(user, shown_in_full, "export")
    handle.seek(0)
    return handle


def download_name(period) -> str:
    return f"{gettext('Complaint statistics')}_{period.start.isoformat()}_{period.end.isoformat()}.xlsx"

