"""Filling one action from its rows: the row that starts it and the rows that continue it.

A continuation row (no reference of its own) carries more of the action above:
another stage, success criterion, evidence line or milestone date. Its dates widen
the action's plan; its criteria keep their own due dates; its RAG counts towards the
action's, the worse reported rating winning.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache

from domain import timescales
from domain.spec import ActionSpec
from domain.timescales import STAGE_WORDS, STATUS_RATINGS, Timescale, parse_rag, rating_words
from domain.values import REPORTABLE_RAGS, Criterion, Indicator, Person, Rag, Status
from engine.importing.indicators import extract_cross_refs, extract_indicators
from engine.importing.layouts import Column, RowData, normalise_heading
from engine.importing.report import IssueLog
from engine.importing.text import one_line, paragraphs


# Plans repeat the same dates and names on many rows; each distinct text is read once.
@lru_cache(maxsize=4096)
def parse_timescale(text: str) -> Timescale:
    return timescales.parse_timescale(text)


@lru_cache(maxsize=4096)
def _people(text: str) -> tuple[Person, ...]:
    people: list[Person] = []
    for line in _without_labels(text).split("\n"):
        # "Dora Director <director@x.gov.uk>" is how mail writes a name: all of it.
        addressed = _ADDRESSED.match(line)
        parsed = timescales.parse_people(line)
        # "Name (Title) <email>" is how export-sheet writes a person: the bracket
        # before an address is the title it wrote, whatever its words.
        exported = re.search(r"\)\s*<[^<>]+@[^<>]+>\s*$", line)
        found = (
            [Person(" ".join(addressed["name"].split()), addressed["email"].lower())]
            if addressed
            else parsed
            if exported
            else map(_agency_in_brackets, parsed)
        )
        people += [p for p in found if all(p.key != q.key for q in people)]
    return tuple(people)


_ADDRESSED = re.compile(r"^\s*(?P<name>[^<>()\[\],;/&@]+?)\s*<(?P<email>[^<>\s@]+@[^<>\s@]+)>\s*$")


# "Lead Officer: Margaret Howard", "Lead - ...", "Responsible officer – ...": the label
# names the column's role, not the person.
_ROLE_LABEL = re.compile(
    r"^\s*(?:joint\s+)?(?:lead(?:\s+officers?|\s+persons?)?|leads|responsible(?:\s+officers?)?|"
    r"accountable(?:\s+officers?)?|(?:action\s+|smt\s+)?owners?|officers?|contacts?|"
    r"chief\s+officers?|sponsors?)\s*(?::|\s[-–—])\s*",
    re.IGNORECASE | re.MULTILINE,
)
# Words of a job title; a bracket without any of them names an agency: "(NHS Leeds)".
_TITLE_WORDS = re.compile(
    r"\b(?:head|director|deputy|chief|manager|officer|lead|leader|co-?ordinator|commissioner|"
    r"assistant|senior|principal|executive|programme|project|team|service|services|interim|"
    r"acting|chair\w*|member|cabinet|portfolio|corporate|consultant|business|strategic|"
    r"safeguarding|adult|adults|social|care|commissioning|quality|operations|practitioner|"
    r"worker|advisor|adviser|analyst|administrator|secretary|specialist|group|managers|"
    r"directors|officers|leads|heads|treasurer|clerk|solicitor|auditor|inspector|nurse|"
    r"doctor|councillor|mayor|governor|trustee|of|for)\b",
    re.IGNORECASE,
)


def _without_labels(text: str) -> str:
    return _ROLE_LABEL.sub("", text)


def _agency_in_brackets(person: Person) -> Person:
    title = person.title
    if person.agency or not title or _TITLE_WORDS.search(title) or "," in title:
        return person
    return Person(person.name, person.email, title, None)


@dataclass
class Draft:
    """An action being assembled, with what its rows said that the spec cannot hold yet."""

    spec: ActionSpec
    row: int
    number: str | None = None  # "3" from "3. Review ..." written in the action cell
    explicit_ref: str | None = None
    said_completed: bool = False
    dated_rows: list[tuple[int, date | None, date | None, bool]] = field(default_factory=list)


@dataclass
class Piece:
    """The part of a row that belongs to one action (a row may hold several actions)."""

    data: RowData
    action_text: str
    timescale: tuple[Column, str] | None
    timescale_shared: bool  # one timescale cell for several actions: not split
    evidence: list[tuple[Column, str]]
    # The plan's earliest date, the year for "end of June" when the row gives none.
    plan_start: date | None = None


def apply_row(draft: Draft, piece: Piece, first: bool, log: IssueLog) -> None:
    spec, data, n = draft.spec, piece.data, piece.data.number
    dates = _row_dates(draft, piece, first, log)
    if first:
        spec.plan_start, spec.plan_finish = dates.start, dates.finish
        spec.plan_finish_tentative = dates.finish_tentative
    else:
        spec.plan_start = _earliest(spec.plan_start, dates.start)
        if dates.finish and (spec.plan_finish is None or dates.finish > spec.plan_finish):
            # The latest stage sets the action's finish, and whether it may move.
            spec.plan_finish_tentative = dates.finish_tentative
        spec.plan_finish = _latest(spec.plan_finish, dates.finish)
    if dates.finish or dates.actual:
        draft.dated_rows.append((n, dates.finish, dates.actual, dates.done))

    stages = [] if first else _stage_lines(spec, piece.action_text)
    _add_criteria(spec, piece, stages, dates.finish, log)
    _apply_people(draft, data, log)
    _apply_aim(spec, data, first)
    _apply_rags(spec, data, log)
    for name in ("progress", "risk"):
        for _, text in data.texts(name):
            _append_text(spec, name, text)
    for column, text in data.texts("indicator"):
        found = extract_indicators(text)
        if not found:
            log.warn(n, column.label, text, "no numeric target found; kept as a note")
            _note(spec, f"{column.label}: {text}")
        _add_indicators(spec, found)
    for column, text in data.texts("note") + data.unmapped:
        _note(spec, f"{column.label}: {text}")
    for column, text in data.texts("rag_reason"):
        # A reason beside a green rating explains nothing the plan records; kept as a note.
        if spec.rag not in (Rag.RED, Rag.AMBER) and spec.last_rag not in (Rag.RED, Rag.AMBER):
            _note(spec, f"{column.label}: {text}")
    for text in [piece.action_text, data.text("success_criteria"), data.text("progress")]:
        for ref in extract_cross_refs(text):
            if ref not in spec.cross_refs:
                spec.cross_refs.append(ref)


@dataclass
class RowDates:
    start: date | None = None
    finish: date | None = None
    actual: date | None = None
    done: bool = False  # the row's own words say it is completed
    finish_tentative: bool = False  # "(tbc)", "provisional" beside the finish


def read_date(piece: Piece, column: Column, text: str, log: IssueLog) -> Timescale:
    """A cell's timescale, noted in the report's dates with the rule that read it. A
    month without a year ("end of June", "by March") is the first such month ending on
    or after the row's plan start, or else the plan's earliest date."""
    reading = parse_timescale(text)
    if not reading.understood:
        reading = _month_in_context(piece, column, text) or reading
    if reading.understood and (reading.plan_finish or reading.plan_start or reading.recurrence):
        shown, rule = _shown(reading), reading.rule or ""
        first = reading.period_start
        if (
            column.field == "plan_start"
            and reading.plan_start is None
            and first != reading.plan_finish
        ):
            # A start column's month or quarter starts on its first day.
            shown, rule = first.isoformat() if first else shown, _as_start(rule)
        log.date(piece.data.number, column.label, text, shown, rule)
    return reading


def _month_in_context(piece: Piece, column: Column, text: str) -> Timescale | None:
    month = timescales.month_without_year(text)
    if month is None:
        return None
    anchor, whose = None, ""
    for other, words in piece.data.texts("plan_start"):
        if other is not column:
            start = parse_timescale(words)
            anchor, whose = start.plan_start or start.period_start, "the row's plan start"
    if anchor is None and piece.plan_start is not None:
        anchor, whose = piece.plan_start, "the plan's earliest date"
    if anchor is None:
        return None
    end = date(anchor.year, month, calendar.monthrange(anchor.year, month)[1])
    if end < anchor:
        end = date(anchor.year + 1, month, calendar.monthrange(anchor.year + 1, month)[1])
    rule = (
        f"a month without a year: the first {calendar.month_name[month]} ending on or "
        f"after {whose} ({anchor.isoformat()})"
    )
    return Timescale(text, True, plan_finish=end, period_start=end.replace(day=1), rule=rule)


@cache
def _as_start(rule: str) -> str:
    # One text for each rule: a large sheet's report holds a line for every date.
    return f"{rule}; a start is its first day"


def _shown(reading: Timescale) -> str:
    parts = []
    if reading.plan_start:
        parts.append(f"from {reading.plan_start.isoformat()}")
    if reading.plan_finish:
        parts.append(reading.plan_finish.isoformat())
    if reading.recurrence:
        parts.append(reading.recurrence.value)
    if reading.tentative:
        parts.append("(tentative)")
    return " ".join(parts)


def _row_dates(draft: Draft, piece: Piece, first: bool, log: IssueLog) -> RowDates:
    spec, data, n = draft.spec, piece.data, piece.data.number
    dates = RowDates()
    for column, text in data.texts("plan_start"):
        reading = read_date(piece, column, text, log)
        dates.start = reading.plan_start or reading.period_start
        if not reading.understood or dates.start is None:
            _unread(spec, log, n, column, text, reading, "a plan start")
            dates.start = None
        elif reading.remark:
            _note(spec, f"{column.label}: {text}")
    for column, text in data.texts("plan_finish"):
        reading = read_date(piece, column, text, log)
        if reading.understood and reading.plan_finish:
            dates.finish = reading.plan_finish
            dates.finish_tentative = reading.tentative
            if reading.remark:
                _note(spec, f"{column.label}: {text}")
        elif reading.understood and (reading.recurrence or reading.completed):
            _take_words(draft, dates, reading, first)
            _finish_words(spec, column, text, first)
        elif first and spec.timescale is None and not text.startswith("="):
            # "Commences July 2010" where a date was expected: the action's own words
            # for its timescale, as a timescale column's would be.
            reason = reading.reason or "it names no single day"
            log.warn(
                n,
                column.label,
                text,
                f"not read as a plan finish ({reason}); kept as the action's timescale",
            )
            spec.timescale = text
        else:
            _unread(spec, log, n, column, text, reading, "a plan finish")
    for column, text in data.texts("actual_finish"):
        reading = read_date(piece, column, text, log)
        if reading.understood and reading.plan_finish:
            dates.actual = reading.plan_finish
        elif reading.understood and reading.completed:
            dates.done = True
        else:
            _unread(spec, log, n, column, text, reading, "an actual finish")
    if piece.timescale is not None:
        _timescale_dates(draft, piece, dates, first, log)
    if any(one_line(text).lower() == "completed" for _, text in data.texts("progress")):
        dates.done = True
        draft.said_completed = draft.said_completed or first
    if dates.start and dates.finish and dates.finish < dates.start:
        log.warn(
            n, None, f"{dates.start} .. {dates.finish}", "the plan finish is before the plan start"
        )
    if dates.start and dates.actual and dates.actual < dates.start:
        label = data.texts("actual_finish")[0][0].label if data.texts("actual_finish") else None
        log.warn(
            n,
            label,
            f"{dates.start} .. {dates.actual}",
            "the actual finish is before the plan start",
        )
    return dates


def _timescale_dates(
    draft: Draft, piece: Piece, dates: RowDates, first: bool, log: IssueLog
) -> None:
    assert piece.timescale is not None
    spec = draft.spec
    column, text = piece.timescale
    timescale = _read_timescale(piece, log)
    if timescale is not None and timescale.understood:
        dates.start = dates.start or timescale.plan_start
        if dates.finish is None and timescale.plan_finish is not None:
            dates.finish = timescale.plan_finish
            dates.finish_tentative = timescale.tentative
        _take_words(draft, dates, timescale, first)
    if first:
        if timescale is None or not timescale.is_single_date:
            spec.timescale = text if spec.timescale is None else f"{spec.timescale}\n{text}"
    elif (
        timescale is None or not timescale.understood or timescale.recurrence or timescale.completed
    ):
        # A continuation's words belong to its own line; the action keeps them as a note.
        _note(spec, f"{column.label} (row {piece.data.number}): {text}")


def _finish_words(spec: ActionSpec, column: Column, text: str, first: bool) -> None:
    """Words such as "Ongoing" in an action's own plan finish are its timescale, as in
    a timescale column (and export-sheet writes them there); a continuation's are a
    note of that row's."""
    if first and spec.timescale is None:
        spec.timescale = text
    else:
        _note(spec, f"{column.label}: {text}")


