"""Excel export (domain.md §8, api.md "Reports"): the summary, the assessment and the case list.

openpyxl's write-only mode writes each row to a temporary file as it is appended, and the case
list is read in chunks (``yield_per``), so a year of cases exports in bounded memory. Every text
cell is formula-injection-safe: a value starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is prefixed with an apostrophe, and characters XML forbids are dropped. The
case list is scoped like every page and masked as ``masking.identity`` masks (§16).

The case list is the export's bulk (a year is about 144,000 cases at a million complaints), so
it is read as plain columns (no entities) and its rows are rendered as worksheet XML directly
(``_CellXml``): about 50 µs a case, compression included, instead of about 1 ms through
openpyxl's styled cell objects. An export of more than ``EXPORT_MAX_CASES`` cases (default
300,000) is refused after one COUNT, before anything is built or logged (``TooManyCases``).

Long (about 600 lines) on purpose: the streamed case sheet writes its own cell XML for speed,
and it must agree with the summary and assessment sheets on styles and neutralisation.
"""
import datetime as dt
import tempfile
from decimal import Decimal

from flask import current_app, has_app_context
from flask_babel import gettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.compat import safe_string
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils.datetime import to_excel, to_ISO8601
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy import false, func, select
from sqlalchemy.orm import aliased

from ..errors import ValidationFailed
from ..extensions import db
from ..models.complaint import Complaint
from ..models.org import OrgUnit
from ..models.ruling import ruled_staff as ruling_staff
from ..models.staff import Staff
from ..security.masking import sees_identity, shown
from ..services.pii import log_identity_views
from ..services import complaints as svc
from ..domain import vocabulary as v
from ..i18n import label
from . import statistics
from .key_figures import figure_rows

CHUNK = 500
DEFAULT_MAX_CASES = 300000
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

    def __init__(self, workbook, title, widths, kind=None):
        if kind is None:
            self.ws = workbook.create_sheet(title=title)
        else:  # a WriteOnlyWorksheet subclass
            self.ws = kind(parent=workbook, title=title)
            workbook._add_sheet(self.ws)
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

    def header(self, titles):
        self.ws.append([self.cell(str(title), font=_HEADER_FONT, fill=_HEADER_FILL, border=True, wrap=True)
                        for title in titles])

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


def _duplicates_line(sheet, data):
    """Issue 23: how many duplicates the figures leave out (merged into their originals)."""
    if data.get("duplicates"):
        sheet.plain([gettext("Another %(count)d duplicate complaints were merged into their originals and counted "
                             "once: they are not counted separately in these figures.", count=data["duplicates"])])


