"""Turning a table's rows into a PlanSpec: groups, actions and their continuation rows.

How a row is read:

* A row holding one text that starts "Improvement Area 3", "Recommendation 7:",
  "Area for Improvement 2" ... opens a group (its page when "(Page 12)" is given).
  A short line directly followed by such a row is an outcome heading above them.
* A group column (a heading repeated down a first column) puts the row's action in
  the group it names.
* With a reference column, a row with a reference starts an action and a row without
  one continues the action above. Without one, numbered action cells ("1. ...",
  several per cell) start actions and unnumbered rows continue them; and when the
  plan numbers nothing, every row with action text is an action of its own.
* Actions without a reference get one ("group.n"), with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date

from domain.spec import ActionSpec, GroupSpec, PlanSpec
from domain.values import Person
from engine.importing.actions import Draft, Piece, apply_row, finish_draft, parse_timescale
from engine.importing.checks import name_problem
from engine.importing.layouts import Column, ColumnPlan, RowData, read_row
from engine.importing.preamble import Narrative, Preamble, read_narrative, read_preamble
from engine.importing.reader import Row, Table
from engine.importing.report import IssueLog
from engine.importing.text import (
    clean_cell,
    one_line,
    paragraphs,
    split_numbered,
    starts_numbered,
    without_bullet,
)

_GROUP_KINDS = (
    r"improvement\s+area|area\s+for\s+improvement|recommendation|rec\.?|outcome|theme|"
    r"priority|objective|area|section"
)
_GROUP_ROW = re.compile(
    rf"^\s*(?:{_GROUP_KINDS})\s+(?P<ref>\d+[a-z]?)(?![\d.]\d)\s*[:\-.)]?\s*(?P<title>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_GROUP_SPLIT = re.compile(rf"\n(?=\s*(?:{_GROUP_KINDS})\s+\d)", re.IGNORECASE)
_PAGE = re.compile(r"\(\s*(?:page|p\.?|pg\.?)\s*(?P<page>\d+(?:\s*-\s*\d+)?)\s*\)", re.IGNORECASE)


@dataclass(frozen=True)
class GroupHeading:
    ref: str
    title: str
    page: str | None


def parse_group_heading(text: str) -> list[GroupHeading]:
    """The groups a heading cell names (one cell may name several recommendations)."""
    found: list[GroupHeading] = []
    for chunk in _GROUP_SPLIT.split(text.translate(str.maketrans("–—", "--"))):
        match = _GROUP_ROW.match(chunk)
        if not match:
            return []
        title = match.group("title")
        page = _PAGE.search(title)
        title = one_line(_PAGE.sub(" ", title)).strip(" -:.")
        found.append(GroupHeading(match.group("ref"), title, page.group("page") if page else None))
    return found


def _earliest_date(data: RowData) -> date | None:
    """The earliest date a row gives; the plan's start is the earliest of its rows'."""
    found: list[date] = []
    for name in ("plan_start", "timescale", "plan_finish"):
        for _, text in data.texts(name):
            reading = parse_timescale(text)
            day = reading.plan_start or reading.period_start or reading.plan_finish
            if reading.understood and day:
                found.append(day)
    return min(found) if found else None


def _looks_like_ref(text: str) -> bool:
    return bool(re.match(r"^\d+(?:\.\d+)*[a-z]?$", text.strip(), re.IGNORECASE))


class PlanBuilder:
    def __init__(self, table: Table, columns: ColumnPlan, log: IssueLog) -> None:
        self.table = table
        self.columns = columns
        self.log = log
        self.groups: dict[str, GroupSpec] = {}
        self.group_by_title: dict[str, str] = {}
        self.outcome: str | None = None
        self.group: str | None = None
        # The group the last heading row opened: a group column's unnumbered titles
        # below it ("Recommendation" under "Priority 1: Leadership") sit under it.
        self.heading_group: str | None = None
        self.drafts: list[Draft] = []
        self.current: Draft | None = None
        self.preamble = Preamble()
        self.narrative: Narrative | None = None
        self.has_ref_column = columns.has("ref")
        self.numbered = False
        self.plan_start: date | None = None

    # -- the whole table -------------------------------------------------------

    def build(
        self,
        *,
        slug: str,
        title: str | None,
        source: str,
        organisation: str | None = None,
        given_source: str | None = None,
    ) -> PlanSpec:
        """The plan the table holds. The title, organisation and source given win over
        what the text above the table says; ``source`` (the file) is the last resort."""
        self._read_preamble()
        for raw in self.table.rows:
            self._check_names(raw)
        self._survey()
        rows = self._rows()
        current = next(rows, None)
        while current is not None:
            after = next(rows, None)
            raw, data = current
            following = [after[1]] if after else []
            headings = self._group_headings(data)
            if headings:
                self._open_groups(headings, data.number)
                self.heading_group = self.group
            elif self._is_outcome_heading(data, following):
                self._open_outcome(data.distinct_texts()[0])
                self.heading_group = None
            elif self._is_plain_heading(raw, data, following):
                self._open_plain_group(data.distinct_texts()[0], data.number)
                self.heading_group = self.group
            else:
                self._data_row(data, raw)
            current = after
        actions = self._settle_refs()
        plan_title = title or self.preamble.title or self.table.path.stem
        return PlanSpec(
            slug=slug,
            title=plan_title,
            organisation=organisation or self.preamble.organisation,
            source=given_source or self.preamble.source or source,
            groups=list(self.groups.values()),
            actions=actions,
        )

    def _read_preamble(self) -> None:
        lines: list[tuple[int, list[str]]] = []
        for row in self.table.preamble:
            texts = [clean_cell(v) for _, v in row.own_values()]
            texts = [t for t in texts if t]
            if not texts:
                continue
            headings = parse_group_heading(texts[0]) if len(set(texts)) == 1 else []
            if headings:
                self._open_groups(headings, row.number)
            else:
                lines.append((row.number, texts))
        # Only a line of one text can be the title, the organisation or the source.
        single = [(n, t[0]) for n, t in lines if len(t) == 1]
        texts = [text for _, text in single]
        preamble = read_preamble(texts)
        rest = [i for i in range(len(texts)) if i not in preamble.used]
        self.narrative = read_narrative([texts[i] for i in rest], preamble.title)
        told = {rest[i] for i in self.narrative.used} if self.narrative else set()
        if told:
            # A report's overview and risks name bodies in passing ("owned by ASC and
            # NHS Leeds"): the plan's organisation and source are read without them.
            kept = [i for i in range(len(texts)) if i not in told]
            preamble = read_preamble([texts[i] for i in kept])
            preamble.used = {kept[i] for i in preamble.used}
        self.preamble = preamble
        used = {single[i][0] for i in preamble.used | told}
        for number, texts in lines:
            if number not in used:
                self.log.info(
                    number,
                    None,
                    " | ".join(texts),
                    "text above the table's headings belongs to no action; not imported",
                )

    def _rows(self) -> Iterator[tuple[Row, RowData]]:
        """Each row with text under a heading, and its texts by field. They are made
        again on each walk through the rows rather than kept: a large sheet's would
        take more memory than the plan they make."""
        for raw in self.table.rows:
            data = read_row(self.columns, raw, clean_cell)
            if not data.is_empty:
                yield raw, data

    def _survey(self) -> None:
        """What the whole sheet says before any row is read as part of the plan: its
        earliest date (the year of "end of June") and, without a reference column,
        whether it mostly numbers its actions."""
        count = not self.has_ref_column
        earliest: date | None = None
        cells = numbered = 0
        for _, data in self._rows():
            day = _earliest_date(data)
            if day is not None and (earliest is None or day < earliest):
                earliest = day
            if count and not self._group_headings(data):
                for _, text in data.texts("action"):
                    cells += 1
                    numbered += starts_numbered(text)
        self.plan_start = earliest
        self.numbered = bool(numbered) and 2 * numbered >= cells

    # -- groups ------------------------------------------------------------------

    def _group_headings(self, data: RowData) -> list[GroupHeading]:
        texts = data.distinct_texts()
        return parse_group_heading(texts[0]) if len(texts) == 1 else []

    def _is_outcome_heading(self, data: RowData, following: list[RowData]) -> bool:
        texts = data.distinct_texts()
        return (
            len(texts) == 1
            and "\n" not in texts[0]
            and len(texts[0]) <= 120
            and not starts_numbered(texts[0])
            and bool(following)
            and bool(self._group_headings(following[0]))
        )

    def _is_plain_heading(self, raw: Row, data: RowData, following: list[RowData]) -> bool:
        """A row whose only text is in its first cell (or merged across the row), above
        an action's row, heads a group whatever the columns are: "Leadership"."""
        texts = data.distinct_texts()
        own = raw.own_values()
        if len(texts) != 1 or len(own) != 1 or own[0][0] != self._first_column():
            return False
        text = texts[0]
        if "\n" in text or len(text) > 120 or starts_numbered(text) or data.first("group"):
            return False
        if data.first("ref") and _looks_like_ref(text):
            return False
        return bool(following) and len(following[0].distinct_texts()) > 1

    def _first_column(self) -> int:
        return min(c.index for c in self.columns.columns)

    def _open_plain_group(self, title: str, row: int) -> None:
        self.outcome = None
        self._open_group(self._ref_for_title(title), title, None, row)

    def _ref_for_title(self, title: str) -> str:
        """The ref of the group of this title, or for a new one the lowest free number."""
        ref = self.group_by_title.get(title.lower())
        if ref is None:
            number = 1
            while str(number) in self.groups:
                number += 1
            ref = str(number)
        return ref

    def _check_names(self, raw: Row) -> None:
        for column in self.columns.columns:
            if column.field in ("lead", "accountable") and column.index not in raw.copied:
                text = raw.cell(column.index)
                problem = name_problem(text) if text else None
                if problem:
                    self.log.error(raw.number, column.label, text, problem)

    def _open_outcome(self, title: str) -> None:
        existing = self.group_by_title.get(title.lower())
        if existing is None:
            existing = f"O{sum(1 for g in self.groups.values() if g.ref.startswith('O')) + 1}"
            self.groups[existing] = GroupSpec(ref=existing, title=title)
            self.group_by_title[title.lower()] = existing
        self.outcome = existing

    def _open_groups(self, headings: list[GroupHeading], row: int) -> None:
        for heading in headings:
            self._open_group(heading.ref, heading.title, heading.page, row)

    def _open_group(
        self, ref: str, title: str, page: str | None, row: int, parent: str | None = None
    ) -> None:
        group = self.groups.get(ref)
        if group is None:
            group = GroupSpec(ref=ref, title=title, parent=parent or self.outcome, page=page)
            self.groups[ref] = group
            self.group_by_title.setdefault(title.lower(), ref)
        elif title and one_line(title) != one_line(group.title):
            self.log.warn(
                row,
                None,
                title,
                f"group {ref} appears again with another title; the first "
                f"({group.title!r}) is kept",
            )
        if self.group != ref:
            # A heading repeated at a page break keeps the action above open.
            self.current = None
        self.group = ref

    def _group_from_column(self, column: Column, text: str, row: int) -> None:
        headings = parse_group_heading(text)
        if headings:
            self._open_groups(headings, row)
            return
        title = one_line(text)
        above = self.heading_group
        if above is not None and self.groups[above].parent is None:
            self._open_group(self._sub_ref(above, title), title, None, row, parent=above)
        else:
            self._open_group(self._ref_for_title(title), title, None, row)

    def _sub_ref(self, parent: str, title: str) -> str:
        """The ref of the group of this title under ``parent``, or for a new one the
        parent's ref and the next free letter: 1a, 1b, ..."""
        for group in self.groups.values():
            if group.parent == parent and one_line(group.title).lower() == title.lower():
                return group.ref
        number = 0
        while True:
            number, letters = number + 1, ""
            n = number
            while n:
                n, digit = divmod(n - 1, 26)
                letters = chr(ord("a") + digit) + letters
            if f"{parent}{letters}" not in self.groups:
                return f"{parent}{letters}"

    # -- actions ---------------------------------------------------------------

    def _data_row(self, data: RowData, raw: Row) -> None:
        group_cell = data.first("group")
        if group_cell:
            self._group_from_column(group_cell[0], group_cell[1], data.number)
        if not data.fields() - {"group"} and not data.unmapped:
            return
        self._evidence_for_group(data)
        action_text = data.text("action")
        ref_cell = data.first("ref")
        if self.has_ref_column:
            if ref_cell:
                ref = one_line(ref_cell[1])
                if self.current and self.current.explicit_ref == ref:
                    if action_text and not self._same_action(data, raw, action_text):
                        self.log.error(
                            data.number,
                            ref_cell[0].label,
                            ref,
                            f"reference {ref} is used again (first at row {self.current.row}) "
                            f"for another action; each action needs its own",
                        )
                        return
                    self._continue(self.current, data, action_text)  # a merged or repeated ref
                else:
                    self._start(data, action_text, explicit_ref=ref)
            else:
                self._continue_or_start(data, action_text)
        elif self.numbered:
            self._numbered_row(data, action_text)
        elif action_text and not (
            self.current and one_line(action_text) == one_line(self.current.spec.title)
        ):
            self._start(data, action_text)
        else:
            self._continue_or_start(data, action_text)

    def _same_action(self, data: RowData, raw: Row, action_text: str) -> bool:
        """A repeated reference continues its action when its cell spans the rows (a
        merged range) or the action's text is repeated with it."""
        assert self.current is not None
        ref_column = data.first("ref")
        spanned = ref_column is not None and ref_column[0].index in raw.spanned
        return spanned or one_line(action_text) == one_line(self.current.spec.title)

    def _numbered_row(self, data: RowData, action_text: str) -> None:
        items = split_numbered(action_text) if action_text else []
        if not any(item.number for item in items):
            self._continue_or_start(data, action_text)
            return
        if items[0].number is None:
            # Words before the first number belong to the action above.
            lead_in, items = items[0], items[1:]
            if self.current:
                self._continue(self.current, self._only_action(data), lead_in.text)
            else:
                self._start(self._only_action(data), lead_in.text)
        pieces = self._split_row(data, [item.text for item in items])
        for item, piece in zip(items, pieces, strict=True):
            current = self.current
            if current and current.number == item.number and current.spec.group == self.group:
                apply_row(current, piece, False, self.log)
            else:
                self._start_piece(piece, number=item.number)

    def _only_action(self, data: RowData) -> RowData:
        return RowData(data.number, {"action": data.texts("action")}, [])

    def _split_row(self, data: RowData, texts: list[str]) -> list[Piece]:
        """One piece per action in the row; timescale and evidence lines are shared out
        when there is one line per action, otherwise kept whole and warned about."""
        count = len(texts)
        timescale = data.first("timescale")
        evidence = [(c, t) for c, t in data.texts("evidence") if not c.area_wide]
        if count == 1:
            return [Piece(data, texts[0], timescale, False, evidence, self.plan_start)]
        pieces = [Piece(data, text, timescale, False, [], self.plan_start) for text in texts]
        if timescale:
            lines = paragraphs(timescale[1])
            if len(lines) == count:
                for piece, line in zip(pieces, lines, strict=True):
                    piece.timescale = (timescale[0], line)
            else:
                for piece in pieces:
                    piece.timescale_shared = True
                self.log.warn(
                    data.number,
                    timescale[0].label,
                    timescale[1],
                    f"{count} actions in the row but {len(lines)} timescale lines: cannot "
                    f"tell which date is whose; the words are kept on each action, no dates",
                )
        evidence_lines = [(c, line) for c, t in evidence for line in paragraphs(t)]
        if len(evidence_lines) == count:
            for piece, item in zip(pieces, evidence_lines, strict=True):
                piece.evidence = [item]
        elif evidence_lines:
            pieces[0].evidence = evidence
            self.log.warn(
                data.number,
                evidence[0][0].label,
                evidence[0][1],
                f"{count} actions in the row but {len(evidence_lines)} evidence lines: all "
                f"kept on the first action",
            )
        return pieces

    def _evidence_for_group(self, data: RowData) -> None:
        for column, text in data.texts("evidence"):
            if not column.area_wide:
                continue
            group = self.groups.get(self.group or "")
            if group is None:
                self.log.warn(
                    data.number,
                    column.label,
                    text,
                    "evidence for a whole area, but no area heading above it; kept on the action",
                )
                continue
            for line in paragraphs(text):
                if line not in group.evidence_expected:
                    group.evidence_expected.append(line)

    def _continue_or_start(self, data: RowData, action_text: str) -> None:
        if self.current is not None:
            self._continue(self.current, data, action_text)
            return
        if action_text:
            self._start(data, action_text)
            return
        other = data.fields() - {"group"}
        if self._area_wide_only(data):
            other -= {"evidence"}  # already given to the area
        if other or data.unmapped:
            self.log.error(
                data.number,
                None,
                " | ".join(data.distinct_texts()),
                "this row continues no action: there is no action above it to belong to",
            )

    def _area_wide_only(self, data: RowData) -> bool:
        return all(c.area_wide for c, _ in data.texts("evidence"))

    def _continue(self, draft: Draft, data: RowData, action_text: str) -> None:
        evidence = [(c, t) for c, t in data.texts("evidence") if not c.area_wide]
        piece = Piece(data, action_text, data.first("timescale"), False, evidence, self.plan_start)
        apply_row(draft, piece, False, self.log)

    def _start(self, data: RowData, action_text: str, explicit_ref: str | None = None) -> None:
        self._start_piece(self._split_row(data, [action_text])[0], explicit_ref=explicit_ref)

    def _start_piece(
        self, piece: Piece, *, number: str | None = None, explicit_ref: str | None = None
    ) -> None:
        n = piece.data.number
        title = without_bullet(one_line(piece.action_text))
        if not title:
            title = "(no action text)"
            self.log.warn(n, None, explicit_ref, "the action has no text; give it a title")
        spec = ActionSpec(ref="", title=title, group=self._group_for(explicit_ref))
        draft = Draft(spec, n, number=number, explicit_ref=explicit_ref)
        apply_row(draft, piece, True, self.log)
        self.drafts.append(draft)
        self.current = draft

    def _group_for(self, ref: str | None) -> str | None:
        if ref:
            prefix = re.match(r"^(\d+[a-z]?)\.", ref)
            if prefix and prefix.group(1) in self.groups:
                current = self.groups.get(self.group or "")
                # "1.2" under a group that sits in group 1 stays in that group.
                if current is not None and current.parent == prefix.group(1):
                    return current.ref
                return prefix.group(1)
        return self.group

    # -- references ------------------------------------------------------------

    def _settle_refs(self) -> list[ActionSpec]:
        seen_numbers: dict[str, set[str | None]] = {}
        for draft in self.drafts:
            if draft.number:
                seen_numbers.setdefault(draft.number, set()).add(draft.spec.group)
        per_group = any(len(groups) > 1 for groups in seen_numbers.values())
        for draft in self.drafts:
            if draft.explicit_ref:
                draft.spec.ref = draft.explicit_ref
            elif draft.number:
                group = draft.spec.group
                draft.spec.ref = f"{group}.{draft.number}" if per_group and group else draft.number
        used = {d.spec.ref for d in self.drafts if d.spec.ref}
        counters: dict[str | None, int] = {}
        for draft in self.drafts:
            if draft.spec.ref:
                continue
            group = draft.spec.group
            while True:
                counters[group] = counters.get(group, 0) + 1
                ref = f"{group}.{counters[group]}" if group else str(counters[group])
                if ref not in used:
                    break
            used.add(ref)
            draft.spec.ref = ref
            self.log.warn(
                draft.row,
                None,
                draft.spec.title[:60],
                f"the action has no reference number; it is given {ref}",
            )
        _share_emails(self.drafts)
        first_row: dict[str, int] = {}
        for draft in self.drafts:
            finish_draft(draft, self.log)
            ref = draft.spec.ref
            if ref in first_row:
                self.log.error(
                    draft.row,
                    None,
                    ref,
                    f"reference {ref} is used again (first at row {first_row[ref]}); "
                    f"each action needs its own",
                )
            else:
                first_row[ref] = draft.row
        return [d.spec for d in self.drafts]


def _share_emails(drafts: list[Draft]) -> None:
    """A person named once with an email address has it wherever the plan names them."""
    emails: dict[str, str] = {}
    for draft in drafts:
        for person in [*draft.spec.leads, draft.spec.accountable]:
            if person is not None and person.email:
                emails.setdefault(person.name.lower(), person.email)
    if not emails:
        return

    def with_email(person: Person) -> Person:
        email = person.email or emails.get(person.name.lower())
        return replace(person, email=email) if email != person.email else person

    for draft in drafts:
        spec = draft.spec
        spec.leads = list({p.key: p for p in map(with_email, spec.leads)}.values())
        if spec.accountable is not None:
            spec.accountable = with_email(spec.accountable)
