"""Every event an aggregate can record has a read-model handler, or is declared ignored;
an event of any other class is refused rather than skipped."""

from __future__ import annotations

import importlib
import pkgutil
import re
from datetime import date
from pathlib import Path

import pytest
from eventsourcing.domain import event

import domain
from domain.base import TrailAggregate
from projections.reducer import IGNORED, UnhandledEvent, apply_event, handled_classes
from projections.store import MemoryViewStore

# The bases every aggregate has; nothing records them as such.
_BASES = ("Event", "Created")


def every_aggregate() -> list[type[TrailAggregate]]:
    found = []
    for info in pkgutil.iter_modules(domain.__path__):
        module = importlib.import_module(f"domain.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, TrailAggregate)
                and value is not TrailAggregate
                and value.__module__ == module.__name__
            ):
                found.append(value)
    return found


def every_event_class() -> list[type[TrailAggregate.Event]]:
    """The event classes of every aggregate in domain/, as they are recorded."""
    return [
        value
        for aggregate in every_aggregate()
        for name, value in vars(aggregate).items()
        if isinstance(value, type)
        and issubclass(value, TrailAggregate.Event)
        and name not in _BASES
    ]


def test_the_walk_finds_the_aggregates_and_their_events() -> None:
    names = {a.__name__ for a in every_aggregate()}
    assert names >= {"Plan", "Action", "GovernanceItem", "User", "Dispatch"}
    kinds = {c.__qualname__ for c in every_event_class()}
    assert {"Action.RagAssessed", "Plan.Registered", "Dispatch.Claimed"} <= kinds


def test_every_event_class_has_a_handler_or_is_declared_ignored() -> None:
    missing = [
        f"{c.__module__}:{c.__qualname__}"
        for c in every_event_class()
        if c not in handled_classes() and c not in IGNORED
    ]
    assert not missing, f"no read-model handler, and not in IGNORED: {missing}"


def test_handlers_and_ignored_name_only_event_classes_aggregates_record() -> None:
    recorded = set(every_event_class())
    assert handled_classes() <= recorded
    assert recorded >= IGNORED
    assert not handled_classes() & IGNORED


class Gadget(TrailAggregate):
    """An aggregate the read models know nothing of."""

    class Made(TrailAggregate.Created):
        name: str

    @event(Made)
    def __init__(self, name: str) -> None:
        self.name = name


def test_an_event_of_a_class_without_a_handler_is_refused_not_skipped() -> None:
    store = MemoryViewStore()
    made = Gadget(name="g").collect_events()[0]
    with pytest.raises(UnhandledEvent, match="test_event_handlers:Gadget.Made"):
        apply_event(store, made)
    assert store.data == {}


def test_an_ignored_event_changes_no_view() -> None:
    from domain.dispatch import Dispatch
    from domain.values import Person

    store = MemoryViewStore()
    person = Person(name="Lee Lead", email="lee@council.example")
    queued = Dispatch.queue("k1", person, date(2009, 6, 1), [], [{"x": 1}])
    apply_event(store, queued.collect_events()[0])
    assert store.data == {}


def test_every_kind_the_history_readers_name_is_an_event_class() -> None:
    """Pages, reports and the audit tools read the history's kind column by name
    ('Action.RagAssessed'); a name that no event class has would never match."""
    root = Path(__file__).resolve().parents[1]
    known = {c.__qualname__ for c in every_event_class()}
    aggregates = "|".join(sorted({k.split(".")[0] for k in known}))
    pattern = re.compile(rf"""["']((?:{aggregates})\.[A-Z]\w+)["']""")
    named = {
        (str(path.relative_to(root)), name)
        for folder in ("engine", "projections")
        for path in (root / folder).rglob("*.py")
        for name in pattern.findall(path.read_text(encoding="utf-8"))
    }
    assert len(named) > 20
    assert [n for n in sorted(named) if n[1] not in known] == []
