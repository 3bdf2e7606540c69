"""What is due on a day, read from the read models, ready for the reminder rules.

The read models follow every event, so a reassigned lead, an amended date or a
completed action changes the next computation with nothing else to update.

Only deadlines that can have a reminder on the day are read: the rules give the few
due dates that matter (``due_dates_reminded``), and the deadlines table is indexed by
due date, so a day costs about the same with a thousand open actions or a hundred
thousand. Action views, which are large, are read only for a plan whose reporting
period asks for progress updates that day.

A deadline's RAG in the email is the one `show` shows on the day (the plan's RAG
policy applied to the lead's rating and the computed one), which needs the action's
whole view; ``shown_rags`` reads it for the reminders about to be queued only, since
the sweeps through the rest of the day find nearly everyone's digest queued already.
"""

from __future__ import annotations

import gc
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote
from uuid import UUID

import orjson
from sqlalchemy import Engine, func, select

from domain.clock import london
from domain.periods import Period
from domain.reminders import (
    Deadline,
    OpenPeriod,
    PendingApproval,
    Rating,
    ReadyForSignoff,
    Reminder,
    Unaddressed,
    compute_reminders,
    due_dates_reminded,
    period_closings_requested,
)
from domain.users import Role
from domain.values import Cadence, Person, Rag, RagPolicy, ReminderPolicy, Status
from projections.dashboard import assess_action, rag_policy
from projections.schema import deadlines, views

_CLOSED = [s.value for s in Status if s.is_closed]
# Looked up rather than constructed: Status(value) costs a lot more than a dict lookup,
# once per deadline.
_STATUS = {s.value: s for s in Status}
_RAG = {r.value: r for r in Rag}
# Comfortably under every database's limit on bound parameters.
_CHUNK = 500


_PLAIN = re.compile(r"[A-Za-z0-9._~-]+")


def _segment(text: str) -> str:
    # quote() costs tens of microseconds a call, and a day can need tens of thousands
    # of paths; refs are nearly always plain ("2.1").
    return text if _PLAIN.fullmatch(text) else quote(text, safe="")


def action_path(slug: str, ref: str) -> str:
    return f"/plans/{_segment(slug)}/actions/{_segment(ref)}"


def item_path(slug: str, key: str) -> str:
    return f"/plans/{_segment(slug)}/governance/{_segment(key)}"


def plan_path(slug: str) -> str:
    return f"/plans/{_segment(slug)}"


@dataclass(frozen=True)
class PlanFacts:
    id: str
    slug: str
    title: str
    cadence: Cadence
    policy: ReminderPolicy
    rag_policy: RagPolicy
    closed_periods: frozenset[str]
    # Who hears of an overdue action that names no accountable officer, with the admins.
    owners: tuple[Person, ...] = ()


@dataclass
class DayReminders:
    """The reminders of one day over every plan."""

    day: date
    reminders: list[Reminder] = field(default_factory=list)
    unreachable: list[Reminder] = field(default_factory=list)
    unaddressed: list[Unaddressed] = field(default_factory=list)
    plan_ids: dict[str, UUID] = field(default_factory=dict)  # slug -> plan id
    # (plan slug, action ref) -> action id, for every deadline read
    action_ids: dict[tuple[str, str], str] = field(default_factory=dict)
    rag_policies: dict[str, RagPolicy] = field(default_factory=dict)  # plan id -> policy

    def plans_of(self, reminders: Iterable[Reminder]) -> list[UUID]:
        return sorted({self.plan_ids[r.subject.plan_slug] for r in reminders}, key=str)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cycle collector while tens of thousands of short-lived objects are built.

    None of them form cycles, and each collection pass the allocations trigger would
    rescan the whole heap: on a busy day that is most of the time spent. Collection
    resumes, and catches up, as soon as the block ends.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def reminders_for_day(engine: Engine, day: date, digest_hour: int = 8) -> DayReminders:
    """Every reminder due on ``day``, by each plan's own policy.

    ``digest_hour`` is when the day's digests go out (London time); see ``_ready_day``.
    """
    with collector_paused():
        return _reminders_for_day(engine, day, digest_hour)