def write_summary(workbook, data, period, today):
    """汇总: key figures and every breakdown of ``statistics.summary``."""
    sheet = Sheet(workbook, gettext("Summary"), [28, 14, 12, 12, 12, 12, 12, 12, 14, 12, 12])
    sheet.title(gettext("Customer complaint statistics"))
    _period_lines(sheet, period, today)
    _duplicates_line(sheet, data)

    sheet.section(gettext("Key figures"))
    sheet.header([gettext("Figure"), gettext("Value")])
    for caption, value, kind in figure_rows(data):
        sheet.row([caption, value], {1: PERCENT if kind == "rate" else (MONEY if kind == "money" else None)})

    for title, mapping, labels in (
        (gettext("By status"), data["by_status"], v.STATUSES),
        (gettext("By channel"), data["by_channel"], v.CHANNELS),
        (gettext("By category"), data["by_category"], v.CATEGORIES),
        (gettext("Rulings by category (§18, §19)"), data["rulings"]["by_category"], v.RULING_CATEGORIES),
    ):
        sheet.section(title)
        sheet.header([gettext("Item"), gettext("Complaints")])
        for code, count in mapping.items():
            sheet.row([label(labels, code), count])

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
    sheet = Sheet(workbook, gettext("Assessment by branch"), [8, 24, 10, 10] + [10] * len(categories) + [12, 12, 12, 14, 10])
    sheet.title(gettext("Assessment report (by branch)"))
    _period_lines(sheet, period, today)
    _duplicates_line(sheet, data)
    sheet.section(gettext("Scoring rules"))
    sheet.header([gettext("Rule"), gettext("Article"), gettext("Points per occurrence"), gettext("Active")])
    for rule in data["rules"]:
        sheet.row([rule["label"], rule["basis"], rule["points"], gettext("Yes") if rule["active"] else gettext("No")])
    sheet.section(gettext("Branches"))
    sheet.header([gettext("Rank"), gettext("Branch"), gettext("Received"), gettext("Responsible"),
                  *[f"§{code[:2]}({_roman(code)})" for code in categories],
                  gettext("Overrun without permission"), gettext("Decision changed on appeal"),
                  gettext("Unsatisfied at follow-up"), gettext("Fees borne (yuan)"), gettext("Points")])
    for row in data["branches"]:  # in rank order, as the page lists them; a unit that is not a branch: "—"
        sheet.row([row["rank"] or "—", row["branch"], row["received"], row["responsible"],
                   *[row["responsible_by_category"][code] for code in categories],
                   row["overdue_without_extension"], row["appeals_changed"], row["follow_up_unsatisfied"],
                   row["fees_borne"], row["points"]], {4 + len(categories) + 3: MONEY})
    sheet.plain([gettext("Every branch is listed, one without complaints too: it has nothing deducted (full marks, "
                         "0 points). Rank 1 has the most points; equal points share a rank and the next rank skips "
                         "as many (1, 1, 3). A unit that is not a branch and held a case past its deadline is "
                         "listed after the branches, without a rank.")])

    people = Sheet(workbook, gettext("Assessment by staff"), [14, 12, 22, 10, 10] + [10] * len(categories) + [12, 14, 10])
    people.title(gettext("Assessment report (by staff member)"))
    _period_lines(people, period, today)
    people.plain([gettext("A fee borne under a ruling that holds several staff members responsible is split equally among them.")])
    people.ws.append([])
    people.header([gettext("Staff member"), gettext("Employee number"), gettext("Unit"), gettext("Complaints naming the staff member"),
                   gettext("Responsible"), *[f"§{code[:2]}({_roman(code)})" for code in categories],
                   gettext("Overrun without permission"), gettext("Fees borne (yuan)"), gettext("Points")])
    for row in data["staff"]:
        people.row([row["staff"], row["employee_no"], row["unit"], row["named"], row["responsible"],
                    *[row["responsible_by_category"][code] for code in categories],
                    row["overdue_without_extension"], row["fees_borne"], row["points"]],
                   {5 + len(categories) + 1: MONEY})


def _roman(code):
    return "一二三四五"[int(code.split(".")[1]) - 1]


class TooManyCases(ValidationFailed):
    """The export would hold more cases than ``EXPORT_MAX_CASES``: nothing is written (400)."""

    def __init__(self, count, limit):
        super().__init__(gettext(
            "The export would contain %(count)s cases, more than the %(limit)s that can be exported "
            "at once. Narrow the period or choose a unit.",
            count=f"{count:,}", limit=f"{limit:,}"))
        self.count = count
        self.limit = limit


def max_cases() -> int:
    """``EXPORT_MAX_CASES`` (default 300,000): the most cases one export may hold."""
    if has_app_context():
        return int(current_app.config.get("EXPORT_MAX_CASES", DEFAULT_MAX_CASES))
    return DEFAULT_MAX_CASES


def count_cases(user, period) -> int:
    """The number of cases the export of ``period`` would list (one COUNT, same conditions)."""
    query = select(func.count()).select_from(Complaint).where(*statistics.base_conditions(user, period))
    return db.session.execute(query).scalar_one()


def check_size(user, period) -> int:
    """Refuse (``TooManyCases``) an export above the cap; otherwise the number of cases."""
    count = count_cases(user, period)
    limit = max_cases()
    if count > limit:
        raise TooManyCases(count, limit)
    return count


