"""The three-way re-import: the sheet as last imported (the base), the sheet now, and
the plan as the application holds it.

Each import keeps, on each action it adds or changes, the cells it read
(``Action.SheetImported``: every field normalised, with the file's name and SHA-256).
A later import of the sheet compares each cell with that base, not with the plan:

* a cell the sheet has not changed since the base changes nothing, whatever the
  application has done to the field since (a lead's moved finish date stays);
* a cell the sheet has changed is recorded as before, when nobody has changed the field
  in the application since the base;
* a field changed in both since the base, to different values, is a conflict: the
  plan's value stays and the conflict is listed (who changed it in the application and
  when), unless the sheet is preferred for the import or for that action; both changed
  to the same value is no conflict.

A conflict left open keeps its old base, so the next import of the sheet lists it
again until it is settled: by preferring the sheet (the sheet's value is recorded) or
the plan (the plan's value stays, and the sheet's is taken as seen). An action with no
base (recorded before bases were kept, or added in the application) is compared with
the plan as it stands, the two-way comparison, and the report names it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from domain.action import Action, indicator_dict, indicator_from, next_statuses
from domain.errors import InvalidInput
from domain.spec import ActionSpec
from domain.values import REPORTABLE_RAGS, Status
from projections.views import View

# Fields the sheet adds to: an entry new in the sheet since the base is added to the plan
# unless the plan has it; an entry the application removed stays removed.
ADDED = ("cross_refs", "notes")
# The spec's attributes each cell stands for: a cell left alone blanks them all, and a
# blank never clears what the plan holds.
_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "aim": ("aim",),
    "group": ("group",),
    "leads": ("leads",),
    "accountable": ("accountable",),
    "plan_start": ("plan_start",),
    "plan_finish": ("plan_finish", "plan_finish_tentative"),
    "recurrence": ("recurrence",),
    "timescale": ("timescale",),
    "success_criteria": ("success_criteria",),
    "indicators": ("indicators",),
    "evidence_expected": ("evidence_expected",),
    "rag": ("rag",),
    "progress": ("progress", "risk"),
    "status": ("status", "actual_finish"),
    "cross_refs": ("cross_refs",),
    "notes": ("notes",),
}
CELLS = tuple(_ATTRIBUTES)

# How a conflict was settled.
KEPT = "kept plan"  # left as the application has it, to be settled
TOOK_SHEET = "took sheet"  # --prefer sheet
PLAN_PREFERRED = "plan preferred"  # --prefer plan: counted, not listed


def digest(path: Path) -> str:
    """The file's SHA-256, kept with the base to say which file it was."""
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


# ---------------------------------------------------------------------------------------------
# Cells, normalised: the same form for the sheet, the base and the plan
# ---------------------------------------------------------------------------------------------


def _text(value: str | None) -> str | None:
    flat = " ".join((value or "").split())
    return flat or None


def _names(people: Iterable[Any]) -> list[str]:
    # A person cell is compared by the names it gives: the email and agency the plan
    # holds come from the directory, not from the sheet.
    return [" ".join(_name_of(p).split()) for p in people]


def _name_of(person: Any) -> str:
    return str(person["name"] if isinstance(person, dict) else person.name)


