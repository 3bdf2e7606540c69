"""What people wrote, written out as text that cannot act on a terminal or a spreadsheet.

Narratives and reasons may hold anything: terminal control sequences (C0 and C1 control
characters, DEL), bidirectional overrides that reorder what is seen, line separators, or
a leading '=' that a spreadsheet would run as a formula.
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
