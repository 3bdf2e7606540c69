"""What the read models hold about plans, actions, governance items and users.

Views are plain dicts of JSON-able values (dates as ISO strings), so the same reducer
serves the SQL read model and an in-memory replay of a plan as of any moment.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from domain.action import Action
    from domain.governance import GovernanceItem
    from domain.plan import Plan
    from domain.users import User

View = dict[str, Any]


# Every event's id and moment are written as text by several projections, and a
# rebuild writes hundreds of thousands of them: each is worked out once, then looked up.
# Ids are looked up by their number: UUID's own hash and equality are Python code.
_ID_TEXTS: dict[int, str] = {}
_ID_TEXTS_MAX = 20_000


def id_text(value: UUID) -> str:
    if type(value) is not UUID:
        return str(value)
    number = value.int
    text = _ID_TEXTS.get(number)
    if text is None:
        if len(_ID_TEXTS) >= _ID_TEXTS_MAX:
            _ID_TEXTS.clear()
        text = _ID_TEXTS[number] = str(value)
    return text


@lru_cache(maxsize=20_000)
def _moment_text(value: datetime, zone: Any) -> str:
    # Keyed by the zone too: equal moments in two zones are written differently.
    return value.isoformat()


# The moment last written, as (moment, text): the views write an event's moment twice
# in a row (the change itself and `updated_at`), and the same object is cheaper to
# recognise than to hash.
_last_moment: tuple[datetime | None, str] = (None, "")


def moment_text(value: datetime) -> str:
    global _last_moment
    last = _last_moment
    if last[0] is value:
        return last[1]
    text = _moment_text(value, value.tzinfo)
    _last_moment = (value, text)
    return text


# What JSON takes as it is: most of what a view holds.
_AS_IS = frozenset((str, int, float, bool, type(None)))


def iso(value: Any) -> Any:
    """Dates, datetimes and ids as strings, recursively, for JSON storage."""
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is datetime:
        return moment_text(value)
    if kind is UUID:
        return id_text(value)
    if kind is dict:
        return {k: iso(v) for k, v in value.items()}
    if kind is list:
        return [iso(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: iso(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [iso(v) for v in value]
    return value


def new_plan_view(plan_id: str, e: Plan.Registered) -> View:
    return {
        "id": plan_id,
        "slug": e.slug,
        "title": e.title,
        "organisation": e.organisation,
        "source": e.source,
        "cadence": e.cadence,
        "boards": list(e.boards),
        "agencies": list(e.agencies),
        "demo": e.demo,
        "groups": [],
        "rag_policy": None,
        "reminder_policy": None,
        "periods": [],
        "owners": [],
        "retired_agencies": [],
        "registered_at": iso(e.timestamp),
        "updated_at": iso(e.timestamp),
    }


def new_action_view(action_id: str, e: Action.Added) -> View:
    return {
        "id": action_id,
        "plan_id": str(e.plan_id),
        "ref": e.ref,
        "title": e.title,
        "group": e.group,
        "aim": e.aim,
        "leads": iso(e.leads),
        "accountable": iso(e.accountable),
        "plan_start": iso(e.plan_start),
        "plan_finish": iso(e.plan_finish),
        "plan_finish_tentative": e.plan_finish_tentative,
        "actual_finish": None,
        "recurrence": e.recurrence,
        "timescale": e.timescale,
        "success_criteria": [
            {"text": c["text"], "due": iso(c["due"]), "achieved_on": None}
            for c in e.success_criteria
        ],
        "indicators": iso(e.indicators),
        "readings": {},
        "evidence_expected": list(e.evidence_expected),
        "cross_refs": list(e.cross_refs),
        "notes": list(e.notes),
        "status": "not_started",
        "status_reason": None,
        "status_since": iso(e.timestamp),
        "reported_rag": None,
        "rag_reason": None,
        "rag_assessed_at": None,
        "rag_assessed_by": None,
        "progress": None,
        "risk": None,
        "progress_period": None,
        "progress_at": None,
        "evidence": [],
        "amendments": 0,
        "version": e.originator_version,
        "added_at": iso(e.timestamp),
        "updated_at": iso(e.timestamp),
    }


def new_item_view(item_id: str, e: GovernanceItem.Opened) -> View:
    return {
        "id": item_id,
        "plan_id": str(e.plan_id),
        "key": e.key,
        "title": e.title,
        "agencies": list(e.agencies),
        "document_name": e.document_name,
        "current_version": 1,
        "versions": {"1": {"sha256": e.document_sha256, "at": iso(e.timestamp)}},
        "decisions": {},
        "signed_off": None,
        "revocations": [],
        "version": e.originator_version,
        "opened_at": iso(e.timestamp),
        "updated_at": iso(e.timestamp),
    }


def new_user_view(e: User.Registered) -> View:
    return {
        "email": e.email,
        "name": e.name,
        "agency": e.agency,
        "roles": list(e.roles),
        "active": True,
        "registered_at": iso(e.timestamp),
    }
