"""Which reminders are due on a given day, and how they group into daily digests.

Pure: callers pass what is open (deadlines, pending approvals, items ready for
sign-off, open reporting periods) and the plan's ReminderPolicy; nothing here reads
the event store, the clock or the network.

Rules, as applied by ``reminders_due``:

* due: leads are reminded on the working day that is N working days before each
  deadline, for each N in ``policy.lead_times_working_days`` (default 14, 3 and 0,
  where 0 is "on the day"). See ``working_days_before`` for deadlines that fall on a
  non-working day.
* overdue: once a week, on the overdue day (``is_overdue_day``: Monday, or the next
  working day when Monday is a bank holiday), each lead is told of every open deadline
  of theirs that is past, with how many days it has been overdue. So a person hears of
  their whole overdue list in one digest a week, whatever day each item fell due and
  in however many plans. Deadlines that fall due on other days wait for the next
  overdue day. The due day itself is not overdue: it is the "on the day" rung of the
  ladder. ``overdue_every_days`` of 0 or less turns overdue notices off.
* escalation: from ``escalate_after_days`` days overdue (14 by default, counted
  inclusively) an item in the weekly overdue list also goes to the accountable
  officer, unless they are already one of the leads, on the same overdue day. An
  action that names no accountable officer escalates to the people given as
  ``escalate_to`` (the plan's owners and the admins) instead, and with nobody there
  either it is reported as unaddressed.
* update: every lead with open actions is asked for a progress update on the working
  day ``period_request_working_days`` working days before a reporting period closes.
* approval: every ``governance_chase_every_days`` days after an agency's approval of
  the current version became pending, each of that agency's approvers is chased.
* signoff: board secretaries are told on the day an item becomes ready for sign-off.

Reminders are only ever due on working days. A calendar-day trigger (chase, ready
for sign-off) that falls on a weekend or bank holiday is delivered on the next
working day instead, so a scheduler may run every day or only on working days and the
same reminders go out either way. Nothing is due for a deadline whose status is closed.
A repeat interval of 0 or less turns that repeating rule (overdue, approval) off.
A reminder whose recipient has no email address is reported as unreachable, and one
with nobody to receive it (an action that names no lead, an agency with no approver,
no board secretary) as unaddressed, so that someone can put it right.
Each call covers one day only: a day the scheduler missed is caught up by calling it
for that day too, and the per-day reminder keys tell what has already gone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

from domain.values import Person, Rag, ReminderPolicy, Status
from domain.working_days import add_working_days, is_working_day, next_working_day_on_or_after

_CLOSED = frozenset(s for s in Status if s.is_closed)
_ONE_DAY = timedelta(days=1)

# The weekday overdue notices go out (Monday): one day for every plan, since a person's
# digest covers every plan they are in.
OVERDUE_WEEKDAY = 0


def is_overdue_day(day: date) -> bool:
    """Whether ``day`` is its week's overdue day: the first working day on or after
    the week's Monday (the Tuesday after a bank holiday Monday, the Wednesday when
    Tuesday is one too)."""
    weekday = day - timedelta(days=(day.weekday() - OVERDUE_WEEKDAY) % 7)
    return day == next_working_day_on_or_after(weekday)


class Section(StrEnum):
    """Digest sections, declared in the order a digest shows them."""

    OVERDUE = "overdue"
    DUE = "due"
    UPDATE = "update"
    APPROVAL = "approval"
    SIGNOFF = "signoff"

    @property
    def heading(self) -> str:
        return _SECTION_HEADINGS[self]


_SECTION_HEADINGS = {
    Section.OVERDUE: "Overdue",
    Section.DUE: "Due soon",
    Section.UPDATE: "Progress updates requested",
    Section.APPROVAL: "Awaiting your approval",
    Section.SIGNOFF: "Ready for sign-off",
}
_SECTION_ORDER = {s: i for i, s in enumerate(Section)}


class Rule(StrEnum):
    LEAD_TIME = "lead_time"
    OVERDUE = "overdue"
    ESCALATION = "escalation"
    PERIOD_UPDATE = "period_update"
    APPROVAL_CHASE = "approval_chase"
    READY_FOR_SIGNOFF = "ready_for_signoff"


# --- inputs ---------------------------------------------------------------------


# Read from the deadlines read model by the ten thousand on a busy day, and a frozen
# dataclass is several times slower to build; treat it as read-only all the same.
@dataclass(slots=True)
class Deadline:
    """A dated thing someone must deliver: an action, milestone, criterion or document."""

    plan_slug: str
    plan_title: str
    subject_kind: str  # 'action' | 'milestone' | 'criterion' | 'governance'
    subject_ref: str
    subject_title: str
    due: date | None
    leads: list[Person]
    accountable: Person | None
    status: Status
    # The RAG shown for the action (as `show` shows it on the day, by the plan's RAG
    # policy), and the lead's own when it is known; see Rating.
    rag: Rag | None
    url_path: str
    # The action a milestone or criterion belongs to, for links into it; for an
    # action it is the action's own ref.
    action_ref: str | None = None
    reported_rag: Rag | None = None


@dataclass(frozen=True, slots=True)
class PendingApproval:
    """One agency's outstanding approval of the current version of a governance item."""

    plan_slug: str
    item_key: str
    item_title: str
    version: int
    agency: str
    approvers: list[Person]
    pending_since: date
    url_path: str
    plan_title: str | None = None


