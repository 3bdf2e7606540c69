"""Reading a plan's tables straight from a Word document (.docx) into the same rows as a sheet.

What a Word plan holds, and how it is read:

* The plan's table may be split into several tables (one per improvement area, or a
  table broken across pages) with the heading row repeated: tables that repeat the same
  heading row, or follow on with the same number of columns and no heading row of their
  own, are read as one table. Other tables (a summary, RAG guidance) are left out and
  reported.
* A cell merged across columns counts once, like a merged range in a workbook, so a
  row merged across the whole table reads as a heading with only its first cell filled;
  a cell merged down counts for every row it spans.
* A cell's paragraphs, and the items of a list, are its lines; a numbered list keeps
  the numbers Word shows ("1.", "2.", carried on from cell to cell as Word carries them),
  a bulleted one drops the bullet.
* The paragraphs above the first table (title, organisation, source) come first, as
  the rows above a sheet's headings do, and text between two tables of the plan (an
  area heading typed as a paragraph) is read as a row across the table.

Rows are numbered down the document, one per table row and one per non-empty paragraph
outside the tables, so the report's row numbers follow the document's order.

A Word file is a zip of XML: before anything is parsed, its uncompressed size is checked
against a limit and every XML part is read with defusedxml, which refuses a DTD or an
entity declaration (a Word document needs neither); only then is it opened with
python-docx.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.importing.colours import rating_of_fill
from engine.importing.errors import ImportFileError
from engine.importing.exported import RECORD_NAMESPACE, RECORD_PART
from engine.importing.layouts import field_for_heading
from engine.importing.reader import CellNote, Row, Sheet, _clean, _trim, check_cell, column_letter

# What the parts of a document may expand to, unzipped: a plan of thousands of actions
# is a few megabytes; a zip bomb is gigabytes.
MAX_UNCOMPRESSED = 100 * 1024 * 1024
# What its XML may expand to: the XML is parsed into a tree several times its size, so
# it has a lower limit than pictures (about 9,000 table rows of a 13-column plan, read
# in some 250 MB).
MAX_XML = 12 * 1024 * 1024
MAX_PARTS = 5_000
# Word's own limit on a table's columns; a larger span in the XML is hostile or broken.
MAX_COLUMNS = 63
# Paragraphs read above the first table; a long introduction is not the plan.
PREAMBLE_LIMIT = 20
_OLE = b"\xd0\xcf\x11\xe0"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _w(tag: str) -> str:
    return f"{{{_W}}}{tag}"


_P, _TBL, _TR, _TC, _SDT, _SDT_CONTENT, _CUSTOM_XML = (
    _w(t) for t in ("p", "tbl", "tr", "tc", "sdt", "sdtContent", "customXml")
)
# Parts of a paragraph whose text is not shown: deleted or moved-away revisions, the
# fallback copy of a drawing, field codes.
_HIDDEN = {_w("del"), _w("moveFrom"), f"{{{_MC}}}Fallback", _w("pPr"), _w("rPr"), _w("instrText")}


def read_document(path: Path, sheet: str | None = None) -> list[Sheet]:
    """One sheet per set of tables that belong together, in the document's order; the
    importer reads the first whose heading row it recognises."""
    if sheet is not None:
        raise ImportFileError(path, f"a sheet ({sheet!r}) was named but a Word document has none")
    data = path.read_bytes()
    check_package(path, data)
    body, numbering = _open(path, data)
    sheets = _Reader(path, numbering).read(body)
    record = _export_record(path, data)
    for found in sheets:
        found.record = record
    return sheets


def _export_record(path: Path, data: bytes) -> str | None:
    """What export-sheet wrote beside the table (engine.importing.exported), from its
    custom XML part; the package's XML has been checked by check_package."""
    from xml.etree.ElementTree import ParseError

    from defusedxml.ElementTree import fromstring

    package = zipfile.ZipFile(io.BytesIO(data))
    if RECORD_PART not in package.namelist():
        return None
    try:
        root = fromstring(package.read(RECORD_PART), forbid_dtd=True)
    except ParseError as exc:
        raise ImportFileError(
            path, f"the document is damaged: {RECORD_PART} is not XML ({exc})"
        ) from exc
    if root.tag != f"{{{RECORD_NAMESPACE}}}record":
        return None
    return "".join(root.itertext())