CASE_COLUMNS = (
    ("number", 18), ("received_at", 17), ("channel", 14), ("complainant_name", 12), ("complainant_phone", 15),
    ("branch", 22), ("respondent_staff", 12), ("category", 12), ("status", 10), ("level", 16),
    ("handling_unit", 20), ("handler", 10), ("due_date", 12), ("extension_status", 10), ("replied_at", 17),
    ("overdue", 8), ("ruling_result", 14), ("ruling_category", 10), ("appeal_decision", 14),
    ("follow_up_satisfied", 10),
)
CASE_FORMATS = {1: MINUTE, 12: DAY, 14: MINUTE}  # the case list's date columns
UNIQUE_COLUMNS = {0, 1, 3, 4, 14}  # number, received at, complainant, replied at: not worth caching


def case_headers():
    extra = {
        "overdue": gettext("Overdue"),
        "ruling_result": gettext("Ruling"),
        "ruling_category": gettext("Ruling category"),
        "appeal_decision": gettext("Appeal decision"),
        "follow_up_satisfied": gettext("Satisfied at follow-up"),
        "respondent_staff": gettext("Staff member complained about"),
        "replied_at": gettext("Replied at"),
    }
    return [str(extra.get(name) or label(v.COMPLAINT_LABELS, name)) for name, _ in CASE_COLUMNS]


class CaseFacts:
    """What ``masking.sees_identity`` and ``complaints.is_overdue`` read of a case, filled from
    one row of the case list's query (the list reads plain columns, not entities).

    ``ruled_staff`` holds the exporting staff member alone when a ruling on the case holds it
    responsible, and nothing otherwise: ``sees_identity`` asks only whether the viewer is among
    the ruled staff, and only when the case has a ruling result.
    """

    __slots__ = ("id", "respondent_staff_id", "ruling_result", "ruled_staff", "handler_id", "handling_unit_id",
                 "branch_id", "due_date", "replied_at", "status")


class _Member:
    __slots__ = ("id",)

    def __init__(self, staff_id):
        self.id = staff_id


def case_query(actor, user, period):
    """The period's cases in scope as plain columns, in order of receipt, with the names of
    their branch, handling unit, handler and the staff member complained about (outer joins),
    and whether a ruling holds the exporting staff member responsible."""
    branch, handling_unit = aliased(OrgUnit), aliased(OrgUnit)
    respondent, handler = aliased(Staff), aliased(Staff)
    if actor.staff_id is not None:
        ruled_actor = (select(ruling_staff.c.staff_id)
                       .where(ruling_staff.c.complaint_id == Complaint.id, ruling_staff.c.staff_id == actor.staff_id)
                       .exists())
    else:
        ruled_actor = false()
    return (
        select(
            Complaint.id, Complaint.number, Complaint.received_at, Complaint.channel,
            Complaint.complainant_name, Complaint.complainant_phone,
            Complaint.branch_id, branch.name, Complaint.respondent_staff_id, respondent.name,
            Complaint.category, Complaint.status, Complaint.level,
            Complaint.handling_unit_id, handling_unit.name, Complaint.handler_id, handler.name,
            Complaint.due_date, Complaint.extension_status, Complaint.replied_at,
            Complaint.ruling_result, Complaint.ruling_category, Complaint.appeal_decision,
            Complaint.follow_up_satisfied, ruled_actor,
        )
        .select_from(Complaint)
        .outerjoin(branch, branch.id == Complaint.branch_id)
        .outerjoin(respondent, respondent.id == Complaint.respondent_staff_id)
        .outerjoin(handling_unit, handling_unit.id == Complaint.handling_unit_id)
        .outerjoin(handler, handler.id == Complaint.handler_id)
        .where(*statistics.base_conditions(user, period))
        .order_by(Complaint.received_at, Complaint.id)
        .execution_options(yield_per=CHUNK)
    )