@dataclass(frozen=True, slots=True)
class ReadyForSignoff:
    """A governance item every agency has approved, waiting for the board."""

    plan_slug: str
    item_key: str
    item_title: str
    version: int
    ready_since: date
    secretaries: list[Person]
    url_path: str
    plan_title: str | None = None


@dataclass(frozen=True, slots=True)
class OpenPeriod:
    """A reporting period still open for progress updates."""

    plan_slug: str
    plan_title: str
    period_key: str
    closes_on: date
    leads_with_open_actions: list[Person]
    url_path: str | None = None


# --- outputs --------------------------------------------------------------------


# Subject and Reminder are built in bulk in the hot loop, and a frozen dataclass
# takes about four times as long to construct; treat them as read-only all the same.
@dataclass(slots=True)
class Subject:
    """What a reminder is about, shared by every recipient of the same reminder."""

    plan_slug: str
    plan_title: str
    kind: str  # a Deadline.subject_kind, or 'period' / 'governance'
    ref: str
    title: str
    due: date | None = None
    rag: Rag | None = None
    status: Status | None = None
    url_path: str | None = None
    version: int | None = None
    agency: str | None = None
    since: date | None = None  # when an approval became pending / an item became ready
    leads: Sequence[Person] = ()
    action_ref: str | None = None  # see Deadline.action_ref
    reported_rag: Rag | None = None  # the lead's own rating, shown beside ``rag`` if different

    @property
    def identity(self) -> str:
        """Stable across days and recipients; a new version is a different subject."""
        base = f"{self.plan_slug}/{self.kind}:{self.ref}"
        return base if self.version is None else f"{base}@v{self.version}"


@dataclass(slots=True)
class Reminder:
    recipient: Person
    rule: Rule
    section: Section
    day: date
    subject: Subject
    days_overdue: int | None = None
    working_days_left: int | None = None
    days_waiting: int | None = None
    # An escalation sent to the plan's owners or admins: the action names no
    # accountable officer to escalate to.
    fallback: bool = False

    @property
    def key(self) -> str:
        """Deterministic identity: the same reminder computed twice has the same key."""
        parts = (
            (self.recipient.email or self.recipient.key).strip().lower(),
            self.subject.plan_slug,
            self.subject.identity,
            self.rule.value,
            self.subject.due.isoformat() if self.subject.due else "",
            self.day.isoformat(),
        )
        return _digest_of(parts)


class Rating(NamedTuple):
    """An action's RAG as shown on a day (the plan's RAG policy applied to the lead's
    reported rating and the computed one) and the lead's reported rating."""

    shown: Rag | None
    reported: Rag | None


@dataclass(frozen=True, slots=True)
class Unaddressed:
    """A reminder due with nobody to send it to: an action with no lead, an agency with
    no approver, an item ready for sign-off with no board secretary."""

    role: str  # "lead", "approver" or "secretary": who is missing
    rule: Rule
    section: Section
    day: date
    subject: Subject

    @property
    def why(self) -> str:
        if self.role == "approver":
            return f"no user has the approver role for {self.subject.agency}"
        if self.role == "secretary":
            return "no user has the secretary role"
        if self.role == "accountable":
            return "the action names no accountable officer, and the plan no owner nor any admin"
        return "the action names no lead"


