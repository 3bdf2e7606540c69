"""Reading CSV, TSV and XLSX files into rows of text, and finding the table's headings.

Row numbers are the ones the council sees: the spreadsheet row, or for CSV the
record number (a cell with line breaks is still one row).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from engine.importing.errors import ImportFileError

FORMATS = ("csv", "tsv", "xlsx", "docx")
_EXTENSIONS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "tsv", ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".docx": "docx", ".doc": "docx",  # an old .doc is told apart, and refused, when read
}  # fmt: skip
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


def detect_format(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        fmt = fmt.lower().lstrip(".")
        if fmt not in FORMATS:
            raise ImportFileError(path, f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
        return fmt
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise ImportFileError(
            path, "old Excel .xls files cannot be read; save the sheet as .xlsx or CSV"
        )
    if suffix not in _EXTENSIONS:
        raise ImportFileError(
            path,
            f"cannot tell the format from the extension {suffix or '(none)'!r}; "
            f"name the file .csv, .tsv, .xlsx or .docx or give the format",
        )
    return _EXTENSIONS[suffix]


def read_sheets(path: Path, fmt: str, sheet: str | None = None) -> list[Sheet]:
    """Every sheet to look in: the one named, or all sheets of a workbook in order."""
    if not path.is_file():
        raise ImportFileError(path, "no such file")
    if fmt == "xlsx":
        return _read_workbook(path, sheet)
    if fmt == "docx":
        from engine.importing.docx_reader import read_document  # python-docx: Word files only

        return read_document(path, sheet)
    if sheet is not None:
        raise ImportFileError(path, f"a sheet ({sheet!r}) was named but a {fmt} file has none")
    return [Sheet(path, None, list(_read_delimited(path, "\t" if fmt == "tsv" else ",")))]


def find_table(sheet: Sheet, is_heading: Callable[[str], bool]) -> Table | None:
    """The table under the first row (of the first few) made mostly of known headings."""
    for position, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        if _is_heading_row(row, is_heading):
            width = max(len(r.cells) for r in sheet.rows)
            headings = [row.cell(i) for i in range(width)]
            positions = _positions(row)
            texts = _texts(row)
            body: list[Row] = []
            repeated: list[int] = []
            for later in sheet.rows[position + 1 :]:
                # Tables pasted from documents repeat their headings at each page,
                # sometimes reworded ("/action", "/actions").
                if (
                    _positions(later) == positions
                    and texts & _texts(later)
                    and _is_heading_row(later, is_heading)
                ):
                    repeated.append(later.number)
                else:
                    body.append(later)
            return Table(
                sheet.path,
                sheet.name,
                row.number,
                headings,
                body,
                sheet.rows[:position],
                repeated,
                sheet.notes,
            )
    return None


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
    try:
        for number, record in enumerate(reader, 1):
            cells = tuple(_clean(value) for value in record)
            if any(cells):
                yield Row(number, _trim(cells))
    except csv.Error as exc:
        problem = f"row {number + 1} cannot be read as {_kind(delimiter)}: {exc}"
        raise ImportFileError(path, problem) from exc


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
    text = value.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ").strip()
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


# -- workbooks -----------------------------------------------------------------


def _read_workbook(path: Path, sheet: str | None) -> list[Sheet]:
    from openpyxl import load_workbook  # heavy import, only for workbooks
    from openpyxl.utils.exceptions import InvalidFileException

    data = path.read_bytes()
    try:
        # From bytes, so a workbook is read whatever its file is called.
        formulas = load_workbook(io.BytesIO(data), data_only=False)
        values = load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(path, f"not a readable .xlsx workbook ({exc})") from exc
    names = formulas.sheetnames
    if sheet is not None and sheet not in names:
        raise ImportFileError(path, f"no sheet named {sheet!r}; sheets are: {', '.join(names)}")
    chosen = [sheet] if sheet is not None else names
    return [_read_worksheet(path, name, formulas[name], values[name]) for name in chosen]


def _read_worksheet(path: Path, name: str, ws: Any, cached: Any) -> Sheet:
    from openpyxl.utils import get_column_letter

    grid: dict[int, list[str]] = {}
    notes: list[CellNote] = []
    for row in ws.iter_rows():
        texts: list[str] = []
        for cell in row:
            number_format = getattr(cell, "number_format", "General")
            text = _cell_text(cell.value, number_format)
            if cell.data_type == "f":
                formula = _formula_text(cell.value)
                value = cached.cell(row=cell.row, column=cell.column).value
                where = f"{get_column_letter(cell.column)}{cell.row}"
                if value is None:
                    text = formula
                    reason = (
                        f"cell {where} holds the formula {formula} with no calculated value "
                        f"saved; the formula text is kept, not run"
                    )
                else:
                    text = _cell_text(value, number_format)
                    reason = (
                        f"cell {where} holds the formula {formula}; its last calculated "
                        f"value {text!r} is used, the formula is not run"
                    )
                notes.append(CellNote(cell.row, cell.column - 1, formula, reason))
            elif cell.data_type == "e":
                reason = "the cell holds a spreadsheet error value"
                notes.append(CellNote(cell.row, cell.column - 1, text, reason))
            texts.append(text)
        if row:
            grid[row[0].row] = texts
    copied: dict[int, set[int]] = {}
    for merged in ws.merged_cells.ranges:
        top_left = grid.get(merged.min_row, [])
        value = top_left[merged.min_col - 1] if len(top_left) >= merged.min_col else ""
        for r in range(merged.min_row, merged.max_row + 1):
            cells = grid.setdefault(r, [])
            cells.extend([""] * (merged.max_col - len(cells)))
            for c in range(merged.min_col, merged.max_col + 1):
                cells[c - 1] = value
                if c > merged.min_col:
                    copied.setdefault(r, set()).add(c - 1)
    rows = [
        Row(number, _trim(tuple(cells)), frozenset(copied.get(number, ())))
        for number, cells in sorted(grid.items())
        if any(cells)
    ]
    return Sheet(path, name, rows, notes)


def _formula_text(value: object) -> str:
    text = getattr(value, "text", value)  # array formulas carry their text
    text = str(text)
    return text if text.startswith("=") else f"={text}"


def _cell_text(value: object, number_format: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if _shows_month_only(number_format):
            # "mmm-yy" cells mean a month, due by its end, not its first day.
            return value.strftime("%B %Y")
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    return _clean(str(value))


def _shows_month_only(number_format: str) -> bool:
    shown = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", number_format.lower())
    return "m" in shown and "y" in shown and "d" not in shown