def case_identity(actor, case, name, phone):
    """``(shown in full, name, phone)``: the complainant columns of one exported case as ``actor``
    may see them (§16), as ``masking.identity`` gives them — in full only where
    ``masking.sees_identity`` says so, masked otherwise."""
    full = sees_identity(actor, case)
    return full, shown("complainant_name", name, full), shown("complainant_phone", phone, full)


def _labels(mapping):
    """``{code: neutralised label}`` of a choice mapping in the current locale (None: "")."""
    labels = {code: neutralise(label(mapping, code)) for code in mapping}
    labels[None] = ""
    return labels


def _label(labels, code):
    """``i18n.label(mapping, code)``, looked up in ``_labels(mapping)``."""
    text = labels.get(code)
    return text if text is not None else neutralise(str(code))


def case_values(actor, user, period, today):
    """The rows of the case list: ``(case id, shown in full, [cell values])`` per case, in order
    of receipt, read ``CHUNK`` at a time (bounded memory). Values are final (neutralised, labels
    translated); complainant columns are masked unless ``sees_identity`` (§16)."""
    channels, categories, levels = _labels(v.CHANNELS), _labels(v.CATEGORIES), _labels(v.LEVELS)
    statuses, extensions = _labels(v.STATUSES), _labels(v.EXTENSIONS)
    results, appeals = _labels(v.RULING_RESULTS), _labels(v.APPEAL_DECISIONS)
    yes_no = {None: "", True: neutralise(gettext("Yes")), False: neutralise(gettext("No"))}
    names = {None: ""}  # unit and staff names, neutralised once

    def name(value):
        text = names.get(value)
        if text is None:
            text = names[value] = neutralise(value)
        return text

    ruled = (_Member(actor.staff_id),)
    for (case_id, number, received_at, channel, complainant_name, complainant_phone,
         branch_id, branch_name, respondent_id, respondent_name, category, status, level,
         handling_unit_id, handling_unit_name, handler_id, handler_name, due_date, extension_status,
         replied_at, ruling_result, ruling_category, appeal_decision, follow_up_satisfied,
         ruled_actor) in db.session.execute(case_query(actor, user, period)):
        case = CaseFacts()
        case.id = case_id
        case.respondent_staff_id = respondent_id
        case.ruling_result = ruling_result
        case.ruled_staff = ruled if ruled_actor else ()
        case.handler_id = handler_id
        case.handling_unit_id = handling_unit_id
        case.branch_id = branch_id
        case.due_date = due_date
        case.replied_at = replied_at
        case.status = status
        full, complainant_name, complainant_phone = case_identity(actor, case, complainant_name, complainant_phone)
        yield case_id, full, [
            neutralise(number),
            received_at,
            _label(channels, channel),
            neutralise(complainant_name),
            neutralise(complainant_phone),
            name(branch_name),
            name(respondent_name),
            _label(categories, category),
            _label(statuses, status),
            _label(levels, level),
            name(handling_unit_name),
            name(handler_name),
            due_date,
            _label(extensions, extension_status),
            replied_at,
            yes_no[bool(svc.is_overdue(case, today))],
            _label(results, ruling_result),
            name(ruling_category),
            _label(appeals, appeal_decision),
            yes_no[follow_up_satisfied],
        ]


