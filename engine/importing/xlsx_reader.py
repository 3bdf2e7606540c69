"""Reading an XLSX workbook into rows of text, one row at a time.

Each sheet is streamed in openpyxl's read-only mode: no cell outlives its row, and what
is kept of a row is its text. Read-only mode ignores the sheet's dimension element (it
can be wrong; every row written is read) and gives no merged cells, which say what a
row means (a row merged across the table is a grouping heading; a reference merged
down spans its action's rows): those are read first from the sheet's own XML
(``<mergeCells>``), streamed through defusedxml, which refuses entity declarations.

A formula cell is read as the value the spreadsheet last calculated for it, with a note
saying so. openpyxl gives a cell either its formula or its saved value, so the saved
values come from a second read-only view of the workbook, opened at the sheet's first
formula and read row by row along with the first.

A cell a merged range covers (any but its first) shows the range's first cell, as a
spreadsheet does, whatever the file holds for it. Merged ranges may cover at most
``MAX_MERGED_CELLS`` cells in all, so that a range over a whole column cannot make a
million rows out of nothing.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from engine.importing.colours import rating_of_fill
from engine.importing.errors import ImportFileError
from engine.importing.reader import (
    RECORD_SHEET,
    CellNote,
    Row,
    Sheet,
    _clean,
    _trim,
    check_cell,
    check_unpacked_size,
    column_letter,
    joined,
)

# The most cells a sheet's merged ranges may cover together; a plan's merges (headings
# across the table, references down an action's rows) cover a few thousand.
MAX_MERGED_CELLS = 200_000
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW_TAG = f"{_MAIN_NS}row"
_MERGE_TAG = f"{_MAIN_NS}mergeCell"
_SHEET_DATA_TAG = f"{_MAIN_NS}sheetData"
_NONE: frozenset[int] = frozenset()

# A merged range: its first row, first column (from 0), last row and last column.
Merge = tuple[int, int, int, int]


def read_workbook(path: Path, sheet: str | None) -> list[Sheet]:
    import openpyxl.xml  # heavy import, only for workbooks

    if not openpyxl.xml.DEFUSEDXML:
        # Without it openpyxl would expand XML entities a hostile workbook declares.
        raise ImportFileError(path, "workbooks cannot be read: the defusedxml package is missing")
    from defusedxml import DefusedXmlException

    data = path.read_bytes()
    check_unpacked_size(path, data)
    try:
        return _read_book(path, data, sheet)
    except ImportFileError:
        raise
    except Exception as exc:
        defused = _cause(exc, DefusedXmlException)
        if defused is not None:
            problem = f"the workbook's XML declares entities or a DTD, refused ({defused})"
            raise ImportFileError(path, problem) from exc
        # A damaged workbook fails inside openpyxl, zipfile, zlib or the XML parser in
        # more ways than can be listed (a bad QName, an unknown zip version, a truncated
        # stream), while it is opened or while a sheet is streamed: whatever it is, the
        # file is what cannot be read.
        raise ImportFileError(path, f"not a readable .xlsx workbook ({_one_line(exc)})") from exc


def _read_book(path: Path, data: bytes, sheet: str | None) -> list[Sheet]:
    book = _open(data, data_only=False)
    try:
        names = book.sheetnames
        if sheet is not None and sheet not in names:
            problem = f"no sheet named {sheet!r}; sheets are: {', '.join(names)}"
            raise ImportFileError(path, problem)
        record = _export_record(book)
        chosen = [sheet] if sheet is not None else [n for n in names if n != RECORD_SHEET]
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sheets = [_read_worksheet(path, data, archive, name, book[name]) for name in chosen]
    finally:
        book.close()
    for found in sheets:
        found.record = record
    return sheets


def _open(data: bytes, *, data_only: bool) -> Any:
    from openpyxl import load_workbook

    # From bytes, so a workbook is read whatever its file is called.
    return load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)


def _is_worksheet(ws: Any) -> bool:
    """A chart sheet holds no cells."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    return isinstance(ws, ReadOnlyWorksheet)


def _export_record(book: Any) -> str | None:
    """The record export-sheet keeps in a hidden sheet of its own; None when there is
    none, or when it is not as written (it is then simply not used)."""
    if RECORD_SHEET not in book.sheetnames:
        return None
    ws = book[RECORD_SHEET]
    if not _is_worksheet(ws) or ws.sheet_state == "visible":
        return None
    ws.reset_dimensions()
    rows = ws.iter_rows(min_row=1, min_col=1, max_col=1, values_only=True)
    pieces = [value for (value,) in rows]
    if not all(isinstance(p, str) for p in pieces):
        return None
    try:
        return joined(pieces)
    except ValueError:
        return None


