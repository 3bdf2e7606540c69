"""What an exported sheet or Word table carries besides its cells: the plan exactly.

A cell is text, and text read back is read by rules made for councils' own plans: a
criterion that says "70% of cases" also gives an indicator, "see 2.3" a cross-reference,
a person's agency has no place in the Lead cell. So `export-sheet` writes, with the
cells, a record of each action and grouping as the plan holds it (a hidden sheet of
the workbook, a custom XML part of the Word document), each bound to the cells written
for it by a digest of those cells as the importer reads them.

Reading the file back, an action whose rows are still exactly as exported is taken
from the record, so exporting a plan and importing the file into it changes nothing; a
row the council has edited (or added) is read from its cells as any plan is, and the
groupings come from the record only while every heading row is as exported. The record
is input like any cell: it is checked field by field, every value goes through the
domain's rules when recorded, and a record that cannot be read is reported and left
out, never trusted in part.

A record is taken only from a file this store wrote: it is sealed with a key derived
from the store's signing key (the one sessions and links are signed with), so a record
written by hand, changed after the export, or exported from another installation is
reported and left out, and every row is read from its cells. What the file says beyond
its visible cells is thus always what this store itself wrote.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from domain.action import indicator_dict, indicator_from
from domain.spec import ActionSpec, GroupSpec, PlanSpec
from domain.values import Criterion, Person, Rag, Recurrence, Status
from engine.importing.reader import Row, Table
from engine.importing.report import IssueLog
from engine.importing.text import one_line

if TYPE_CHECKING:
    from engine.runtime import Runtime

# Apart from the sessions' and the links' salts: a seal is good for nothing else.
SEAL_SALT = b"actiontrail.export-record"

# A workbook's record is in its hidden sheet reader.RECORD_SHEET; a Word document's in
# this custom XML part.
RECORD_PART = "customXml/actiontrail-export.xml"
RECORD_NAMESPACE = "urn:actiontrail:export"
FORMAT = 1
# A workbook cell holds at most 32,767 characters; the record is cut into pieces, each
# between two bars so that no reader's trimming of spaces can touch it.
CHUNK = 30_000


@dataclass
class Block:
    """The rows one heading or one action was written as."""

    kind: str  # "heading" or "action"
    key: str  # the heading's text, or the action's reference
    rows: list[Row] = field(default_factory=list)

    @property
    def digest(self) -> str:
        cells = [list(row.cells) for row in self.rows]
        return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode()).hexdigest()


def blocks(rows: list[Row]) -> list[Block]:
    """The table's rows as the export lays them out: a row with text in its first cell
    only is a heading; a row with a reference starts an action, and rows with no
    reference continue it."""
    found: list[Block] = []
    current: Block | None = None
    for row in rows:
        first = row.cell(0)
        own = [i for i, _ in row.own_values()]
        if first and own == [0]:
            found.append(Block("heading", one_line(first), [row]))
            current = None
        elif first:
            current = Block("action", one_line(first), [row])
            found.append(current)
        elif current is not None:
            current.rows.append(row)
    return found


# -- writing ---------------------------------------------------------------------------------


def record_key(rt: Runtime) -> str:
    """The key this store seals export records with."""
    return rt.accounts.secret_key(rt.settings.secret_key)


def _seal(body: str, key: str) -> str:
    derived = hmac.new(key.encode(), SEAL_SALT, hashlib.sha256).digest()
    return hmac.new(derived, body.encode(), hashlib.sha256).hexdigest()


def _body(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=True, separators=(",", ":"))


def record(doc: dict[str, Any], table: Table, headings: tuple[str, ...], key: str) -> str:
    """The record of the plan ``doc`` (projections.dashboard.plan_document) for the
    file whose table, as the importer reads it, is ``table``, sealed with ``key``."""
    written = blocks(table.rows)
    digests = {b.key: b.digest for b in written if b.kind == "action"}
    data = {
        "actiontrail_export": FORMAT,
        "plan": doc["slug"],
        "headings": list(headings),
        "heading_digests": [b.digest for b in written if b.kind == "heading"],
        "groups": [
            {
                "ref": g["ref"],
                "title": g["title"],
                "parent": g["parent"],
                "page": g.get("page"),
                "evidence_expected": list(g.get("evidence_expected") or []),
            }
            for g in doc["groups"]
        ],
        "actions": [
            {"digest": digests.get(a["ref"]), "action": action_data(a)} for a in doc["actions"]
        ],
    }
    return _body({**data, "seal": _seal(_body(data), key)})


def chunks(text: str) -> list[str]:
    """The record in pieces a workbook's cells can hold (reader.joined puts them back)."""
    return [f"|{text[i : i + CHUNK]}|" for i in range(0, len(text), CHUNK)] or ["||"]