def _day(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat()[:10] if hasattr(value, "isoformat") else str(value)[:10]


def _finish(value: Any, tentative: bool) -> str | None:
    # A tentative mark is part of the finish cell: "31 Mar 2011 (tbc)" made firm is a change.
    day = _day(value)
    return f"{day} (tbc)" if day and tentative else day


def sheet_cells(spec: ActionSpec) -> dict[str, Any]:
    """What the sheet's row says, field by field, in the base's form."""
    status = spec.status
    if status is Status.VERIFIED:
        status = Status.COMPLETED  # an import records a completion, never a verification
    return {
        "title": _text(spec.title),
        "aim": _text(spec.aim),
        "group": spec.group,
        "leads": _names(spec.leads),
        "accountable": _names([spec.accountable])[0] if spec.accountable else None,
        "plan_start": _day(spec.plan_start),
        "plan_finish": _finish(spec.plan_finish, spec.plan_finish_tentative),
        "recurrence": spec.recurrence.value if spec.recurrence else None,
        "timescale": _text(spec.timescale),
        "success_criteria": [[_text(c.text), _day(c.due)] for c in spec.success_criteria],
        "indicators": [indicator_dict(i) for i in spec.indicators],
        "evidence_expected": [_text(e) for e in spec.evidence_expected],
        "rag": spec.rag.value if spec.rag in REPORTABLE_RAGS and spec.rag else None,
        # A risk with no progress is kept as a note: still the sheet's cell that changed.
        "progress": [_text(spec.progress), _text(spec.risk)]
        if spec.progress or spec.risk
        else None,
        "status": [status.value, _day(spec.actual_finish)] if status else None,
        "cross_refs": list(spec.cross_refs),
        "notes": list(spec.notes),
    }


def plan_cell(view: View, name: str) -> Any:
    """The field as the application holds it (the read model's action), in the same form."""
    if name in ("title", "aim", "timescale"):
        return _text(view[name])
    if name == "leads":
        return _names(view["leads"])
    if name == "accountable":
        return _names([view["accountable"]])[0] if view["accountable"] else None
    if name == "plan_start":
        return _day(view[name])
    if name == "plan_finish":
        return _finish(view[name], bool(view.get("plan_finish_tentative")))
    if name == "success_criteria":
        return [[_text(c["text"]), _day(c["due"])] for c in view["success_criteria"]]
    if name == "indicators":
        return [indicator_dict(indicator_from(i)) for i in view["indicators"]]
    if name == "evidence_expected":
        return [_text(e) for e in view["evidence_expected"]]
    if name == "rag":
        return view["reported_rag"]
    if name == "progress":
        return [_text(view["progress"]), _text(view["risk"])] if view["progress"] else None
    if name == "status":
        return [view["status"], _day(view["actual_finish"])]
    return view[name]


def _blank(value: Any) -> bool:
    return value in (None, [], "")


def _agrees(name: str, sheet: Any, plan: Any) -> bool:
    """The plan already has what the sheet now says (both sides made the same change)."""
    if name == "status":
        # A completion agrees whatever its date; a verified action was completed.
        done = {Status.COMPLETED.value, Status.VERIFIED.value}
        return bool(plan) and (sheet[0] == plan[0] or (sheet[0] in done and plan[0] in done))
    if name in ("leads",):
        return [n.lower() for n in sheet] == [n.lower() for n in plan or []]
    if name == "accountable":
        return (sheet or "").lower() == (plan or "").lower()
    return bool(sheet == plan)


def _follows(name: str, sheet: Any, plan: Any) -> bool:
    """A status the sheet gives that the plan's can move on to (a lead started the
    action in the application, the sheet says it is completed) is the same path taken
    further, not a conflict."""
    return name == "status" and Status(sheet[0]) in next_statuses(Status(plan[0]))


def show(value: Any) -> str:
    """A cell for the report: lists joined, dates as written."""
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return "; ".join(show(v) if isinstance(v, list) else _shown_item(v) for v in value)
    return str(value)


def _shown_item(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("name") or value)
    return "(none)" if value is None else str(value)


# ---------------------------------------------------------------------------------------------
# Who changed a field in the application since the base
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppChange:
    actor: str
    at: datetime


def _fields_of(event: Any) -> list[str]:
    """The cells an event of an action changes."""
    if isinstance(event, Action.Amended):
        # The tentative mark is written in the finish's own cell.
        return ["plan_finish" if event.field == "plan_finish_tentative" else event.field]
    if isinstance(event, Action.Rebaselined):
        moved = []
        if event.old_start != event.new_start:
            moved.append("plan_start")
        if event.old_finish != event.new_finish:
            moved.append("plan_finish")
        return moved
    if isinstance(event, Action.RagAssessed):
        return ["rag"]
    if isinstance(event, Action.ProgressReported):
        return ["progress"]
    if isinstance(event, Action.StatusChanged):
        return ["status"]
    return []


def changes_since(events: Iterable[Any], since: dict[str, int]) -> dict[str, AppChange]:
    """The last change to each field after the version its base dates from."""
    found: dict[str, AppChange] = {}
    for event in events:
        for name in _fields_of(event):
            if event.originator_version > since.get(name, 0):
                found[name] = AppChange(event.actor, event.timestamp)
    return found


# ---------------------------------------------------------------------------------------------
# Preferring one side
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prefer:
    """``--prefer plan|sheet`` for the whole import and ``--prefer sheet:REF`` per action."""

    whole: str | None = None
    sheet_refs: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, values: Iterable[str]) -> Prefer:
        whole: str | None = None
        refs: set[str] = set()
        for value in values:
            side, _, ref = value.strip().partition(":")
            side = side.strip().lower()
            if (
                side not in ("plan", "sheet")
                or (_ and not ref.strip())
                or (ref.strip() and side != "sheet")
            ):
                raise InvalidInput(
                    f"--prefer {value!r}: give plan, sheet or sheet:REF (an action's reference)"
                )
            if ref.strip():
                refs.add(ref.strip())
            elif whole is not None and whole != side:
                raise InvalidInput("--prefer plan and --prefer sheet contradict each other")
            else:
                whole = side
        return cls(whole, frozenset(refs))

    def check(self, refs: Iterable[str]) -> None:
        missing = sorted(self.sheet_refs - set(refs))
        if missing:
            raise InvalidInput(
                f"--prefer sheet:{missing[0]}: action {missing[0]} is not in the file"
            )

    def side(self, ref: str) -> str | None:
        return "sheet" if ref in self.sheet_refs else self.whole

    def to_list(self) -> list[str]:
        return ([self.whole] if self.whole else []) + [
            f"sheet:{r}" for r in sorted(self.sheet_refs)
        ]


