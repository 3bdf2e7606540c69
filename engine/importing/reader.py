"""Reading CSV and TSV files into rows of text, and finding the table's headings.

Row numbers are the ones the council sees: the spreadsheet row, or for CSV the
record number (a cell with line breaks is still one row).

Every format is read by the function ``READERS`` names for it, loaded only when a file
of that format is read (workbooks: engine.importing.xlsx_reader; Word documents:
engine.importing.docx_reader); a new format adds its extension to ``EXTENSIONS`` and its
reader to ``READERS``, and returns the same ``Sheet`` and ``Row``.

A file that could hurt is refused before it is parsed: a workbook whose parts unpack
past ``MAX_UNPACKED_BYTES`` (a zip bomb), XML with entity declarations (openpyxl and the
workbook reader parse through defusedxml, which refuses them), and any cell longer than
Excel's own limit of ``MAX_CELL_CHARS`` characters, whatever the format.
"""

from __future__ import annotations

import csv
import importlib
import io
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from engine.importing.errors import ImportFileError

# The hidden sheet in which export-sheet writes the plan exactly (engine.importing.exported).
RECORD_SHEET = "actiontrail-export"


def joined(pieces: list[str]) -> str:
    """The export record from the pieces it was cut into, each between two bars so that
    no trimming of a cell's spaces can touch it; ValueError when one is not a piece."""
    if not pieces or any(len(p) < 2 or p[0] != "|" or p[-1] != "|" for p in pieces):
        raise ValueError("the export record's pieces are not as written")
    return "".join(p[1:-1] for p in pieces)


# Format -> "module:function" reading a file of it into sheets: (path, sheet) -> [Sheet].
READERS: dict[str, str] = {
    "csv": "engine.importing.reader:read_csv",
    "tsv": "engine.importing.reader:read_tsv",
    "xlsx": "engine.importing.xlsx_reader:read_workbook",
    # python-docx loads only for Word files.
    "docx": "engine.importing.docx_reader:read_document",
}
FORMATS = tuple(READERS)
EXTENSIONS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "tsv", ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".docx": "docx", ".doc": "docx",  # an old .doc is told apart, and refused, when read
}  # fmt: skip
# Excel's own limit on a cell's length; nothing longer is a cell a council typed.
MAX_CELL_CHARS = 32_767
# What a workbook or document may unpack to, read from its zip directory before parsing;
# ACTIONTRAIL_IMPORT_MAX_UNPACKED_MB sets another limit.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
HEADER_SEARCH_ROWS = 50
# What a spreadsheet reads as the start of a formula when it opens a cell's text.
FORMULA_STARTS = "=+-@"


@dataclass(frozen=True)
class Row:
    """One non-empty row. ``copied`` holds the columns whose text is a copy of a merged
    range's first cell further left in this same row, so it can be counted once."""

    number: int
    cells: tuple[str, ...]
    copied: frozenset[int] = frozenset()
    # Columns whose text is a merged range's, begun in a row above (a reference or
    # objective spanning an action's stage rows).
    spanned: frozenset[int] = frozenset()
    # (column, rating word, colour) of the cells shaded in a rating's colour.
    fills: tuple[tuple[int, str, str], ...] = ()

    def cell(self, index: int) -> str:
        return self.cells[index] if index < len(self.cells) else ""

    def own_values(self) -> list[tuple[int, str]]:
        """(column, text) of the non-empty cells that are not same-row merge copies."""
        return [(i, v) for i, v in enumerate(self.cells) if v and i not in self.copied]


@dataclass(frozen=True)
class CellNote:
    """Something the reader changed or could not read in one cell (a formula)."""

    row: int
    column: int
    value: str
    reason: str


@dataclass
class Sheet:
    path: Path
    name: str | None
    rows: list[Row]
    notes: list[CellNote] = field(default_factory=list)
    # What export-sheet wrote beside the cells (engine.importing.exported), if anything.
    record: str | None = None


@dataclass
class Table:
    """The rows under a heading row; ``preamble`` holds the rows above it."""

    path: Path
    sheet: str | None
    header_row: int
    headings: list[str]
    rows: list[Row]
    preamble: list[Row]
    repeated_headers: list[int]
    notes: list[CellNote]
    record: str | None = None


