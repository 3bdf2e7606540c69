"""Aggregate ids: a uuid5 of what names the aggregate, so a plan's slug (or an action's
ref in its plan) always names the same aggregate.

Kept apart from the aggregates so that readers of the read models (`actiontrail show`)
can find a plan's id without loading every aggregate and event class.
"""

from __future__ import annotations

from functools import lru_cache
from uuid import NAMESPACE_URL, UUID, uuid5


# Every command works out the ids of what it names; each is a SHA-1, so the recent ones
# are remembered.
@lru_cache(maxsize=4096)
def plan_id(slug: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"actiontrail:plan:{slug}")


@lru_cache(maxsize=4096)
def action_id(plan_id: UUID, ref: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"actiontrail:action:{plan_id}:{ref.strip()}")