class _StreamedSheet(WriteOnlyWorksheet):
    """A write-only worksheet that also takes rows already rendered as XML (``append_xml``).

    openpyxl turns every appended value into a styled cell object and serialises it through
    ElementTree, about 50 µs a cell; the case list renders its cells itself (``_CellXml``) and
    hands the worksheet finished ``<row>`` elements. Everything else (column widths, frozen
    panes, styles, the package) is openpyxl's. ``raw`` is None when the XML writer in use does
    not allow it (lxml installed): the case list then appends values like every other sheet.
    Written against openpyxl 3.1.5 and et_xmlfile 2.0.0 (pinned in requirements.txt);
    tests/services/test_export.py reads both paths back and compares them cell by cell.
    """

    raw = None

    def _write_rows(self):
        try:
            xf = self._writer.xf.send(True)
        except StopIteration:
            self._already_saved()
        self.raw = self._raw_writer(xf)
        with xf.element("sheetData"):
            row_idx = 1
            try:
                while True:
                    row = (yield)
                    if isinstance(row, _Rendered):
                        self.raw(row.xml)
                        row_idx += row.rows
                    else:
                        self._writer.write_row(xf, self._values_to_row(row, row_idx), row_idx)
                        row_idx += 1
            except GeneratorExit:
                pass
        self._writer.xf.send(None)

    @staticmethod
    def _raw_writer(xf):
        """The text writer beneath et_xmlfile's ``xmlfile`` (None under lxml)."""
        return getattr(xf, "_file", None)

    def append_xml(self, xml, rows):
        """Append ``rows`` rows rendered as ``<row>`` elements (after at least one ``append``)."""
        self._rows.send(_Rendered(xml, rows))


class _Rendered:
    __slots__ = ("xml", "rows")

    def __init__(self, xml, rows):
        self.xml = xml
        self.rows = rows


def _escape(text):
    """ElementTree's escaping of element text."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


_ERROR_CODES = frozenset(ERROR_CODES)


class _CellXml:
    """Cells as openpyxl's cell writer renders them (``openpyxl.cell._writer``), for values
    ``neutralise`` has passed: text inline, numbers, dates as serial numbers, None empty.
    ``render(value)`` is what follows ``<c r=".." s=".."``."""

    def __init__(self, workbook):
        self.epoch = workbook.epoch
        self.iso_dates = workbook.iso_dates

    def cached(self, limit=10000):
        """``render`` remembering its answers, for a column of few distinct values (labels, names)."""
        cache = {}
        render = self.render

        def cached_render(value):
            xml = cache.get(value)
            if xml is None:
                if len(cache) >= limit:
                    cache.clear()
                xml = cache[value] = render(value)
            return xml

        return cached_render

    def render(self, value):
        if value is None:
            return ' t="n"/>'
        if isinstance(value, str):
            value = value[:32767]
            if not value:
                return ' t="inlineStr"/>'
            if len(value) > 1 and value.startswith("="):
                raise ValueError("formula in an exported cell")  # neutralise prevents it
            if value in _ERROR_CODES:
                return f' t="e"><v>{_escape(value)}</v></c>'
            stripped = value.strip()
            space = ' xml:space="preserve"' if stripped and stripped != value else ""
            return f' t="inlineStr"><is><t{space}>{_escape(value)}</t></is></c>'
        if isinstance(value, bool):
            return f' t="b"><v>{value:d}</v></c>'
        if isinstance(value, (int, float)):
            return f' t="n"><v>{safe_string(value)}</v></c>'
        if isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta)):
            if getattr(value, "tzinfo", None) is not None:
                raise TypeError("Excel does not support timezones in datetimes.")
            if self.iso_dates and not isinstance(value, dt.timedelta):
                return f' t="d"><v>{to_ISO8601(value)}</v></c>'
            return f' t="n"><v>{safe_string(to_excel(value, self.epoch))}</v></c>'
        raise ValueError(f"Cannot convert {value!r} to Excel")


def _style_id(ws, number_format):
    """The workbook's style index of a bordered case-list cell with ``number_format``."""
    cell = WriteOnlyCell(ws)
    cell.border = _BORDER
    if number_format is not None:
        cell.number_format = number_format
    return cell.style_id


