"""What people wrote, written out as text that cannot act on a terminal or a spreadsheet.

Narratives and reasons may hold anything: terminal control sequences (C0 and C1 control
characters, DEL), bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069)
that make text read differently from what is stored, zero-width characters, line
separators, or a leading '=' that a spreadsheet would run as a formula.

`shown_text` is the one function every output uses for such text: emails (text and HTML
parts), every report format (HTML, Markdown, CSV, XLSX, PDF), and the JSON output (whose
`json_text` writes the same characters as JSON escapes). It is importable on its own,
without anything else of the engine, for the web pages' templates.
"""

from __future__ import annotations

import json
from typing import Any

# Cells a spreadsheet would take for a formula (OWASP's list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_hidden(text: str, keep: str = "") -> str:
    """Characters that would not print as themselves, as \\uXXXX escapes."""
    if all(ch.isprintable() or ch in keep for ch in text):
        return text
    return "".join(ch if ch.isprintable() or ch in keep else f"\\u{ord(ch):04x}" for ch in text)


def shown_text(value: object) -> str:
    """Text people wrote, as every output shows it: its line breaks kept (a carriage
    return before one dropped), and every other character that would not print as
    itself written as a visible \\uXXXX escape, so nothing stored can act on a terminal,
    reorder what a reader sees, or hide from them."""
    return escape_hidden(str(value).replace("\r\n", "\n"), keep="\n")


def one_line(value: object) -> str:
    """As shown_text, and on one line: line breaks escaped too (for mail headers, where
    a line break would start a header of its own)."""
    if value is None:
        return ""
    return escape_hidden(str(value))


def json_text(data: Any, indent: int | None = 2) -> str:
    """JSON that decodes to exactly the data, with nothing unprintable in it: every
    character that would not print is written as a JSON \\u escape."""
    text = json.dumps(data, indent=indent, ensure_ascii=False, default=str)
    # Outside strings JSON has only printable characters, spaces and the newlines of its
    # indentation, so every other unprintable character sits inside a string, where a
    # \u escape (a surrogate pair beyond the first 65536) means the same character.
    out = []
    for ch in text:
        if ch == "\n" or ch.isprintable():
            out.append(ch)
        elif ord(ch) > 0xFFFF:
            code = ord(ch) - 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{ord(ch):04x}")
    return "".join(out)


def csv_cell(value: Any) -> str:
    """A cell as text: unprintable characters escaped, and a leading formula character
    quoted so a spreadsheet shows it rather than running it."""
    if value is None:
        return ""
    text = escape_hidden(str(value), keep="\n")
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text