def _take_words(draft: Draft, dates: RowDates, reading: Timescale, first: bool) -> None:
    """Words such as "Quarterly" or "Completed" on an action's own row describe the
    action; on a continuation row they describe that row's line only."""
    dates.done = dates.done or reading.completed
    if first:
        draft.said_completed = draft.said_completed or reading.completed
        if reading.recurrence and draft.spec.recurrence is None:
            draft.spec.recurrence = reading.recurrence


def _read_timescale(piece: Piece, log: IssueLog) -> Timescale | None:
    assert piece.timescale is not None
    column, text = piece.timescale
    if piece.timescale_shared:
        return None  # the row's builder has already said why
    reading = read_date(piece, column, text, log)
    if not reading.understood:
        log.warn(
            piece.data.number,
            column.label,
            text,
            f"timescale not understood ({reading.reason}); the words are kept on the action",
        )
    return reading


def _unread(
    spec: ActionSpec,
    log: IssueLog,
    row: int,
    column: Column,
    text: str,
    reading: Timescale,
    what: str,
) -> None:
    reason = reading.reason or "it names no single day"
    log.warn(row, column.label, text, f"not read as {what} ({reason}); kept as a note")
    _note(spec, f"{column.label}: {text}")


def _stage_lines(spec: ActionSpec, action_text: str) -> list[str]:
    """Action text on a continuation row is a further stage, unless it repeats the title."""
    if not action_text or one_line(action_text) == one_line(spec.title):
        return []
    return paragraphs(action_text)


