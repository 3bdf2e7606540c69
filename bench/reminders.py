"""Reminders at scale, in one run:

* compute: the reminders due on one day from the read models of N open actions
  (goal: under 0.2 s for 100,000);
* send: M digests to a loopback SMTP server (aiosmtpd, in its own process) through
  actiontrail's transport, against the same messages sent with bare aiosmtplib over
  one reused connection (goal: at least 0.9 of the bare rate); also the whole way
  through the outbox (queue, claim, render, send, record) for the same digests;
* schedule: J reminder jobs due at the same instant through the APScheduler setup the
  reminders use (goal: none missed, none run twice).

Prints the figures, then one line of JSON whose `ratio` is actiontrail's send rate over
the bare rate.

    python bench/reminders.py [--actions 100000] [--messages 10000] [--jobs 5000]
                              [--db sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiosmtplib  # noqa: E402
from apscheduler.triggers.date import DateTrigger  # noqa: E402

from config.settings import Settings  # noqa: E402
from domain.action import Action  # noqa: E402
from domain.clock import LONDON, FixedClock, using_clock  # noqa: E402
from domain.reminders import Deadline, build_digests, reminders_due  # noqa: E402
from domain.values import Criterion, Person, Rag, ReminderPolicy, Status  # noqa: E402
from engine.reminders.dispatcher import Dispatcher  # noqa: E402
from engine.reminders.gather import collector_paused, reminders_for_day  # noqa: E402
from engine.reminders.scheduler import build_scheduler  # noqa: E402
from engine.runtime import Runtime  # noqa: E402
from notifiers.messages import render_digest  # noqa: E402
from notifiers.smtp import SmtpSettings, SmtpTransport  # noqa: E402
from tests.conftest import ADMIN, people  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432/test"
DAY = date(2009, 6, 30)  # a Tuesday
SENDER = "Improvement plans <plans@council.example>"

SERVER = """
import asyncio, sys
from aiosmtpd.controller import Controller

class Count:
    def __init__(self):
        self.messages = 0
        self.recipients = 0
    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        self.recipients += len(envelope.rcpt_tos)
        return "250 OK"

