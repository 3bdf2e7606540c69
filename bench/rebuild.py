"""Rebuild speed of every projection against a bare pass over the same events.

Generates a synthetic store (many plans, N events), then, each in a fresh process,
(1) rebuilds every projection from zero and (2) makes a bare pass: reading the
notification log in pages and decoding each event, nothing else. Prints events per
second and peak memory of both, then one line of JSON whose `ratio` is the rebuild
rate over the bare rate (goal: at least 0.5, with peak memory under 300 MB).

    python bench/rebuild.py [--events 1000000] [--db sqlite|postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stores import drop_schema, url_for  # noqa: E402

ACTIONS_PER_PLAN = 100
PAGE = 1000


def generate(url: str, folder: Path, events: int) -> int:
    from config.settings import Settings
    from domain.values import Person, Rag
    from engine.runtime import Runtime
    from tests.conftest import ADMIN, LEAD, action_spec, people

    rt = Runtime.open(
        Settings(database_url=url, files_dir=str(folder / "files")), read_your_writes=False
    )
    people(rt)
    rags = [Rag.GREEN, Rag.AMBER, Rag.RED]
    plan_no = 0
    while (rt.app.recorder.max_notification_id() or 0) < events:
        slug = f"plan-{plan_no}"
        plan_no += 1
        rt.app.create_plan(ADMIN, slug, f"Plan {plan_no}", agencies=["Council"])
        rt.app.add_group(ADMIN, slug, "1", "Area")
        actions = []
        for i in range(ACTIONS_PER_PLAN):
            spec = action_spec(f"1.{i}", leads=[Person("Lee", LEAD)], plan_finish=date(2010, 3, 31))
            actions.append(rt.app._new_action(rt.app.plan(slug), spec, ADMIN))
        rt.app.record(*actions)
        remaining = events - (rt.app.recorder.max_notification_id() or 0)
        rounds = max(1, min(100, remaining // ACTIONS_PER_PLAN))
        for r in range(rounds):
            for a in actions:
                rag = rags[(r + i) % 3]
                a.assess_rag(rag, actor=LEAD, reason=None if rag is Rag.GREEN else "risk")
            if r % 10 == 9 or r == rounds - 1:
                rt.app.record(*actions)
    total = rt.app.recorder.max_notification_id()
    rt.close()
    return int(total)


REBUILD = """
import json, resource, sys, time
from config.settings import Settings
from engine.runtime import Runtime
rt = Runtime.open(Settings(database_url=sys.argv[1], files_dir=sys.argv[2]), read_your_writes=False)
runner = rt.runner  # the application is made before timing, as for the bare pass
t0, c0 = time.perf_counter(), time.process_time()
count = runner.rebuild()
print(json.dumps({"events": count, "seconds": time.perf_counter() - t0,
                  "cpu_seconds": time.process_time() - c0,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

BARE = """
import json, resource, sys, time
from config.settings import Settings
from engine.runtime import Runtime
rt = Runtime.open(Settings(database_url=sys.argv[1], files_dir=sys.argv[2]), read_your_writes=False)
app = rt.app
t0, c0 = time.perf_counter(), time.process_time()
count, start = 0, 0
while True:
    page = app.recorder.select_notifications(start=start, limit=PAGE, inclusive_of_start=False)
    if not page:
        break
    for n in page:
        app.mapper.to_domain_event(n)
    count += len(page)
    start = page[-1].id
print(json.dumps({"events": count, "seconds": time.perf_counter() - t0,
                  "cpu_seconds": time.process_time() - c0,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""".replace("PAGE", str(PAGE))


def run(script: str, url: str, folder: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", script, url, str(folder / "files")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = url_for(args.db, folder, "rebuild")
        t0 = time.perf_counter()
        total = generate(url, folder, args.events)
        print(f"generated {total} events in {time.perf_counter() - t0:.1f} s")
        try:
            bare = run(BARE, url, folder)
            rebuild = run(REBUILD, url, folder)
        finally:
            drop_schema(url)
    bare_rate = bare["events"] / bare["seconds"]
    rebuild_rate = rebuild["events"] / rebuild["seconds"]
    print(f"bare pass: {bare_rate:,.0f} events/s, peak {bare['peak_mb']:.0f} MB")
    print(f"rebuild:   {rebuild_rate:,.0f} events/s, peak {rebuild['peak_mb']:.0f} MB")
    print(
        json.dumps(
            {
                "benchmark": "rebuild",
                "db": args.db,
                "events": total,
                "bare_events_per_s": round(bare_rate),
                "rebuild_events_per_s": round(rebuild_rate),
                "bare_peak_mb": round(bare["peak_mb"], 1),
                "rebuild_peak_mb": round(rebuild["peak_mb"], 1),
                "ratio": round(rebuild_rate / bare_rate, 3),
                # The same in CPU time, which other processes on the machine disturb less.
                "cpu_ratio": round(bare["cpu_seconds"] / rebuild["cpu_seconds"], 3),
                # What else the machine was doing: the ratio moves with it.
                "cpus": os.cpu_count(),
                "load_average": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