def _cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """``exc`` or the exception it was raised from (openpyxl wraps the parser's)."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None or isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


# -- merged ranges ---------------------------------------------------------------


def merged_ranges(path: Path, archive: zipfile.ZipFile, part: str) -> list[Merge]:
    """The merged ranges of the sheet stored in ``part``, in the order the sheet lists
    them, streamed from its XML: rows are dropped as soon as they are parsed."""
    from defusedxml.ElementTree import iterparse
    from openpyxl.utils.cell import range_boundaries

    merges: list[Merge] = []
    covered = 0
    sheet_data: Any = None
    with archive.open(part) as stream:
        for _, element in iterparse(stream, events=("start",)):
            tag = element.tag
            if tag == _ROW_TAG:
                if sheet_data is not None:
                    # The rows parsed so far, this one with them: it is still filled
                    # in, and dropped when it ends.
                    sheet_data.clear()
            elif tag == _MERGE_TAG:
                ref = element.get("ref", "")
                first_col, first_row, last_col, last_row = range_boundaries(ref)
                if None in (first_col, first_row, last_col, last_row):
                    raise ValueError(f"the merged range {ref!r} is not a range of cells")
                if first_row > last_row or first_col > last_col:
                    raise ValueError(f"the merged range {ref!r} runs backwards")
                covered += (last_row - first_row + 1) * (last_col - first_col + 1)
                if covered > MAX_MERGED_CELLS:
                    raise ImportFileError(
                        path,
                        f"the merged cells of a sheet cover over {MAX_MERGED_CELLS:,} "
                        f"cells (the range {ref} among them); unmerge them; nothing read",
                    )
                merges.append((first_row, first_col - 1, last_row, last_col - 1))
            elif tag == _SHEET_DATA_TAG:
                sheet_data = element
    return merges


# -- cells -------------------------------------------------------------------------


class _SavedValues:
    """The values a sheet's formula cells had when the workbook was last saved, from a
    second read-only view of the workbook opened at the first formula. Rows are asked
    for in order, and read along with the first view."""

    def __init__(self, data: bytes, name: str) -> None:
        self._data = data
        self._name = name
        self._book: Any = None
        self._rows: Iterator[tuple[object, ...]] = iter(())
        self._number = 0
        self._row: tuple[object, ...] = ()

    def at(self, row: int, column: int) -> object:
        if self._book is None:
            self._book = _open(self._data, data_only=True)
            ws = self._book[self._name]
            ws.reset_dimensions()
            self._rows = ws.iter_rows(min_row=1, min_col=1, values_only=True)
        while self._number < row:
            self._row = next(self._rows, ())
            self._number += 1
        return self._row[column] if column < len(self._row) else None

    def close(self) -> None:
        if self._book is not None:
            self._book.close()


def _read_worksheet(path: Path, data: bytes, archive: zipfile.ZipFile, name: str, ws: Any) -> Sheet:
    if not _is_worksheet(ws):
        return Sheet(path, name, [])
    # The part openpyxl streams the cells from, so the merges come from the same one.
    merges = merged_ranges(path, archive, ws._worksheet_path)
    ws.reset_dimensions()
    notes: list[CellNote] = []
    saved = _SavedValues(data, name)
    try:
        rows = list(_rows(path, ws, merges, saved, notes))
    finally:
        saved.close()
    return Sheet(path, name, rows, notes)


def _rows(
    path: Path, ws: Any, merges: list[Merge], saved: _SavedValues, notes: list[CellNote]
) -> Iterator[Row]:
    """The sheet's non-empty rows, each with its merged ranges' text copied in."""
    waiting = sorted(merges, key=lambda m: m[0])  # stable: in the sheet's order
    shades: dict[int, tuple[str, str] | None] = {}  # by the cell's style
    active: list[Merge] = []
    firsts: dict[Merge, str] = {}
    number = 0
    for number, cells in enumerate(ws.iter_rows(min_row=1, min_col=1), 1):
        while waiting and waiting[0][0] <= number:
            active.append(waiting.pop(0))
        if active and any(m[2] < number for m in active):
            active = [m for m in active if m[2] >= number]
        covered = _covered(number, active) if active else _NONE
        texts = [
            _text(path, number, index, cell, saved, notes, covered)
            for index, cell in enumerate(cells)
        ]
        fills = tuple(
            (index, *shade)
            for index, cell in enumerate(cells)
            if index not in covered and (shade := _shade(cell, shades)) is not None
        )
        row = _row(number, texts, active, firsts, fills)
        if row is not None:
            yield row
    # Rows below the last one written that merged ranges still span.
    while waiting or active:
        number += 1
        if not active and waiting[0][0] > number:
            number = waiting[0][0]
        while waiting and waiting[0][0] <= number:
            active.append(waiting.pop(0))
        active = [m for m in active if m[2] >= number]
        row = _row(number, [], active, firsts)
        if row is not None:
            yield row


def _covered(number: int, active: list[Merge]) -> set[int]:
    """The columns of row ``number`` that show a merged range's first cell, not their own."""
    return {
        c
        for first_row, first_col, _, last_col in active
        for c in range(first_col, last_col + 1)
        if number > first_row or c > first_col
    }


