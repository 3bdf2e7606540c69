"""The plan as of a moment against a full replay of the same plan, and verification speed.

Builds one plan of N events (simulated days of ratings, progress reports, milestones,
amendments and evidence, with a reporting period closed each month), then times
`show --as-of` at ten random moments (replayed from the nearest snapshot) and, as the
baseline, the full replay of the plan from its first event, and recomputes the hash chain
over the store. Prints the figures, then one line of JSON whose `ratio` is the full
replay's time over the median as-of time (goal: every as-of under 0.3 s at 100,000
events, and a ratio that grows with the plan).

    python bench/replay.py [--events 100000] [--db sqlite|postgres] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stores import drop_schema, url_for  # noqa: E402
from config.settings import Settings  # noqa: E402
from domain.action import Action  # noqa: E402
from domain.clock import FixedClock, using_clock  # noqa: E402
from domain.ids import plan_id  # noqa: E402
from domain.spec import ActionSpec, GroupSpec, PlanSpec  # noqa: E402
from domain.values import Cadence, Criterion, Person, Rag, Status  # noqa: E402
from engine.audit import timeline  # noqa: E402
from engine.audit.as_of import document, document_as_of, london_day  # noqa: E402
from engine.audit.replay import replay  # noqa: E402
from engine.audit.verify import verify_store  # noqa: E402
from engine.plans.closing import close_period  # noqa: E402
from engine.runtime import Runtime  # noqa: E402
from engine.service.application import ActionTrail  # noqa: E402
from projections.schema import history  # noqa: E402

SLUG = "bench"
ACTIONS = 60
ADMIN = "admin@bench.example"
SECRETARY = "secretary@bench.example"
START = datetime(2010, 1, 4, 9, tzinfo=UTC)


def lead(i: int) -> str:
    return f"lead{i % 12}@bench.example"


def spec() -> PlanSpec:
    actions = []
    for i in range(ACTIONS):
        begin = date(2010, 1, 1) + timedelta(days=30 * (i % 6))
        actions.append(
            ActionSpec(
                ref=f"{1 + i // 10}.{1 + i % 10}",
                title=f"Improvement action {i + 1}",
                group=str(1 + i // 10),
                leads=[Person(f"Lead {i % 12}", lead(i), "Council")],
                accountable=Person("Accountable Officer", "officer@bench.example", "Council"),
                plan_start=begin,
                plan_finish=begin + timedelta(days=365 * 3),
                success_criteria=[
                    Criterion(f"Stage {n}", begin + timedelta(days=200 * n)) for n in range(1, 6)
                ],
            )
        )
    groups = [GroupSpec(ref=str(g), title=f"Recommendation {g}") for g in range(1, 7)]
    return PlanSpec(
        slug=SLUG,
        title="Benchmark improvement plan",
        organisation="Bench Council",
        source="Synthetic",
        cadence=Cadence.MONTHLY,
        boards=["Improvement Board"],
        agencies=["Council"],
        groups=groups,
        actions=actions,
    )


def build(rt: Runtime, events: int) -> float:
    """Record the plan's history; returns the seconds it took, projections included."""
    started = time.perf_counter()
    clock = FixedClock(START)
    rng = random.Random(7)
    with using_clock(clock):
        app = rt.app
        app.add_user(None, ADMIN, "Admin", ["admin"])
        app.add_user(ADMIN, SECRETARY, "Secretary", ["secretary"])
        app.add_user(ADMIN, "officer@bench.example", "Officer", ["accountable"], "Council")
        for n in range(12):
            app.add_user(ADMIN, f"lead{n}@bench.example", f"Lead {n}", ["lead"], "Council")
        app.load_plan(ADMIN, spec())
        refs = [a.ref for a in spec().actions]
        for ref in refs:
            app.change_status(lead(refs.index(ref)), SLUG, ref, Status.IN_PROGRESS)
        day = 0
        while (app.recorder.max_notification_id() or 0) < events:
            day += 1
            now = START + timedelta(days=day)
            clock.set(now)
            _one_day(app, refs, rng, now, per_day=100)
            tomorrow = now + timedelta(days=1)
            if tomorrow.month != now.month:
                clock.set(now.replace(hour=17))
                close_period(rt, SECRETARY, SLUG, f"{now.year:04d}-{now.month:02d}")
        rt.runner.catch_up()
    return time.perf_counter() - started


