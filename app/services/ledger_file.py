"""Reading a complaint ledger file (issue 23): an Excel workbook (.xlsx) or a CSV file in UTF-8 or
GBK, its sheet, its header row and its data rows — within limits, and never more than that: any
file a user or script sends is either read or refused with one translated message
(``LedgerFileError``), never an unhandled error.

- The kind is read from the content, not the name: a ZIP signature is a workbook, the old binary
  Excel format (.xls) is refused with a hint, anything else is read as CSV text.
- A workbook is opened only when its parts unpacked stay under ``MAX_UNPACKED_BYTES`` (a small
  file may unpack to gigabytes), read-only and with the values Excel last computed.
- The header row is the first of the sheet's first ``HEADER_SEARCH_ROWS`` rows that names at least
  two ledger fields (a title row above it is skipped), else the first non-empty row.
- Rows are numbered as the spreadsheet shows them (the file's first row is 1); empty rows are
  skipped; more than ``MAX_ROWS`` data rows refuse the file.
"""
import csv
import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from flask_babel import gettext

from ..domain import ledger as d
from ..domain.textfile import decode_text
from ..errors import ValidationFailed

MAX_UNPACKED_BYTES = 64 * 1024 * 1024
EMPTY_ROWS_ENDING_A_SHEET = 1000  # a sheet formatted far below its data ends after this many empty rows
XLSX_SIGNATURE = b"PK\x03\x04"
XLS_SIGNATURE = b"\xd0\xcf\x11\xe0"


class LedgerFileError(ValidationFailed):
    """The file cannot be read as a ledger; nothing was changed."""

    def __init__(self, message):
        super().__init__(message, field="file")


@dataclass
class LedgerRow:
    """One data row: its number as the spreadsheet shows it, and its cells by header."""

    number: int
    cells: Dict[str, object]


@dataclass
class Ledger:
    """A ledger file as read: where its rows come from and the rows themselves."""

    filename: str
    sha256: str
    kind: str  # "xlsx" or "csv"
    headers: List[str]
    rows: List[LedgerRow]
    header_row: int
    sheet: Optional[str] = None
    sheets: List[str] = field(default_factory=list)
    encoding: Optional[str] = None  # a CSV file's: "UTF-8" or "GBK"

    def filled(self, header) -> int:
        """How many data rows have something in the column ``header``."""
        return sum(1 for row in self.rows if d.cell_text(row.cells.get(header)))


