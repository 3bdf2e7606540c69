"""Recording an imported spreadsheet: a new plan, or the changes to a plan already kept.

An import is one unit. Every event it makes (the plan, its groups and actions, their
reported RAG, progress and status, or the amendments an updated sheet brings) is
saved in a single transaction, so a refused row or a failure half-way leaves the
store as it was.

Rules for an update (the same slug imported again):

* Actions match by reference; a changed cell becomes the event a person would have
  recorded: an amendment with the reason "imported from FILE", a new RAG rating, a
  progress report for the current period, a completion dated by the actual finish.
* A blank cell never clears what the plan holds, and notes and cross-references
  from the sheet are added to the action's, never put in their place: a sheet that
  leaves something out is not a request to delete it.
* Actions in the plan but not in the sheet are reported and kept.
* Groups are matched by reference; a new one is added, a retitled one is reported.
* Each action's cells as imported are kept (``Action.SheetImported``), and a later
  import compares the sheet with them, not with the plan (engine/importing/merge.py):
  only what the sheet changed since is recorded, and a field changed in the plan too
  is a conflict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from domain import clock
from domain.action import Action, indicator_from
from domain.errors import DomainError, NotFound
from domain.periods import Period
from domain.plan import Plan
from domain.spec import ActionSpec, PlanSpec
from domain.users import User
from domain.values import REPORTABLE_RAGS, Criterion, Person, Rag, Recurrence, Status
from engine.importing.exported import record_key
from engine.importing.layouts import short_heading
from engine.importing.merge import (
    Conflict,
    Merged,
    Prefer,
    digest,
    merge,
    render_conflicts,
    sheet_cells,
    without_base,
)
from engine.importing.parse import parse_file
from engine.importing.people import Listed, link, name_key, not_linked, read_people
from engine.importing.report import ImportReport, Issue, Severity
from engine.runtime import Runtime
from projections import queries
from projections.views import View

# Ratings the engine works out from the status and dates; a sheet's blue or grey
# says what the engine will show anyway, so it is not recorded as a lead's rating.
_COMPUTED_RAGS = (Rag.BLUE, Rag.COMPLETE, Rag.GREY)

# Fields compared as text: spacing and line breaks do not make a change.
_TEXT_FIELDS = ("title", "aim", "timescale")
# Fields an empty cell leaves alone; a value in the sheet replaces the plan's.
_REPLACED_FIELDS = (
    "title",
    "aim",
    "group",
    "leads",
    "accountable",
    "recurrence",
    "timescale",
    "success_criteria",
    "indicators",
)
# Fields the sheet adds to: new entries are appended, none is removed.
_ADDED_FIELDS = ("cross_refs", "notes")


# What one event will be, and the command that records it.
Step = tuple[str, Callable[[], None]]


@dataclass(frozen=True)
class Change:
    """One event the import makes (or would make) for one action."""

    ref: str
    what: str


@dataclass
class ImportResult:
    """The parse report with what recording it did: its events and per-action changes."""

    report: ImportReport
    slug: str
    created: bool  # a new plan (on a dry run: it would be)
    recorded: bool
    dry_run: bool
    events: Counter[str] = field(default_factory=Counter)
    groups_added: list[str] = field(default_factory=list)
    actions_added: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    users_added: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    two_way: list[str] = field(default_factory=list)  # actions with no base to compare with
    # Actions whose cells as imported are kept (Action.SheetImported), counted apart from
    # the events that change the plan.
    bases: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.report.ok

    @property
    def changed_actions(self) -> list[str]:
        added = set(self.actions_added)
        return list(dict.fromkeys(c.ref for c in self.changes if c.ref not in added))

    def to_dict(self) -> dict[str, Any]:
        rows = self.report.action_rows
        outcome = {ref: "added" for ref in self.actions_added}
        outcome.update({ref: "changed" for ref in self.changed_actions})
        outcome.update({ref: "unchanged" for ref in self.unchanged})
        return {
            **self.report.to_dict(),
            "recording": {
                "plan": self.slug,
                "created": self.created,
                "recorded": self.recorded,
                "dry_run": self.dry_run,
                "events": dict(sorted(self.events.items())),
                "groups_added": list(self.groups_added),
                "actions_added": list(self.actions_added),
                "actions_changed": self.changed_actions,
                "actions_unchanged": len(self.unchanged),
                "actions_missing_from_file": list(self.missing),
                "users_added": list(self.users_added),
                "conflicts": [c.to_dict(rows.get(c.ref)) for c in self.conflicts],
                "compared_without_base": list(self.two_way),
                "bases_recorded": len(self.bases),
                "changes": [
                    {"ref": c.ref, "row": rows.get(c.ref), "change": c.what} for c in self.changes
                ],
                "rows": [
                    {"ref": ref, "row": row, "outcome": outcome.get(ref)}
                    for ref, row in rows.items()
                ],
            },
        }

    def _nothing_new(self) -> str:
        compared = len(self.unchanged) + len(self.changed_actions)
        if compared > len(self.two_way):
            # Compared with the sheet as last imported: the plan may well differ from it.
            return (
                f"Nothing to record: plan {self.slug} already has every change the file "
                "made since its last import (changes made in the plan since are kept)."
            )
        return f"Nothing to record: plan {self.slug} already matches the file."

    def render_text(self) -> str:
        lines = [self.report.render_text().rstrip("\n"), ""]
        total = sum(self.events.values())
        if not self.ok:
            lines.append(f"Nothing recorded: the import has {len(self.report.errors)} errors.")
            return "\n".join(lines) + "\n"
        if self.dry_run:
            lines += [self.report.render_dates().rstrip("\n"), ""]
            lines.append("Dry run: nothing recorded. Recording this file would:")
        elif total == 0 and not self.bases:
            lines.append(self._nothing_new())
        elif self.created:
            lines.append(f"Recorded plan {self.slug} as one unit:")
        else:
            lines.append(f"Recorded into plan {self.slug} as one unit:")
        lines.append(
            f"  {'create' if self.created else 'update'} plan {self.slug}; "
            f"{len(self.groups_added)} groups added, {len(self.actions_added)} actions added, "
            f"{len(self.changed_actions)} changed, {len(self.unchanged)} unchanged"
        )
        if total:
            kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(self.events.items()))
            lines.append(f"  {total} events: {kinds}")
        if self.bases:
            lines.append(
                f"  the cells of {len(self.bases)} actions kept as read, for the next import "
                f"to compare with (Action.SheetImported {len(self.bases)})"
            )
        if self.users_added:
            lines.append(f"  users added from the people file: {', '.join(self.users_added)}")
        if self.missing:
            lines.append(
                f"  {len(self.missing)} actions of the plan are not in the file (kept): "
                + ", ".join(self.missing)
            )
        shown = [c for c in self.changes if c.ref not in set(self.actions_added)]
        if shown:
            width = max(len(c.ref) for c in shown)
            lines += ["", "Changes:"]
            lines += [f"  {c.ref:<{width}}  {c.what}" for c in shown]
        lines += render_conflicts(self.conflicts, self.two_way)
        return "\n".join(lines) + "\n"


def import_plan(
    rt: Runtime,
    actor: str,
    path: str | Path,
    *,
    slug: str,
    title: str | None = None,
    fmt: str | None = None,
    sheet: str | None = None,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    people: str | Path | None = None,
    prefer: list[str] | None = None,
    organisation: str | None = None,
    source: str | None = None,
) -> ImportResult:
    """Read a plan spreadsheet and record it: a new plan, or the changes to ``slug``.

    Raises ImportFileError when the file cannot be read at all, and PermissionDenied
    unless ``actor`` is an admin (or, for an existing plan, one of its owners). Row
    problems and refused rows are errors in the result's report; then nothing is recorded.
    ``prefer`` settles conflicts: "plan", "sheet" or "sheet:REF" (engine/importing/merge.py).
    """
    acting = rt.app.importer(actor, slug)
    chosen = Prefer.parse(prefer or [])
    path = Path(path)
    listed = read_people(Path(people)) if people is not None else []
    spec, report = parse_file(
        path,
        slug=slug,
        title=title,
        fmt=fmt,
        sheet=sheet,
        mapping=mapping,
        organisation=organisation,
        source=source,
        record_key=record_key(rt),
    )
    chosen.check(a.ref.strip() for a in spec.actions)
    new_users = _link_people(rt, spec, report, listed, acting.email)
    try:
        plan: Plan | None = rt.app.plan(slug)
    except NotFound:
        plan = None
    result = ImportResult(report, slug, created=plan is None, recorded=False, dry_run=dry_run)
    result.users_added = [u.email for u in new_users]
    if not report.ok:
        return result
    recording = _Recording(rt, acting.email, spec, result, path, chosen)
    aggregates = recording.new_plan() if plan is None else recording.update(plan, title)
    if not report.ok or dry_run:
        return result
    if aggregates or new_users:
        rt.app.apply_import(acting.email, slug, [*new_users, *aggregates])
        result.recorded = True
    return result


def _link_people(
    rt: Runtime, spec: PlanSpec, report: ImportReport, listed: list[Listed], actor: str
) -> list[User]:
    """Link the sheet's names to users by name; the people file's people the store
    lacks become users (recorded with the import). The report's list of people without
    an email is then the names nobody could link."""
    rt.catch_up()
    directory: dict[str, Person] = {}
    emails: set[str] = set()
    for user in queries.users(rt.engine):
        emails.add(user["email"])
        directory.setdefault(
            name_key(user["name"]), Person(user["name"], user["email"], user.get("agency"))
        )
    new_users: list[User] = []
    for person in listed:
        directory[name_key(person.name)] = Person(person.name, person.email, person.agency)
        if person.email not in emails:
            emails.add(person.email)
            new_users.append(
                User.register(person.email, person.name, person.agency, [person.role], actor)
            )
    link(spec, directory, keep=frozenset(report.exact))
    report.people_without_email = not_linked(spec)
    return new_users


class _Recording:
    """Builds the aggregates an import changes, noting each event in the result."""

    def __init__(
        self, rt: Runtime, actor: str, spec: PlanSpec, result: ImportResult, path: Path,
        prefer: Prefer,
    ) -> None:  # fmt: skip
        file = path.name
        self.digest = digest(path)
        self.prefer = prefer
        # The rows as the sheet gives them: a merged row leaves out what it need not record.
        self.rows = {a.ref: a for a in spec.actions}
        self.rt = rt
        self.actor = actor
        self.spec = spec
        self.result = result
        self.report = result.report
        self.reason = f"imported from {file}"
        self.file = file
        self.labels: dict[str, str] = {}
        for c in self.report.columns:
            if c.field:
                self.labels.setdefault(c.field, short_heading(c.heading) or f"Column {c.letter}")
        today = clock.today()
        self.period = Period.containing(today, spec.cadence)
        self.today = today
        self.quiet = False

    # -- the two kinds of import -----------------------------------------------------

    def new_plan(self) -> list[Any]:
        spec = self.spec
        plan = Plan.from_spec(spec, self.actor)
        for group in spec.groups:
            self._add_group(
                plan, group.ref, group.title, group.parent, group.page, group.evidence_expected
            )
        actions = [a for s in spec.actions if (a := self._new_action(plan, s)) is not None]
        self._narrative(plan)
        return self._finish([plan, *actions])

    def update(self, plan: Plan, title: str | None) -> list[Any]:
        if title and " ".join(title.split()) != plan.title:
            self._issue(
                Severity.WARNING,
                None,
                None,
                title,
                f"plan {plan.slug} keeps its title {plan.title!r}; "
                f"an import does not rename a plan",
            )
        self.rt.catch_up()
        views = {
            v["ref"]: v
            for v in queries.actions(self.rt.engine, queries.plan(self.rt.engine, plan.slug))
        }
        for group in self.spec.groups:
            existing = plan.groups.get(group.ref)
            if existing is None:
                self._add_group(
                    plan, group.ref, group.title, group.parent, group.page, group.evidence_expected
                )
            elif " ".join(group.title.split()) != " ".join(existing.title.split()):
                self._issue(
                    Severity.WARNING,
                    None,
                    "group",
                    group.title,
                    f"group {group.ref} is titled {existing.title!r} in the plan; "
                    f"an import does not rename groups",
                )
        actions: list[Action] = []
        for spec in self.spec.actions:
            view = views.get(spec.ref.strip())
            if view is None:
                added = self._new_action(plan, spec)
                if added is not None:
                    actions.append(added)
                continue
            before = len(self.result.changes)
            updated = self._update_action(plan, self._merged(spec, view), view)
            if updated is not None:
                actions.append(updated)
            if len(self.result.changes) == before:  # at most a new base: unchanged
                self.result.unchanged.append(view["ref"])
        in_file = {a.ref.strip() for a in self.spec.actions}
        for ref in views:
            if ref not in in_file:
                self.result.missing.append(ref)
                self._issue(
                    Severity.WARNING,
                    None,
                    None,
                    ref,
                    f"action {ref} is in plan {plan.slug} but not in the file; "
                    f"it is kept (an import never deletes)",
                )
        self._narrative(plan)
        changed: list[Any] = [plan] if plan.pending_events else []
        return self._finish(changed + actions)

    def _narrative(self, plan: Plan) -> None:
        """A report's overview, risks and issues become its month's narrative, as a plan
        owner would record them; a narrative already saying this is left as it is."""
        narrative = self.report.narrative
        if narrative is None:
            return
        recorded = plan.narratives.get(narrative.period, {})
        if all(recorded.get(part) == text for part, text in narrative.parts.items()):
            return
        try:
            plan.record_narrative(narrative.period, self.actor, **narrative.parts)
        except DomainError as e:
            self._issue(
                Severity.WARNING, None, None, narrative.period,
                f"the narrative above the table is not recorded: {e}",
            )  # fmt: skip

    def _merged(self, spec: ActionSpec, view: View) -> Merged:
        """The row reduced to what this import records: three-way against the action's
        base, or (with none) two-way against the plan, the whole row for the new base."""
        if not view.get("imported"):
            self.result.two_way.append(view["ref"])
            return without_base(spec)
        merged = merge(
            spec, view, self.prefer, lambda gt: self.rt.app.events.get(UUID(view["id"]), gt=gt)
        )
        self.result.conflicts += merged.conflicts
        return merged

    def _finish(self, aggregates: list[Any]) -> list[Any]:
        for aggregate in aggregates:
            for event in aggregate.pending_events:
                if isinstance(event, Action.SheetImported):
                    self.result.bases.append(aggregate.ref)
                else:
                    self.result.events[type(event).__qualname__] += 1
        return aggregates

    # -- groups and new actions ----------------------------------------------------------

    def _add_group(
        self,
        plan: Plan,
        ref: str,
        title: str,
        parent: str | None,
        page: str | None,
        evidence: list[str],
    ) -> None:
        try:
            plan.add_group(
                ref, title, actor=self.actor, parent=parent, page=page, evidence_expected=evidence
            )
        except DomainError as e:
            self._issue(Severity.ERROR, None, "group", title, f"refused: {e}")
            return
        self.result.groups_added.append(ref)

    def _new_action(self, plan: Plan, spec: ActionSpec) -> Action | None:
        try:
            if spec.group is not None:
                plan.check_group_exists(spec.group)
            action = Action.from_spec(
                plan.id, spec, self.actor, more_notes=self._unrecorded_risk(spec)
            )
            steps = self._reported(action, spec, None)
            for _, apply in steps:
                apply()
            action.note_import(self.file, self.digest, sheet_cells(spec), self.actor)
        except DomainError as e:
            self._refused(spec, e)
            return None
        self.result.actions_added.append(action.ref)
        self.result.changes.append(Change(action.ref, "added"))
        return action

    def _unrecorded_risk(self, spec: ActionSpec) -> list[str]:
        """A progress report needs a narrative, so a risk alone is kept as a note."""
        if spec.risk and not spec.progress:
            return [f"{self.labels.get('risk', 'Risk')}: {spec.risk}"]
        return []

    # -- changes to an action already recorded -------------------------------------------

    def _update_action(self, plan: Plan, merged: Merged, view: View) -> Action | None:
        """The action with the file's changes (and its new base) applied, or None when
        there are none.

        The changes are first worked out against the read model's copy of the action,
        which is already in memory, so that only actions the file changes are loaded
        from their events: a re-imported sheet is mostly unchanged rows. The new base is
        recorded with a change (or a conflict settled for the plan), never alone: an
        import of a sheet the plan already matches records nothing.
        """
        spec = merged.spec
        recorded = _as_recorded(view)
        planned = self._steps(recorded, spec, view)
        if not planned and not merged.settles:
            return None
        if recorded.status in (Status.VERIFIED, Status.CANCELLED):
            if planned:
                what = "; ".join(what for what, _ in planned)
                self._issue(
                    Severity.WARNING,
                    spec,
                    None,
                    recorded.ref,
                    f"action {recorded.ref} is {recorded.status.value} and cannot be changed; "
                    f"the file's changes to it are not recorded ({what})",
                )
            return None
        action = self.rt.app.action(plan.slug, spec.ref)
        self.quiet = True  # the first pass has reported what it found
        try:
            steps = self._steps(action, spec, view)
        finally:
            self.quiet = False
        try:
            for what, apply in steps:
                apply()
                self.result.changes.append(Change(action.ref, what))
        except DomainError as e:
            self._refused(spec, e)
            return None
        if steps or merged.settles:
            action.note_import(self.file, self.digest, merged.settled, self.actor)
        return action if action.pending_events else None

    def _steps(self, action: Any, spec: ActionSpec, view: View) -> list[Step]:
        return self._amendments(action, spec) + self._reported(action, spec, view)

    def _amendments(self, action: Action, spec: ActionSpec) -> list[Step]:
        wanted: dict[str, Any] = {}
        for name in _REPLACED_FIELDS:
            value = getattr(spec, name)
            if name in ("leads", "accountable"):
                value = _known_details(value, getattr(action, name))
            if value in (None, []) or _same(name, value, getattr(action, name)):
                continue
            wanted[name] = value
        for name in _ADDED_FIELDS:
            current = list(getattr(action, name))
            new = [*getattr(spec, name), *(self._unrecorded_risk(spec) if name == "notes" else [])]
            extra = [v for v in new if v not in current and v != action.ref]
            if extra:
                wanted[name] = current + extra
        start, finish = spec.plan_start, spec.plan_finish
        dates = [("plan_start", start), ("plan_finish", finish)]
        if start and action.plan_finish and start > action.plan_finish:
            dates.reverse()  # the new finish first, so the plan never ends before it starts
        for name, value in dates:
            if value is not None and value != getattr(action, name):
                wanted[name] = value
        # A finish in the sheet says whether it is tentative ("(tbc)") or firm.
        if finish is not None and spec.plan_finish_tentative != action.plan_finish_tentative:
            wanted["plan_finish_tentative"] = spec.plan_finish_tentative
        if spec.evidence_expected and spec.evidence_expected != action.evidence_expected:
            self._issue(
                Severity.WARNING,
                spec,
                self.labels.get("evidence"),
                action.ref,
                f"action {action.ref}: expected evidence cannot be amended; "
                f"the file's is not recorded",
            )
        return [
            (_describe(name, getattr(action, name), value), self._amend(action, name, value))
            for name, value in wanted.items()
        ]

    def _amend(self, action: Action, name: str, value: Any) -> Callable[[], None]:
        return lambda: action.amend(name, value, self.reason, actor=self.actor)

    # -- reported RAG, progress and status ----------------------------------------------

    def _reported(self, action: Action, spec: ActionSpec, view: View | None) -> list[Step]:
        """The lead's side of an action: its ratings, progress and status. ``view`` is
        the action as recorded, None for an action the import adds."""
        steps: list[Step] = []
        if view is None and spec.last_rag in REPORTABLE_RAGS:
            assert spec.last_rag is not None
            steps.append(
                self._rate(action, spec, spec.last_rag, "last_rag", self.period.previous().end)
            )
        if spec.rag in REPORTABLE_RAGS and (view is None or spec.rag != action.reported_rag):
            assert spec.rag is not None
            steps.append(self._rate(action, spec, spec.rag, "rag", None))
        elif (
            spec.rag in (Rag.BLUE, Rag.COMPLETE)
            and spec.status is None
            and action.status not in (Status.COMPLETED, Status.VERIFIED)
        ):
            self._issue(
                Severity.WARNING,
                spec,
                self.labels.get("rag"),
                spec.rag.value,
                f"action {spec.ref} is rated {spec.rag.value} but the file gives "
                f"no actual finish; it stays open until its completion is "
                f"recorded with its date",
            )
        if spec.progress and (view is None or not _same_report(view, spec)):
            narrative, risk = spec.progress, spec.risk
            steps.append(
                (
                    f"progress reported for {self.period.key}: {_clip(narrative)}",
                    lambda: action.report_progress(
                        self.period.key, narrative, actor=self.actor, risk=risk
                    ),
                )
            )
        status = self._status(action, spec)
        if status is not None:
            steps.append(status)
        return steps

    def _rate(
        self, action: Action, spec: ActionSpec, rag: Rag, column: str, on: date | None
    ) -> Step:
        # The row's reason (its reason, progress or risk text) explains either month's.
        reason = spec.rag_reason
        if rag in (Rag.RED, Rag.AMBER) and not reason:
            reason = f"{self.reason} (no reason given)"
            self._issue(
                Severity.WARNING,
                spec,
                self.labels.get(column),
                rag.value,
                f"action {spec.ref} is rated {rag.value} with no reason; recorded "
                f"with the reason {reason!r}",
            )
        reason = self._provenance(spec, reason)
        was = action.reported_rag.value if action.reported_rag else "none"
        what = (
            f"RAG {rag.value} for {self.period.previous().key} (last month)"
            if on is not None
            else f"RAG {was} → {rag.value}"
        )
        return what, lambda: action.assess_rag(
            rag, actor=self.actor, reason=reason, effective_on=on
        )

    def _provenance(self, spec: ActionSpec, reason: str | None) -> str:
        """A rating read from a sheet says where it was read and whose it is: the
        importer records it, the sheet's lead gave it."""
        row = self.report.action_rows.get(spec.ref)
        where = f"rated in {self.file}" + (f", row {row}" if row else "")
        leads = ", ".join(p.name for p in self.rows.get(spec.ref, spec).leads)
        source = where + (f"; lead {leads}" if leads else "")
        return f"{reason} ({source})" if reason else source

    def _status(self, action: Action, spec: ActionSpec) -> Step | None:
        to = spec.status
        if to is None:
            return None
        finished = (Status.COMPLETED, Status.VERIFIED)
        if to in finished and action.status in finished:
            if spec.actual_finish and spec.actual_finish != action.actual_finish:
                self._issue(
                    Severity.WARNING,
                    spec,
                    self.labels.get("actual_finish"),
                    spec.actual_finish.isoformat(),
                    f"action {spec.ref} was recorded as finished on "
                    f"{action.actual_finish}; a completion date is not amended",
                )
            return None
        if to is action.status:
            return None
        if to is Status.VERIFIED:
            # Verification needs accepted evidence; the sheet's word is a completion.
            to = Status.COMPLETED
        try:
            Action.check_transition(action, to)  # also for the read model's copy
        except DomainError:
            self._issue(
                Severity.WARNING,
                spec,
                None,
                to.value,
                f"action {spec.ref} is {action.status.value} in the plan; the file's "
                f"{to.value} is not recorded",
            )
            return None
        on = None
        if to is Status.COMPLETED:
            on = spec.actual_finish or self._assumed_finish(spec)
            if on > self.today:
                self._issue(
                    Severity.WARNING,
                    spec,
                    self.labels.get("actual_finish"),
                    on.isoformat(),
                    f"action {spec.ref} is completed on {on.isoformat()}, after today "
                    f"({self.today.isoformat()}); its completion is not recorded",
                )
                return None
        return (
            f"{to.value}" + (f" on {on.isoformat()}" if on else ""),
            lambda: action.change_status(to, actor=self.actor, reason=self.reason, effective_on=on),
        )

    def _assumed_finish(self, spec: ActionSpec) -> date:
        """A sheet may say "Completed" without a date; the plan finish is the best
        guess of when, unless it is still to come."""
        if spec.plan_finish and spec.plan_finish <= self.today:
            on, why = spec.plan_finish, "its plan finish"
        else:
            on, why = self.today, "the day of the import"
        self._issue(
            Severity.WARNING,
            spec,
            self.labels.get("actual_finish"),
            None,
            f"action {spec.ref} is completed but the file gives no actual finish; "
            f"recorded as finished on {on.isoformat()} ({why})",
        )
        return on

    # -- the report ------------------------------------------------------------------

    def _refused(self, spec: ActionSpec, error: DomainError) -> None:
        self._issue(
            Severity.ERROR, spec, None, spec.ref.strip(), f"refused: {error}; nothing is recorded"
        )

    def _issue(
        self,
        severity: Severity,
        spec: ActionSpec | None,
        column: str | None,
        value: str | None,
        reason: str,
    ) -> None:
        if self.quiet:
            return
        row = self.report.action_rows.get(spec.ref) if spec is not None else None
        self.report.issues.append(Issue(row, column, value, reason, severity))