def _add_criteria(
    spec: ActionSpec, piece: Piece, stages: list[str], row_finish: date | None, log: IssueLog
) -> None:
    n = piece.data.number
    lines = stages + [ln for _, t in piece.data.texts("success_criteria") for ln in paragraphs(t)]
    lines += [ln for _, t in piece.evidence for ln in paragraphs(t)]
    dues: list[date | None] = [row_finish] * len(lines)
    extra: list[Criterion] = []
    reading = None
    if piece.timescale is not None and not piece.timescale_shared:
        column, text = piece.timescale
        reading = parse_timescale(text)
        if not reading.understood:
            reading = _month_in_context(piece, column, text) or reading
    if reading is not None and reading.lines:
        if len(reading.lines) == len(lines):
            dues = [line.plan_finish for line in reading.lines]
        elif len(lines) <= 1 and reading.understood:
            # One criterion and several milestone dates: the criterion is due at the
            # last; each labelled date is a milestone of its own.
            extra = [
                Criterion(line.label, line.plan_finish) for line in reading.lines if line.label
            ]
        else:
            dues = [None] * len(lines)
            log.warn(
                n,
                column.label,
                text,
                f"{len(lines)} criteria or evidence lines and {len(reading.lines)} timescale "
                f"lines: cannot tell which date is whose; criteria kept without dates",
            )
    for text, due in zip(lines, dues, strict=True):
        _add_criterion(spec, Criterion(text, due))
        _add_indicators(spec, extract_indicators(text))
    for criterion in extra:
        _add_criterion(spec, criterion)