def action_data(action: dict[str, Any]) -> dict[str, Any]:
    """An action of the plan document as plain data: what the plan holds, and what its
    lead last reported."""
    return {
        "ref": action["ref"],
        "title": action["title"],
        "group": action["group"],
        "aim": action["aim"],
        "leads": [Person.from_dict(p).to_dict() for p in action["leads"]],
        "accountable": Person.from_dict(action["accountable"]).to_dict()
        if action["accountable"]
        else None,
        "plan_start": _iso(action["plan_start"]),
        "plan_finish": _iso(action["plan_finish"]),
        "plan_finish_tentative": bool(action.get("plan_finish_tentative")),
        "actual_finish": _iso(action["actual_finish"]),
        "recurrence": action["recurrence"],
        "timescale": action["timescale"],
        "success_criteria": [
            {"text": c["text"], "due": _iso(c["due"])} for c in action["success_criteria"]
        ],
        "indicators": [indicator_dict(indicator_from(i)) for i in action["indicators"]],
        "evidence_expected": list(action.get("evidence_expected") or []),
        "cross_refs": list(action["cross_refs"]),
        "status": action["status"],
        "rag": action["reported_rag"],
        "rag_reason": action.get("reported_reason"),
        "last_rag": action.get("previous_rag"),
        "progress": action["progress"],
        "risk": action["risk"],
        "notes": list(action["notes"]),
    }


def _iso(value: str | None) -> str | None:
    return value[:10] if value else None


# -- reading ---------------------------------------------------------------------------------


def apply_record(
    text: str,
    table: Table,
    spec: PlanSpec,
    log: IssueLog,
    first_rows: dict[str, int],
    key: str | None,
) -> list[str]:
    """Take from the file's record each action whose rows are as exported (and the
    groupings, while every heading row is); returns the references so taken.
    ``first_rows`` is the row each action read from the cells starts on; ``key`` is the
    store's sealing key (record_key), without which no record is taken."""
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("actiontrail_export") != FORMAT:
            raise ValueError("not an export record this version writes")
        seal = data.pop("seal", None)
        if key is None or not isinstance(seal, str):
            raise ValueError("it is not sealed")
        if not hmac.compare_digest(seal, _seal(_body(data), key)):
            raise ValueError(
                "its seal does not match: it was not exported from this store, or was "
                "changed since"
            )
        headings = [str(h) for h in _list(data, "headings")]
        recorded_groups = [_group(g) for g in _list(data, "groups")]
        entries = [(_text(e, "digest"), action_spec(e["action"])) for e in _list(data, "actions")]
        heading_digests = [str(d) for d in _list(data, "heading_digests")]
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        log.warn(
            None,
            None,
            None,
            f"the file's export record cannot be read ({e}); every row is read from its cells",
        )
        return []
    if [one_line(h) for h in table.headings[: len(headings)]] != headings:
        return []  # the columns were changed: the cells say what they hold
    found = blocks(table.rows)
    counts = Counter(b.key for b in found if b.kind == "action")
    by_ref = {b.key: b for b in found if b.kind == "action" and counts[b.key] == 1}
    exact: dict[str, tuple[ActionSpec, Block]] = {}
    for digest, action in entries:
        block = by_ref.get(action.ref)
        if block is not None and digest is not None and block.digest == digest:
            exact[action.ref] = (action, block)
    heading_blocks = [b for b in found if b.kind == "heading"]
    groups_exact = [b.digest for b in heading_blocks] == heading_digests
    parsed = {a.ref.strip(): a for a in spec.actions}
    actions: list[ActionSpec] = []
    for block in found:
        if block.kind != "action" or block.key in {a.ref for a in actions}:
            continue
        taken = exact.get(block.key)
        if taken is not None:
            action = taken[0]
            if not groups_exact:
                # The headings were edited: the groupings are as the cells now read.
                action.group = parsed[block.key].group if block.key in parsed else None
            actions.append(action)
        elif block.key in parsed:
            actions.append(parsed[block.key])
    headed = {r.number for b in heading_blocks for r in b.rows} if groups_exact else set()
    actions += [
        a
        for ref, a in parsed.items()
        if ref not in {x.ref for x in actions} and first_rows.get(ref) not in headed
    ]
    if groups_exact:
        _take_groups(spec, recorded_groups, [a for a in actions if a.ref not in exact])
    spec.actions = actions
    # What the rules said of these cells does not apply: their values are the plan's own.
    rows = {r.number for _, block in exact.values() for r in block.rows}
    rows |= headed
    log.issues = [i for i in log.issues if i.row not in rows]
    log.dates = [d for d in log.dates if d.row not in rows]
    return list(exact)


