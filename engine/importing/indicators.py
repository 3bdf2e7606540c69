"""Numeric targets and cross-references found in success criteria and evidence text.

Only a percentage or a "within N days" that reads as a target becomes an Indicator;
sample sizes ("a 10% sample", "a sample of 50%"), changes ("by 80%") and baselines
are not targets. The text itself always stays as a criterion.
"""

from __future__ import annotations

import re

from domain.values import Direction, Indicator

_PERCENT = re.compile(r"(?<![\d.])(?P<value>\d{1,3}(?:\.\d+)?)\s*%(?P<plus>\+)?")
_WITHIN = re.compile(
    r"\bwithin\s+(?P<value>\d{1,3})\s+(?P<working>working\s+)?(?P<unit>days?|weeks?|months?)\b",
    re.IGNORECASE,
)
_LOWER_BEFORE = re.compile(
    r"(?:fewer\s+than|less\s+than|lower\s+than|below|under|no\s+more\s+than|at\s+most|"
    r"maximum\s+of|reduced?\s+to|down\s+to)\s*$",
    re.IGNORECASE,
)
_SAMPLE_BEFORE = re.compile(r"sample\s+of\s*$", re.IGNORECASE)
_SAMPLE_AFTER = re.compile(r"^\s*(?:random\s+)?sampl|^[^.;]{0,40}\bsampled\b", re.IGNORECASE)
_CHANGE_BEFORE = re.compile(r"\bby\s*$", re.IGNORECASE)
_BASELINE_BEFORE = re.compile(r"baseline\s*(?:of|:|was|is)?\s*$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+|\n")
_CROSS_REF = re.compile(
    r"\b(?:x-?ref(?:erenced?)?|cross[- ]?ref(?:erenced?)?|see)\b\.?\s*(?:to\s+|with\s+|also\s+)?"
    r"(?:rec(?:ommendation)?s?\.?\s+)?"
    r"(?P<refs>\d+(?:\.\d+)*(?:\s*(?:,|&|\band\b)\s*\d+(?:\.\d+)*)*)",
    re.IGNORECASE,
)


def extract_indicators(text: str) -> list[Indicator]:
    found: list[Indicator] = []
    baseline: float | None = None
    for match in _PERCENT.finditer(text):
        before = text[max(0, match.start() - 40) : match.start()]
        after = text[match.end() : match.end() + 60]
        value = float(match.group("value"))
        if _BASELINE_BEFORE.search(before):
            baseline = value
            continue
        if _SAMPLE_BEFORE.search(before) or _SAMPLE_AFTER.search(after):
            continue
        if _CHANGE_BEFORE.search(before):
            continue
        direction = Direction.LOWER if _LOWER_BEFORE.search(before) else Direction.HIGHER
        found.append(
            Indicator(
                name=_sentence(text, match.start()),
                target=value,
                unit="%",
                direction=direction,
                baseline=baseline,
            )
        )
        baseline = None
    with_percent = {indicator.name for indicator in found}
    for match in _WITHIN.finditer(text):
        if _sentence(text, match.start()) in with_percent:
            # "70% of plans reviewed within 28 days": one indicator, its target 70%;
            # the time limit is part of what is measured.
            continue
        unit = match.group("unit").lower()
        unit = unit if unit.endswith("s") else unit + "s"
        if match.group("working"):
            unit = f"working {unit}"
        found.append(
            Indicator(
                name=_sentence(text, match.start()),
                target=float(match.group("value")),
                unit=unit,
                direction=Direction.LOWER,
            )
        )
    return found


def extract_cross_refs(text: str) -> list[str]:
    """Action references a text points to: "X-ref 2.1, 2.3 and 2.4", "(See 1.7)"."""
    refs: list[str] = []
    for match in _CROSS_REF.finditer(text):
        for ref in re.split(r"\s*(?:,|&|\band\b)\s*", match.group("refs")):
            if ref and ref not in refs:
                refs.append(ref)
    return refs


def _sentence(text: str, position: int) -> str:
    start = 0
    for boundary in _SENTENCE_END.finditer(text):
        if boundary.start() >= position:
            return _tidy(text[start : boundary.start()])
        start = boundary.end()
    return _tidy(text[start:])


def _tidy(sentence: str) -> str:
    flat = " ".join(sentence.split())
    return flat if len(flat) <= 160 else flat[:159] + "…"