def _add_criterion(spec: ActionSpec, criterion: Criterion) -> None:
    if criterion not in spec.success_criteria:
        spec.success_criteria.append(criterion)


def _add_indicators(spec: ActionSpec, found: list[Indicator]) -> None:
    for indicator in found:
        if indicator not in spec.indicators:
            spec.indicators.append(indicator)


def _apply_people(draft: Draft, data: RowData, log: IssueLog) -> None:
    spec, n = draft.spec, data.number
    for column, text in data.texts("lead"):
        people = list(_people(text))
        if not people:
            log.warn(n, column.label, text, "no person's name found; kept as a note")
            _note(spec, f"{column.label}: {text}")
        for person in people:
            if all(p.key != person.key for p in spec.leads):
                spec.leads.append(person)
    _apply_agencies(spec, data, log)
    for column, text in data.texts("accountable"):
        people = list(_people(text))
        if not people:
            log.warn(n, column.label, text, "no person's name found; kept as a note")
            _note(spec, f"{column.label}: {text}")
            continue
        if spec.accountable is None:
            spec.accountable = people[0]
            people = people[1:]
        others = [p for p in people if p.key != spec.accountable.key]
        if others:
            names = "; ".join(_describe(p) for p in others)
            log.info(
                n,
                column.label,
                text,
                "an action has one accountable officer: the first named is kept, "
                "the others are noted on the action",
            )
            _note(spec, f"{column.label}, also accountable: {names}")