@dataclass(frozen=True, slots=True)
class DueReminders:
    """Reminders with a deliverable recipient, those whose recipient has no email, and
    those with no recipient at all."""

    reminders: list[Reminder] = field(default_factory=list)
    unreachable: list[Reminder] = field(default_factory=list)
    unaddressed: list[Unaddressed] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DigestSection:
    section: Section
    reminders: tuple[Reminder, ...]

    @property
    def heading(self) -> str:
        return self.section.heading


@dataclass(frozen=True, slots=True)
class Digest:
    """Everything one person is reminded of on one day, as one email."""

    recipient: Person
    day: date
    sections: tuple[DigestSection, ...]

    @property
    def reminders(self) -> list[Reminder]:
        return [r for s in self.sections for r in s.reminders]

    @property
    def key(self) -> str:
        """Same recipient, day and reminders give the same key, so a retried digest is
        recognised as a duplicate while a second digest that day with new content is not.
        """
        email = (self.recipient.email or self.recipient.key).strip().lower()
        return _digest_of((email, self.day.isoformat(), *sorted(r.key for r in self.reminders)))


def _digest_of(parts: Iterable[str]) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


# --- the rules ------------------------------------------------------------------


def reminders_due(
    day: date,
    deadlines: Iterable[Deadline],
    approvals: Iterable[PendingApproval],
    ready: Iterable[ReadyForSignoff],
    periods: Iterable[OpenPeriod],
    policy: ReminderPolicy,
) -> list[Reminder]:
    """Reminders to send on ``day`` to recipients with an email address."""
    return compute_reminders(day, deadlines, approvals, ready, periods, policy).reminders


def compute_reminders(
    day: date,
    deadlines: Iterable[Deadline],
    approvals: Iterable[PendingApproval],
    ready: Iterable[ReadyForSignoff],
    periods: Iterable[OpenPeriod],
    policy: ReminderPolicy,
    escalate_to: Sequence[Person] = (),
) -> DueReminders:
    """As ``reminders_due``, also returning reminders whose recipient has no email.
    ``escalate_to``: who hears of an overdue action that names no accountable officer."""
    out = DueReminders()
    if not is_working_day(day):
        return out
    cal = _Calendar(day, policy)
    _deadline_reminders(cal, deadlines, policy, out, _distinct(list(escalate_to)))
    _period_reminders(cal, periods, out)
    _approval_reminders(cal, approvals, policy, out)
    _signoff_reminders(cal, ready, out)
    return out


class _Calendar:
    """Date arithmetic for one working day, done once so each item costs a lookup.

    ``catch_up`` is the number of calendar days whose calendar-day triggers land on
    ``day``: the day itself plus any non-working days just before it.
    """

    def __init__(self, day: date, policy: ReminderPolicy) -> None:
        self.day = day
        self.ordinal = day.toordinal()
        previous = day - _ONE_DAY
        while not is_working_day(previous):
            previous -= _ONE_DAY
        self.catch_up = (day - previous).days
        # due date -> rung, for every due date whose rung falls on `day`.
        self.ladder: dict[date, int] = {}
        for n in sorted({n for n in policy.lead_times_working_days if n >= 0}):
            for due in self._due_dates_treated_as(add_working_days(day, n)):
                self.ladder.setdefault(due, n)
        self.period_closes = set(
            self._due_dates_treated_as(add_working_days(day, policy.period_request_working_days))
        )
        self.overdue_day = policy.overdue_every_days > 0 and is_overdue_day(day)

    @staticmethod
    def _due_dates_treated_as(working_day: date) -> list[date]:
        # A deadline on a non-working day counts as due on the working day before it.
        dates = [working_day]
        following = working_day + _ONE_DAY
        while not is_working_day(following):
            dates.append(following)
            following += _ONE_DAY
        return dates

    def triggered_count(self, since: date, every: int) -> int | None:
        """The k*every day count (k >= 1) after ``since`` that is delivered today, if any."""
        if every <= 0:
            return None
        elapsed = self.ordinal - since.toordinal()
        late_by = elapsed % every
        if late_by < self.catch_up and elapsed - late_by >= every:
            return elapsed - late_by
        return None