# -- the package, before anything is parsed ----------------------------------------------


def check_package(path: Path, data: bytes) -> None:
    """Refuse, unparsed, what is not a Word document or could hurt the reader."""
    if not data.strip():
        raise ImportFileError(path, "the file is empty")
    if data.startswith(_OLE):
        raise ImportFileError(
            path,
            "this is an old Word .doc file or a password-protected document, not a .docx; "
            "open it in Word and save it as a Word Document (.docx) without a password",
        )
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        infos = package.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFileError(
            path, f"not a Word .docx document: it is not a zip package ({exc})"
        ) from exc
    if len(infos) > MAX_PARTS:
        raise ImportFileError(
            path, f"the document has {len(infos):,} parts, more than {MAX_PARTS:,}; refused unread"
        )
    expanded = sum(info.file_size for info in infos)
    if expanded > MAX_UNCOMPRESSED:
        raise ImportFileError(
            path,
            f"the document expands to {expanded:,} bytes, more than the {MAX_UNCOMPRESSED:,} "
            f"a plan may take; refused unread",
        )
    xml = sum(info.file_size for info in infos if info.filename.endswith((".xml", ".rels")))
    if xml > MAX_XML:
        raise ImportFileError(
            path,
            f"the document's text (its XML) expands to {xml:,} bytes, more than the "
            f"{MAX_XML:,} a plan may take; refused unread",
        )
    names = {info.filename for info in infos}
    if "word/document.xml" not in names:
        kind = " (it is an Excel workbook: name it .xlsx)" if "xl/workbook.xml" in names else ""
        raise ImportFileError(path, f"not a Word .docx document: it has no word/document.xml{kind}")
    for info in infos:
        if info.filename.endswith((".xml", ".rels")):
            _check_xml(path, info.filename, _member(path, package, info), whole=False)


def _name_damaged_part(path: Path, data: bytes) -> None:
    """Name the part that is not XML, if one is: read whole only once the document
    could not be opened (check_package reads each part's prolog alone)."""
    package = zipfile.ZipFile(io.BytesIO(data))
    for info in package.infolist():
        if info.filename.endswith((".xml", ".rels")):
            _check_xml(path, info.filename, _member(path, package, info), whole=True)


