"""A digest's reminders as plain data, kept in the Queued event, and the digest rebuilt.

The event keeps what the email says rather than a pointer to the read models, so a
retry days later sends what was queued, and an auditor reads in the history exactly
what each person was told.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from domain.reminders import Digest, DigestSection, Rating, Reminder, Rule, Section, Subject
from domain.values import Person, Rag, Status


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def item_data(r: Reminder, rating: Rating | None = None) -> dict[str, Any]:
    """The reminder as kept in the event; ``rating`` gives its action's RAG as shown."""
    s = r.subject
    shown, reported = rating if rating is not None else (s.rag, s.reported_rag)
    return {
        "section": r.section.value,
        "rule": r.rule.value,
        "plan": s.plan_slug,
        "plan_title": s.plan_title,
        "kind": s.kind,
        "ref": s.ref,
        "title": s.title,
        "due": s.due.isoformat() if s.due else None,
        "rag": shown.value if shown else None,
        "reported_rag": reported.value if reported else None,
        "status": s.status.value if s.status else None,
        "url_path": s.url_path,
        "version": s.version,
        "agency": s.agency,
        "since": s.since.isoformat() if s.since else None,
        "leads": [{"name": p.name, "email": p.email} for p in s.leads],
        "action_ref": s.action_ref,
        "days_overdue": r.days_overdue,
        "working_days_left": r.working_days_left,
        "days_waiting": r.days_waiting,
        # Only when true, so that the items of every other reminder stay as they were.
        **({"fallback": True} if r.fallback else {}),
    }


def reminder_from(data: dict[str, Any], recipient: Person, day: date) -> Reminder:
    subject = Subject(
        plan_slug=data["plan"],
        plan_title=data["plan_title"],
        kind=data["kind"],
        ref=data["ref"],
        title=data["title"],
        due=_day(data["due"]),
        rag=Rag(data["rag"]) if data["rag"] else None,
        status=Status(data["status"]) if data["status"] else None,
        url_path=data["url_path"],
        version=data["version"],
        agency=data["agency"],
        since=_day(data["since"]),
        leads=[Person(p["name"], p["email"]) for p in data["leads"]],
        action_ref=data.get("action_ref"),
        reported_rag=Rag(data["reported_rag"]) if data.get("reported_rag") else None,
    )
    return Reminder(
        recipient=recipient,
        rule=Rule(data["rule"]),
        section=Section(data["section"]),
        day=day,
        subject=subject,
        days_overdue=data["days_overdue"],
        working_days_left=data["working_days_left"],
        days_waiting=data["days_waiting"],
        fallback=bool(data.get("fallback", False)),
    )


def digest_items(
    digest: Digest, ratings: Mapping[tuple[str, str], Rating] | None = None
) -> list[dict[str, Any]]:
    """The digest's reminders as plain data. ``ratings`` (by plan slug and action ref)
    give the RAG each action shows on the digest's day; without them, or for an action
    they do not cover, the reminder's own is kept."""
    if not ratings:
        return [item_data(r) for r in digest.reminders]
    return [
        item_data(r, ratings.get((r.subject.plan_slug, r.subject.action_ref or "")))
        for r in digest.reminders
    ]


def digest_from(recipient: Person, day: date, items: list[dict[str, Any]]) -> Digest:
    """The digest as queued: sections and their order are kept as they were stored."""
    sections: dict[Section, list[Reminder]] = {}
    for data in items:
        r = reminder_from(data, recipient, day)
        sections.setdefault(r.section, []).append(r)
    return Digest(
        recipient=recipient,
        day=day,
        sections=tuple(DigestSection(s, tuple(rs)) for s, rs in sections.items()),
    )
