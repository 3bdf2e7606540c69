"""A plan's views as they stood at one point of its history, rebuilt from the events.

A closed period's report reads the aims, success criteria and governance items as
they stood when the period closed, so amendments recorded later cannot change it.
"""

from __future__ import annotations

from sqlalchemy import select

from engine.runtime import Runtime
from projections.queries import natural_key
from projections.reducer import apply_event
from projections.schema import subjects
from projections.store import MemoryViewStore
from projections.views import View

_PAGE = 500


class PlanReplay:
    """The plan, its actions, items and closed periods as of notification ``up_to_seq``."""

    def __init__(self, rt: Runtime, plan_id: str, up_to_seq: int) -> None:
        self.plan_id = plan_id
        self.store = _replay(rt, plan_id, up_to_seq)

    def plan(self) -> View:
        view = self.store.get("plan", self.plan_id)
        if view is None:
            raise LookupError(f"plan {self.plan_id} did not exist yet")
        return view

    def actions(self) -> list[View]:
        mine = [a for a in self.store.all("action") if a["plan_id"] == self.plan_id]
        return sorted(mine, key=lambda a: natural_key(a["ref"]))

    def items(self) -> list[View]:
        mine = [i for i in self.store.all("item") if i["plan_id"] == self.plan_id]
        return sorted(mine, key=lambda i: i["key"])

    def periods(self) -> list[View]:
        mine = [p for p in self.store.all("period") if p["plan_id"] == self.plan_id]
        return sorted(mine, key=lambda p: p["period"])


def _replay(rt: Runtime, plan_id: str, up_to_seq: int) -> MemoryViewStore:
    with rt.engine.connect() as conn:
        ids = set(
            conn.execute(
                select(subjects.c.originator_id).where(subjects.c.plan_id == plan_id)
            ).scalars()
        )
    store = MemoryViewStore()
    position = 0
    while position < up_to_seq:
        page = rt.app.recorder.select_notifications(
            start=position, limit=_PAGE, stop=up_to_seq, inclusive_of_start=False
        )
        if not page:
            break
        for notification in page:
            # Decoding is the costly part, so other plans' events are skipped first.
            if str(notification.originator_id) in ids:
                apply_event(store, rt.app.mapper.to_domain_event(notification))
        position = page[-1].id
    return store