# ---------------------------------------------------------------------------------------------
# The merge of one action
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    """A field changed in the sheet and in the application since the last import."""

    ref: str
    field: str
    base: Any
    sheet: Any
    plan: Any
    by: str
    at: datetime
    resolution: str

    def to_dict(self, row: int | None) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "row": row,
            "field": self.field,
            "base": self.base,
            "sheet": self.sheet,
            "plan": self.plan,
            "changed_by": self.by,
            "changed_at": self.at.isoformat(),
            "resolution": self.resolution,
        }


@dataclass
class Merged:
    """The sheet's row reduced to what the import should record, and the new base."""

    spec: ActionSpec
    settled: dict[str, Any]  # the cells the new base takes, if the action is recorded
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def settles(self) -> bool:
        """A conflict settled for the plan: only a new base records that the sheet's
        value was seen. (Otherwise a base is recorded with a change, never alone: an
        import of a sheet the plan already matches records nothing.)"""
        return any(c.resolution == PLAN_PREFERRED for c in self.conflicts)


def merge(
    spec: ActionSpec,
    view: View,
    prefer: Prefer,
    events_after: Callable[[int], Iterable[Any]],
) -> Merged:
    """Three-way: the row as the import records it, given the action's base in ``view``.

    ``events_after(version)`` gives the action's events after a version; it is asked
    only when the sheet has changed a cell since the base."""
    base = view["imported"]
    cells, since = base["cells"], base["since"]
    sheet = sheet_cells(spec)
    changed = {n: v for n, v in sheet.items() if n not in cells or v != cells[n]}
    blanks: dict[str, Any] = {}
    for name in CELLS:
        if name not in changed:
            blanks.update(_blanked(spec, name))
    settled: dict[str, Any] = {}
    conflicts: list[Conflict] = []
    contested = [n for n, v in changed.items() if n not in ADDED and not _blank(v) and n in since]
    app = changes_since(events_after(min(since[n] for n in contested)), since) if contested else {}
    for name, value in changed.items():
        if name in ADDED:
            # Only the entries new in the sheet since the base are offered to the plan.
            before = cells.get(name) or []
            blanks[name] = [v for v in getattr(spec, name) if v not in before]
            settled[name] = value
            continue
        if _blank(value):
            # A blank never clears, and is not taken into the base either: the field's
            # base (and the plan changes counted since it) stay for the sheet's next value.
            continue
        change = app.get(name)
        ours = plan_cell(view, name)
        if change is None or _agrees(name, value, ours) or _follows(name, value, ours):
            settled[name] = value
            continue
        side = prefer.side(spec.ref.strip())
        resolution = {"sheet": TOOK_SHEET, "plan": PLAN_PREFERRED}.get(side or "", KEPT)
        conflicts.append(
            Conflict(
                spec.ref.strip(),
                name,
                cells.get(name),
                value,
                ours,
                change.actor,
                change.at,
                resolution,
            )  # fmt: skip
        )
        if resolution != TOOK_SHEET:
            blanks.update(_blanked(spec, name))
        if resolution != KEPT:
            settled[name] = value
    return Merged(replace(spec, **blanks), settled, conflicts)


