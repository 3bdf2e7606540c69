"""What the text above a plan's table says of the plan: its title, organisation, source.

Councils head their plans with a few lines: "Appendix 2", the plan's name, the council
("Essex County Council", or within the name: "Draft Improvement Plan Telford & Wrekin
Council", "Improvement planning template for use by Sefton Council"), and what the plan
answers ("Source: inspection of adult social care, 2010", "Ofsted inspection of
safeguarding and looked after children services, March 2010"). The rules:

* The organisation is a run of capitalised words ending in a word that names a body
  (Council, Trust, Police, Authority, Partnership, Board, Constabulary) or a run
  that starts "NHS": a line of its own first, else the first found inside a line. Words
  that name the document ("Draft", "Plan", "Template") are not part of it.
* The source is a line labelled "Source", "Following" or "In response to", else a short
  line that names an inspection or review (Ofsted, CQC, CSCI, "inspection of", "peer
  review", "serious case review") and is not the title.
* The title is the first line that could be one (at least three words, not "Appendix
  2", not only an organisation's name), passing over a line that names an inspection
  while another could be the title.

A progress report also says, above its table, what the board read that month: an
"Overview" and the plan's "Risks" (or "Issues", or "Risks and Issues"), each a heading
on a line of its own followed by its text, up to the next heading a report uses
("Amendments to the Action Plan", "Guidance on RAG Reporting", the period's lists).
They are the narrative of the month the title names ("Summary Report August 2009"),
read by ``read_narrative``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

_BODY_WORDS = r"Council|Trust|Authority|Partnership|Police|Constabulary|Board|Commissioning\s+Group"
_CAPITAL = r"[A-Z][\w'’.-]*"
_JOINERS = {"&", "and", "of", "upon", "on", "the", "-"}
# Words that name the document rather than the body that wrote it.
_DOCUMENT_WORDS = {
    "draft", "improvement", "action", "plan", "planning", "template", "report", "summary",
    "progress", "appendix", "annex", "final", "version", "monthly", "quarterly", "inspection",
    "the", "for", "by", "use", "of", "and", "&", "adult", "adults", "social", "care",
    "safeguarding",
}  # fmt: skip
_ORGANISATION_END = re.compile(rf"\b(?:{_BODY_WORDS})\b")
_SAFEGUARDING_BOARD = re.compile(
    r"\bSafeguarding\s+(?:Adults?|Children(?:['’]s)?)\s+(?:Board|Partnership)$"
)
_NHS = re.compile(rf"\bNHS(?:\s+{_CAPITAL})+")
_LABELLED_SOURCE = re.compile(
    r"^\s*(?:source|following|in\s+response\s+to|response\s+to)\s*[:\-–—]?\s*(?P<text>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_NAMES_AN_INSPECTION = re.compile(
    r"\b(?:ofsted|cqc|csci|care\s+quality\s+commission|inspection\s+of|inspected|"
    r"peer\s+review|serious\s+case\s+review|joint\s+area\s+review|"
    r"annual\s+performance\s+assessment|inspection\s+(?:report|findings),?)\b",
    re.IGNORECASE,
)
_NOT_A_TITLE = re.compile(r"(?i)^(appendix|annex|annexe|page|schedule)\b")
SOURCE_LIMIT = 240


@dataclass
class Preamble:
    title: str | None = None
    organisation: str | None = None
    source: str | None = None
    used: set[int] = field(default_factory=set)  # which lines gave them


def read_preamble(lines: list[str]) -> Preamble:
    """The plan's title, organisation and source from the lines above its table."""
    found = Preamble()
    flat = [" ".join(line.split()) for line in lines]

    def take(i: int) -> str:
        found.used.add(i)
        return flat[i]

    for i, line in enumerate(flat):
        labelled = _LABELLED_SOURCE.match(line)
        if labelled and len(line) <= SOURCE_LIMIT:
            take(i)
            found.source = labelled.group("text").strip()
            break
    for i, line in enumerate(flat):
        if i not in found.used and organisation_in(line) == line:
            found.organisation = take(i)
            break
    inspections = [
        i
        for i, line in enumerate(flat)
        if i not in found.used and len(line) <= SOURCE_LIMIT and _NAMES_AN_INSPECTION.search(line)
    ]
    titles = [i for i, line in enumerate(flat) if i not in found.used and could_be_title(line)]
    # A line naming an inspection is the title only when no other line could be.
    title = next((i for i in titles if i not in inspections), titles[0] if titles else None)
    if title is not None:
        found.title = take(title)
    if found.source is None:
        source = next((i for i in inspections if i != title), None)
        if source is not None:
            found.source = take(source)
    if found.organisation is None:
        for line in flat:
            name = organisation_in(line)
            if name is not None:
                found.organisation = name
                break
    return found


