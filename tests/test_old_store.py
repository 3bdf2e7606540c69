"""A store written before events became declared classes still reads the same.

tests/fixtures/stores/demo-2026-12-02.db was written by that version (the demo plan and
one event of every kind, see make_store.py beside it), and what it read as then was
recorded in demo-2026-12-02.json. Each test here opens a copy with today's code.

To record the readings again from a store (only ever with the version that wrote it):

    .venv/bin/python -m tests.test_old_store STORE.db OUT.json
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from config.settings import Settings
from engine.runtime import Runtime
from tests.cli import Cli

STORES = Path(__file__).parent / "fixtures" / "stores"
STORE = STORES / "demo-2026-12-02.db"
READINGS = STORES / "demo-2026-12-02.json"
SLUG = "leeds-iwc"

# What the CLI shows, by name: (arguments, keys to leave out because they time the run).
COMMANDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "show": (("show", SLUG), ()),
    "history": (("history", SLUG), ()),
    "history_3.4": (("history", SLUG, "--action", "3.4"), ()),
    "verify": (("verify",), ("seconds", "events_per_second")),
    "outbox": (("outbox",), ()),
    "users": (("users", "list"), ()),
    "periods": (("period", "list", SLUG), ()),
}
# Read again after the read models are rebuilt from the events.
AFTER_REBUILD = ("show", "history", "outbox", "users", "periods")


def plain(value: Any) -> Any:
    """An aggregate's state as JSON data, so that two versions' states can be compared."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(plain(v) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if hasattr(value, "__dict__"):
        return {"class": type(value).__qualname__, **plain(vars(value))}
    return value


def aggregate_states(db_path: Path, files: Path) -> dict[str, Any]:
    """Every aggregate in the store, loaded from its events."""
    with sqlite3.connect(db_path) as conn:
        ids = [UUID(r[0]) for r in conn.execute("SELECT DISTINCT originator_id FROM stored_events")]
    rt = Runtime.open(
        Settings(database_url=f"sqlite:///{db_path}", files_dir=str(files)),
        read_your_writes=False,
    )
    try:
        states = {}
        for oid in ids:
            aggregate: Any = rt.app.repository.get(oid)
            state = {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}
            states[str(oid)] = {"class": type(aggregate).__qualname__, **plain(state)}
        return dict(sorted(states.items()))
    finally:
        rt.close()


def cli_reading(cli: Cli, name: str) -> Any:
    args, timing = COMMANDS[name]
    data = cli.json(*args)
    if isinstance(data, dict):
        for key in timing:
            data.pop(key)
    return data


def readings(db_path: Path, work: Path) -> dict[str, Any]:
    cli = Cli(work, f"sqlite:///{db_path}")
    found: dict[str, Any] = {name: cli_reading(cli, name) for name in COMMANDS}
    found["aggregates"] = aggregate_states(db_path, work / "files")
    return found


