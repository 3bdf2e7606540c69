"""Cells a plan cannot hold, refused with their row and column before anything is built.

A name becomes part of emails (a display name beside an address), so a control
character in it (a carriage return, a bidirectional override) is refused rather than
kept; an address that is not one cannot reach anybody, so it is refused too.
"""

from __future__ import annotations

import re
import unicodedata

# New lines separate several people in one cell; tabs are spacing. Nothing else below
# U+0020, and no format character (bidirectional overrides, zero-width marks).
_ALLOWED_CONTROLS = frozenset("\n\t")
_EMAIL_LIKE = re.compile(r"[^\s<>()\[\],;:\"]*@[^\s<>()\[\],;:\"]*")
_EMAIL = re.compile(r"^[\w+'-]+(?:\.[\w+'-]+)*@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}$", re.IGNORECASE)


def control_character(text: str) -> str | None:
    """The first control or invisible format character in ``text``, described, or None."""
    for ch in text:
        if ch in _ALLOWED_CONTROLS:
            continue
        if unicodedata.category(ch) in ("Cc", "Cf"):
            name = unicodedata.name(ch, "control character").lower()
            return f"U+{ord(ch):04X} {name}"
    return None


def malformed_emails(text: str) -> list[str]:
    """Every word with an @ in it that is not an email address."""
    found = []
    for match in _EMAIL_LIKE.finditer(text.replace("mailto:", " ")):
        word = match.group(0).strip(".'")
        if not _EMAIL.match(word):
            found.append(word)
    return found


def name_problem(text: str) -> str | None:
    """Why a lead or owner cell cannot be read as people, or None."""
    control = control_character(text)
    if control is not None:
        return (
            f"the name holds a control character ({control}), which could break an "
            f"email's headers; remove it"
        )
    bad = malformed_emails(text)
    if bad:
        return f"{bad[0]!r} is not an email address (name@organisation.gov.uk)"
    return None
