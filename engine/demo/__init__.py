"""The demo plan: the Leeds inspection action plan, recorded as it would have happened
between September 2008 and August 2009 under a simulated clock."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from importlib import resources
from typing import Any

import yaml

from domain import permissions
from domain.clock import FixedClock, using_clock
from domain.errors import DomainError, NotFound, PermissionDenied
from domain.spec import ActionSpec, GroupSpec, PlanSpec
from domain.users import user_id
from domain.values import Criterion, Direction, Indicator, Person, Rag, Status
from engine.plans.closing import close_period
from engine.runtime import Runtime
from engine.service.shown_day import DEMO_END

FIRST_MONTH = (2008, 9)
LAST_MONTH = (2009, 8)


@dataclass(frozen=True)
class DemoResult:
    slug: str
    as_of: date
    users: list[dict[str, Any]]


@dataclass(frozen=True)
class _Step:
    """One thing the demo records, at its simulated time."""

    when: datetime
    record: Callable[[], object]


def month(text: str) -> tuple[int, int]:
    parsed = datetime.strptime(text, "%b-%y")
    return parsed.year, parsed.month


def first_day(text: str) -> date:
    y, m = month(text)
    return date(y, m, 1)


def last_day(text: str) -> date:
    y, m = month(text)
    return date(y, m, calendar.monthrange(y, m)[1])


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)


def months() -> list[tuple[int, int]]:
    out = []
    y, m = FIRST_MONTH
    while (y, m) <= LAST_MONTH:
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def load_data() -> dict[str, Any]:
    text = resources.files("engine.demo").joinpath("leeds.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _person(people: dict[str, Any], key: str) -> Person:
    p = people[key]
    return Person(name=p["name"], email=p["email"], agency=p.get("agency"), title=p.get("title"))


def plan_spec(data: dict[str, Any]) -> PlanSpec:
    people = data["people"]
    actions = []
    for a in data["actions"]:
        actions.append(
            ActionSpec(
                ref=a["ref"],
                title=a["title"],
                group=a["group"],
                aim=a.get("aim"),
                leads=[_person(people, k) for k in a["lead"]],
                accountable=_person(people, a["accountable"]),
                plan_start=first_day(a["start"]),
                plan_finish=last_day(a["finish"]),
                success_criteria=[Criterion(t, last_day(d)) for t, d in a.get("criteria", [])],
                indicators=[
                    Indicator(
                        name=i["name"],
                        target=float(i["target"]),
                        unit=i["unit"],
                        direction=Direction(i["direction"]),
                    )
                    for i in a.get("indicators", [])
                ],
            )
        )
    return PlanSpec(
        slug=data["slug"],
        title=data["title"],
        organisation=data["organisation"],
        source=data["source"],
        boards=data["boards"],
        agencies=data["agencies"],
        groups=[GroupSpec(ref=g["ref"], title=g["title"]) for g in data["groups"]],
        actions=actions,
    )


def load_demo(rt: Runtime, slug: str | None = None, actor: str | None = None) -> DemoResult:
    """Record the demo plan's year of history; returns its slug and simulated today.

    In an empty store the demo's administrator registers first and adds the demo's other
    people. In a store that already has users, the demo's people who are not there yet
    are added by the acting admin (``actor``), as any new user is; those already there
    must have the roles and agency the demo gives them. Both are checked, and the plan's
    slug is checked to be free, before anything is recorded."""
    data = load_data()
    if slug:
        data["slug"] = slug
    rt.app.check_new_plan(data["slug"])
    adder = _who_adds_people(rt, data["people"], actor)
    clock = FixedClock(at(date(2008, 9, 1), 9))
    with using_clock(clock), rt.app.deferred_projection():
        _History(rt, data, clock, adder).record()
    rt.catch_up()
    users = [
        {"email": p["email"], "name": p["name"], "roles": p["roles"], "agency": p.get("agency")}
        for p in data["people"].values()
    ]
    return DemoResult(data["slug"], DEMO_END, users)


def _who_adds_people(rt: Runtime, people: dict[str, Any], actor: str | None) -> str | None:
    """Who adds the demo's people that the store lacks: None when the store is empty
    (the demo's administrator registers first, then adds the rest), otherwise the
    acting admin. Refuses, naming the person, a user already in the store without the
    roles or agency the demo's history needs."""
    app = rt.app
    missing = []
    for p in people.values():
        try:
            user = app.user(p["email"])
        except NotFound:
            missing.append(p["email"])
            continue
        held = {r.value for r in user.roles}
        needed = set(p["roles"])
        agency = p.get("agency")
        if not needed <= held or (agency and user.agency != agency):
            raise DomainError(
                f"user '{p['email']}' is already in this store with roles "
                f"{', '.join(sorted(held)) or 'none'} and agency {user.agency or 'none'}; "
                f"the demo needs roles {', '.join(sorted(needed))} and agency "
                f"{agency or 'none'}: nothing was recorded"
            )
    if not missing or not app.has_users():
        return None
    if actor is None:
        raise PermissionDenied(
            f"this store already has users, so the demo's {len(missing)} people not yet in "
            "it must be added by an admin: give the acting admin (--as EMAIL); nothing was "
            "recorded"
        )
    permissions.require_admin(app.user(actor), "add the demo's people")
    return actor


class _History:
    def __init__(
        self, rt: Runtime, data: dict[str, Any], clock: FixedClock, adder: str | None
    ) -> None:
        self.rt = rt
        self.adder = adder
        self.app = rt.app
        self.data = data
        self.clock = clock
        self.people = data["people"]
        self.slug = data["slug"]
        self.admin = self.people["admin"]["email"]
        self.secretary = self.people["secretary"]["email"]

    def email(self, key: str) -> str:
        return str(self.people[key]["email"])

    def record(self) -> None:
        self._users()
        self.clock.set(at(date(2008, 9, 1), 10))
        self.app.load_plan(self.admin, plan_spec(self.data), demo=True)
        for y, m in months():
            self._month(y, m)

    def _users(self) -> None:
        """The demo's people not yet in the store: added by the acting admin, or, in an
        empty store, by the demo's administrator, who registers first."""
        adder = self.adder
        people = sorted(self.people.items(), key=lambda kp: kp[0] != "admin")
        for key, p in people:
            if user_id(p["email"]) in self.app.repository:
                continue
            if adder is None and key != "admin":
                adder = self.admin
            self.app.add_user(adder, p["email"], p["name"], p["roles"], agency=p.get("agency"))

    def _month(self, y: int, m: int) -> None:
        """The month's events, recorded in the order of their simulated times (events of
        the same moment in the plan's order), so that every event is recorded no earlier
        than the one before it, as under a real clock; then the month is closed."""
        last = date(y, m, calendar.monthrange(y, m)[1])
        key = f"{y:04d}-{m:02d}"
        steps: list[_Step] = []
        for a in self.data["actions"]:
            lead = self.email(a["lead"][0])
            if month(a["start"]) == (y, m) or (
                (y, m) == FIRST_MONTH and month(a["start"]) < FIRST_MONTH
            ):
                steps.append(
                    _Step(
                        at(date(y, m, 3)),
                        partial(
                            self.app.change_status,
                            lead,
                            self.slug,
                            a["ref"],
                            Status.IN_PROGRESS,
                            effective_on=first_day(a["start"]),
                        ),
                    )
                )
            for value, when in a.get("readings", []):
                if month(when) == (y, m):
                    ind = a["indicators"][0]["name"]
                    steps.append(
                        _Step(
                            at(date(y, m, 20)),
                            partial(
                                self.app.measure_indicator,
                                lead,
                                self.slug,
                                a["ref"],
                                ind,
                                value,
                                date(y, m, 20),
                            ),
                        )
                    )
            steps += self._milestones(a, lead, y, m, last)
            steps += self._rate(a, lead, y, m, key)
            if a.get("actual") and month(a["actual"]) == (y, m):
                steps += self._complete(a, lead, last)
        steps += self._governance(y, m)
        for step in sorted(steps, key=lambda s: s.when):
            self.clock.set(step.when)
            step.record()
        self.clock.set(at(last, 17))
        close_period(self.rt, self.secretary, self.slug, key)

    def _milestones(self, a: dict[str, Any], lead: str, y: int, m: int, last: date) -> list[_Step]:
        """Stages due this month are achieved on time, except where the plan ran late."""
        if a.get("late") or (a.get("actual") and month(a["actual"]) <= (y, m)):
            return []
        return [
            _Step(
                at(last, 11),
                partial(self.app.achieve_milestone, lead, self.slug, a["ref"], number, last),
            )
            for number, (_, due) in enumerate(a.get("criteria", []), 1)
            if month(due) == (y, m) and month(a["start"]) <= (y, m)
        ]

    def _rate(self, a: dict[str, Any], lead: str, y: int, m: int, key: str) -> list[_Step]:
        started = month(a["start"]) <= (y, m)
        finished = a.get("actual") and month(a["actual"]) < (y, m)
        if not started or finished:
            return []
        rags = a.get("rag") or ["green", "green"]
        rag = Rag(rags[0] if (y, m) == (2009, 7) else rags[1] if (y, m) == (2009, 8) else "green")
        reason = None
        if rag is not Rag.GREEN:
            reason = a.get("rag_reason") or "partners' governance approval may delay completion"
        when = at(date(y, m, 25))
        steps = [
            _Step(when, partial(self.app.assess_rag, lead, self.slug, a["ref"], rag, reason=reason))
        ]
        if (y, m) == LAST_MONTH and (a.get("progress") or a.get("risk")):
            steps.append(
                _Step(
                    when,
                    partial(
                        self.app.report_progress,
                        lead,
                        self.slug,
                        a["ref"],
                        key,
                        a.get("progress") or "On track.",
                        risk=a.get("risk"),
                    ),
                )
            )
        return steps

    def _complete(self, a: dict[str, Any], lead: str, last: date) -> list[_Step]:
        completed = _Step(
            at(last, 12),
            partial(
                self.app.change_status,
                lead,
                self.slug,
                a["ref"],
                Status.COMPLETED,
                effective_on=last,
            ),
        )
        if not a.get("verify"):
            return [completed]
        submitted: list[str] = []

        def submit() -> None:
            stored = self.rt.files.put_bytes(
                f"{a['ref']} completion note.txt",
                f"Completion evidence for action {a['ref']}: {a['title']}\n".encode(),
                "text/plain",
            )
            submitted.append(
                self.app.submit_evidence(
                    lead,
                    self.slug,
                    a["ref"],
                    stored.name,
                    sha256=stored.sha256,
                    size=stored.size,
                    media_type=stored.media_type,
                )
            )

        def accept_and_verify() -> None:
            accountable = self.email(a["accountable"])
            self.app.decide_evidence(
                accountable, self.slug, a["ref"], submitted[0], True, reason="Seen at DMT"
            )
            self.app.change_status(accountable, self.slug, a["ref"], Status.VERIFIED)

        return [completed, _Step(at(last, 12), submit), _Step(at(last, 15), accept_and_verify)]

    def _governance(self, y: int, m: int) -> list[_Step]:
        """The board secretary's governance item: opened, approved by each agency and
        revised. Each step is recorded on the 15th, or, for a decision taken later in
        the month, the day after it was taken (a decision is recorded once taken)."""
        g = self.data["governance"]
        key = g["key"]
        steps: dict[tuple[int, int], tuple[int, Callable[[], None]]] = {
            (2009, 1): (15, lambda: self._open(g)),
            (2009, 2): (
                15,
                lambda: self._decide("ltht", key, date(2009, 2, 10), "Trust Board", "TB/09/14"),
            ),
            (2009, 3): (15, lambda: self._revise(key)),
            (2009, 4): (
                21,
                lambda: self._decide("lcc", key, date(2009, 4, 20), "Executive Board", "EB 45"),
            ),
            (2009, 5): (
                15,
                lambda: self._decide("wyp", key, date(2009, 5, 12), "Command Team", "CT 2009/31"),
            ),
        }
        if (y, m) not in steps:
            return []
        day, step = steps[(y, m)]
        return [_Step(at(date(y, m, day), 11), step)]

    def _document(self, version: int) -> tuple[str, str]:
        stored = self.rt.files.put_bytes(
            f"multi-agency-safeguarding-procedures-v{version}.txt",
            f"Multi-agency safeguarding adults procedures, draft {version}.\n".encode(),
            "text/plain",
        )
        return stored.name, stored.sha256

    def _open(self, g: dict[str, Any]) -> None:
        name, sha = self._document(1)
        self.app.open_item(
            self.secretary, self.slug, g["key"], g["title"], g["agencies"], name, sha
        )

    def _revise(self, key: str) -> None:
        name, sha = self._document(2)
        self.app.revise_item(
            self.secretary,
            self.slug,
            key,
            name,
            sha,
            "West Yorkshire Police comments on referral thresholds incorporated",
        )

    def _decide(self, who: str, key: str, on: date, body: str, minute: str) -> None:
        p = self.people[who]
        self.app.decide_item(
            p["email"], self.slug, key, p["agency"], True, body, on, minute_ref=minute
        )