def write_cases(workbook, user, actor, period, today):
    """投诉清单: one row per case, streamed; returns the ids of the cases shown in full."""
    sheet = Sheet(workbook, gettext("Case list"), [width for _, width in CASE_COLUMNS], kind=_StreamedSheet)
    ws = sheet.ws
    ws.freeze_panes = "B2"
    sheet.header(case_headers())
    shown_in_full = []
    rows = case_values(actor, user, period, today)
    if ws.raw is None:  # no raw XML: openpyxl's cells (same content, slower)
        for case_id, full, values in rows:
            sheet.row(values, CASE_FORMATS)
            if full:
                shown_in_full.append(case_id)
        return shown_in_full
    cells = _CellXml(workbook)
    columns = [(f'<c r="{_column(index)}', f'" s="{_style_id(ws, CASE_FORMATS.get(index))}"',
                cells.render if index in UNIQUE_COLUMNS else cells.cached())
               for index in range(len(CASE_COLUMNS))]
    row_idx = 1  # the header
    batch, pending = [], 0
    for case_id, full, values in rows:
        row_idx += 1
        r = str(row_idx)
        batch.append(f'<row r="{r}">')
        batch.extend([start + r + style + render(value) for (start, style, render), value in zip(columns, values)])
        batch.append("</row>")
        pending += 1
        if full:
            shown_in_full.append(case_id)
        if pending == 100:
            ws.append_xml("".join(batch), pending)
            batch, pending = [], 0
    if pending:
        ws.append_xml("".join(batch), pending)
    return shown_in_full


def export_workbook(user, period, today, include_assessment, rules=None):
    """Build the workbook into a temporary file (rewound, deleted when closed) and return it.

    Raises ``TooManyCases`` (nothing read, written or logged) above ``EXPORT_MAX_CASES``."""
    check_size(user, period)  # before anything is read or written
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



def table_workbook(title, headers, rows, formats=None):
    """A one-sheet workbook of ``rows`` under ``headers`` (the rulings list's export), every cell
    neutralised like the report's; built into a temporary file, rewound. The caller reads the
    rows within the user's scope."""
    workbook = Workbook(write_only=True)
    sheet = Sheet(workbook, title, [max(12, min(40, len(str(header)) * 3)) for header in headers])
    sheet.ws.freeze_panes = "A2"
    sheet.header(headers)
    for values in rows:
        sheet.row(values, formats or {})
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        workbook.save(handle)
    except Exception:
        handle.close()
        raise
    handle.seek(0)
    return handle


# --- the quarterly regulatory report of JR/T 0169 (issue 23) ----------------------------------------

_BOLD = Font(bold=True)


def regulatory_workbook(data, today):
    """The quarterly regulatory report (``regulatory.quarterly``'s ``data``) as a workbook: the
    counts, the handling time and one table per dimension on the first sheet, the A × B × C rows with
    their subtotals on the second — the same rows as the page. Counts only: no complainant data."""
    from . import regulatory
    from ..domain import jrt0169

    workbook = Workbook(write_only=True)
    sheet = Sheet(workbook, gettext("Quarterly report"), [16, 40, 14, 16])
    sheet.title(gettext("Financial consumer complaints by JR/T 0169-2018: quarterly report"))
    sheet.plain([gettext("Quarter"), f"{data['quarter']} ({data['period']['start']} — {data['period']['end']})"])
    sheet.plain([gettext("Unit"), data["period"]["unit"] or gettext("All units in your scope")])
    sheet.plain([gettext("Figures as of"), today.isoformat()])
    for line in regulatory_notes(data):
        sheet.plain([line])

    sheet.section(gettext("By handling time"))
    sheet.header([gettext("Item"), "", gettext("Number of complaints")])
    for caption, value in handling_rows(data):
        sheet.row([caption, "", value])

    for dimension in jrt0169.DIMENSIONS:
        table = data["dimensions"][dimension]
        sheet.section(gettext(jrt0169.DIMENSION_LABELS[dimension]))
        sheet.header([gettext("Code"), gettext("Name"), gettext("Number of complaints"), gettext("Of which confirmed")])
        for row in table["rows"]:
            values = [row["code"], "　" * row["depth"] + row["name"], row["count"], row["confirmed"]]
            if row["subtotal"]:
                sheet.ws.append([sheet.cell(value, font=_BOLD, border=True) for value in values])
            else:
                sheet.row(values)
        sheet.row(["", gettext("Not classified in this dimension"), table["unclassified"], ""])
        sheet.ws.append([sheet.cell(value, font=_BOLD, border=True)
                         for value in ("", gettext("Total"), table["total"] + table["unclassified"], "")])

    cube = Sheet(workbook, gettext("A × B × C"), [10, 20, 10, 18, 10, 24, 12, 14])
    cube.title(gettext("Complaints by channel, business type and reason (A × B × C)"))
    cube.plain([gettext("Quarter"), data["quarter"]])
    cube.ws.append([])
    cube.header([gettext("Channel code"), gettext("Business channel (A)"), gettext("Type code"),
                 gettext("Business type (B)"), gettext("Reason code"), gettext("Complaint reason (C)"),
                 gettext("Number of complaints"), gettext("Of which confirmed")])
    for row in regulatory.layout(data):
        values = cube_values(row)
        if row["kind"] == "item":
            cube.row(values)
        else:
            cube.ws.append([cube.cell(value, font=_BOLD, border=True) for value in values])
    cube.plain([gettext("Only the complaints classified in all three dimensions are in this table.")])
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        workbook.save(handle)
    except Exception:
        handle.close()
        raise
    handle.seek(0)
    return handle