def could_be_title(line: str) -> bool:
    """A plan's title is a line of its own above the table, not "Appendix 2" nor only
    the organisation's name."""
    if not line or len(line) > 200 or "\n" in line:
        return False
    words = line.split()
    return len(words) >= 3 and not _NOT_A_TITLE.match(line) and organisation_in(line) != line


def organisation_in(line: str) -> str | None:
    """The body a line names ("Telford & Wrekin Council", "NHS Leeds"), or None."""
    nhs = _NHS.search(line)
    for end in _ORGANISATION_END.finditer(line):
        words = line[: end.end()].split()
        board = _SAFEGUARDING_BOARD.search(line[: end.end()])
        # "Anytown Safeguarding Adults Board": the board's own words are its name.
        kept = len(board.group().split()) if board and board.end() == end.end() else 0
        taken: list[str] = list(reversed(words[len(words) - kept :]))
        words = words[: len(words) - kept]
        for word in reversed(words):
            bare = word.strip(",:;()")
            if bare != word and taken:
                break  # punctuation ends the name: "for use by Sefton Council, 2010"
            if bare.lower() in _DOCUMENT_WORDS and taken and bare not in _JOINERS:
                break
            if bare in _JOINERS or bare.lower() in _JOINERS:
                if not taken:
                    break
                taken.append(bare)
            elif re.fullmatch(_CAPITAL, bare):
                taken.append(bare)
            else:
                break
        while taken and (taken[-1] in _JOINERS or taken[-1].lower() in _JOINERS):
            taken.pop()
        if len(taken) >= 2:
            return " ".join(reversed(taken))
    return nhs.group(0) if nhs else None


_MONTH = re.compile(
    r"\b(?P<month>january|february|march|april|may|june|july|august|september|october|"
    r"november|december)\s+(?P<year>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"]  # fmt: skip
# The narrative's headings, and the part each fills.
_NARRATIVE_HEADINGS = {
    "overview": "overview",
    "summary": "overview",
    "risks": "risks",
    "key risks": "risks",
    "risks and issues": "risks",
    "issues": "issues",
    "key issues": "issues",
}
# Other headings of a progress report: each ends the narrative part above it.
_OTHER_HEADINGS = re.compile(
    r"(?i)^(?:amendments\b|guidance\b|this period$|next period$|completed actions\b|"
    r"overdue actions\b|actions due\b|actions commencing\b|appendix\b|annex\b|"
    r"key\s*:?$|rag\b)"
)


@dataclass
class Narrative:
    """A period's overview, risks and issues as the text above a report's table gives
    them, with the lines they came from."""

    period: str  # "2009-08"
    parts: dict[str, str] = field(default_factory=dict)
    used: set[int] = field(default_factory=set)


def report_month(title: str | None) -> str | None:
    """The month a report's title names ("... Summary Report August 2009"), as a period."""
    found = _MONTH.search(title or "")
    if found is None:
        return None
    month = _MONTHS.index(found.group("month").lower()) + 1
    return date(int(found.group("year")), month, 1).strftime("%Y-%m")


def read_narrative(lines: list[str], title: str | None) -> Narrative | None:
    """The overview, risks and issues under their headings, for the month the title
    names; None when the title names no month or no heading is found."""
    period = report_month(title)
    if period is None:
        return None
    found = Narrative(period)
    part: str | None = None
    for i, line in enumerate(lines):
        flat = " ".join(line.split())
        heading = flat.rstrip(":").strip().lower()
        if heading in _NARRATIVE_HEADINGS:
            part = _NARRATIVE_HEADINGS[heading]
            found.used.add(i)
            continue
        if _is_other_heading(flat):
            part = None
            continue
        if part is not None and flat:
            found.parts[part] = f"{found.parts[part]}\n{flat}" if part in found.parts else flat
            found.used.add(i)
    return found if found.parts else None


def _is_other_heading(line: str) -> bool:
    """A heading of another part of a report: a short line, not a sentence ("RAG ratings
    were reviewed." is part of the risks; "RAG Guidance" ends them)."""
    return (
        bool(_OTHER_HEADINGS.match(line))
        and len(line.split()) <= 10
        and not line.endswith((".", ";", ","))
    )