def _one_day(
    app: ActionTrail, refs: list[str], rng: random.Random, now: datetime, per_day: int
) -> None:
    touched: dict[str, Action] = {}
    for _ in range(per_day):
        i = rng.randrange(len(refs))
        ref = refs[i]
        action = touched.get(ref) or app.action(SLUG, ref)
        touched[ref] = action
        roll = rng.random()
        who = lead(i)
        if roll < 0.45:
            rag = rng.choice([Rag.GREEN, Rag.GREEN, Rag.AMBER, Rag.RED])
            reason = None if rag is Rag.GREEN else f"slippage noted on {now.date()}"
            action.assess_rag(rag, actor=who, reason=reason)
        elif roll < 0.85:
            action.report_progress(
                f"{now.year:04d}-{now.month:02d}",
                f"Progress on {now.date()}: partners met, actions agreed, next steps set.",
                actor=who,
                risk=None if rng.random() < 0.7 else "Capacity in the team",
            )
        elif roll < 0.97:
            action.amend(
                "title",
                f"Improvement action {i + 1} (revised {now.date()} #{rng.randrange(10**6)})",
                reason="wording agreed at the board",
                actor="officer@bench.example",
            )
        elif len(action.evidence) < 20:
            action.submit_evidence(
                f"evidence-{now.date()}-{rng.randrange(10**6)}.pdf",
                actor=who,
                sha256=f"{rng.getrandbits(256):064x}",
                size=1000,
                media_type="application/pdf",
            )
    with app.deferred_projection():
        app.record(*touched.values())


def as_of_times(rt: Runtime, moments: list[datetime]) -> list[float]:
    times = []
    for moment in moments:
        t0 = time.perf_counter()
        document_as_of(rt, SLUG, moment)
        times.append(time.perf_counter() - t0)
    return times


def full_replay_time(rt: Runtime) -> tuple[float, int]:
    """The same work as an as-of view of the plan's last moment, from its first event."""
    pid = str(plan_id(SLUG))
    t0 = time.perf_counter()
    with rt.engine.connect() as conn:
        last = timeline.last_seq(conn, pid)
        replayed = replay(conn, rt.app, pid, last, use_snapshots=False)
    document(replayed.store, pid, london_day(datetime.now(tz=UTC)))
    return time.perf_counter() - t0, replayed.events


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="events (default 100000)")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seed", type=int, default=1, help="for the ten moments")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = url_for(args.db, folder, "replay")
        rt = Runtime.open(Settings(database_url=url, files_dir=str(folder / "files")))
        try:
            build_s = build(rt, args.events)
            with rt.engine.connect() as conn:
                pid = str(plan_id(SLUG))
                first, last = conn.execute(
                    select(func.min(history.c.recorded_at), func.max(history.c.recorded_at)).where(
                        history.c.plan_id == pid
                    )
                ).one()
            start, end = datetime.fromisoformat(first), datetime.fromisoformat(last)
            rng = random.Random(args.seed)
            moments = [start + (end - start) * rng.random() for _ in range(10)]
            as_of = as_of_times(rt, moments)
            full_s, plan_events = full_replay_time(rt)
            verification = verify_store(rt.app)
            assert verification.intact
        finally:
            rt.close()
            if args.db == "postgres":
                drop_schema(url)
    median = statistics.median(as_of)
    result = {
        "benchmark": "replay",
        "db": args.db,
        "events": verification.events,
        "plan_events": plan_events,
        "build_s": round(build_s, 2),
        "as_of_median_s": round(median, 4),
        "as_of_max_s": round(max(as_of), 4),
        "as_of_s": [round(t, 4) for t in as_of],
        "full_replay_s": round(full_s, 3),
        "verify_s": round(verification.seconds, 3),
        "verify_events_per_s": round(verification.rate),
        "ratio": round(full_s / median, 1),
    }
    print(f"store: {result['events']} events ({plan_events} of the plan), built in {build_s:.1f} s")
    print(
        f"as-of at ten random moments: median {median * 1000:.1f} ms, "
        f"max {max(as_of) * 1000:.1f} ms"
    )
    print(f"full replay from the first event: {full_s * 1000:.1f} ms")
    print(f"verification: {verification.rate:,.0f} events/s ({verification.seconds:.2f} s)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