def _reminders_for_day(engine: Engine, day: date, digest_hour: int) -> DayReminders:
    plans = {p.id: p for p in _plans(engine)}
    out = DayReminders(
        day,
        plan_ids={p.slug: UUID(p.id) for p in plans.values()},
        rag_policies={p.id: p.rag_policy for p in plans.values()},
    )
    if not plans:
        return out
    by_plan = _deadlines(engine, day, plans, out.action_ids)
    approvals, ready = _governance(engine, plans, digest_hour)
    periods = _periods(engine, day, plans)
    admins = _admins(engine)
    # A deactivated person is sent nothing; what would have gone to them is listed as
    # unreachable, so that someone else can be given their actions.
    inactive = {u["email"] for u in _docs(engine, "user") if not u.get("active", True)}
    for plan_id, plan in plans.items():
        due = compute_reminders(
            day,
            by_plan.get(plan_id, ()),
            approvals.get(plan_id, ()),
            ready.get(plan_id, ()),
            periods.get(plan_id, ()),
            plan.policy,
            escalate_to=[*plan.owners, *admins],
        )
        out.reminders += [r for r in due.reminders if r.recipient.email not in inactive]
        out.unreachable += due.unreachable
        out.unreachable += [r for r in due.reminders if r.recipient.email in inactive]
        out.unaddressed += due.unaddressed
    return out


