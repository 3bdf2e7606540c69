"""Changing an event safely: a new version of its class reads the events stored by the
old one through an upcaster (see docs/events.md).

The test-only aggregate below is written in two versions of one module, so that, as in a
real upgrade, the second version's classes have the first's topics and read what the
first stored.
"""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.application import Application
from eventsourcing.utils import clear_topic_cache

from domain.users import Role, User
from tests.test_event_handlers import every_event_class

MODULE = "tests.parcel_events"

# What both versions share: the parcel and the event that creates it.
PARCEL = """
from eventsourcing.domain import event
from domain.base import TrailAggregate

class Parcel(TrailAggregate):
    class Sent(TrailAggregate.Created):
        class_version = 1
        ref: str

    @event(Sent)
    def __init__(self, ref: str) -> None:
        self.ref = ref
"""

V1 = PARCEL + """
    class Weighed(TrailAggregate.Event):
        class_version = 1
        grams: int

    @event(Weighed)
    def weigh(self, grams: int) -> None:
        self.grams = grams
"""

# Weighed gains the scale it was weighed on. Events stored before did not say: they are
# read as weighed on an unknown scale.
V2 = PARCEL + """
    class Weighed(TrailAggregate.Event):
        class_version = 2
        grams: int
        scale: str

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["scale"] = "unknown"

    @event(Weighed)
    def weigh(self, grams: int, scale: str) -> None:
        (self.grams, self.scale) = (grams, scale)
"""


def load_version(source: str) -> Any:
    """The module as this version of the code defines it, in place of any other."""
    module = types.ModuleType(MODULE)
    sys.modules[MODULE] = module
    clear_topic_cache()
    exec(compile(source, MODULE, "exec"), module.__dict__)  # noqa: S102
    return module.Parcel


@pytest.fixture
def versions() -> Iterator[None]:
    yield
    sys.modules.pop(MODULE, None)
    clear_topic_cache()


def store(path: Path) -> Application[Any]:
    return Application(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
    )


def states(app: Application[Any], oid: Any) -> list[dict[str, Any]]:
    return [json.loads(e.state) for e in app.recorder.select_events(oid)]


def test_a_new_version_reads_the_old_events_through_its_upcaster(
    tmp_path: Path, versions: None
) -> None:
    path = tmp_path / "events.db"
    parcel_v1 = load_version(V1)
    old = store(path)
    parcel = parcel_v1(ref="P1")
    parcel.weigh(grams=250)
    old.save(parcel)
    old.close()

    parcel_v2 = load_version(V2)
    assert parcel_v2.Weighed is not parcel_v1.Weighed
    new = store(path)
    read: Any = new.repository.get(parcel.id)
    assert type(read) is parcel_v2
    assert (read.grams, read.scale) == (250, "unknown")

    read.weigh(grams=300, scale="kitchen")
    new.save(read)
    # The old event is stored as it was; the new one says which version wrote it.
    old_state, new_state = states(new, parcel.id)[1:]
    assert "class_version" not in old_state and "scale" not in old_state
    assert new_state["class_version"] == 2 and new_state["scale"] == "kitchen"
    new.close()
    reopened = store(path)
    again: Any = reopened.repository.get(parcel.id)
    assert (again.grams, again.scale, again.version) == (300, "kitchen", 3)
    reopened.close()


def test_without_the_upcaster_the_old_events_cannot_be_read(tmp_path: Path, versions: None) -> None:
    """Why the upcaster is needed: the new version alone does not read the old events."""
    path = tmp_path / "events.db"
    parcel_v1 = load_version(V1)
    old = store(path)
    parcel = parcel_v1(ref="P1")
    parcel.weigh(grams=250)
    old.save(parcel)
    old.close()

    load_version(V2.replace("def upcast_v1_v2", "def not_an_upcaster"))
    new = store(path)
    with pytest.raises(AttributeError, match="upcast_v1_v2"):
        new.repository.get(parcel.id)
    new.close()


def test_every_event_declares_version_1_which_is_stored_as_no_version() -> None:
    """Version 1 is what the library reads a state without class_version as, and it is
    not written into the state, so declaring it changed no stored byte (the old-store
    test proves that byte for byte)."""
    for cls in every_event_class():
        declared = [b for b in cls.__mro__ if b.__qualname__ == cls.__qualname__]
        assert any(b.__dict__.get("class_version") == 1 for b in declared), cls.__qualname__
    app: Application[Any] = Application()
    user = User.register("lee@council.example", "Lee Lead", None, [Role.LEAD], actor="admin")
    stored = app.mapper.to_stored_event(user.collect_events()[0])
    assert "class_version" not in json.loads(stored.state)
    app.close()