def due_dates_reminded(day: date, policy: ReminderPolicy, earliest: date) -> set[date]:
    """The due dates, from ``earliest`` on, whose open deadlines get a reminder on ``day``.

    The ladder's dates and, on the overdue day, every date before ``day``: exactly the
    due dates for which ``compute_reminders`` finds something. A caller holding many
    deadlines fetches only those due on these dates rather than running the rules over
    every open deadline.
    """
    if not is_working_day(day):
        return set()
    cal = _Calendar(day, policy)
    dates = {due for due in cal.ladder if due >= earliest}
    if cal.overdue_day:
        dates.update(
            date.fromordinal(n) for n in range(earliest.toordinal(), cal.ordinal)
        )
    return dates


def period_closings_requested(day: date, policy: ReminderPolicy) -> set[date]:
    """The closing dates of reporting periods whose update requests go out on ``day``."""
    if not is_working_day(day):
        return set()
    return set(_Calendar(day, policy).period_closes)


def _add(out: DueReminders, reminder: Reminder) -> None:
    (out.reminders if reminder.recipient.email else out.unreachable).append(reminder)


def _distinct(people: list[Person]) -> list[Person]:
    if len(people) < 2:
        return people
    seen: set[str] = set()
    result = []
    for p in people:
        if p.key not in seen:
            seen.add(p.key)
            result.append(p)
    return result


def _deadline_subject(d: Deadline) -> Subject:
    # Positional, in Subject's order (version, agency and since are None): built once
    # for each deadline with something due, tens of thousands a day.
    return Subject(
        d.plan_slug, d.plan_title, d.subject_kind, d.subject_ref, d.subject_title,
        d.due, d.rag, d.status, d.url_path, None, None, None, d.leads, d.action_ref,
        d.reported_rag,
    )


def _deadline_reminders(
    cal: _Calendar,
    deadlines: Iterable[Deadline],
    policy: ReminderPolicy,
    out: DueReminders,
    escalate_to: list[Person],
) -> None:
    # The hot loop: 100,000 deadlines per run is normal, so a deadline with nothing
    # due costs a set test and a dict lookup, and nothing is built for it.
    day = cal.day
    today = cal.ordinal
    ladder = cal.ladder
    overdue_day = cal.overdue_day
    escalate_after = policy.escalate_after_days
    sent, unreachable, nobody = (
        out.reminders.append, out.unreachable.append, out.unaddressed.append
    )
    # Looked up once: reading an enum member off its class costs a descriptor call.
    lead_time, overdue, escalation = Rule.LEAD_TIME, Rule.OVERDUE, Rule.ESCALATION
    due_section, overdue_section = Section.DUE, Section.OVERDUE
    # Reminder's fields in order: recipient, rule, section, day, subject, days_overdue,
    # working_days_left (positional, for the same reason as _deadline_subject).
    for d in deadlines:
        due = d.due
        if due is None or d.status in _CLOSED:
            continue
        rung = ladder.get(due)
        if rung is not None:
            subject = _deadline_subject(d)
            if not d.leads:
                nobody(Unaddressed("lead", lead_time, due_section, day, subject))
            for lead in _distinct(d.leads):
                (sent if lead.email else unreachable)(
                    Reminder(lead, lead_time, due_section, day, subject, None, rung)
                )
            continue
        if due >= day or not overdue_day:
            continue
        days_overdue = today - due.toordinal()
        subject = _deadline_subject(d)
        leads = _distinct(d.leads)
        if not leads:
            nobody(Unaddressed("lead", overdue, overdue_section, day, subject))
        for lead in leads:
            (sent if lead.email else unreachable)(
                Reminder(lead, overdue, overdue_section, day, subject, days_overdue)
            )
        if days_overdue < escalate_after:
            continue
        officer = d.accountable
        if officer is not None:
            officer_key = officer.key
            if all(lead.key != officer_key for lead in leads):
                (sent if officer.email else unreachable)(
                    Reminder(officer, escalation, overdue_section, day, subject, days_overdue)
                )
        elif escalate_to:
            lead_keys = {lead.key for lead in leads}
            for person in escalate_to:
                if person.key not in lead_keys:
                    (sent if person.email else unreachable)(
                        Reminder(person, escalation, overdue_section, day, subject,
                                 days_overdue, None, None, True)
                    )
        else:
            nobody(Unaddressed("accountable", escalation, overdue_section, day, subject))