def _docs(engine: Engine, kind: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [
            json.loads(d)
            for d in conn.execute(select(views.c.doc).where(views.c.kind == kind)).scalars()
        ]


def _plans(engine: Engine) -> list[PlanFacts]:
    return [
        PlanFacts(
            id=p["id"],
            slug=p["slug"],
            title=p["title"],
            cadence=Cadence(p["cadence"]),
            policy=ReminderPolicy(**p["reminder_policy"])
            if p.get("reminder_policy")
            else ReminderPolicy(),
            rag_policy=rag_policy(p),
            closed_periods=frozenset(c["period"] for c in p["periods"]),
            owners=_owners(p),
        )
        for p in _docs(engine, "plan")
    ]


def _owners(plan: dict[str, Any]) -> tuple[Person, ...]:
    """The plan's owners, where its view records any: people, or their emails."""
    found = []
    for owner in plan.get("owners") or ():
        if isinstance(owner, str):
            found.append(Person(owner, owner.lower()))
        elif isinstance(owner, dict) and (owner.get("name") or owner.get("email")):
            found.append(
                Person(owner.get("name") or owner["email"], owner.get("email"), owner.get("agency"))
            )
    return tuple(found)


def _admins(engine: Engine) -> list[Person]:
    return [
        Person(u["name"], u["email"], u.get("agency"))
        for u in _docs(engine, "user")
        if Role.ADMIN.value in u["roles"] and u.get("active", True)
    ]


def _deadlines(
    engine: Engine,
    day: date,
    plans: dict[str, PlanFacts],
    action_ids: dict[tuple[str, str], str],
) -> dict[str, list[Deadline]]:
    with engine.connect() as conn:
        earliest = conn.execute(select(func.min(deadlines.c.due))).scalar_one_or_none()
        if earliest is None:
            return {}
        start = date.fromisoformat(earliest)
        # Plans may differ in policy: fetch what any of them would remind of, then let
        # each plan's own rules decide.
        wanted: set[date] = set()
        for policy in {_policy_key(p.policy): p.policy for p in plans.values()}.values():
            wanted |= due_dates_reminded(day, policy, start)
        dates = sorted(d.isoformat() for d in wanted)
        rows: list[Any] = []
        for i in range(0, len(dates), _CHUNK):
            rows += conn.execute(
                select(
                    deadlines.c.action_id,
                    deadlines.c.number,
                    deadlines.c.plan_id,
                    deadlines.c.ref,
                    deadlines.c.title,
                    deadlines.c.due,
                    deadlines.c.status,
                    deadlines.c.reported_rag,
                    deadlines.c.leads,
                    deadlines.c.accountable,
                ).where(
                    deadlines.c.due.in_(dates[i : i + _CHUNK]),
                    deadlines.c.status.not_in(_CLOSED),
                )
            ).all()
    people = _PeopleCache()
    many, one = people.many, people.one
    # An action's finish and its criteria share a path; the day's rows share a few dozen
    # due dates.
    paths: dict[tuple[str, str], str] = {}
    dues = {d: date.fromisoformat(d) for d in dates}
    out: dict[str, list[Deadline]] = defaultdict(list)
    for action_id, number, plan_id, ref, title, due, status, rag, leads, accountable in rows:
        plan = plans.get(plan_id)
        if plan is None:
            continue
        path = paths.get((plan_id, ref))
        if path is None:
            path = paths[(plan_id, ref)] = action_path(plan.slug, ref)
            action_ids[(plan.slug, ref)] = action_id
        out[plan_id].append(
            # Positional, in Deadline's order, as this runs tens of thousands of times.
            # The shown RAG needs the whole view: see shown_rags.
            Deadline(
                plan.slug,
                plan.title,
                "action" if number == 0 else "criterion",
                ref if number == 0 else f"{ref} criterion {number}",
                title,
                dues.get(due) or date.fromisoformat(due),
                many(leads),
                one(accountable),
                _STATUS[status],
                None,
                path,
                ref,
                _RAG[rag] if rag else None,
            )
        )
    return out


def shown_rags(
    engine: Engine, found: DayReminders, reminders: Iterable[Reminder]
) -> dict[tuple[str, str], Rating]:
    """The RAG each action the reminders are about shows on their day, as `show` shows
    it (``projections.dashboard.assess_action`` with the plan's RAG policy), with the
    lead's reported one; by (plan slug, action ref)."""
    wanted: dict[str, tuple[str, str]] = {}
    for r in reminders:
        ref = r.subject.action_ref
        if ref is None:
            continue
        key = (r.subject.plan_slug, ref)
        action_id = found.action_ids.get(key)
        if action_id is not None:
            wanted[action_id] = key
    ids = sorted(wanted)
    docs: list[str] = []
    with engine.connect() as conn:
        for i in range(0, len(ids), _CHUNK):
            docs += conn.execute(
                select(views.c.doc).where(
                    views.c.kind == "action", views.c.key.in_(ids[i : i + _CHUNK])
                )
            ).scalars()
    out: dict[tuple[str, str], Rating] = {}
    with collector_paused():
        for doc in docs:
            view = orjson.loads(doc)
            policy = found.rag_policies.get(view["plan_id"])
            if policy is None:
                continue
            assessed = assess_action(view, found.day, policy)
            out[wanted[view["id"]]] = Rating(
                _RAG[assessed["rag"]] if assessed["rag"] else None,
                _RAG[assessed["reported_rag"]] if assessed["reported_rag"] else None,
            )
    return out


def _policy_key(policy: ReminderPolicy) -> tuple[Any, ...]:
    return (
        tuple(sorted(policy.lead_times_working_days)),
        policy.overdue_every_days,
        policy.period_request_working_days,
    )


class _PeopleCache:
    """Leads are the same few people over thousands of rows: parse each list once."""

    def __init__(self) -> None:
        self._many: dict[str, list[Person]] = {}
        self._one: dict[str, Person] = {}

    def many(self, text: str) -> list[Person]:
        found = self._many.get(text)
        if found is None:
            found = self._many[text] = [Person.from_dict(p) for p in json.loads(text)]
        return found

    def one(self, text: str | None) -> Person | None:
        if not text:
            return None
        found = self._one.get(text)
        if found is None:
            found = self._one[text] = Person.from_dict(json.loads(text))
        return found


def _london(stamp: str) -> datetime:
    moment = datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(london())


def _ready_day(stamp: str, digest_hour: int) -> date:
    """The day an item counts as ready from: its secretary is told in that day's digest.

    An item that becomes ready after the day's digests have gone counts from the next
    day, so the news comes in the next morning's digest instead of being lost to a
    secretary who already had that day's.
    """
    moment = _london(stamp)
    if moment.hour >= digest_hour:
        return moment.date() + timedelta(days=1)
    return moment.date()


def _governance(
    engine: Engine, plans: dict[str, PlanFacts], digest_hour: int
) -> tuple[dict[str, list[PendingApproval]], dict[str, list[ReadyForSignoff]]]:
    users = _docs(engine, "user")
    approvers: dict[str, list[Person]] = defaultdict(list)
    secretaries: list[Person] = []
    for u in users:
        person = Person(u["name"], u["email"], u["agency"])
        if Role.APPROVER.value in u["roles"] and u["agency"]:
            approvers[u["agency"]].append(person)
        if Role.SECRETARY.value in u["roles"]:
            secretaries.append(person)
    pending: dict[str, list[PendingApproval]] = defaultdict(list)
    ready: dict[str, list[ReadyForSignoff]] = defaultdict(list)
    for item in _docs(engine, "item"):
        plan = plans.get(item["plan_id"])
        if plan is None:
            continue
        current = item["current_version"]
        signed = item["signed_off"]
        if signed and signed["version"] == current:
            continue
        # How a reminder names the item, whether it waits for approvals or a sign-off.
        named: dict[str, Any] = dict(
            plan_slug=plan.slug,
            plan_title=plan.title,
            item_key=item["key"],
            item_title=item["title"],
            version=current,
            url_path=item_path(plan.slug, item["key"]),
        )
        decisions = item["decisions"]
        approved = [
            d
            for a in item["agencies"]
            if (d := decisions.get(a)) and d["approved"] and d["version"] == current
        ]
        if len(approved) == len(item["agencies"]):
            # Ready from the last approval, or from a revoked sign-off that made it so again.
            moments = [d["recorded_at"] for d in approved]
            moments += [r["at"] for r in item["revocations"] if r["version"] == current]
            ready[plan.id].append(
                ReadyForSignoff(
                    **named,
                    ready_since=max(_ready_day(m, digest_hour) for m in moments),
                    secretaries=secretaries,
                )
            )
            continue
        since = _london(item["versions"][str(current)]["at"]).date()
        for agency in item["agencies"]:
            d = decisions.get(agency)
            # An agency that rejected this version has decided: the document has to
            # change before its approval is pending again.
            if d is not None and d["version"] == current:
                continue
            pending[plan.id].append(
                PendingApproval(
                    **named,
                    agency=agency,
                    approvers=approvers.get(agency, []),
                    pending_since=since,
                )
            )
    return pending, ready


def _periods(engine: Engine, day: date, plans: dict[str, PlanFacts]) -> dict[str, list[OpenPeriod]]:
    out: dict[str, list[OpenPeriod]] = {}
    for plan in plans.values():
        period = Period.containing(day, plan.cadence)
        if period.key in plan.closed_periods:
            continue
        if period.end not in period_closings_requested(day, plan.policy):
            continue
        out[plan.id] = [
            OpenPeriod(
                plan_slug=plan.slug,
                plan_title=plan.title,
                period_key=period.key,
                closes_on=period.end,
                leads_with_open_actions=_leads_with_open_actions(engine, plan.id),
                url_path=plan_path(plan.slug),
            )
        ]
    return out


def _leads_with_open_actions(engine: Engine, plan_id: str) -> list[Person]:
    with engine.connect() as conn:
        docs = conn.execute(
            select(views.c.doc).where(views.c.kind == "action", views.c.plan_id == plan_id)
        ).scalars()
        leads: dict[str, Person] = {}
        for doc in docs:
            action = json.loads(doc)
            if Status(action["status"]).is_closed:
                continue
            for p in action["leads"]:
                person = Person.from_dict(p)
                leads.setdefault(person.key, person)
    return sorted(leads.values(), key=lambda p: p.key)
