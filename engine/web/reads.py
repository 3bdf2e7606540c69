"""What the pages show, assembled from the read models (no writes here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from domain.action import is_lead_among, is_person, next_statuses
from domain.errors import NotFound
from domain.periods import Period
from domain.values import Person, Status
from engine.service.shown_day import shown_note, shown_on
from engine.web.cache import ReadCache
from projections import queries
from projections.views import View

DUE_SOON_DAYS = 28

# The next status a lead may choose, by the current one: the action's own transitions.
NEXT_STATUSES: dict[str, list[str]] = {
    s.value: [to.value for to in next_statuses(s)] for s in Status
}


def plan_today(plan: View) -> date:
    """The day the plan is shown as of: the same rule as the command line's."""
    return shown_on(plan)


def plans(cache: ReadCache, at: Any = None) -> list[View]:
    return cache.get(("plans",), lambda: queries.plans(cache.engine), at)


def document(cache: ReadCache, slug: str, at: Any = None) -> dict[str, Any]:
    """The plan as the board reads it (per-action RAG, roll-ups, governance matrix)."""

    def compute() -> dict[str, Any]:
        engine = cache.engine
        plan = queries.plan(engine, slug)
        doc = queries.document(engine, plan, plan_today(plan))
        doc["id"] = plan["id"]
        doc["shown_note"] = shown_note(plan)
        doc["period_summaries"] = [
            {"period": p["period"], "summary": p["summary"]} for p in queries.periods(engine, plan)
        ]
        return doc

    doc: dict[str, Any] = cache.get(("document", slug), compute, at)
    return doc


def find_action(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    for a in doc["actions"]:
        if a["ref"] == ref:
            return a
    raise NotFound(f"plan '{doc['slug']}' has no action {ref}")


def people(cache: ReadCache, at: Any = None) -> dict[str, View]:
    return cache.get(("users",), lambda: {u["email"]: u for u in queries.users(cache.engine)}, at)


def is_lead(action: dict[str, Any], email: str) -> bool:
    """The rule of Action.is_lead, applied to an action's view."""
    return is_lead_among((Person.from_dict(p) for p in action["leads"]), email)


def is_accountable(action: dict[str, Any], email: str) -> bool:
    """The rule of Action.is_accountable, applied to an action's view."""
    accountable = action.get("accountable")
    return is_person(Person.from_dict(accountable) if accountable else None, email)


def may_update(action: dict[str, Any], email: str) -> bool:
    return is_lead(action, email) or is_accountable(action, email)


@dataclass
class MyAction:
    slug: str
    plan_title: str
    action: dict[str, Any]
    period: str
    due_soon: bool
    needs_update: bool


def my_actions(cache: ReadCache, email: str) -> list[MyAction]:
    """Open actions the person leads or is accountable for, in every plan."""
    mine = []
    for p in plans(cache):
        doc = document(cache, p["slug"])
        today = date.fromisoformat(doc["as_of"])
        period = doc["period"]
        for a in doc["actions"]:
            if not may_update(a, email) or Status(a["status"]).is_closed:
                continue
            finish = date.fromisoformat(a["plan_finish"]) if a["plan_finish"] else None
            due_soon = bool(
                finish and not a["overdue"] and today <= finish <= today + timedelta(DUE_SOON_DAYS)
            )
            mine.append(
                MyAction(
                    slug=doc["slug"],
                    plan_title=doc["title"],
                    action=a,
                    period=period,
                    due_soon=due_soon,
                    needs_update=a["progress_period"] != period,
                )
            )
    return mine


def period_label(key: str) -> str:
    try:
        return Period.parse(key).label
    except ValueError:
        return key


@dataclass(frozen=True)
class Filters:
    rag: str = ""
    lead: str = ""
    agency: str = ""
    group: str = ""

    @property
    def active(self) -> bool:
        return any((self.rag, self.lead, self.agency, self.group))

    def key(self) -> tuple[str, str, str, str]:
        return (self.rag, self.lead, self.agency, self.group)


def matches(action: dict[str, Any], f: Filters) -> bool:
    if f.rag and (action["rag"] or "none") != f.rag:
        return False
    if f.lead and not any(
        (p.get("email") or p.get("name") or "").lower() == f.lead.lower() for p in action["leads"]
    ):
        return False
    if f.agency and not any((p.get("agency") or "") == f.agency for p in action["leads"]):
        return False
    return not (f.group and action["group"] != f.group)


def filter_choices(doc: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """The values each filter offers, from what the plan holds."""
    leads: dict[str, str] = {}
    agencies: set[str] = set()
    for a in doc["actions"]:
        for p in a["leads"]:
            leads[(p.get("email") or p.get("name") or "").lower()] = p.get("name") or ""
            if p.get("agency"):
                agencies.add(p["agency"])
    return {
        "rag": [(r, r.title()) for r in ("red", "amber", "green", "complete", "blue", "grey")],
        "lead": sorted(leads.items(), key=lambda kv: kv[1]),
        "agency": [(a, a) for a in sorted(agencies | set(doc["agencies"]))],
        "group": [(g["ref"], f"{g['ref']}: {g['title'][:60]}") for g in doc["groups"]],
    }


def dashboard(doc: dict[str, Any], f: Filters) -> dict[str, Any]:
    """Exceptions first, then each grouping's actions under its roll-up."""
    chosen = [a for a in doc["actions"] if matches(a, f)]
    exceptions = [a for a in chosen if a["exception"]]
    sections = []
    for g in doc["groups"]:
        mine = [a for a in chosen if a["group"] == g["ref"]]
        if mine or not f.active:
            sections.append({"group": g, "actions": mine})
    ungrouped = [a for a in chosen if not a["group"]]
    if ungrouped:
        sections.append({"group": None, "actions": ungrouped})
    return {"shown": len(chosen), "exceptions": exceptions, "sections": sections}