def _member(path: Path, package: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        return package.read(info)
    # A damaged part fails in zlib (a corrupt stream) or ends early (EOFError).
    except (
        zipfile.BadZipFile,
        OSError,
        ValueError,
        NotImplementedError,
        zlib.error,
        EOFError,
    ) as exc:
        raise ImportFileError(path, f"the document is damaged: {info.filename}: {exc}") from exc


class _NoTree:
    """A parser target that keeps nothing: the part is only checked, not built."""

    def close(self) -> None:
        return None


class _RootReached(Exception):
    """The part's root element began: its prolog, the only place a DTD can be, is read."""


def _root_reached(*_: object) -> None:
    raise _RootReached


def _check_xml(path: Path, name: str, data: bytes, whole: bool) -> None:
    """Refuse a part that declares a DTD or entities, which can only be done before its
    root element: unless ``whole``, reading stops there (the Word reader, which resolves
    no entity, then parses the part)."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import DefusedXMLParser

    parser = DefusedXMLParser(target=_NoTree(), forbid_dtd=True)
    # No callback for the text either: expat alone walks the part, at C speed.
    parser.parser.DefaultHandlerExpand = None
    if not whole:
        parser.parser.StartElementHandler = _root_reached
    try:
        parser.feed(data)
        parser.close()
    except _RootReached:
        return
    except DefusedXmlException as exc:
        raise ImportFileError(
            path,
            f"{name} declares a DTD or entities, which a Word document never needs "
            f"(a way to make a reader expand or fetch text); refused unread",
        ) from exc
    except ParseError as exc:
        raise ImportFileError(path, f"the document is damaged: {name} is not XML ({exc})") from exc


def _open(path: Path, data: bytes) -> tuple[Any, _Numbering]:
    import docx  # heavy import, only for Word documents

    try:
        document = docx.Document(io.BytesIO(data))
        body = document.element.body
        numbering = _Numbering(document)
    except Exception as exc:  # a damaged package can fail anywhere in python-docx
        _name_damaged_part(path, data)
        kind = re.search(r"content type is '([^']+)'", str(exc))
        if kind:
            raise ImportFileError(
                path,
                f"not a Word document but {kind.group(1)!r} (a template or a macro-enabled "
                f"document?); save it in Word as a Word Document (.docx)",
            ) from exc
        raise ImportFileError(path, f"not a readable Word document ({exc})") from exc
    return body, numbering


# -- list numbering --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Level:
    format: str
    text: str
    start: int


class _Numbering:
    """The numbers Word shows before list paragraphs. Counters are kept per abstract list,
    as Word keeps them: two lists sharing a definition carry on from each other unless
    the second restarts (a start override)."""

    def __init__(self, document: Any) -> None:
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}
        self.levels: dict[tuple[str, int], _Level] = {}
        # style id -> (the style it is based on, its list, its level)
        self.styles: dict[str, tuple[str | None, str | None, int]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        self.seen: set[str] = set()
        self.by_style: dict[str, tuple[str | None, int]] = {}
        part = document.part
        numbering = next(
            (r.target_part for r in part.rels.values() if r.reltype.endswith("/numbering")), None
        )
        if numbering is not None:
            self._read_numbering(numbering.element)
        styles = next(
            (r.target_part for r in part.rels.values() if r.reltype.endswith("/styles")), None
        )
        if styles is not None:
            for style in styles.element.iterchildren(_w("style")):
                style_id = style.get(_w("styleId"))
                based = style.find(_w("basedOn"))
                num_id, level = _num_pr(style.find(_w("pPr")))
                if style_id:
                    based_on = based.get(_w("val")) if based is not None else None
                    self.styles[style_id] = (based_on, num_id, level)

    def _read_numbering(self, root: Any) -> None:
        for abstract in root.iterchildren(_w("abstractNum")):
            abstract_id = abstract.get(_w("abstractNumId")) or ""
            for lvl in abstract.iterchildren(_w("lvl")):
                self.levels[(abstract_id, _int(lvl.get(_w("ilvl")), 0))] = _Level(
                    _val(lvl, "numFmt") or "decimal",
                    _val(lvl, "lvlText") or "",
                    _int(_val(lvl, "start"), 1),
                )
        for num in root.iterchildren(_w("num")):
            abstract_id = _val(num, "abstractNumId") or ""
            overrides = {
                _int(o.get(_w("ilvl")), 0): _int(_val(o, "startOverride"), 1)
                for o in num.iterchildren(_w("lvlOverride"))
                if o.find(_w("startOverride")) is not None
            }
            self.nums[num.get(_w("numId")) or ""] = (abstract_id, overrides)

    def label(self, p: Any) -> str:
        """The number Word shows before this paragraph, "" for none or a bullet."""
        num_id, level = _num_pr(p.find(_w("pPr")))
        if num_id is None:
            num_id, level = self._style_numbering(p)
        if num_id is None or num_id not in self.nums:
            return ""
        abstract, overrides = self.nums[num_id]
        counters = self.counters.setdefault(abstract, {})
        if num_id not in self.seen:
            self.seen.add(num_id)
            for lvl, start in overrides.items():
                counters[lvl] = start - 1
        own = self.levels.get((abstract, level))
        if own is None:
            return ""
        counters[level] = counters.get(level, own.start - 1) + 1
        for deeper in [k for k in counters if k > level]:
            del counters[deeper]
        if own.format in ("bullet", "none"):
            return ""

        def number(match: re.Match[str]) -> str:
            k = int(match.group(1)) - 1
            lvl = self.levels.get((abstract, k))
            start = lvl.start if lvl else 1
            return _format_number(counters.get(k, start), lvl.format if lvl else "decimal")

        return re.sub(r"%([1-9])", number, own.text).strip()

    def _style_numbering(self, p: Any) -> tuple[str | None, int]:
        ppr = p.find(_w("pPr"))
        style = ppr.find(_w("pStyle")) if ppr is not None else None
        style_id = style.get(_w("val")) if style is not None else None
        if style_id is None:
            return None, 0
        if style_id not in self.by_style:
            self.by_style[style_id] = self._list_of_style(style_id)
        return self.by_style[style_id]

    def _list_of_style(self, style_id: str | None) -> tuple[str | None, int]:
        for _ in range(10):  # a chain of based-on styles, not a loop
            if style_id is None or style_id not in self.styles:
                break
            based_on, num_id, level = self.styles[style_id]
            if num_id is not None:
                return (num_id if num_id != "0" else None), level
            style_id = based_on
        return None, 0


def _num_pr(ppr: Any) -> tuple[str | None, int]:
    num_pr = ppr.find(_w("numPr")) if ppr is not None else None
    if num_pr is None:
        return None, 0
    num_id = _val(num_pr, "numId")
    return (num_id if num_id != "0" else None), _int(_val(num_pr, "ilvl"), 0)


def _val(element: Any, tag: str) -> str | None:
    child = element.find(_w(tag))
    value = child.get(_w("val")) if child is not None else None
    return str(value) if value is not None else None


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _format_number(n: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        letters = column_letter(n - 1) if n > 0 else str(n)
        return letters.lower() if fmt == "lowerLetter" else letters
    if fmt in ("lowerRoman", "upperRoman"):
        roman = _roman(n)
        return roman.lower() if fmt == "lowerRoman" else roman
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


def _roman(n: int) -> str:
    if not 0 < n < 4000:
        return str(n)
    out = ""
    for value, mark in (
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
        (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    ):  # fmt: skip
        while n >= value:
            out, n = out + mark, n - value
    return out


# -- the body ---------------------------------------------------------------------------------


@dataclass
class _Table:
    index: int  # 1 for the document's first table
    rows: list[Row]
    width: int
    before: list[Row]  # non-empty paragraphs between the previous table and this one


class _Reader:
    def __init__(self, path: Path, numbering: _Numbering) -> None:
        self.path = path
        self.numbering = numbering
        self.number = 0  # the row number of the last row read

    def read(self, body: Any) -> list[Sheet]:
        preamble: list[Row] = []
        ranks: list[int] = []  # how much each paragraph above the tables looks like a title
        tables: list[_Table] = []
        between: list[Row] = []
        for kind, element in _blocks(body):
            if kind == "p":
                text = _clean(self._paragraph(element))
                if not text:
                    continue
                self.number += 1
                self._check_length(text, self.number, 0)
                row = Row(self.number, (text,))
                if tables:
                    between.append(row)
                else:
                    preamble.append(row)
                    ranks.append(_title_rank(element))
            else:
                rows = self._table(element)
                width = max((len(r.cells) for r in rows), default=0)
                tables.append(_Table(len(tables) + 1, rows, width, between))
                between = []
        if not tables:
            raise ImportFileError(
                self.path, "no table found: a plan's actions must be in a Word table"
            )
        if preamble:
            # The paragraph styled as the title is offered first as the plan's title,
            # before an organisation's name or an "Appendix 2" above it.
            best = ranks.index(min(ranks))
            preamble.insert(0, preamble.pop(best))
        notes: list[CellNote] = []
        if len(preamble) > PREAMBLE_LIMIT:
            extra = preamble[PREAMBLE_LIMIT:]
            preamble = preamble[:PREAMBLE_LIMIT]
            notes.append(
                CellNote(
                    extra[0].number,
                    0,
                    extra[0].cells[0][:60],
                    f"{len(extra)} more paragraphs above the first table are not read",
                )
            )
        families = _families(tables)
        sheets: list[Sheet] = []
        for family in families:
            rows = list(preamble)
            for position, table in enumerate(family):
                follows = position and family[position - 1].index == table.index - 1
                if follows:
                    # Text between two parts of the plan's table: an area heading typed
                    # as a paragraph, read as a row across the table.
                    rows += [_across(r, table.width) for r in table.before]
                rows += table.rows
            others = [t for f in families if f is not family for t in f if t.rows]
            sheets.append(Sheet(self.path, None, rows, notes + [_left_out(t) for t in others]))
        return sheets

    # -- paragraphs and cells -----------------------------------------------------------------

    def _paragraph(self, p: Any) -> str:
        """The paragraph's text with the number Word shows before it; tidied (spaces,
        the quote before a formula) with the whole cell it is in, as a sheet's cell is."""
        text = "".join(_runs(p))
        label = self.numbering.label(p)
        return f"{label} {text.lstrip()}" if label and text.strip() else text

    def _cell(self, tc: Any) -> str:
        lines: list[str] = []
        for kind, element in _blocks(tc):
            if kind == "p":
                lines.append(self._paragraph(element))
            else:
                # A table inside a cell: one line per row, its cells side by side.
                for tr in _children(element, _TR):
                    texts = [self._cell(inner) for inner in _children(tr, _TC)]
                    lines.append(" | ".join(t.replace("\n", " ") for t in texts if t))
        return _clean("\n".join(lines))

    def _table(self, tbl: Any) -> list[Row]:
        rows: list[Row] = []
        above: dict[int, str] = {}  # column -> text of a cell merged down from above
        for tr in _children(tbl, _TR):
            self.number += 1
            cells: list[str] = [""] * min(_grid(tr, "gridBefore"), MAX_COLUMNS)
            copied: set[int] = set()
            spanned: set[int] = set()  # columns continuing a cell merged down from above
            fills: list[tuple[int, str, str]] = []
            for tc in _children(tr, _TC):
                if len(cells) >= MAX_COLUMNS:
                    break
                tcpr = tc.find(_w("tcPr"))
                span = max(1, min(_int(_val(tcpr, "gridSpan") if tcpr is not None else None, 1),
                                  MAX_COLUMNS - len(cells)))  # fmt: skip
                vmerge = tcpr.find(_w("vMerge")) if tcpr is not None else None
                hmerge = tcpr.find(_w("hMerge")) if tcpr is not None else None
                column = len(cells)
                if vmerge is not None and vmerge.get(_w("val"), "continue") == "continue":
                    text = above.get(column, "")
                    spanned.update(range(column, column + span))
                elif hmerge is not None and hmerge.get(_w("val"), "continue") == "continue":
                    # The old way of merging across: a copy of the cell to the left.
                    text = cells[-1] if cells else ""
                    copied.update(range(column, column + span))
                else:
                    text = self._cell(tc)
                    self._check_length(text, self.number, column)
                    if tcpr is not None:
                        fills += _shade(tcpr, column)
                for c in range(column, column + span):
                    if vmerge is not None:
                        above[c] = text
                    else:
                        above.pop(c, None)
                cells.extend([text] * span)
                copied.update(range(column + 1, column + span))
            trimmed = _trim(tuple(cells))
            if any(trimmed):
                kept = frozenset(c for c in copied if c < len(trimmed))
                down = frozenset(c for c in spanned if c < len(trimmed))
                rows.append(Row(self.number, trimmed, kept, down, tuple(fills)))
        return rows

    def _check_length(self, text: str, row: int, column: int) -> None:
        # Excel's own limit on a cell, which a Word table is held to as well.
        check_cell(self.path, row, column, text)