def _apply_agencies(spec: ActionSpec, data: RowData, log: IssueLog) -> None:
    """A lead agency column gives its agency to the row's leads that name none: one
    agency to all of them, or one each when the cell names as many as there are leads."""
    if not data.texts("agency"):
        return
    row_leads = {p.key for _, text in data.texts("lead") for p in _people(text)}
    leads = [i for i, p in enumerate(spec.leads) if p.key in row_leads]
    for column, text in data.texts("agency"):
        agencies = [a for a in (one_line(part) for part in _AGENCY_SPLIT.split(text)) if a]
        if len(agencies) == 1:
            given = agencies * len(leads)
        elif len(agencies) == len(leads):
            given = agencies
        else:
            log.info(
                data.number, column.label, text, "not one agency for each lead; kept as a note"
            )
            _note(spec, f"{column.label}: {text}")
            continue
        if not leads:
            _note(spec, f"{column.label}: {text}")
        for index, agency in zip(leads, given, strict=True):
            person = spec.leads[index]
            if person.agency is None:
                spec.leads[index] = Person(person.name, person.email, agency, person.title)


_AGENCY_SPLIT = re.compile(r"\s*(?:\n|;|/)\s*")


def _describe(person: Person) -> str:
    return person.name + (f" ({person.title})" if person.title else "")


def _apply_aim(spec: ActionSpec, data: RowData, first: bool) -> None:
    for column, text in data.texts("aim"):
        if first and spec.aim is None:
            spec.aim = text
        elif one_line(text) != one_line(spec.aim or ""):
            _note(spec, f"{column.label}: {text}")


# Words a RAG cell holds that are not a lead's rating but mean something: no rating
# yet, or an inspection's grade ("Rating: Adequate"). Kept as a note, not refused.
_NO_RATING_WORDS = frozenset({
    "tbc", "tba", "na", "n a", "none", "pending", "unknown", "not rated", "excellent",
    "outstanding", "good", "adequate", "poor", "inadequate", "requires improvement",
    "performing well", "performing excellently", "performing adequately", "performing poorly",
})  # fmt: skip


def _apply_rags(spec: ActionSpec, data: RowData, log: IssueLog) -> None:
    for name in ("rag", "last_rag"):
        for column, text in data.texts(name):
            rag, direction, understood = parse_rag(text)
            words = " ".join(text.lower().replace("/", " ").split())
            if not understood and text.replace(" ", "").isalpha() and words not in _NO_RATING_WORDS:
                log.error(
                    data.number,
                    column.label,
                    text,
                    f"{text!r} is not a RAG rating (red, amber/orange, green, blue, grey, "
                    f"completed, or status words such as on track, at risk, off track)",
                )
                continue
            if not understood:
                log.warn(
                    data.number,
                    column.label,
                    text,
                    "not a RAG rating (red, amber/orange, green, blue, grey, completed or "
                    "an arrow); kept as a note",
                )
                _note(spec, f"{column.label}: {text}")
                continue
            if direction:
                _note(spec, f"Direction of travel ({column.label}): {direction}")
            _report_words(spec, data.number, column, text, rag, log)
            if column.index in data.shaded:
                log.info(
                    data.number,
                    column.label,
                    text,
                    f"no text; read from the cell's colour ({data.shaded[column.index]})",
                )
            if rag is not None:
                current = spec.rag if name == "rag" else spec.last_rag
                combined = worse_rag(current, rag)
                if name == "rag":
                    spec.rag = combined
                else:
                    spec.last_rag = combined
                if rag in (Rag.RED, Rag.AMBER):
                    _rag_reason(spec, data, column, text, log)