def _too_large() -> LedgerFileError:
    return LedgerFileError(gettext("The file is too large (at most %(mb)d MB).", mb=d.MAX_FILE_BYTES // (1024 * 1024)))


def read_ledger(filename: str, content: bytes, sheet: Optional[str] = None) -> Ledger:
    """The ledger in ``content`` (the file ``filename``); ``sheet`` names a workbook's sheet
    (default: the first that looks like a ledger). ``LedgerFileError`` when it cannot be read."""
    content = bytes(content or b"")
    if not content:
        raise LedgerFileError(gettext("The file is empty."))
    if len(content) > d.MAX_FILE_BYTES:
        raise _too_large()
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1][:200] or "ledger"
    digest = hashlib.sha256(content).hexdigest()
    if content.startswith(XLS_SIGNATURE):
        raise LedgerFileError(gettext("This is an old Excel file (.xls): save it as an Excel workbook (.xlsx) or as "
                                      "CSV and upload that."))
    if content.startswith(XLSX_SIGNATURE):
        return _read_workbook(name, digest, content, sheet)
    if sheet:
        raise LedgerFileError(gettext("A CSV file has no sheets; leave the sheet empty."))
    return _read_csv(name, digest, content)


# --- workbooks ------------------------------------------------------------------------------------

def _open_workbook(content: bytes):
    """openpyxl's read-only workbook, after the ZIP's unpacked size is checked."""
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise LedgerFileError(gettext("The file is not a valid Excel workbook (.xlsx).")) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise _too_large()
    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 — any failure of the parser on a file from outside is "not a workbook"
        raise LedgerFileError(gettext("The file is not a valid Excel workbook (.xlsx).")) from None


def _sheet_rows(worksheet):
    """``(row number, [cell values])`` of a sheet, empty rows skipped, up to the limits."""
    empty_run = 0
    for number, values in enumerate(worksheet.iter_rows(max_col=d.MAX_COLUMNS + 1, values_only=True), start=1):
        values = list(values or ())
        if not any(d.cell_text(value) for value in values):
            empty_run += 1
            if empty_run > EMPTY_ROWS_ENDING_A_SHEET:
                return
            continue
        empty_run = 0
        yield number, values


def _header_score(worksheet) -> int:
    """How many ledger fields the best of a sheet's first rows names."""
    best = 0
    for seen, (_number, values) in enumerate(_sheet_rows(worksheet)):
        if seen >= d.HEADER_SEARCH_ROWS:
            break
        best = max(best, _Collector.matches(values))
    return best


def _read_workbook(name, digest, content, sheet):
    workbook = _open_workbook(content)
    try:
        sheets = list(workbook.sheetnames)
        if sheet and sheet not in sheets:
            raise LedgerFileError(gettext("The workbook has no sheet “%(sheet)s”; its sheets are: %(sheets)s.",
                                          sheet=d.short(sheet), sheets="、".join(sheets)))
        tables = [candidate for candidate in sheets if hasattr(workbook[candidate], "iter_rows")]
        if sheet is None:
            # The first sheet that looks like a ledger (a workbook may open on a summary sheet).
            sheet = next((candidate for candidate in tables if _header_score(workbook[candidate]) >= 2),
                         tables[0] if tables else sheets[0])
        if sheet not in tables:
            raise LedgerFileError(gettext("The sheet “%(sheet)s” holds no table.", sheet=d.short(sheet)))
        rows = _Collector(_sheet_rows(workbook[sheet]))
        if rows.header is None:
            raise LedgerFileError(gettext("The sheet “%(sheet)s” is empty.", sheet=d.short(sheet)))
        return rows.ledger(name, digest, "xlsx", sheet=sheet, sheets=sheets)
    except LedgerFileError:
        raise
    except Exception:  # noqa: BLE001 — a damaged part of a file from outside is "not a workbook"
        raise LedgerFileError(gettext("The file is not a valid Excel workbook (.xlsx).")) from None
    finally:
        workbook.close()


# --- CSV ------------------------------------------------------------------------------------------

def _read_csv(name, digest, content):
    text = decode_text(content)
    if text is None:
        raise LedgerFileError(gettext("The file is neither an Excel workbook (.xlsx) nor a CSV file in UTF-8 or GBK."))
    encoding = "UTF-8" if _is_utf8(content) else "GBK"
    if "\x00" in text:
        raise LedgerFileError(gettext("The file is not a valid CSV file."))

    def records():
        reader = csv.reader(io.StringIO(text, newline=""))
        for number, record in enumerate(reader, start=1):
            if any(d.cell_text(cell) for cell in record):
                yield number, record

    try:
        rows = _Collector(records())
    except csv.Error:
        raise LedgerFileError(gettext("The file is not a valid CSV file.")) from None
    if rows.header is None:
        raise LedgerFileError(gettext("The file contains no rows."))
    return rows.ledger(name, digest, "csv", encoding=encoding)


def _is_utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return True


# --- header and rows ------------------------------------------------------------------------------

class _Collector:
    """The header row and the data rows of a sheet's non-empty rows."""

    def __init__(self, numbered_rows):
        self.header = None
        self.header_matches = 0
        self.headers: List[str] = []
        self.columns: List[int] = []
        self.rows: List[LedgerRow] = []
        before = []
        for number, values in numbered_rows:
            if self.header is None:
                before.append((number, values))
                if self.matches(values) >= 2 or len(before) >= d.HEADER_SEARCH_ROWS:
                    self._choose_header(before)
                    for later_number, later_values in before:
                        if later_number > self.header:
                            self._add(later_number, later_values)
                continue
            self._add(number, values)
        if self.header is None and before:
            self._choose_header(before)
            for later_number, later_values in before:
                if later_number > self.header:
                    self._add(later_number, later_values)

    @staticmethod
    def matches(values) -> int:
        """How many ledger fields the cells name as headers."""
        return len({d.header_matches(value) for value in values if d.cell_text(value)} - {None})

    def _choose_header(self, candidates):
        best = next(((n, v) for n, v in candidates if self.matches(v) >= 2), candidates[0])
        self.header, values = best
        self.header_matches = self.matches(values)
        if any(d.cell_text(value) for value in values[d.MAX_COLUMNS:]):
            raise LedgerFileError(gettext("The ledger has more than %(count)d columns.", count=d.MAX_COLUMNS))
        seen = {}
        for index, value in enumerate(values[:d.MAX_COLUMNS]):
            text = d.cell_text(value)[:d.MAX_HEADER_LENGTH]
            if not text:
                continue
            seen[text] = seen.get(text, 0) + 1
            header = text if seen[text] == 1 else f"{text} ({seen[text]})"
            self.headers.append(header)
            self.columns.append(index)

    def _add(self, number, values):
        if len(self.rows) >= d.MAX_ROWS:
            raise LedgerFileError(gettext("The ledger has more than %(count)d rows; split it (for example by year) and "
                                          "import the parts one after the other.", count=d.MAX_ROWS))
        cells = {header: (values[index] if index < len(values) else None)
                 for header, index in zip(self.headers, self.columns)}
        if any(d.cell_text(value) for value in cells.values()):
            self.rows.append(LedgerRow(number, cells))

    def ledger(self, name, digest, kind, **extra) -> Ledger:
        if not self.rows:
            raise LedgerFileError(gettext("The ledger has a header row but no data rows."))
        return Ledger(filename=name, sha256=digest, kind=kind, headers=self.headers, rows=self.rows,
                      header_row=self.header, **extra)