def _period_reminders(cal: _Calendar, periods: Iterable[OpenPeriod], out: DueReminders) -> None:
    for p in periods:
        if p.closes_on not in cal.period_closes:
            continue
        subject = Subject(
            plan_slug=p.plan_slug,
            plan_title=p.plan_title,
            kind="period",
            ref=p.period_key,
            title="Reporting period closes",
            due=p.closes_on,
            url_path=p.url_path,
        )
        for lead in _distinct(p.leads_with_open_actions):
            _add(out, Reminder(lead, Rule.PERIOD_UPDATE, Section.UPDATE, cal.day, subject))


def _approval_reminders(
    cal: _Calendar,
    approvals: Iterable[PendingApproval],
    policy: ReminderPolicy,
    out: DueReminders,
) -> None:
    for a in approvals:
        if cal.triggered_count(a.pending_since, policy.governance_chase_every_days) is None:
            continue
        subject = Subject(
            plan_slug=a.plan_slug,
            plan_title=a.plan_title or a.plan_slug,
            kind="governance",
            ref=a.item_key,
            title=a.item_title,
            url_path=a.url_path,
            version=a.version,
            agency=a.agency,
            since=a.pending_since,
        )
        waiting = cal.ordinal - a.pending_since.toordinal()
        if not a.approvers:
            out.unaddressed.append(
                Unaddressed("approver", Rule.APPROVAL_CHASE, Section.APPROVAL, cal.day, subject)
            )
        for approver in _distinct(a.approvers):
            _add(out, Reminder(approver, Rule.APPROVAL_CHASE, Section.APPROVAL, cal.day, subject,
                               days_waiting=waiting))


def _signoff_reminders(
    cal: _Calendar, ready: Iterable[ReadyForSignoff], out: DueReminders
) -> None:
    for r in ready:
        if not 0 <= cal.ordinal - r.ready_since.toordinal() < cal.catch_up:
            continue
        subject = Subject(
            plan_slug=r.plan_slug,
            plan_title=r.plan_title or r.plan_slug,
            kind="governance",
            ref=r.item_key,
            title=r.item_title,
            url_path=r.url_path,
            version=r.version,
            since=r.ready_since,
        )
        if not r.secretaries:
            out.unaddressed.append(
                Unaddressed("secretary", Rule.READY_FOR_SIGNOFF, Section.SIGNOFF, cal.day,
                            subject)
            )
        for secretary in _distinct(r.secretaries):
            _add(out, Reminder(secretary, Rule.READY_FOR_SIGNOFF, Section.SIGNOFF, cal.day,
                               subject))


# --- digests --------------------------------------------------------------------


def build_digests(reminders: Iterable[Reminder]) -> list[Digest]:
    """One digest per recipient per day, sections in Section order, items by due date.

    Recipients are matched by email, case-insensitively; reminders without an email
    are left out (``compute_reminders`` reports them as unreachable). The same
    reminder given twice appears once.
    """
    grouped: dict[tuple[str, date], dict[tuple[str, str, date | None], Reminder]] = {}
    # The same few people and subjects recur across thousands of reminders: normalise
    # each email and work out each identity once.
    emails: dict[int, str] = {}
    identities: dict[int, str] = {}
    for r in reminders:
        person = r.recipient
        email = emails.get(id(person))
        if email is None:
            if not person.email:
                continue
            email = emails[id(person)] = person.email.strip().lower()
        subject = r.subject
        identity = identities.get(id(subject))
        if identity is None:
            identity = identities[id(subject)] = subject.identity
        bucket = grouped.setdefault((email, r.day), {})
        # Within one recipient's day this is what Reminder.key hashes, without the hash.
        # Rule is a str: used as itself, since reading an enum's .value is slow.
        bucket.setdefault((identity, r.rule, subject.due), r)
    digests = []
    for (_, day), by_key in sorted(grouped.items(), key=lambda item: item[0]):
        items = list(by_key.values())
        by_section: dict[Section, list[Reminder]] = {}
        for r in items:
            by_section.setdefault(r.section, []).append(r)
        sections = tuple(
            DigestSection(section, tuple(sorted(by_section[section], key=_item_order)))
            for section in sorted(by_section, key=_SECTION_ORDER.__getitem__)
        )
        digests.append(Digest(recipient=items[0].recipient, day=day, sections=sections))
    return digests


def _item_order(r: Reminder) -> tuple[bool, date, str, str, str]:
    s = r.subject
    return (s.due is None, s.due or date.min, s.plan_slug, s.ref, r.rule)

