"""Latency of recording one status change through actiontrail (role checks, the event,
the read models updated and visible) against a bare eventsourcing save of one event in
the same kind of database, each change of one timed right after a change of the other.
Prints the figures, then one line of JSON whose `ratio` is
actiontrail's median latency over the bare median (goal: within 2x on SQLite).

    python bench/command_latency.py [--n 500] [--db sqlite|postgres]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventsourcing.application import Application  # noqa: E402
from eventsourcing.domain import Aggregate, event  # noqa: E402

from bench.stores import create_schema, drop_schema, url_for  # noqa: E402
from config.settings import Settings  # noqa: E402
from domain.values import Status  # noqa: E402
from engine.adapters.database import Database  # noqa: E402
from engine.runtime import Runtime  # noqa: E402
from projections import queries  # noqa: E402
from tests.conftest import ADMIN, LEAD, action_spec, people  # noqa: E402


class Counter(Aggregate):
    @event("Started")
    def __init__(self) -> None:
        self.status = "not_started"

    @event("StatusChanged")
    def change(self, status: str) -> None:
        self.status = status


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Trail:
    """actiontrail with a plan of one action, changing its status back and forth."""

    def __init__(self, url: str, folder: Path) -> None:
        self.rt = Runtime.open(Settings(database_url=url, files_dir=str(folder / "files")))
        people(self.rt)
        self.rt.app.create_plan(ADMIN, "bench", "Bench", agencies=["Council"])
        self.rt.app.add_group(ADMIN, "bench", "1", "Area")
        self.rt.app.add_action(ADMIN, "bench", action_spec("1.1"))
        self.rt.app.change_status(LEAD, "bench", "1.1", Status.IN_PROGRESS)

    def change(self, i: int) -> None:
        to = Status.DEFERRED if i % 2 == 0 else Status.IN_PROGRESS
        self.rt.app.change_status(LEAD, "bench", "1.1", to, reason="waiting on partners")

    def close(self) -> None:
        # The last change is visible in the read model the moment the command returns.
        plan = queries.plan(self.rt.engine, "bench")
        status = queries.actions(self.rt.engine, plan)[0]["status"]
        assert status in (Status.DEFERRED.value, Status.IN_PROGRESS.value), status
        self.rt.close()


# The library's own recorders, without actiontrail's hash chain.
STOCK_RECORDERS = {
    "engine.adapters.eventstore.sqlite:ChainedSQLiteFactory": "eventsourcing.sqlite",
    "engine.adapters.eventstore.postgres:ChainedPostgresFactory": "eventsourcing.postgres",
}


class Bare:
    """The library alone: one aggregate, one event per save."""

    def __init__(self, url: str) -> None:
        env = Database.from_url(url).eventsourcing_env()
        env["PERSISTENCE_MODULE"] = STOCK_RECORDERS[env["PERSISTENCE_MODULE"]]
        self.app: Application = Application(env=env)
        self.counter = Counter()
        self.app.save(self.counter)

    def change(self, i: int) -> None:
        self.counter.change("deferred" if i % 2 == 0 else "in_progress")
        self.app.save(self.counter)

    def close(self) -> None:
        self.app.close()


def measure(trail: Trail, bare: Bare, n: int) -> tuple[list[float], list[float]]:
    """Each change of one timed right after a change of the other, so that whatever
    else the machine is doing weighs on both alike."""
    timings: tuple[list[float], list[float]] = ([], [])
    for i in range(-50, n):  # the first fifty warm up
        for store, into in ((trail, timings[0]), (bare, timings[1])):
            t0 = time.perf_counter()
            store.change(i)
            if i >= 0:
                into.append(time.perf_counter() - t0)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="changes to time (default 500)")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bare_url, trail_url = url_for(args.db, folder, "bare"), url_for(args.db, folder, "trail")
        create_schema(bare_url)
        try:
            stores = Trail(trail_url, folder), Bare(bare_url)
            trail, bare = measure(*stores, args.n)
            for store in stores:
                store.close()
        finally:
            drop_schema(bare_url)
            drop_schema(trail_url)
    result = {
        "benchmark": "command_latency",
        "db": args.db,
        "n": args.n,
        "actiontrail_median_ms": round(statistics.median(trail) * 1000, 3),
        "actiontrail_p99_ms": round(percentile(trail, 99) * 1000, 3),
        "bare_median_ms": round(statistics.median(bare) * 1000, 3),
        "bare_p99_ms": round(percentile(bare, 99) * 1000, 3),
    }
    result["ratio"] = round(result["actiontrail_median_ms"] / result["bare_median_ms"], 2)
    trail_median, trail_p99 = result["actiontrail_median_ms"], result["actiontrail_p99_ms"]
    print(f"actiontrail: median {trail_median} ms, p99 {trail_p99} ms")
    print(f"bare save:   median {result['bare_median_ms']} ms, p99 {result['bare_p99_ms']} ms")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