handler = Count()
controller = Controller(handler, hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
for line in sys.stdin:
    print(handler.messages, handler.recipients, flush=True)
controller.stop()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LoopbackServer:
    """aiosmtpd in a process of its own, so the client does not share its interpreter."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(self.port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "ready"

    def received(self) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline().split()[0])

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(10)


def url_for(kind: str, folder: Path, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder / name}.db"
    return f"{PG}?schema=bench_{name}_{uuid.uuid4().hex[:8]}"


def drop_schema(url: str) -> None:
    if "schema=" not in url:
        return
    import psycopg

    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{url.split("schema=")[1]}" CASCADE')


# --- compute ------------------------------------------------------------------------


def load_actions(rt: Runtime, n: int, leads: int) -> float:
    """n open actions, each with a finish and a dated criterion within a year either side
    of the day, recorded as events and projected into the views and deadlines read
    models (the history and audit projections, which reminders do not read, are left
    behind to save time)."""
    rng = random.Random(42)
    cast = [Person(f"Lead {i}", f"lead{i}@council.example", "Council") for i in range(leads)]
    officers = [Person(f"Officer {i}", f"officer{i}@council.example") for i in range(50)]
    people(rt)
    rt.app.create_plan(ADMIN, "bench", "Bench plan", agencies=["Council"])
    rt.app.add_group(ADMIN, "bench", "1", "Area")
    plan = rt.app.plan("bench")
    rt.runner.catch_up()
    rt.app.after_save = None
    t0 = time.perf_counter()
    batch: list[Action] = []
    for i in range(n):
        finish = DAY + timedelta(days=rng.randrange(-365, 365))
        batch.append(
            Action.add(
                plan.id,
                f"{i // 100 + 1}.{i % 100 + 1}",
                f"Action {i}",
                actor=ADMIN,
                group="1",
                leads=[cast[rng.randrange(leads)]],
                accountable=officers[rng.randrange(len(officers))],
                plan_start=finish - timedelta(days=400),
                plan_finish=finish,
                success_criteria=[
                    Criterion("Milestone", finish - timedelta(days=rng.randrange(1, 90)))
                ],
            )
        )
        if len(batch) == 2000:
            rt.app.record(*batch)
            batch = []
    if batch:
        rt.app.record(*batch)
    rt.runner.catch_up(["views"])
    return time.perf_counter() - t0


def measure_compute(rt: Runtime, repeat: int = 7) -> dict[str, Any]:
    """The reminders due on the day, and grouped into digests, best and median of seven."""
    gc.collect()
    due_times, cpu_times, digest_times = [], [], []
    reminders = digests = 0
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        found = reminders_for_day(rt.engine, DAY)
        t1, c1 = time.perf_counter(), time.process_time()
        with collector_paused():
            built = build_digests(found.reminders)
        t2 = time.perf_counter()
        due_times.append(t1 - t0)
        # Processor time as well: on a shared machine the wall clock also counts the
        # time other processes held the processors.
        cpu_times.append(c1 - c0)
        digest_times.append(t2 - t0)
        reminders, digests = len(found.reminders), len(built)
    return {
        "median_seconds": round(statistics.median(due_times), 4),
        "best_seconds": round(min(due_times), 4),
        "cpu_median_seconds": round(statistics.median(cpu_times), 4),
        "with_digests_median_seconds": round(statistics.median(digest_times), 4),
        "reminders": reminders,
        "digests": digests,
    }


# --- send ---------------------------------------------------------------------------


def bench_messages(n: int) -> tuple[list[EmailMessage], float]:
    """n digests for n people, one to three items each, rendered as the reminders are."""
    rng = random.Random(7)
    deadlines = []
    for i in range(n):
        person = Person(f"Person {i}", f"person{i}@council.example")
        for k in range(rng.randrange(1, 4)):
            due = DAY + timedelta(days=(0, 3, 5, -7, -14)[rng.randrange(5)])
            deadlines.append(
                Deadline("bench", "Bench plan", "action", f"{i}.{k}", f"Action {i}.{k}", due,
                         [person], None, Status.IN_PROGRESS, Rag.AMBER,
                         f"/plans/bench/actions/{i}.{k}", f"{i}.{k}")
            )  # fmt: skip
    digests = build_digests(reminders_due(DAY, deadlines, [], [], [], ReminderPolicy()))
    now = datetime(2009, 6, 30, 7, 0, tzinfo=UTC)
    t0 = time.perf_counter()
    messages = [
        render_digest(d, base_url="https://plans.example", sender=SENDER, now=now) for d in digests
    ]
    return messages, time.perf_counter() - t0


async def send_bare(port: int, messages: list[EmailMessage]) -> float:
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=30)
    t0 = time.perf_counter()
    await client.connect()
    for m in messages:
        await client.send_message(m)
    await client.quit()
    return time.perf_counter() - t0


def send_transport(port: int, messages: list[EmailMessage], pool: int | None) -> float:
    settings = SmtpSettings(host="127.0.0.1", port=port, timeout=30)
    transport = SmtpTransport(settings, pool_size=pool)
    t0 = time.perf_counter()
    results = asyncio.run(transport.send_batch(messages))
    elapsed = time.perf_counter() - t0
    assert all(r.outcome.value == "sent" for r in results), "a message was not sent"
    return elapsed


def measure_pipeline(kind: str, folder: Path, port: int, n: int) -> dict[str, Any]:
    """The whole way: n digests queued as events, claimed, rendered, sent and recorded."""
    url = url_for(kind, folder, "pipeline")
    clock = FixedClock(datetime(2009, 6, 1, 9, tzinfo=UTC))
    with using_clock(clock):
        rt = Runtime.open(Settings(database_url=url, files_dir=str(folder / "files")))
        people(rt)
        rt.app.create_plan(ADMIN, "bench", "Bench plan", agencies=["Council"])
        rt.app.add_group(ADMIN, "bench", "1", "Area")
        plan = rt.app.plan("bench")
        with rt.app.deferred_projection():
            actions = [
                Action.add(plan.id, f"{i}", f"Action {i}", actor=ADMIN, group="1",
                           leads=[Person(f"Person {i}", f"person{i}@council.example")],
                           plan_finish=DAY)
                for i in range(n)
            ]  # fmt: skip
            for i in range(0, n, 2000):
                rt.app.record(*actions[i : i + 2000])
        clock.set(datetime(2009, 6, 30, 7, tzinfo=UTC))
        dispatcher = Dispatcher(rt, SmtpTransport(SmtpSettings("127.0.0.1", port, timeout=30)))
        t0 = time.perf_counter()
        queued = dispatcher.queue(DAY)
        t1 = time.perf_counter()
        sent = dispatcher.send_due()
        t2 = time.perf_counter()
        again = dispatcher.run(DAY)
        rt.close()
    drop_schema(url)
    assert queued.queued == sent.sent == n, (queued, sent)
    assert again[0].queued == again[1].sent == 0
    return {
        "digests": n,
        "queue_seconds": round(t1 - t0, 3),
        "send_seconds": round(t2 - t1, 3),
        "rate_per_s": round(n / (t2 - t0), 1),
    }


# --- schedule -----------------------------------------------------------------------

FIRED: Counter[int] = Counter()
FIRED_LOCK = threading.Lock()


def deliver(n: int) -> None:
    with FIRED_LOCK:
        FIRED[n] += 1


def measure_scheduler(kind: str, folder: Path, jobs: int) -> dict[str, Any]:
    url = url_for(kind, folder, "scheduler")
    rt = Runtime.open(Settings(database_url=url, files_dir=str(folder / "files")))
    scheduler = build_scheduler(rt.engine, table="bench_reminder_jobs", workers=4)
    scheduler.start(paused=True)
    instant = datetime.now(LONDON) + timedelta(seconds=1)
    t0 = time.perf_counter()
    for n in range(jobs):
        scheduler.add_job(deliver, DateTrigger(instant), id=f"reminder-{n}", args=[n])
    added = time.perf_counter() - t0
    # By now the instant has passed: with no grace limit, every job still runs.
    t1 = time.perf_counter()
    scheduler.resume()
    deadline = time.monotonic() + 600
    while len(FIRED) < jobs and time.monotonic() < deadline:
        time.sleep(0.01)
    ran_in = time.perf_counter() - t1
    time.sleep(1.0)  # anything run twice would have run by now
    left = len(scheduler.get_jobs())
    scheduler.shutdown()
    rt.close()
    drop_schema(url)
    return {
        "jobs": jobs,
        "ran": len(FIRED),
        "missed": jobs - len(FIRED),
        "duplicated": sum(c - 1 for c in FIRED.values() if c > 1),
        "left_in_store": left,
        "add_seconds": round(added, 3),
        "run_seconds": round(ran_in, 3),
    }


# --- main ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=5_000)
    parser.add_argument("--leads", type=int, default=2_000, help="distinct leads")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of sending")
    args = parser.parse_args()
    result: dict[str, Any] = {"benchmark": "reminders", "db": args.db}

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        url = url_for(args.db, folder, "compute")
        clock = FixedClock(datetime(2009, 6, 1, 9, tzinfo=UTC))
        with using_clock(clock):
            rt = Runtime.open(Settings(database_url=url, files_dir=str(folder / "files")))
            loaded = load_actions(rt, args.actions, args.leads)
            compute = measure_compute(rt)
            rt.close()
        drop_schema(url)
        result["compute"] = {"actions": args.actions, "load_seconds": round(loaded, 1), **compute}
        print(
            f"compute: {args.actions} open actions; {compute['reminders']} reminders due on "
            f"{DAY}: median {compute['median_seconds'] * 1000:.1f} ms (best "
            f"{compute['best_seconds'] * 1000:.1f} ms, processor time "
            f"{compute['cpu_median_seconds'] * 1000:.1f} ms); grouped into {compute['digests']} "
            f"digests: median {compute['with_digests_median_seconds'] * 1000:.1f} ms "
            f"(loading took {loaded:.0f} s)"
        )

        messages, render_seconds = bench_messages(args.messages)
        server = LoopbackServer()
        try:
            # Once untimed: the first flattening of each message costs more than later ones.
            asyncio.run(send_bare(server.port, messages))
            runs: dict[str, list[float]] = {"bare": [], "pool": [], "single": []}
            senders = {
                "bare": lambda: asyncio.run(send_bare(server.port, messages)),
                "pool": lambda: send_transport(server.port, messages, None),
                "single": lambda: send_transport(server.port, messages, 1),
            }
            # Best of several rounds, each in a different order, so that none of the
            # three always follows the same one on a machine that is busy elsewhere.
            order = list(senders)
            for r in range(args.rounds):
                for name in order[r % 3 :] + order[: r % 3]:
                    runs[name].append(senders[name]())
            bare, trail, single = runs["bare"], runs["pool"], runs["single"]
            expected = (1 + 3 * args.rounds) * len(messages)
            received = server.received()
            assert received == expected, f"server received {received}, expected {expected}"
            pipeline = measure_pipeline(args.db, folder, server.port, args.messages)
        finally:
            server.stop()
        n = len(messages)
        bare_rate, trail_rate, single_rate = n / min(bare), n / min(trail), n / min(single)
        result["send"] = {
            "messages": n,
            "render_per_s": round(n / render_seconds, 1),
            "bare_per_s": round(bare_rate, 1),
            "actiontrail_per_s": round(trail_rate, 1),
            "actiontrail_one_connection_per_s": round(single_rate, 1),
            "pool_size": SmtpSettings("x", 25).pool_size,
            "through_outbox": pipeline,
        }
        result["ratio"] = round(trail_rate / bare_rate, 3)
        result["ratio_one_connection"] = round(single_rate / bare_rate, 3)
        print(
            f"send: {n} messages; bare aiosmtplib {bare_rate:.0f}/s, actiontrail transport "
            f"{trail_rate:.0f}/s ({result['ratio']:.2f}x), one connection {single_rate:.0f}/s "
            f"({result['ratio_one_connection']:.2f}x); rendering {n / render_seconds:.0f}/s"
        )
        print(
            f"through the outbox: {pipeline['digests']} digests queued in "
            f"{pipeline['queue_seconds']} s, sent and recorded in {pipeline['send_seconds']} s "
            f"({pipeline['rate_per_s']:.0f}/s end to end)"
        )

        sched = measure_scheduler(args.db, folder, args.jobs)
        result["schedule"] = sched
        print(
            f"schedule: {sched['jobs']} reminders due at one instant: {sched['ran']} ran, "
            f"{sched['missed']} missed, {sched['duplicated']} duplicated, "
            f"in {sched['run_seconds']} s (adding them took {sched['add_seconds']} s)"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