def _shade(tcpr: Any, column: int) -> list[tuple[int, str, str]]:
    """(column, rating word, colour) of a cell shaded in a rating's colour."""
    shd = tcpr.find(_w("shd"))
    colour = shd.get(_w("fill")) if shd is not None else None
    word = rating_of_fill(colour)
    return [(column, word, str(colour).upper())] if word else []


def _title_rank(p: Any) -> int:
    ppr = p.find(_w("pPr"))
    style = (_val(ppr, "pStyle") if ppr is not None else None) or ""
    if style.lower() == "title":
        return 0
    return 1 if re.fullmatch(r"(?i)heading\s*1", style) else 2


def _blocks(parent: Any) -> Iterator[tuple[str, Any]]:
    """The paragraphs and tables of a body or cell in order, through content controls."""
    for child in parent.iterchildren():
        if child.tag == _P:
            yield "p", child
        elif child.tag == _TBL:
            yield "tbl", child
        elif child.tag in (_SDT, _SDT_CONTENT, _CUSTOM_XML):
            yield from _blocks(child)


def _children(parent: Any, tag: str) -> Iterator[Any]:
    for child in parent.iterchildren():
        if child.tag == tag:
            yield child
        elif child.tag in (_SDT, _SDT_CONTENT, _CUSTOM_XML):
            yield from _children(child, tag)