def _take_groups(spec: PlanSpec, recorded: list[GroupSpec], read: list[ActionSpec]) -> None:
    """The recorded groupings in place of the ones read; an action read from its cells
    keeps its grouping, matched to a recorded one by title."""
    by_title = {one_line(g.title).lower(): g.ref for g in recorded}
    refs = {g.ref for g in recorded}
    parsed = {g.ref: g for g in spec.groups}
    groups = list(recorded)
    for action in read:
        group = parsed.get(action.group) if action.group else None
        if group is None:
            continue
        match = by_title.get(one_line(group.title).lower())
        if match is not None:
            action.group = match
        elif group.ref not in refs:
            groups.append(group)
            refs.add(group.ref)
    spec.groups = groups


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data[key]
    if not isinstance(value, list):
        raise ValueError(f"{key} is not a list")
    return value


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key} is not text")
    return value


def _day(data: dict[str, Any], key: str) -> date | None:
    value = _text(data, key)
    return date.fromisoformat(value) if value else None


def _texts(data: dict[str, Any], key: str) -> list[str]:
    values = _list(data, key)
    if not all(isinstance(v, str) for v in values):
        raise ValueError(f"{key} holds something other than text")
    return list(values)


def _person(data: Any) -> Person:
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise ValueError("a person without a name")
    for key in ("email", "agency", "title"):
        _text(data, key)
    return Person.from_dict(data)


def _group(data: Any) -> GroupSpec:
    if not isinstance(data, dict):
        raise ValueError("a grouping is not a mapping")
    ref, title = _text(data, "ref"), _text(data, "title")
    if not ref or title is None:
        raise ValueError("a grouping without a reference or title")
    return GroupSpec(
        ref=ref,
        title=title,
        parent=_text(data, "parent"),
        page=_text(data, "page"),
        evidence_expected=_texts(data, "evidence_expected"),
    )


def action_spec(data: Any) -> ActionSpec:
    """The action a record holds; ValueError (or KeyError, TypeError) when malformed."""
    if not isinstance(data, dict):
        raise ValueError("an action is not a mapping")
    ref, title = _text(data, "ref"), _text(data, "title")
    if not ref or not title:
        raise ValueError("an action without a reference or title")
    tentative = data.get("plan_finish_tentative", False)
    if not isinstance(tentative, bool):
        raise ValueError("plan_finish_tentative is not true or false")
    accountable = data.get("accountable")
    criteria = []
    for c in _list(data, "success_criteria"):
        if not isinstance(c, dict) or not isinstance(c.get("text"), str):
            raise ValueError("a success criterion without text")
        criteria.append(Criterion(c["text"], _day(c, "due")))
    indicators = []
    for i in _list(data, "indicators"):
        if not isinstance(i, dict):
            raise ValueError("an indicator is not a mapping")
        indicators.append(indicator_from(i))
    return ActionSpec(
        ref=ref,
        title=title,
        group=_text(data, "group"),
        aim=_text(data, "aim"),
        leads=[_person(p) for p in _list(data, "leads")],
        accountable=_person(accountable) if accountable is not None else None,
        plan_start=_day(data, "plan_start"),
        plan_finish=_day(data, "plan_finish"),
        plan_finish_tentative=tentative,
        actual_finish=_day(data, "actual_finish"),
        recurrence=_enum(Recurrence, data, "recurrence"),
        timescale=_text(data, "timescale"),
        success_criteria=criteria,
        indicators=indicators,
        evidence_expected=_texts(data, "evidence_expected"),
        cross_refs=_texts(data, "cross_refs"),
        status=_enum(Status, data, "status"),
        rag=_enum(Rag, data, "rag"),
        rag_reason=_text(data, "rag_reason"),
        last_rag=_enum(Rag, data, "last_rag"),
        progress=_text(data, "progress"),
        risk=_text(data, "risk"),
        notes=_texts(data, "notes"),
    )


def _enum(kind: Any, data: dict[str, Any], key: str) -> Any:
    value = _text(data, key)
    return kind(value) if value else None
