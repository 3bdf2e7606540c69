"""The Action aggregate: one numbered action of a plan, its lifecycle, RAG and evidence."""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from eventsourcing.domain import event

from domain import clock
from domain.base import TrailAggregate
from domain.errors import DomainError, InvalidInput, NotFound
from domain.ids import action_id
from domain.setup import setup_gaps
from domain.spec import ActionSpec
from domain.users import normalise_email
from domain.values import (
    REPORTABLE_RAGS,
    Criterion,
    Direction,
    Indicator,
    Person,
    Rag,
    Recurrence,
    Status,
)

MAX_EVIDENCE_BYTES = 25 * 1024 * 1024

# Fields an amendment may change, and how each is kept in the event.
AMENDABLE = (
    "title",
    "aim",
    "group",
    "leads",
    "accountable",
    "plan_start",
    "plan_finish",
    "plan_finish_tentative",
    "recurrence",
    "timescale",
    "success_criteria",
    "indicators",
    "cross_refs",
    "notes",
)

# Which statuses each lifecycle step may leave from.
_ALLOWED_FROM: dict[Status, tuple[Status, ...]] = {
    Status.IN_PROGRESS: (Status.NOT_STARTED, Status.DEFERRED),
    Status.COMPLETED: (Status.NOT_STARTED, Status.IN_PROGRESS),
    Status.VERIFIED: (Status.COMPLETED,),
    Status.DEFERRED: (Status.NOT_STARTED, Status.IN_PROGRESS),
    Status.CANCELLED: (
        Status.NOT_STARTED,
        Status.IN_PROGRESS,
        Status.DEFERRED,
        Status.COMPLETED,
    ),
}

# A lead says why when rating these, or when moving an action to these statuses.
RAGS_NEEDING_REASON: frozenset[Rag] = frozenset({Rag.RED, Rag.AMBER})
STATUSES_NEEDING_REASON: frozenset[Status] = frozenset({Status.DEFERRED, Status.CANCELLED})


def next_statuses(current: Status) -> list[Status]:
    """The statuses an action may move to from ``current``, in lifecycle order."""
    return [to for to, froms in _ALLOWED_FROM.items() if current in froms]


def rag_needs_reason(rag: Rag) -> bool:
    return rag in RAGS_NEEDING_REASON


def status_needs_reason(status: Status) -> bool:
    return status in STATUSES_NEEDING_REASON


def is_person(person: Person | None, email: str) -> bool:
    """Whether ``person`` has the email ``email`` (given normalised: lower case)."""
    return bool(person and person.email and person.email.lower() == email)


def is_lead_among(leads: Iterable[Person], email: str) -> bool:
    return any(is_person(p, email) for p in leads)


def person_dicts(people: list[Person]) -> list[dict[str, Any]]:
    return [p.to_dict() for p in people]


def criterion_dict(c: Criterion) -> dict[str, Any]:
    return {"text": c.text, "due": c.due}


def indicator_dict(i: Indicator) -> dict[str, Any]:
    data = i.as_dict()
    data["direction"] = i.direction.value
    return data


def indicator_from(data: dict[str, Any]) -> Indicator:
    return Indicator(**{**data, "direction": Direction(data["direction"])})


def check_dates(ref: str, start: date | None, finish: date | None) -> None:
    if start and finish and finish < start:
        raise InvalidInput(
            f"action {ref}: plan finish {finish.isoformat()} is before plan start "
            f"{start.isoformat()}"
        )


def check_not_in_future(ref: str, what: str, day: date | None) -> None:
    """What happened cannot have happened after today (the domain clock's)."""
    if day is None:
        return
    today = clock.today()
    if day > today:
        raise InvalidInput(
            f"action {ref}: {what} {day.isoformat()}, a date after today ({today.isoformat()})"
        )


def check_people(ref: str, leads: list[Person], accountable: Person | None) -> None:
    """A lead or accountable officer may have no email, but one given must be an email."""
    named = [("lead", p) for p in leads] + [("accountable officer", accountable)]
    for role, person in named:
        if person is None or person.email is None:
            continue
        try:
            normalise_email(person.email)
        except InvalidInput:
            raise InvalidInput(
                f"action {ref}: {role} {person.name!r} has the email {person.email!r}, "
                "which is not an email address"
            ) from None