def without_base(spec: ActionSpec) -> Merged:
    """An action with no base: the row as it is, compared with the plan as it stands.
    The base its change records leaves out blank cells, which changed nothing."""
    return Merged(spec, {n: v for n, v in sheet_cells(spec).items() if not _blank(v)})


def _blanked(spec: ActionSpec, name: str) -> dict[str, Any]:
    return {a: _empty(getattr(spec, a)) for a in _ATTRIBUTES[name]}


def _empty(value: Any) -> Any:
    if isinstance(value, list):
        return []
    return False if isinstance(value, bool) else None


# ---------------------------------------------------------------------------------------------
# The report's part
# ---------------------------------------------------------------------------------------------


def render_conflicts(conflicts: list[Conflict], two_way: list[str]) -> list[str]:
    """The conflicts table and the two-way note, as lines of the text report."""
    lines: list[str] = []
    listed = [c for c in conflicts if c.resolution != PLAN_PREFERRED]
    silenced = len(conflicts) - len(listed)
    if listed:
        kept = sum(c.resolution == KEPT for c in listed)
        lines += [
            "",
            f"Conflicts: {len(listed)} fields changed both in the sheet and in the plan "
            "since the last import:",
        ]
        rows = [
            (c.ref, c.field, show(c.sheet), show(c.plan), c.by,
             c.at.strftime("%Y-%m-%d %H:%M"), c.resolution)
            for c in listed
        ]  # fmt: skip
        heads = ("Ref", "Field", "Sheet", "Plan", "Changed in the plan by", "On (UTC)", "Outcome")
        widths = [
            min(40, max(len(h), *(len(_clip(r[i])) for r in rows))) for i, h in enumerate(heads)
        ]
        lines += [
            "  " + "  ".join(_clip(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
            for r in [heads, *rows]
        ]
        if kept:
            lines.append(
                f"  {kept} left as the plan has them: --prefer sheet (or --prefer sheet:REF "
                "for one action) takes the sheet's; --prefer plan keeps the plan's and "
                "settles them."
            )
    if silenced:
        lines += ["", f"{silenced} conflicts settled by --prefer plan: the plan's values kept."]
    if two_way:
        lines += [
            "",
            f"{len(two_way)} actions have no base (recorded before imports kept one, or added "
            "in the application): compared with the plan as it stands, so the sheet's value "
            "wins wherever they differ: " + ", ".join(two_way),
        ]
    return lines


def _clip(text: str, width: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