def _runs(element: Any) -> Iterator[str]:
    """The text Word shows for a paragraph: runs, tabs and line breaks, through
    hyperlinks and inserted revisions; deleted text and field codes left out."""
    for child in element.iterchildren():
        tag = child.tag
        if not isinstance(tag, str) or tag in _HIDDEN:
            continue
        if tag == _w("t"):
            yield child.text or ""
        elif tag == _w("tab"):
            yield "\t"
        elif tag in (_w("br"), _w("cr")):
            yield "\n"
        elif tag == _w("noBreakHyphen"):
            yield "-"
        elif tag != _w("txbxContent"):
            yield from _runs(child)


def _grid(tr: Any, tag: str) -> int:
    trpr = tr.find(_w("trPr"))
    return _int(_val(trpr, tag), 0) if trpr is not None else 0


def _across(row: Row, width: int) -> Row:
    width = max(width, 1)
    return Row(row.number, (row.cells[0],) * width, frozenset(range(1, width)))


def _left_out(table: _Table) -> CellNote:
    first = table.rows[0]
    texts = [v for _, v in first.own_values()]
    shown = " | ".join(" ".join(t.split())[:30] for t in texts[:4])
    return CellNote(
        first.number,
        0,
        shown,
        f"table {table.index} ({len(table.rows)} rows from row {first.number}) has "
        f"other headings than the plan's table; not imported",
    )


