"""Tidying cell text and splitting it into the lines and numbered items plans use."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

# Text pasted from web tools arrives with its markup; paragraph and list-item ends
# are line breaks, anything else is dropped.
_BREAK_TAGS = re.compile(r"</(?:p|li|div)\s*>|<br\s*/?>", re.IGNORECASE)
_OTHER_TAGS = re.compile(r"</?(?:p|ul|ol|li|div|span|b|i|u|em|strong|font)\b[^>]*>", re.IGNORECASE)
# A list mark before an action's text; "-" and "*" only with a space after them, since
# "-2% on last year" is text, not a bullet.
_BULLET = re.compile(r"^(?:[•·]\s*|[-*]\s+)+")
_NUMBERED = re.compile(r"^\s*(?P<number>\d+(?:\.\d+)+|\d+(?=[.)]))[.)]?(?:\s+|$)(?P<rest>.*)$")


def clean_cell(text: str) -> str:
    """Markup removed, spaces collapsed within lines, runs of blank lines made one."""
    if "<" in text and ">" in text:
        text = _OTHER_TAGS.sub("", _BREAK_TAGS.sub("\n", text))
        text = html.unescape(text)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def paragraphs(text: str) -> list[str]:
    """The non-empty lines of a cell: one evidence line, criterion or date each."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def one_line(text: str) -> str:
    return " ".join(text.split())


def without_bullet(text: str) -> str:
    return _BULLET.sub("", text).strip()


@dataclass(frozen=True)
class NumberedItem:
    number: str | None
    text: str


def starts_numbered(text: str) -> bool:
    lines = paragraphs(text)
    return bool(lines) and bool(_NUMBERED.match(lines[0]))


def split_numbered(text: str) -> list[NumberedItem]:
    """ "1. Do this\\n2. Do that" as two items; lines after a number continue its item."""
    items: list[tuple[str | None, list[str]]] = []
    for line in paragraphs(text):
        match = _NUMBERED.match(line)
        if match:
            items.append((match.group("number"), [match.group("rest").strip()]))
        elif items:
            items[-1][1].append(line)
        else:
            items.append((None, [line]))
    return [NumberedItem(number, one_line(" ".join(parts))) for number, parts in items]
