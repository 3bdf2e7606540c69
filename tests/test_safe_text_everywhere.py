"""One function shows what people wrote in every output: bidirectional overrides and
isolates, zero-width and other invisible characters come out as visible escapes in every
report format (and, in test_reminders_exactly_once, in both parts of an email)."""

from __future__ import annotations

import io

import openpyxl
import pytest

from domain import safe_text
from engine.reports import ReportFormat, ReportKind, build_report, render
from tests.conftest import ADMIN, World, action_spec

HIDDEN = ("\u202e", "\u2066", "\u2069", "\u200b", "\u061c")
TITLE = "Invoice \u202egnp.exe\u202c for \u2066Leeds\u2069 and\u200bcare\u061c"
SHOWN = "Invoice \\u202egnp.exe\\u202c for \\u2066Leeds\\u2069 and\\u200bcare\\u061c"


def test_shown_text_escapes_what_would_not_print_and_keeps_line_breaks() -> None:
    assert safe_text.shown_text(TITLE) == SHOWN
    assert safe_text.shown_text("two\r\nlines\n") == "two\nlines\n"
    assert safe_text.one_line("Dan\r\nBcc: x") == "Dan\\u000d\\u000aBcc: x"


def _text(fmt: ReportFormat, data: bytes) -> str:
    """The text a reader of the document sees, read back from it."""
    if fmt is ReportFormat.DOCX:
        import docx

        document = docx.Document(io.BytesIO(data))
        cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
        return "\n".join([p.text for p in document.paragraphs] + cells)
    if fmt is ReportFormat.PDF:
        import pypdf

        reader = pypdf.PdfReader(io.BytesIO(data))
        return "\n".join(page.extract_text() for page in reader.pages).replace("\n", "")
    if fmt is not ReportFormat.XLSX:
        return data.decode("utf-8")
    book = openpyxl.load_workbook(io.BytesIO(data))
    return "\n".join(
        str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
        for v in row if v is not None
    )  # fmt: skip


@pytest.mark.persistence
@pytest.mark.parametrize("fmt", list(ReportFormat))
def test_every_report_format_shows_hidden_characters_escaped(
    world: World, fmt: ReportFormat
) -> None:
    world.rt.app.add_action(ADMIN, "plan", action_spec("1.3", title=TITLE))
    text = _text(fmt, render(build_report(world.rt, "plan", ReportKind.PROGRESS), fmt))
    assert not [ch for ch in HIDDEN if ch in text]
    assert "\\u202egnp.exe" in text


def test_the_reports_use_the_one_function(monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.reports import text

    monkeypatch.setattr(text, "shown_text", lambda value: "ONE")
    assert text.plain("anything") == "ONE"