# -- which tables belong together --------------------------------------------------------------


def _signature(table: _Table) -> tuple[tuple[int, ...], frozenset[str]] | None:
    """The first row of the table with two or more texts of its own: its heading row
    when it has one."""
    for row in table.rows[:5]:
        own = row.own_values()
        if len(own) >= 2:
            texts = frozenset(re.sub(r"[^a-z0-9]+", " ", v.lower()).strip() for _, v in own)
            return tuple(i for i, _ in own), texts
    return None


def _is_heading_row(texts: frozenset[str]) -> bool:
    known = sum(1 for t in texts if field_for_heading(t) is not None)
    return known >= 2 and 2 * known >= len(texts)


def _same_heading(a: tuple[tuple[int, ...], frozenset[str]], b: Any) -> bool:
    # Headings repeated on another page are sometimes reworded ("/action", "/actions").
    return b is not None and a[0] == b[0] and 2 * len(a[1] & b[1]) >= len(a[1])


def _families(tables: list[_Table]) -> list[list[_Table]]:
    """Tables that repeat a heading row join the first with it; a table with no heading
    row of its own and the width of the table before it carries that table on."""
    families: list[list[_Table]] = []
    heads: list[tuple[tuple[int, ...], frozenset[str]] | None] = []
    previous: int | None = None  # the family of the table before
    for table in tables:
        signature = _signature(table)
        joined = next(
            (
                i
                for i, head in enumerate(heads)
                if head and signature and _same_heading(head, signature)
            ),
            None,
        )
        if joined is None and previous is not None:
            last = families[previous][-1]
            own_heading = signature is not None and _is_heading_row(signature[1])
            if last.width == table.width and last.index == table.index - 1 and not own_heading:
                joined = previous
        if joined is None:
            families.append([table])
            heads.append(signature if signature and _is_heading_row(signature[1]) else None)
            joined = len(families) - 1
        else:
            families[joined].append(table)
        previous = joined
    return families