@pytest.fixture(scope="module")
def recorded() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(READINGS.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def store(tmp_path: Path) -> Path:
    copy = tmp_path / "old.db"
    shutil.copyfile(STORE, copy)
    return copy


# Attributes that aggregates gained after the store was written, with the value an
# aggregate whose history predates them must load with.
GAINED: dict[str, dict[str, Any]] = {
    "Plan": {"narratives": {}, "reopened_periods": []},
    "Action": {"plan_finish_tentative": False},
}


def test_every_aggregate_loads_as_it_did(store: Path, tmp_path: Path, recorded: Any) -> None:
    states = aggregate_states(store, tmp_path / "files")
    assert len(states) == len(recorded["aggregates"])
    for oid, state in recorded["aggregates"].items():
        now = dict(states[oid])
        for name, value in GAINED.get(state["class"], {}).items():
            assert now.pop(name) == value, f"aggregate {oid}: {name} is {now.get(name)!r}"
        assert now == state, f"aggregate {oid} ({state['class']}) loads differently"


# Since the store was written, a demo plan is shown as of the demo's last day, not the
# day it is read (one "today" for the command line and the web): what `show` computes
# from the day it shows differs by design. Everything recorded must read the same.
SHOWN_DAY_KEYS = {
    "show": {"as_of", "period", "previous_period", "summary"},
    "show.actions": {
        "direction", "exception", "computed_rag", "overdue", "rag", "rag_reasons",
        "previous_rag",
    },
    "show.groups": {"summary"},
}  # fmt: skip


def same_reading(old: Any, new: Any, path: str) -> list[str]:
    """Where ``new`` differs from what was read before: keys added since are allowed
    (later versions show more), any other change is listed."""
    if isinstance(old, dict) and isinstance(new, dict):
        skip = SHOWN_DAY_KEYS.get(path, set())
        return [
            d
            for k in old
            if k not in skip
            for d in (
                [f"{path}.{k}: missing"]
                if k not in new
                else same_reading(old[k], new[k], f"{path}.{k}")
            )
        ]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [d for a, b in zip(old, new, strict=True) for d in same_reading(a, b, path)]
    return [] if old == new else [f"{path}: {old!r} then, {new!r} now"]


def test_the_store_reads_and_verifies_as_it_did(store: Path, tmp_path: Path, recorded: Any) -> None:
    cli = Cli(tmp_path, f"sqlite:///{store}")
    for name in COMMANDS:
        differences = same_reading(recorded[name], cli_reading(cli, name), name)
        assert differences == [], f"{name} reads differently: {differences[:5]}"
    assert recorded["verify"]["intact"] is True


def test_a_change_in_what_was_recorded_is_caught() -> None:
    old = {"actions": [{"ref": "1.1", "status": "completed", "rag": "red"}], "period": "x"}
    moved = {"actions": [{"ref": "1.1", "status": "in_progress", "rag": "red"}], "period": "x"}
    assert same_reading(old, moved, "show") == [
        "show.actions.status: 'completed' then, 'in_progress' now"
    ]
    grown = {"actions": [{"ref": "1.1", "status": "completed", "rag": "green", "new": 1}],
             "period": "y"}  # fmt: skip
    assert same_reading(old, grown, "show") == []


def test_read_models_rebuilt_by_this_version_read_as_before(
    store: Path, tmp_path: Path, recorded: Any
) -> None:
    cli = Cli(tmp_path, f"sqlite:///{store}")
    cli.ok("projections", "rebuild")
    for name in AFTER_REBUILD:
        differences = same_reading(recorded[name], cli_reading(cli, name), name)
        assert differences == [], f"{name} reads differently: {differences[:5]}"


def test_the_positions_kept_then_become_tracking_records(store: Path, tmp_path: Path) -> None:
    """The store kept each read model's position in tables of its own; opened now, they
    are the projections' tracking records, and nothing is applied a second time."""
    with sqlite3.connect(store) as conn:
        old = dict(conn.execute("SELECT name, position FROM projection_positions"))
        old.update(conn.execute("SELECT name, position FROM reminder_outbox_position"))
    assert old == {"views": 353, "history": 353, "snapshots": 353, "outbox": 353}
    rt = Runtime.open(
        Settings(database_url=f"sqlite:///{store}", files_dir=str(tmp_path / "files")),
        read_your_writes=False,
    )
    try:
        assert rt.runner.positions() == old
        assert rt.runner.tracking.max_tracking_id(rt.app.name) == 353
        assert rt.runner.catch_up() == 0
    finally:
        rt.close()
    with sqlite3.connect(store) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert not tables & {"projection_positions", "reminder_outbox_position"}


def test_events_stored_then_encode_now_to_the_same_bytes(store: Path, tmp_path: Path) -> None:
    """Each stored event decoded and encoded again by today's classes gives the stored
    topic and state byte for byte: the same names, fields in the same order, and no
    class_version written for version 1, so events recorded from now on are like them."""
    rt = Runtime.open(
        Settings(database_url=f"sqlite:///{store}", files_dir=str(tmp_path / "files")),
        read_your_writes=False,
    )
    try:
        stored = rt.app.recorder.select_notifications(start=0, limit=100_000)
        assert len(stored) == 353
        for n in stored:
            decoded = rt.app.mapper.to_domain_event(n)
            # Made by the class, as a command makes it, so its fields come in its order.
            made = type(decoded)(**vars(decoded))
            again = rt.app.mapper.to_stored_event(made)
            assert (again.topic, again.state) == (n.topic, n.state), n.topic
    finally:
        rt.close()


def test_every_kind_of_event_stored_then_is_an_event_class_now(store: Path) -> None:
    """The store holds one event or more of each of the 26 kinds there were when it was
    written; each must still be a class of the same topic."""
    from tests.test_event_handlers import every_event_class

    with sqlite3.connect(store) as conn:
        topics = {r[0] for r in conn.execute("SELECT DISTINCT topic FROM stored_events")}
    known = {f"{c.__module__}:{c.__qualname__}" for c in every_event_class()}
    assert len(topics) == 26
    assert topics <= known, f"no event class for {sorted(topics - known)}"


if __name__ == "__main__":
    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    work = Path(sys.argv[3]) if len(sys.argv) > 3 else out.parent
    copy = work / "reading.db"
    shutil.copyfile(source, copy)
    out.write_text(json.dumps(readings(copy, work), indent=1, sort_keys=True) + "\n")