def regulatory_notes(data) -> list:
    """What the quarterly report counts and leaves out, in words (page and workbook alike)."""
    lines = [gettext("%(counted)d complaints received in the quarter are counted: %(confirmed)d with the "
                     "classification confirmed by their handler, %(unconfirmed)d not yet confirmed (counted "
                     "under the codes registration suggested), %(unclassified)d of these without a code in "
                     "every dimension.", counted=data["counted"], confirmed=data["confirmed"],
                     unconfirmed=data["unconfirmed"], unclassified=data["unclassified"])]
    left_out = data["left_out"]
    if left_out["duplicates"]:
        lines.append(gettext("Another %(count)d duplicate complaints were merged into their originals and counted "
                             "once: they are not counted separately in these figures.", count=left_out["duplicates"]))
    if left_out["rejected"]:
        lines.append(gettext("%(count)d complaints not accepted (§4, §8) are not counted.", count=left_out["rejected"]))
    return lines


def handling_rows(data) -> list:
    """``[(caption, value)]`` of the handling-time figures, in the report's order."""
    handling = data["handling"]
    average = handling["average_working_days_to_reply"]
    return [
        (gettext("Replied"), handling["replied"]),
        (gettext("Replied within 10 working days"), handling["within_10"]),
        (gettext("Replied within 11 to 20 working days"), handling["within_20"]),
        (gettext("Replied after more than 20 working days"), handling["beyond_20"]),
        (gettext("Not yet replied"), handling["not_replied"]),
        (gettext("Replied by the deadline"), handling["on_time"]),
        (gettext("Overdue (replied late or still open past the deadline)"), handling["overdue"]),
        (gettext("Of which still open"), handling["overdue_open"]),
        (gettext("With an approved extension"), handling["extended"]),
        (gettext("Average working days to reply"), "—" if average is None else average),
    ]


def cube_values(row) -> list:
    """One row of the A × B × C table: codes and names, a subtotal named as such."""
    def parts(code):
        return (code["code"], code["name"]) if code else ("", "")

    channel, business, reason = parts(row["channel"]), parts(row["business"]), parts(row["reason"])
    if row["kind"] == "subtotal_b":
        reason = ("", gettext("Subtotal"))
    elif row["kind"] == "subtotal_a":
        business = ("", gettext("Subtotal"))
    elif row["kind"] == "total":
        channel = ("", gettext("Total"))
    return [*channel, *business, *reason, row["count"], row["confirmed"]]


def regulatory_download_name(data) -> str:
    return f"{gettext('Quarterly regulatory report')}_{data['quarter']}.xlsx"