def _report_words(
    spec: ActionSpec, row: int, column: Column, text: str, rag: Rag | None, log: IssueLog
) -> None:
    """Say how a status phrase was read: a rating by the documented rule, or a stage of
    the work kept beside the action."""
    words = rating_words(text)
    if words in STAGE_WORDS:
        _note(spec, f"{column.label}: {one_line(text)}")
        log.info(row, column.label, text, "a stage of the work, not a rating; kept as a note")
    elif rag is not None and words in STATUS_RATINGS:
        log.info(
            row,
            column.label,
            text,
            f"read as {rag.value} (status words: on track green, "
            "at risk amber, off track red, achieved complete)",
        )


# Note columns whose text is the writer's own word on the row, and so may explain its
# rating; a background or source column does not.
_REMARKS = frozenset({"comment", "comments", "note", "notes", "remark", "remarks"})


def _rag_reason(spec: ActionSpec, data: RowData, column: Column, text: str, log: IssueLog) -> None:
    """A red or amber rating needs its reason: the row's reason column, else its progress
    or risk text, else its comments (plans explain a rating there). A row with none is
    refused."""
    remarks = [t for c, t in data.texts("note") if normalise_heading(c.label) in _REMARKS]
    for reason in (data.text("rag_reason"), data.text("progress"), data.text("risk"), *remarks):
        if reason:
            if spec.rag_reason is None:
                spec.rag_reason = one_line(reason)
            return
    if spec.rag_reason is None:
        log.error(
            data.number,
            column.label,
            text,
            f"rated {text.strip()} with no reason anywhere in the row (a reason, progress, "
            f"risk or comments column); give the reason",
        )


def worse_rag(current: Rag | None, new: Rag) -> Rag:
    """The rating an action shows when its stages differ: outstanding work wins over
    finished work, and among red, amber and green the worse wins."""
    if current is None:
        return new
    if (new in REPORTABLE_RAGS) != (current in REPORTABLE_RAGS):
        return new if new in REPORTABLE_RAGS else current
    if new.rank is not None and current.rank is not None and new.rank < current.rank:
        return new
    return current


def _append_text(spec: ActionSpec, name: str, text: str) -> None:
    existing: str | None = getattr(spec, name)
    if existing is None:
        setattr(spec, name, text)
    elif one_line(text) not in one_line(existing):
        setattr(spec, name, f"{existing}\n{text}")


def _note(spec: ActionSpec, note: str) -> None:
    if note not in spec.notes:
        spec.notes.append(note)


def _earliest(a: date | None, b: date | None) -> date | None:
    return min(d for d in (a, b) if d) if (a or b) else None


def _latest(a: date | None, b: date | None) -> date | None:
    return max(d for d in (a, b) if d) if (a or b) else None


def finish_draft(draft: Draft, log: IssueLog) -> None:
    """Settle what needs all the action's rows: its actual finish and status."""
    spec = draft.spec
    actuals = [actual for _, _, actual, _ in draft.dated_rows if actual]
    open_rows = [
        row for row, finish, actual, done in draft.dated_rows if finish and not (actual or done)
    ]
    if actuals and not open_rows:
        spec.actual_finish = max(actuals)
    elif actuals:
        # Some stages finished, some not: the action is not finished, but the
        # finished stages' dates are kept.
        for row, _, actual, _ in draft.dated_rows:
            if actual:
                _note(spec, f"Actual finish (row {row}): {actual.isoformat()}")
    if spec.actual_finish is not None or (draft.said_completed and not open_rows):
        spec.status = Status.COMPLETED
    if spec.ref in spec.cross_refs:
        spec.cross_refs.remove(spec.ref)
