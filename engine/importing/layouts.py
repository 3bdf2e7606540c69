"""Which column holds what: recognising the headings councils use, and user mappings.

Headings match loosely: case, spacing and punctuation do not matter, "(s)" is a plural,
an explanation after a colon ("Lead: Who will be responsible ...") or in brackets
is ignored, and a heading that starts with a known one ("How is this to be achieved /
action") counts as it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from engine.importing.errors import ImportFileError
from engine.importing.reader import Row, column_letter

FIELDS: tuple[str, ...] = (
    "ref", "group", "action", "aim", "lead", "agency", "accountable", "plan_start", "plan_finish",
    "actual_finish", "timescale", "success_criteria", "evidence", "indicator", "rag",
    "last_rag", "progress", "risk", "note", "rag_reason",
)  # fmt: skip

# Fields several columns may share; their texts are combined. Any other field takes
# the first column that matches, and a second such column is kept as notes.
MULTI_COLUMN_FIELDS = frozenset(
    {"lead", "success_criteria", "evidence", "indicator", "progress", "risk", "note"}
)

_ALIASES: dict[str, tuple[str, ...]] = {
    "ref": ("ref", "refs", "ref no", "reference", "reference no", "reference number", "no",
            "number", "action no", "action number", "action ref", "action id", "action ref no",
            "ref id", "id", "item", "item no", "rec no", "recommendation no"),
    "group": ("area for improvement", "improvement area", "area", "recommendation",
              "recommendations", "theme", "section", "group", "outcome area", "priority area"),
    "action": ("action", "actions", "how is this to be achieved", "actions underway and planned",
               "action required", "actions required", "what will be done", "task", "tasks",
               "improvement action", "key actions", "action description"),
    "aim": ("aim", "aims", "aim outcome", "aims outcomes", "outcome", "outcomes",
            "improvement objective", "objective", "objectives", "intended outcome",
            "desired outcome"),
    "lead": ("lead", "leads", "lead officer", "lead officers", "responsible officer",
             "responsible", "responsibility", "lead person", "action owner", "owner", "who"),
    # The lead's own agency; "Partner agencies" lists who else takes part.
    "agency": ("lead agency", "agency", "lead organisation", "organisation", "lead partner",
               "responsible agency"),
    "accountable": ("smt owner", "chief officer", "accountable officer", "accountable",
                    "accountable director", "sponsor", "executive lead",
                    "senior responsible officer"),
    "plan_start": ("plan start", "planned start", "start", "start date", "planned start date"),
    "plan_finish": ("plan finish", "planned finish", "finish", "end date", "due date", "due",
                    "target date", "deadline", "completion date", "planned completion",
                    "target completion date"),
    "actual_finish": ("actual finish", "actual completion", "actual end", "date completed",
                      "completed date", "actual completion date", "actual finish date"),
    "timescale": ("timescale", "timescales", "timeframe", "timeframes", "time scale", "when",
                  "by when", "target timescale"),
    "success_criteria": ("success criteria", "success criterion", "measures of success",
                         "success measures", "how will we know", "how will you know"),
    "evidence": ("expected evidence of improvement", "evidence of improvement", "evidence",
                 "expected evidence", "evidence of impact", "expected outcome evidence"),
    "indicator": ("indicator", "indicators", "performance indicator", "performance indicators",
                  "kpi", "kpis", "measure", "measures", "target", "targets"),
    "rag": ("rag", "this month rag", "rag rating", "rag status", "current rag", "rating",
            "status", "this period rag", "current status"),
    "last_rag": ("last month rag", "previous rag", "last rag", "previous month rag",
                 "last period rag", "previous period rag"),
    "progress": ("progress", "report of progress", "progress report", "progress update",
                 "update", "updates", "progress to date", "comments on progress", "commentary"),
    "risk": ("risk", "risks", "risk report", "risks and issues", "issues and risks"),
    "rag_reason": ("rag reason", "reason", "reason for rag", "reasons for rag", "rag rationale",
                   "reason for rating", "rating reason", "why"),
    "note": ("note", "notes", "comment", "comments", "remark", "remarks", "background rationale",
             "background", "rationale", "improvement plan response area", "source"),
}  # fmt: skip

# Headings that give a field only when no column names it outright: beside a "RAG"
# column, "Status" says where the work stands and is kept as notes.
_WEAK_HEADINGS = frozenset({"status", "current status", "rating"})

_ALIAS_TO_FIELD = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}
_LONGEST_ALIAS = max(len(alias.split()) for alias in _ALIAS_TO_FIELD)

# The shapes the importer is known to read, named for the report.
LAYOUTS: dict[str, frozenset[str]] = {
    "action-evidence-timescale": frozenset({"action", "evidence", "timescale"}),
    "area-objective-owner": frozenset(
        {"group", "aim", "action", "accountable", "lead", "progress"}
    ),
    "monthly-progress-report": frozenset(
        {
            "ref",
            "aim",
            "action",
            "last_rag",
            "rag",
            "plan_start",
            "plan_finish",
            "actual_finish",
            "success_criteria",
            "lead",
            "accountable",
            "progress",
            "risk",
        }
    ),
}

_REF_VALUE = re.compile(r"^\d+(?:\.\d+)*\s*(?:\(?[a-z]\)?)?$", re.IGNORECASE)


def normalise_heading(text: str) -> str:
    s = text.lower().replace("(s)", "s").replace("&", " and ")
    s = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", s)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", s).split())


def field_for_heading(text: str) -> str | None:
    """The field a heading names, or None."""
    if len(text) > 300:
        return None  # a paragraph of data, not a heading
    candidates = [text]
    if ":" in text:
        candidates.insert(0, text.split(":", 1)[0])
    for candidate in candidates:
        words = normalise_heading(candidate).split()
        # The longest known heading the text starts with, word by word.
        for length in range(min(len(words), _LONGEST_ALIAS), 0, -1):
            found = _ALIAS_TO_FIELD.get(" ".join(words[:length]))
            if found:
                return found
    return None


def short_heading(heading: str) -> str:
    """ "Lead: Who will be responsible ..." -> "Lead"."""
    flat = " ".join(heading.split())
    head = flat.split(":", 1)[0].strip()
    return head or flat


def is_area_wide(heading: str) -> bool:
    """Evidence "applies to whole improvement area", not to one action."""
    words = normalise_heading(heading.replace("(", " ").replace(")", " "))
    return "whole" in words.split() and ("area" in words or "recommendation" in words)


@dataclass(frozen=True)
class Column:
    index: int
    heading: str
    field: str | None  # None: the text is kept on the action as a note
    how: str  # "recognised", "mapped", "by content", "unmapped", "duplicate"
    area_wide: bool = False

    @property
    def letter(self) -> str:
        return column_letter(self.index)

    @property
    def label(self) -> str:
        """The heading without its explanation after a colon, or "Column C" when there
        is none; used in notes and the report."""
        return short_heading(self.heading) or f"Column {self.letter}"


@dataclass
class ColumnPlan:
    columns: list[Column]

    def has(self, field: str) -> bool:
        return any(c.field == field for c in self.columns)

    @property
    def layout(self) -> str:
        fields = {c.field for c in self.columns if c.field}
        for name, needed in LAYOUTS.items():
            if needed <= fields:
                return name
        return "custom"


def validate_mapping(path: Path, mapping: dict[str, str] | None) -> dict[str, str]:
    """Normalised heading -> field; refuses fields the importer does not know, and two
    headings mapped to a field that only one column can give."""
    checked: dict[str, str] = {}
    given: dict[str, str] = {}
    for heading, field in (mapping or {}).items():
        name = field.strip().lower()
        if name not in FIELDS:
            raise ImportFileError(
                path,
                f"unknown field {field!r} in the mapping {heading}={field}; "
                f"fields are: {', '.join(FIELDS)}",
            )
        if name in given and name not in MULTI_COLUMN_FIELDS:
            raise ImportFileError(
                path,
                f"the mappings {given[name]}={name} and {heading}={name} both give the field "
                f"{name}, which one column holds; map one of them",
            )
        given.setdefault(name, heading)
        checked[normalise_heading(heading) or heading.strip().lower()] = name
    return checked


def heading_matcher(mapping: dict[str, str]) -> Callable[[str], bool]:
    def is_heading(text: str) -> bool:
        return field_for_heading(text) is not None or normalise_heading(text) in mapping

    return is_heading


def plan_columns(
    path: Path, headings: list[str], rows: list[Row], mapping: dict[str, str]
) -> ColumnPlan:
    """Decide each column's field: the user's mapping first, then known headings."""
    keys: dict[str, int] = {}
    for i, h in enumerate(headings):
        for key in (normalise_heading(h), normalise_heading(short_heading(h))):
            keys.setdefault(key or f"column {column_letter(i).lower()}", i)
    mapped: dict[int, str] = {}
    for heading, wanted in mapping.items():
        index = keys.get(heading)
        if index is None:
            found = ", ".join(repr(h) for h in headings if h) or "none"
            raise ImportFileError(
                path,
                f"the mapping names the heading {heading!r}, which is not in the file "
                f"(headings found: {found})",
            )
        mapped[index] = wanted
    taken = {f for f in mapped.values() if f not in MULTI_COLUMN_FIELDS}
    demoted = _weak_beside_named(headings, mapped)
    columns: list[Column] = []
    for index, heading in enumerate(headings):
        if index in mapped:
            chosen = mapped[index]
            columns.append(Column(index, heading, chosen, "mapped", _area_wide(chosen, heading)))
            continue
        field = field_for_heading(heading)
        how = "recognised"
        unnamed = not heading.strip()
        if field is None and unnamed and "ref" not in taken and _looks_like_refs(rows, index):
            field, how = "ref", "by content"
        if field is None:
            if heading.strip() or any(r.cell(index) for r in rows):
                columns.append(Column(index, heading, None, "unmapped"))
            continue
        if field in taken or index in demoted:
            columns.append(Column(index, heading, None, "duplicate"))
            continue
        if field not in MULTI_COLUMN_FIELDS:
            taken.add(field)
        columns.append(Column(index, heading, field, how, _area_wide(field, heading)))
    return ColumnPlan(columns)


def _weak_beside_named(headings: list[str], mapped: dict[int, str]) -> set[int]:
    """The columns with a weak heading ("Status") for a field another column's heading
    names outright ("RAG"): they are kept as notes."""
    fields = {i: field_for_heading(h) for i, h in enumerate(headings) if i not in mapped}
    weak = {i for i in fields if normalise_heading(short_heading(headings[i])) in _WEAK_HEADINGS}
    named = {f for i, f in fields.items() if f is not None and i not in weak}
    return {i for i in weak if fields[i] in named and fields[i] not in MULTI_COLUMN_FIELDS}


def _area_wide(field: str | None, heading: str) -> bool:
    return field == "evidence" and is_area_wide(heading)


def _looks_like_refs(rows: list[Row], index: int) -> bool:
    values = [r.cell(index) for r in rows[:200] if r.cell(index) and index not in r.copied]
    refs = [v for v in values if _REF_VALUE.match(v)]
    return bool(refs) and 2 * len(refs) >= len(values)


# Most rows: one shared empty mapping rather than a dict each (a sheet has many rows).
_NOTHING_SHADED: Mapping[int, str] = MappingProxyType({})


@dataclass
class RowData:
    """One row's cleaned texts by field; columns with no field are in ``unmapped``."""

    number: int
    values: dict[str, list[tuple[Column, str]]]
    unmapped: list[tuple[Column, str]]
    # Column -> the colour of an empty rating cell read by its shade.
    shaded: Mapping[int, str] = dataclasses.field(default_factory=lambda: _NOTHING_SHADED)

    def texts(self, field: str) -> list[tuple[Column, str]]:
        return self.values.get(field, [])

    def first(self, field: str) -> tuple[Column, str] | None:
        found = self.values.get(field)
        return found[0] if found else None

    def text(self, field: str) -> str:
        return "\n".join(text for _, text in self.values.get(field, []))

    @property
    def is_empty(self) -> bool:
        return not self.values and not self.unmapped

    def distinct_texts(self) -> list[str]:
        texts = [t for cells in self.values.values() for _, t in cells]
        texts += [t for _, t in self.unmapped]
        return list(dict.fromkeys(texts))

    def fields(self) -> set[str]:
        return set(self.values)


def _own_shades(row: Row) -> dict[int, tuple[str, str]]:
    """The row's shaded cells whose colour no other cell of the row shares: a rating's
    own shade, not a heading's band or a table's striping."""
    colours = [colour for _, _, colour in row.fills]
    return {
        column: (word, colour) for column, word, colour in row.fills if colours.count(colour) == 1
    }


# Fields an empty cell can give by its shade alone.
SHADED_FIELDS = frozenset({"rag", "last_rag"})


def read_row(plan: ColumnPlan, row: Row, clean: Callable[[str], str]) -> RowData:
    values: dict[str, list[tuple[Column, str]]] = {}
    unmapped: list[tuple[Column, str]] = []
    shaded: dict[int, str] = {}
    shades = _own_shades(row) if row.fills else {}
    for column in plan.columns:
        if column.index in row.copied:
            continue
        text = clean(row.cell(column.index))
        if not text and column.field in SHADED_FIELDS and column.index in shades:
            text, shaded[column.index] = shades[column.index]
        if not text:
            continue
        if column.field is None:
            unmapped.append((column, text))
        else:
            values.setdefault(column.field, []).append((column, text))
    return RowData(row.number, values, unmapped, shaded or _NOTHING_SHADED)