def _shade(cell: Any, known: dict[int, tuple[str, str] | None]) -> tuple[str, str] | None:
    """(rating word, colour) of a cell's solid fill that shows a rating's colour; worked
    out once for each of the workbook's cell styles."""
    style = getattr(cell, "_style_id", 0)
    if not style:
        return None
    if style not in known:
        fill = cell.fill
        colour = fill.fgColor.rgb if fill.fill_type == "solid" else None
        if not isinstance(colour, str) and getattr(fill.fgColor, "type", None) == "indexed":
            from openpyxl.styles.colors import COLOR_INDEX

            index = fill.fgColor.indexed
            colour = COLOR_INDEX[index] if 0 <= index < len(COLOR_INDEX) else None
        word = rating_of_fill(colour if isinstance(colour, str) else None)
        known[style] = (word, str(colour)[-6:].upper()) if word else None
    return known[style]


def _row(
    number: int,
    texts: list[str],
    active: list[Merge],
    firsts: dict[Merge, str],
    fills: tuple[tuple[int, str, str], ...] = (),
) -> Row | None:
    copied: set[int] = set()
    spanned: set[int] = set()
    for merge in active:
        first_row, first_col, _, last_col = merge
        if number == first_row:
            firsts[merge] = texts[first_col] if first_col < len(texts) else ""
        value = firsts.get(merge, "")
        if len(texts) <= last_col:
            texts.extend([""] * (last_col + 1 - len(texts)))
        for c in range(first_col, last_col + 1):
            texts[c] = value
            if c > first_col:
                copied.add(c)
            if number > first_row:
                spanned.add(c)
    cells = _trim(tuple(texts))
    if not any(cells):
        return None
    return Row(
        number,
        cells,
        frozenset(copied) if copied else _NONE,
        frozenset(spanned) if spanned else _NONE,
        fills,
    )


def _text(
    path: Path,
    row: int,
    column: int,
    cell: Any,
    saved: _SavedValues,
    notes: list[CellNote],
    covered: frozenset[int] | set[int],
) -> str:
    """One cell's text, noting a formula or an error value."""
    value = cell.value
    if value is None or column in covered:
        return ""
    if isinstance(value, str):
        check_cell(path, row, column, value)
    kind = cell.data_type
    if kind == "f":
        formula = _formula_text(value)
        cached = saved.at(row, column)
        where = f"{column_letter(column)}{row}"
        if cached is None:
            notes.append(
                CellNote(
                    row,
                    column,
                    formula,
                    f"cell {where} holds the formula {formula} with no calculated value "
                    f"saved; the formula text is kept, not run",
                )
            )
            return formula
        if isinstance(cached, str):
            check_cell(path, row, column, cached)
        text = _cell_text(cached, _number_format(cell, cached))
        notes.append(
            CellNote(
                row,
                column,
                formula,
                f"cell {where} holds the formula {formula}; its last calculated "
                f"value {text!r} is used, the formula is not run",
            )
        )
        return text
    if isinstance(value, str):
        text = _clean(value)
    else:
        text = _cell_text(value, _number_format(cell, value))
    if kind == "e":
        notes.append(CellNote(row, column, text, "the cell holds a spreadsheet error value"))
    return text


def _number_format(cell: Any, value: object) -> str:
    """How the cell shows its value; only a date's matters, and looking it up costs."""
    if isinstance(value, datetime):
        return str(getattr(cell, "number_format", None) or "General")
    return "General"


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
