"""The demo plan: the Leeds inspection action plan, recorded as it would have happened
between September 2008 and August 2009 under a simulated clock."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any

import yaml

from domain.clock import FixedClock, using_clock
from domain.spec import ActionSpec, GroupSpec, PlanSpec
from domain.users import user_id
from domain.values import Criterion, Direction, Indicator, Person, Rag, Status
from engine.closing import close_period
from engine.runtime import Runtime

FIRST_MONTH = (2008, 9)
LAST_MONTH = (2009, 8)
DEMO_END = date(2009, 8, 31)


@dataclass(frozen=True)
class DemoResult:
    slug: str
    as_of: date
    users: list[dict[str, Any]]


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


def load_demo(rt: Runtime, slug: str | None = None) -> DemoResult:
    """Record the demo plan's year of history; returns its slug and simulated today."""
    data = load_data()
    if slug:
        data["slug"] = slug
    rt.app.check_new_plan(data["slug"])
    clock = FixedClock(at(date(2008, 9, 1), 9))
    with using_clock(clock), rt.app.deferred_projection():
        _History(rt, data, clock).record()
    rt.runner.catch_up()
    users = [
        {"email": p["email"], "name": p["name"], "roles": p["roles"], "agency": p.get("agency")}
        for p in data["people"].values()
    ]
    return DemoResult(data["slug"], DEMO_END, users)


class _History:
    def __init__(self, rt: Runtime, data: dict[str, Any], clock: FixedClock) -> None:
        self.rt = rt
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
        for key, p in self.people.items():
            if user_id(p["email"]) in self.app.repository:
                continue
            actor = None if key == "admin" else self.admin
            self.app.add_user(actor, p["email"], p["name"], p["roles"], agency=p.get("agency"))

    def _month(self, y: int, m: int) -> None:
        last = date(y, m, calendar.monthrange(y, m)[1])
        key = f"{y:04d}-{m:02d}"
        for a in self.data["actions"]:
            lead = self.email(a["lead"][0])
            if month(a["start"]) == (y, m) or (
                (y, m) == FIRST_MONTH and month(a["start"]) < FIRST_MONTH
            ):
                self.clock.set(at(date(y, m, 3)))
                self.app.change_status(
                    lead,
                    self.slug,
                    a["ref"],
                    Status.IN_PROGRESS,
                    effective_on=first_day(a["start"]),
                )
            for value, when in a.get("readings", []):
                if month(when) == (y, m):
                    self.clock.set(at(date(y, m, 20)))
                    ind = a["indicators"][0]["name"]
                    self.app.measure_indicator(
                        lead, self.slug, a["ref"], ind, value, date(y, m, 20)
                    )
            self._milestones(a, lead, y, m, last)
            self._rate(a, lead, y, m, key)
            if a.get("actual") and month(a["actual"]) == (y, m):
                self._complete(a, lead, last)
        self._governance(y, m)
        self.clock.set(at(last, 17))
        close_period(self.rt, self.secretary, self.slug, key)

    def _milestones(self, a: dict[str, Any], lead: str, y: int, m: int, last: date) -> None:
        """Stages due this month are achieved on time, except where the plan ran late."""
        if a.get("late") or (a.get("actual") and month(a["actual"]) <= (y, m)):
            return
        for number, (_, due) in enumerate(a.get("criteria", []), 1):
            if month(due) == (y, m) and month(a["start"]) <= (y, m):
                self.clock.set(at(last, 11))
                self.app.achieve_milestone(lead, self.slug, a["ref"], number, last)

    def _rate(self, a: dict[str, Any], lead: str, y: int, m: int, key: str) -> None:
        started = month(a["start"]) <= (y, m)
        finished = a.get("actual") and month(a["actual"]) < (y, m)
        if not started or finished:
            return
        rags = a.get("rag") or ["green", "green"]
        rag = Rag(rags[0] if (y, m) == (2009, 7) else rags[1] if (y, m) == (2009, 8) else "green")
        reason = None
        if rag is not Rag.GREEN:
            reason = a.get("rag_reason") or "partners' governance approval may delay completion"
        self.clock.set(at(date(y, m, 25)))
        self.app.assess_rag(lead, self.slug, a["ref"], rag, reason=reason)
        if (y, m) == LAST_MONTH and (a.get("progress") or a.get("risk")):
            self.app.report_progress(
                lead, self.slug, a["ref"], key, a.get("progress") or "On track.", risk=a.get("risk")
            )

    def _complete(self, a: dict[str, Any], lead: str, last: date) -> None:
        self.clock.set(at(last, 12))
        self.app.change_status(lead, self.slug, a["ref"], Status.COMPLETED, effective_on=last)
        if not a.get("verify"):
            return
        stored = self.rt.files.put_bytes(
            f"{a['ref']} completion note.txt",
            f"Completion evidence for action {a['ref']}: {a['title']}\n".encode(),
            "text/plain",
        )
        evidence = self.app.submit_evidence(
            lead,
            self.slug,
            a["ref"],
            stored.name,
            sha256=stored.sha256,
            size=stored.size,
            media_type=stored.media_type,
        )
        self.clock.set(at(last, 15))
        accountable = self.email(a["accountable"])
        self.app.decide_evidence(
            accountable, self.slug, a["ref"], evidence, True, reason="Seen at DMT"
        )
        self.app.change_status(accountable, self.slug, a["ref"], Status.VERIFIED)

    def _governance(self, y: int, m: int) -> None:
        g = self.data["governance"]
        key = g["key"]
        steps = {
            (2009, 1): lambda: self._open(g),
            (2009, 2): lambda: self._decide(
                "ltht", key, date(2009, 2, 10), "Trust Board", "TB/09/14"
            ),
            (2009, 3): lambda: self._revise(key),
            (2009, 4): lambda: self._decide(
                "lcc", key, date(2009, 4, 20), "Executive Board", "EB 45"
            ),
            (2009, 5): lambda: self._decide(
                "wyp", key, date(2009, 5, 12), "Command Team", "CT 2009/31"
            ),
        }
        step = steps.get((y, m))
        if step:
            self.clock.set(at(date(y, m, 15), 11))
            step()

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