def detect_format(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        fmt = fmt.lower().lstrip(".")
        if fmt not in READERS:
            raise ImportFileError(path, f"unknown format {fmt!r}; use one of {', '.join(READERS)}")
        return fmt
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise ImportFileError(
            path, "old Excel .xls files cannot be read; save the sheet as .xlsx or CSV"
        )
    if suffix not in EXTENSIONS:
        names = ", ".join(sorted({e for e, f in EXTENSIONS.items() if e[1:] == f}))
        raise ImportFileError(
            path,
            f"cannot tell the format from the extension {suffix or '(none)'!r}; "
            f"name the file {names} or give the format",
        )
    return EXTENSIONS[suffix]


def read_sheets(path: Path, fmt: str, sheet: str | None = None) -> list[Sheet]:
    """Every sheet to look in: the one named, or all sheets of a workbook in order."""
    if not path.is_file():
        raise ImportFileError(path, "no such file")
    module, _, name = READERS[fmt].partition(":")
    read: Callable[[Path, str | None], list[Sheet]] = getattr(importlib.import_module(module), name)
    return read(path, sheet)


def read_csv(path: Path, sheet: str | None) -> list[Sheet]:
    _no_sheets(path, sheet, "csv")
    return [Sheet(path, None, list(_read_delimited(path, ",")))]


def read_tsv(path: Path, sheet: str | None) -> list[Sheet]:
    _no_sheets(path, sheet, "tsv")
    return [Sheet(path, None, list(_read_delimited(path, "\t")))]


def _no_sheets(path: Path, sheet: str | None, fmt: str) -> None:
    if sheet is not None:
        raise ImportFileError(path, f"a sheet ({sheet!r}) was named but a {fmt} file has none")


def check_cell(path: Path, row: int, column: int, text: str) -> None:
    """Refuse a cell longer than Excel allows, naming where it is."""
    if len(text) > MAX_CELL_CHARS:
        raise ImportFileError(
            path,
            f"row {row}, column {column_letter(column)}: the cell holds {len(text):,} "
            f"characters, over the limit of {MAX_CELL_CHARS:,} (Excel's own); nothing read",
        )


def check_unpacked_size(path: Path, data: bytes, what: str = "workbook") -> None:
    """Refuse a zip (XLSX, DOCX) whose parts unpack past the limit, from its directory
    alone: nothing is decompressed. The zip reader never inflates a part beyond the
    size its directory declares, so the declared sizes bound what parsing can use."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFileError(path, f"not a readable {what} ({exc})") from exc
    limit = max_unpacked_bytes()
    if total > limit:
        raise ImportFileError(
            path,
            f"the {what} unpacks to {total / 1024 / 1024:,.1f} MB, over the limit of "
            f"{limit / 1024 / 1024:,.1f} MB ({len(data):,} bytes packed); nothing read",
        )


def max_unpacked_bytes() -> int:
    setting = os.environ.get("ACTIONTRAIL_IMPORT_MAX_UNPACKED_MB", "").strip()
    try:
        return int(float(setting) * 1024 * 1024) if setting else MAX_UNPACKED_BYTES
    except ValueError:
        return MAX_UNPACKED_BYTES


def column_letter(index: int) -> str:
    """0 -> "A", 26 -> "AA"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def find_table(sheet: Sheet, is_heading: Callable[[str], bool]) -> Table | None:
    """The table under the first row (of the first few) made mostly of known headings."""
    for position, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        if _is_heading_row(row, is_heading):
            width = max(len(r.cells) for r in sheet.rows)
            following = sheet.rows[position + 1 : position + 2]
            sub = following[0] if following else None
            if sub is not None and not _is_sub_heading(row, sub, is_heading):
                sub = None
            headings = [row.cell(i) for i in range(width)]
            if sub is not None:
                headings = [
                    _sub_heading(h, sub.cell(i), is_heading) for i, h in enumerate(headings)
                ]
            positions = _positions(row)
            texts = _texts(row)
            body: list[Row] = []
            repeated: list[int] = []
            after_heading = False
            for later in sheet.rows[position + (2 if sub else 1) :]:
                # Tables pasted from documents repeat their headings at each page,
                # sometimes reworded ("/action", "/actions"), with their second row.
                if (
                    _positions(later) == positions
                    and texts & _texts(later)
                    and _is_heading_row(later, is_heading)
                ) or (after_heading and sub is not None and later.cells == sub.cells):
                    repeated.append(later.number)
                    after_heading = not after_heading
                else:
                    body.append(later)
                    after_heading = False
            return Table(
                sheet.path,
                sheet.name,
                row.number,
                headings,
                body,
                sheet.rows[:position],
                repeated,
                sheet.notes,
                sheet.record,
            )
    return None


def _is_sub_heading(row: Row, below: Row, is_heading: Callable[[str], bool]) -> bool:
    """Whether ``below`` names the parts of headings merged across columns above it
    ("Timescale" over "Start" and "End"): it differs from the heading row only under
    such a heading, at least one part is a heading of its own, and everywhere else it
    repeats the heading row (a heading merged down) or is empty."""
    differs = [i for i, v in enumerate(below.cells) if v and v != row.cell(i)]
    if not any(is_heading(_sub_heading("", below.cells[i], is_heading)) for i in differs):
        return False
    for i in differs:
        top = row.cell(i)
        neighbours = (row.cell(i - 1) if i else "", row.cell(i + 1))
        merged = i in row.copied or (i + 1) in row.copied or top in neighbours
        if not top or not merged:
            return False
    return True


# Parts of a date heading over two rows that name a start or a finish only there.
_DATE_PARTS = {"end": "End date", "to": "End date", "by": "End date", "from": "Start date"}


def _sub_heading(top: str, sub: str, is_heading: Callable[[str], bool]) -> str:
    """A column's heading from a two-row heading: the lower part when it is a known
    heading on its own ("Start") or a date's part ("End"), else both ("Timescale
    Lead"), else the top."""
    if not sub or sub == top:
        return top
    if is_heading(sub):
        return sub
    return _DATE_PARTS.get(sub.strip().lower().rstrip(":"), f"{top} {sub}")


def _is_heading_row(row: Row, is_heading: Callable[[str], bool]) -> bool:
    values = [v for _, v in row.own_values()]
    known = sum(1 for v in values if is_heading(v))
    return known >= 2 and 2 * known >= len(values)


def _texts(row: Row) -> set[str]:
    return {" ".join(v.lower().split()) for _, v in row.own_values()}


def _positions(row: Row) -> tuple[int, ...]:
    return tuple(i for i, _ in row.own_values())


# -- delimited text ----------------------------------------------------------


def _read_delimited(path: Path, delimiter: str) -> Iterator[Row]:
    text = _decode(path, path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    width = 0
    record: list[str] = []
    try:
        for number, record in enumerate(reader, 1):
            for column, value in enumerate(record):
                check_cell(path, number, column, value)
                if width > 2 and "\n" in value:
                    _check_swallowed(path, number, column, value, delimiter, width)
            cells = tuple(_clean(value) for value in record)
            if any(cells):
                width = width or len(_trim(cells))
                yield Row(number, _trim(cells))
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            problem = (
                f"row {number + 1}: a cell is longer than {MAX_CELL_CHARS:,} characters "
                f"(Excel's own limit); nothing read"
            )
        else:
            problem = f"row {number + 1} cannot be read as {_kind(delimiter)}: {exc}"
        raise ImportFileError(path, problem) from exc
    # Quotes come in pairs; with one left over, a quote that opened in the last record
    # ran to the end of the file and took every row after it.
    if text.count('"') % 2 and record and "\n" in record[-1].rstrip("\r\n"):
        _swallowed(path, number, len(record) - 1, record[-1].split("\n", 1)[1])


def _check_swallowed(
    path: Path, row: int, column: int, value: str, delimiter: str, width: int
) -> None:
    """A cell's line that reads as a whole row of its own (as many fields as the
    headings, give or take one) was a row swallowed by a quote left open."""
    for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n")[1:]:
        if line.count(delimiter) >= max(2, width - 2):
            _swallowed(path, row, column, line)


def _swallowed(path: Path, row: int, column: int, line: str) -> None:
    raise ImportFileError(
        path,
        f'row {row}, column {column_letter(column)}: a quote (") opens in this cell and is '
        f"not closed where the cell should end, so the rows after it are read as its text "
        f"(such as {line.strip()[:60]!r}); close the quote or remove it; nothing read",
    )


def _kind(delimiter: str) -> str:
    return "tab-separated text" if delimiter == "\t" else "comma-separated text"


def _decode(path: Path, data: bytes) -> str:
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ImportFileError(path, "the file is empty")
    if data.startswith(b"PK\x03\x04"):
        raise ImportFileError(
            path,
            "this is a zip file (an .xlsx workbook?), not CSV text; "
            "give it an .xlsx name or choose the xlsx format",
        )
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            path, "this is an old Excel .xls workbook, not CSV text; save it as CSV or .xlsx"
        )
    if b"\x00" in data[:8192] or data.startswith(b"%PDF"):
        raise ImportFileError(path, "this is a binary file, not CSV text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            # Excel's "CSV" on Windows writes the Windows-1252 code page.
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                path, f"the text is neither UTF-8 nor Windows-1252 (byte {exc.start})"
            ) from exc
    sample = text[:8192]
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    if control * 20 > len(sample):
        raise ImportFileError(path, "this is a binary file, not CSV text")
    return text


def _clean(value: str) -> str:
    # A lone carriage return is kept: in a name it is refused (a mail header's line
    # break), and line splitting treats it as a break everywhere else.
    text = value.replace("\r\n", "\n").replace("\xa0", " ").strip()
    # A sheet written by export-sheet quotes text that a spreadsheet would run as a
    # formula ("'=SUM(...)"); the quote is the escape, not part of the text.
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS:
        return text[1:]
    return text


def _trim(cells: tuple[str, ...]) -> tuple[str, ...]:
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]