def check_link(ref: str, url: str) -> None:
    """A link to evidence is a web address: http or https, with a host."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    else:
        if parts.scheme.lower() not in ("http", "https"):
            host = None
    if not host or any(ch.isspace() or not ch.isprintable() for ch in url):
        raise InvalidInput(
            f"evidence link {url!r} for action {ref} is not a web address (http:// or https://)"
        )


class Evidence:
    def __init__(self, data: dict[str, Any]) -> None:
        self.id: str = data["evidence_id"]
        self.name: str = data["name"]
        self.sha256: str | None = data["sha256"]
        self.size: int | None = data["size"]
        self.media_type: str | None = data["media_type"]
        self.url: str | None = data["url"]
        self.criterion: int | None = data["criterion"]
        self.note: str | None = data["note"]
        self.submitted_by: str = data["actor"]
        self.state = "submitted"
        self.decided_by: str | None = None
        self.decision_reason: str | None = None


class Action(TrailAggregate):
    # The events, declared so that readers (the read models) dispatch on them with types.
    # A stored event is a contract: see docs/events.md before changing one.
    class Added(TrailAggregate.Created):
        class_version = 1
        plan_id: UUID
        ref: str
        title: str
        group: str | None
        aim: str | None
        leads: list[dict[str, Any]]
        accountable: dict[str, Any] | None
        plan_start: date | None
        plan_finish: date | None
        recurrence: str | None
        timescale: str | None
        success_criteria: list[dict[str, Any]]
        indicators: list[dict[str, Any]]
        evidence_expected: list[str]
        cross_refs: list[str]
        notes: list[str]
        actor: str
        # "(tbc)", "provisional": the finish may move. Added after events were first
        # stored, so it is kept in the event only when True: an event with a firm
        # date, stored before or after, holds exactly the fields it always did, and
        # one stored before reads the class default.
        plan_finish_tentative: bool = False

        def __post_init__(self) -> None:
            if not self.__dict__.get("plan_finish_tentative", False):
                self.__dict__.pop("plan_finish_tentative", None)

    class Amended(TrailAggregate.Event):
        class_version = 1
        field: str
        old: Any
        new: Any
        reason: str
        effective_on: date | None
        actor: str

    class StatusChanged(TrailAggregate.Event):
        class_version = 1
        status: str
        previous: str
        reason: str | None
        effective_on: date | None
        actor: str

    class ProgressReported(TrailAggregate.Event):
        class_version = 1
        period: str
        narrative: str
        risk: str | None
        actor: str

    class RagAssessed(TrailAggregate.Event):
        class_version = 1
        rag: str
        reason: str | None
        effective_on: date | None
        actor: str

    class MilestoneAchieved(TrailAggregate.Event):
        class_version = 1
        number: int
        text: str
        effective_on: date
        reason: str | None
        actor: str

    class IndicatorMeasured(TrailAggregate.Event):
        class_version = 1
        name: str
        value: float
        effective_on: date
        note: str | None
        actor: str

    class EvidenceSubmitted(TrailAggregate.Event):
        class_version = 1
        evidence_id: str
        name: str
        sha256: str | None
        size: int | None
        media_type: str | None
        url: str | None
        criterion: int | None
        note: str | None
        actor: str

    class EvidenceAccepted(TrailAggregate.Event):
        class_version = 1
        evidence_id: str
        reason: str | None
        actor: str

    class EvidenceRejected(TrailAggregate.Event):
        class_version = 1
        evidence_id: str
        reason: str | None
        actor: str

    @staticmethod
    def create_id(plan_id: UUID, ref: str, **_: object) -> UUID:
        return action_id(plan_id, ref)

    @event(Added)
    def __init__(
        self,
        plan_id: UUID,
        ref: str,
        title: str,
        group: str | None,
        aim: str | None,
        leads: list[dict[str, Any]],
        accountable: dict[str, Any] | None,
        plan_start: date | None,
        plan_finish: date | None,
        recurrence: str | None,
        timescale: str | None,
        success_criteria: list[dict[str, Any]],
        indicators: list[dict[str, Any]],
        evidence_expected: list[str],
        cross_refs: list[str],
        notes: list[str],
        actor: str,
        plan_finish_tentative: bool = False,
    ) -> None:
        self.plan_id = plan_id
        self.ref = ref
        self.title = title
        self.group = group
        self.aim = aim
        self.leads = [Person.from_dict(p) for p in leads]
        self.accountable = Person.from_dict(accountable) if accountable else None
        self.plan_start = plan_start
        self.plan_finish = plan_finish
        self.plan_finish_tentative = plan_finish_tentative
        self.actual_finish: date | None = None
        self.recurrence = Recurrence(recurrence) if recurrence else None
        self.timescale = timescale
        self.success_criteria = [Criterion(c["text"], c["due"]) for c in success_criteria]
        self.achieved: dict[int, date] = {}
        self.indicators = [indicator_from(i) for i in indicators]
        self.evidence_expected = list(evidence_expected)
        self.cross_refs = list(cross_refs)
        self.notes = list(notes)
        self.status = Status.NOT_STARTED
        self.reported_rag: Rag | None = None
        self.evidence: dict[str, Evidence] = {}

    @classmethod
    def add(
        cls,
        plan_id: UUID,
        ref: str,
        title: str,
        actor: str,
        group: str | None = None,
        aim: str | None = None,
        leads: list[Person] | None = None,
        accountable: Person | None = None,
        plan_start: date | None = None,
        plan_finish: date | None = None,
        recurrence: Recurrence | None = None,
        timescale: str | None = None,
        success_criteria: list[Criterion] | None = None,
        indicators: list[Indicator] | None = None,
        evidence_expected: list[str] | None = None,
        cross_refs: list[str] | None = None,
        notes: list[str] | None = None,
        plan_finish_tentative: bool = False,
    ) -> Action:
        ref = ref.strip()
        if not ref:
            raise InvalidInput("an action needs a reference")
        if not title.strip():
            raise InvalidInput(f"action {ref} needs a title")
        check_dates(ref, plan_start, plan_finish)
        check_people(ref, leads or [], accountable)
        return cls(
            plan_id=plan_id,
            ref=ref,
            title=title.strip(),
            group=group,
            aim=aim,
            leads=person_dicts(leads or []),
            accountable=accountable.to_dict() if accountable else None,
            plan_start=plan_start,
            plan_finish=plan_finish,
            recurrence=recurrence.value if recurrence else None,
            timescale=timescale,
            success_criteria=[criterion_dict(c) for c in success_criteria or []],
            indicators=[indicator_dict(i) for i in indicators or []],
            evidence_expected=list(evidence_expected or []),
            cross_refs=list(cross_refs or []),
            notes=list(notes or []),
            actor=actor,
            plan_finish_tentative=plan_finish_tentative,
        )

    @classmethod
    def from_spec(
        cls, plan_id: UUID, spec: ActionSpec, actor: str, more_notes: list[str] | None = None
    ) -> Action:
        """The action a plan file or an imported sheet describes."""
        return cls.add(
            plan_id,
            spec.ref,
            spec.title,
            actor=actor,
            group=spec.group,
            aim=spec.aim,
            leads=spec.leads,
            accountable=spec.accountable,
            plan_start=spec.plan_start,
            plan_finish=spec.plan_finish,
            recurrence=spec.recurrence,
            timescale=spec.timescale,
            success_criteria=spec.success_criteria,
            indicators=spec.indicators,
            evidence_expected=spec.evidence_expected,
            cross_refs=spec.cross_refs,
            notes=[*spec.notes, *(more_notes or [])],
            plan_finish_tentative=spec.plan_finish_tentative,
        )

    # Checks

    def check_is_open(self) -> None:
        if self.status in (Status.VERIFIED, Status.CANCELLED):
            raise DomainError(f"action {self.ref} is {self.status.value}: it cannot be changed")

    def check_transition(self, to: Status) -> None:
        # No step leads back to not started: it is in no list, so always refused.
        if self.status not in _ALLOWED_FROM.get(to, ()):
            raise DomainError(
                f"action {self.ref} cannot become {to.value} from {self.status.value}"
            )

    def is_lead(self, email: str) -> bool:
        return is_lead_among(self.leads, email)

    def is_accountable(self, email: str) -> bool:
        return is_person(self.accountable, email)

    def next_statuses(self) -> list[Status]:
        return next_statuses(self.status)

    # Amendments

    def amend(
        self,
        field: str,
        value: Any,
        reason: str,
        actor: str,
        effective_on: date | None = None,
    ) -> None:
        self.check_is_open()
        if field not in AMENDABLE:
            raise InvalidInput(
                f"action {self.ref}: '{field}' cannot be amended "
                f"(amendable: {', '.join(AMENDABLE)})"
            )
        if not reason.strip():
            raise InvalidInput(f"amending {field} of action {self.ref} needs a reason")
        check_not_in_future(self.ref, f"{field} amended with effect from", effective_on)
        start = value if field == "plan_start" else self.plan_start
        finish = value if field == "plan_finish" else self.plan_finish
        check_dates(self.ref, start, finish)
        if field == "leads":
            check_people(self.ref, value or [], None)
        elif field == "accountable":
            check_people(self.ref, [], value)
        old = _encode(field, getattr(self, field))
        new = _encode(field, value)
        if old == new:
            raise DomainError(f"action {self.ref}: {field} is already {new!r}")
        self._amend(
            field=field, old=old, new=new, reason=reason, effective_on=effective_on, actor=actor
        )

    @event(Amended)
    def _amend(
        self,
        field: str,
        old: Any,
        new: Any,
        reason: str,
        effective_on: date | None,
        actor: str,
    ) -> None:
        setattr(self, field, _decode(field, new))

    # Lifecycle

    def change_status(
        self,
        to: Status,
        actor: str,
        reason: str | None = None,
        effective_on: date | None = None,
    ) -> None:
        self.check_transition(to)
        if status_needs_reason(to) and not (reason and reason.strip()):
            raise InvalidInput(f"{to.value} action {self.ref} needs a reason")
        check_not_in_future(self.ref, f"{to.value.replace('_', ' ')} on", effective_on)
        if to is Status.VERIFIED:
            self.check_has_accepted_evidence()
        if to is Status.COMPLETED and effective_on is None:
            # The completion date is the actual finish, so it is always recorded.
            effective_on = clock.today()
        self._change_status(
            status=to.value,
            previous=self.status.value,
            reason=reason,
            effective_on=effective_on,
            actor=actor,
        )

    @event(StatusChanged)
    def _change_status(
        self,
        status: str,
        previous: str,
        reason: str | None,
        effective_on: date | None,
        actor: str,
    ) -> None:
        self.status = Status(status)
        if self.status is Status.COMPLETED:
            self.actual_finish = effective_on

    def check_has_accepted_evidence(self) -> None:
        if not any(e.state == "accepted" for e in self.evidence.values()):
            raise DomainError(
                f"action {self.ref} cannot be verified: no evidence has been accepted"
            )

    # Progress and RAG

    def report_progress(
        self, period: str, narrative: str, actor: str, risk: str | None = None
    ) -> None:
        self.check_is_open()
        if not narrative.strip():
            raise InvalidInput(f"progress on action {self.ref} needs a narrative")
        self._report_progress(period=period, narrative=narrative, risk=risk, actor=actor)

    @event(ProgressReported)
    def _report_progress(self, period: str, narrative: str, risk: str | None, actor: str) -> None:
        pass

    def assess_rag(
        self,
        rag: Rag,
        actor: str,
        reason: str | None = None,
        effective_on: date | None = None,
    ) -> None:
        self.check_is_open()
        if rag not in REPORTABLE_RAGS:
            raise InvalidInput(f"a lead rates action {self.ref} red, amber or green, not {rag}")
        if rag_needs_reason(rag) and not (reason and reason.strip()):
            raise InvalidInput(f"rating action {self.ref} {rag.value} needs a reason")
        check_not_in_future(self.ref, f"rated {rag.value} on", effective_on)
        self._assess_rag(rag=rag.value, reason=reason, effective_on=effective_on, actor=actor)

    @event(RagAssessed)
    def _assess_rag(
        self, rag: str, reason: str | None, effective_on: date | None, actor: str
    ) -> None:
        self.reported_rag = Rag(rag)

    def achieve_milestone(
        self, number: int, achieved_on: date, actor: str, reason: str | None = None
    ) -> None:
        self.check_is_open()
        if not 1 <= number <= len(self.success_criteria):
            raise NotFound(
                f"action {self.ref} has no success criterion {number} "
                f"(it has {len(self.success_criteria)})"
            )
        if number in self.achieved:
            raise DomainError(f"action {self.ref}: criterion {number} is already achieved")
        check_not_in_future(self.ref, f"criterion {number} achieved on", achieved_on)
        self._achieve_milestone(
            number=number,
            text=self.success_criteria[number - 1].text,
            effective_on=achieved_on,
            reason=reason,
            actor=actor,
        )

    @event(MilestoneAchieved)
    def _achieve_milestone(
        self, number: int, text: str, effective_on: date, reason: str | None, actor: str
    ) -> None:
        self.achieved[number] = effective_on

    def measure_indicator(
        self, name: str, value: float, measured_on: date, actor: str, note: str | None = None
    ) -> None:
        self.check_is_open()
        if not any(i.name == name for i in self.indicators):
            names = ", ".join(repr(i.name) for i in self.indicators) or "none"
            raise NotFound(f"action {self.ref} has no indicator {name!r} (it has {names})")
        if not math.isfinite(value):
            raise InvalidInput(
                f"action {self.ref}: a reading of {name!r} must be a number, not {value}"
            )
        check_not_in_future(self.ref, f"{name!r} measured on", measured_on)
        self._measure_indicator(
            name=name, value=float(value), effective_on=measured_on, note=note, actor=actor
        )

    @event(IndicatorMeasured)
    def _measure_indicator(
        self, name: str, value: float, effective_on: date, note: str | None, actor: str
    ) -> None:
        pass

    # Evidence

    def submit_evidence(
        self,
        name: str,
        actor: str,
        sha256: str | None = None,
        size: int | None = None,
        media_type: str | None = None,
        url: str | None = None,
        criterion: int | None = None,
        note: str | None = None,
    ) -> str:
        if self.status is Status.CANCELLED:
            raise DomainError(f"action {self.ref} is cancelled: it takes no evidence")
        if (sha256 is None) == (url is None):
            raise InvalidInput(f"evidence for action {self.ref} is either a file or a link")
        if url is not None:
            check_link(self.ref, url)
        if size is not None and size > MAX_EVIDENCE_BYTES:
            raise InvalidInput(
                f"evidence '{name}' is {size} bytes, over the limit of {MAX_EVIDENCE_BYTES}"
            )
        if criterion is not None and not 1 <= criterion <= len(self.success_criteria):
            raise NotFound(f"action {self.ref} has no success criterion {criterion}")
        evidence_id = f"E{len(self.evidence) + 1}"
        self._submit_evidence(
            evidence_id=evidence_id,
            name=name,
            sha256=sha256,
            size=size,
            media_type=media_type,
            url=url,
            criterion=criterion,
            note=note,
            actor=actor,
        )
        return evidence_id

    @event(EvidenceSubmitted)
    def _submit_evidence(
        self,
        evidence_id: str,
        name: str,
        sha256: str | None,
        size: int | None,
        media_type: str | None,
        url: str | None,
        criterion: int | None,
        note: str | None,
        actor: str,
    ) -> None:
        self.evidence[evidence_id] = Evidence(
            {
                "evidence_id": evidence_id,
                "name": name,
                "sha256": sha256,
                "size": size,
                "media_type": media_type,
                "url": url,
                "criterion": criterion,
                "note": note,
                "actor": actor,
            }
        )

    def decide_evidence(
        self, evidence_id: str, accept: bool, actor: str, reason: str | None = None
    ) -> None:
        item = self.evidence.get(evidence_id)
        if item is None:
            raise NotFound(f"action {self.ref} has no evidence {evidence_id}")
        if item.state != "submitted":
            raise DomainError(
                f"evidence {evidence_id} of action {self.ref} is already {item.state}"
            )
        if not accept and not (reason and reason.strip()):
            raise InvalidInput(f"rejecting evidence {evidence_id} needs a reason")
        if accept:
            self._accept_evidence(evidence_id=evidence_id, reason=reason, actor=actor)
        else:
            self._reject_evidence(evidence_id=evidence_id, reason=reason, actor=actor)

    @event(EvidenceAccepted)
    def _accept_evidence(self, evidence_id: str, reason: str | None, actor: str) -> None:
        self._decided(evidence_id, "accepted", reason, actor)

    @event(EvidenceRejected)
    def _reject_evidence(self, evidence_id: str, reason: str | None, actor: str) -> None:
        self._decided(evidence_id, "rejected", reason, actor)

    def _decided(self, evidence_id: str, state: str, reason: str | None, actor: str) -> None:
        item = self.evidence[evidence_id]
        item.state = state
        item.decided_by = actor
        item.decision_reason = reason

    # ---- Re-baselining: new planned dates for the action, one event per action ----

    class Rebaselined(TrailAggregate.Event):

        class_version = 1
        old_start: date | None
        old_finish: date | None
        new_start: date | None
        new_finish: date | None
        reason: str
        actor: str

    def rebaseline(self, start: date | None, finish: date | None, reason: str, actor: str) -> None:
        """Move the planned start and finish together, as a plan owner re-plans."""
        self.check_is_open()
        if not reason.strip():
            raise InvalidInput(f"re-baselining action {self.ref} needs a reason")
        check_dates(self.ref, start, finish)
        if (start, finish) == (self.plan_start, self.plan_finish):
            raise DomainError(f"action {self.ref} already starts and finishes on those dates")
        self._rebaseline(
            old_start=self.plan_start,
            old_finish=self.plan_finish,
            new_start=start,
            new_finish=finish,
            reason=reason.strip(),
            actor=actor,
        )

    @event(Rebaselined)
    def _rebaseline(
        self,
        old_start: date | None,
        old_finish: date | None,
        new_start: date | None,
        new_finish: date | None,
        reason: str,
        actor: str,
    ) -> None:
        self.plan_start = new_start
        self.plan_finish = new_finish

    # ---- The sheet as last imported: the base a later import of it is compared with ----

    class SheetImported(TrailAggregate.Event):
        """The action's cells as an import read them (normalised, field by field), with
        the file's name and SHA-256. Only the fields this import settled are given; the
        others keep the value of an earlier SheetImported (a conflict left open)."""

        class_version = 1
        file: str
        digest: str
        cells: dict[str, Any]
        actor: str

    def note_import(self, file: str, digest: str, cells: dict[str, Any], actor: str) -> None:
        """Keep what the sheet said, so that the next import changes only what the sheet
        changes since (a closed action keeps it too: it is a record, not a change)."""
        if cells:
            self._note_import(file=file, digest=digest, cells=dict(cells), actor=actor)

    @event(SheetImported)
    def _note_import(self, file: str, digest: str, cells: dict[str, Any], actor: str) -> None:
        self.imported_cells = {**getattr(self, "imported_cells", {}), **cells}

    def setup_gaps(self) -> list[str]:
        """What an open action lacks before anyone can be reminded or held to it."""
        return setup_gaps(
            self.status.value,
            bool(self.leads),
            self.accountable is not None,
            self.plan_finish is not None or self.recurrence is not None,
        )


_SHIFT = re.compile(r"^([+-]?)(\d{1,4})([dwmy])$")


def parse_shift(text: str) -> tuple[int, str]:
    """'3m', '-2w', '10d', '1y': an amount and its unit."""
    m = _SHIFT.match(text.strip().lower())
    if not m:
        raise InvalidInput(
            f"shift '{text}' is not a number of days, weeks, months or years (like 3m, -2w, 10d)"
        )
    amount = int(m.group(2)) * (-1 if m.group(1) == "-" else 1)
    return amount, m.group(3)


def shifted(day: date | None, amount: int, unit: str) -> date | None:
    """The day moved by the shift; a month shift keeps the day, or the month's last."""
    if day is None:
        return None
    if unit == "d":
        return day + timedelta(days=amount)
    if unit == "w":
        return day + timedelta(weeks=amount)
    months = amount * (12 if unit == "y" else 1)
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _encode(field: str, value: Any) -> Any:
    """Amendment values as they are kept in the event (plain data)."""
    if value is None:
        return None
    if field in ("leads",):
        return person_dicts(value)
    if field == "accountable":
        return value.to_dict()
    if field == "success_criteria":
        return [criterion_dict(c) for c in value]
    if field == "indicators":
        return [indicator_dict(i) for i in value]
    if field == "recurrence":
        return Recurrence(value).value
    if field in ("cross_refs", "notes"):
        return list(value)
    return value


def _decode(field: str, value: Any) -> Any:
    if value is None:
        return None
    if field == "leads":
        return [Person.from_dict(p) for p in value]
    if field == "accountable":
        return Person.from_dict(value)
    if field == "success_criteria":
        return [Criterion(c["text"], c["due"]) for c in value]
    if field == "indicators":
        return [indicator_from(i) for i in value]
    if field == "recurrence":
        return Recurrence(value)
    return value