def _as_recorded(view: View) -> Any:
    """The read model's copy of an action, with the attributes the comparisons read."""

    def day(value: str | None) -> date | None:
        return date.fromisoformat(value[:10]) if value else None

    return SimpleNamespace(
        ref=view["ref"],
        title=view["title"],
        aim=view["aim"],
        group=view["group"],
        leads=[Person.from_dict(p) for p in view["leads"]],
        accountable=Person.from_dict(view["accountable"]) if view["accountable"] else None,
        plan_start=day(view["plan_start"]),
        plan_finish=day(view["plan_finish"]),
        plan_finish_tentative=view.get("plan_finish_tentative", False),
        actual_finish=day(view["actual_finish"]),
        recurrence=Recurrence(view["recurrence"]) if view["recurrence"] else None,
        timescale=view["timescale"],
        success_criteria=[Criterion(c["text"], day(c["due"])) for c in view["success_criteria"]],
        indicators=[indicator_from(i) for i in view["indicators"]],
        evidence_expected=list(view["evidence_expected"]),
        cross_refs=list(view["cross_refs"]),
        notes=list(view["notes"]),
        status=Status(view["status"]),
        reported_rag=Rag(view["reported_rag"]) if view["reported_rag"] else None,
    )


def _same(name: str, new: Any, old: Any) -> bool:
    if name in _TEXT_FIELDS and isinstance(new, str) and isinstance(old, str):
        return " ".join(new.split()) == " ".join(old.split())
    return bool(new == old)


def _same_report(view: View, spec: ActionSpec) -> bool:
    def flat(text: str | None) -> str:
        return " ".join((text or "").split())

    return (flat(view["progress"]), flat(view["risk"])) == (flat(spec.progress), flat(spec.risk))


def _known_details(new: Any, old: Any) -> Any:
    """People as the sheet names them, with the email, agency and title the plan already
    knows when the sheet leaves them out (a sheet rarely carries emails)."""
    if new is None or old is None:
        return new
    if isinstance(new, Person):
        return _known_details([new], [old] if isinstance(old, Person) else old)[0]
    known = {" ".join(p.name.lower().split()): p for p in old}
    filled = []
    for person in new:
        was = known.get(" ".join(person.name.lower().split()))
        if was is not None:
            person = replace(
                person,
                email=person.email or was.email,
                agency=person.agency or was.agency,
                title=person.title or was.title,
            )
        filled.append(person)
    return filled


def _describe(name: str, old: Any, new: Any) -> str:
    if isinstance(new, date | str):
        return f"{name} {_clip(_show(old))} → {_clip(_show(new))}"
    return f"{name} amended"


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    return value.isoformat() if isinstance(value, date) else str(value)


def _clip(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
