"""Reminders at scale, in one run:

* compute: the reminders due on one day from the read models of N open actions
  (goal: under 0.2 s for 100,000), and the RAG each of their emails shows, which the
  first queueing of the day reads from the action views;
* send: M digests queued in the outbox and sent to a loopback SMTP server (aiosmtpd,
  in a process of its own):
  - bare: the rendered messages sent with aiosmtplib over one reused connection;
  - transport: the same messages through actiontrail's SMTP transport, in the batches
    and over the pool of connections the dispatcher uses (goal: at least 0.9 of the
    bare rate; ``ratio`` is this one);
  - full path: what the scheduler does, from the read models to the server: queue the
    digests (Dispatch.Queued events), then claim, render, send and record each
    (Claimed and Sent events), as ``Dispatcher.queue`` and ``Dispatcher.send_due`` do;
* schedule: J digests falling due at the same instant through the reminder scheduler
  as the product starts it (``start_scheduler``: its job store in the database, its
  daily job and sweep, the outbox), the daily job and the first sweep firing together
  and the scheduler restarted afterwards (goal: none missed, none sent twice).

Prints the machine, the figures, then one line of JSON.

    python bench/reminders.py [--actions 100000] [--messages 10000] [--jobs 5000]
                              [--db sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiosmtplib  # noqa: E402

from bench.stores import drop_schema, url_for  # noqa: E402
from config.settings import Settings  # noqa: E402
from domain.action import Action  # noqa: E402
from domain.clock import FixedClock, using_clock  # noqa: E402
from domain.dispatch import Dispatch  # noqa: E402
from domain.reminders import build_digests  # noqa: E402
from domain.values import Criterion, Person  # noqa: E402
from engine.reminders.dispatcher import DispatchConfig, Dispatcher  # noqa: E402
from engine.reminders.gather import collector_paused, reminders_for_day, shown_rags  # noqa: E402
from engine.reminders.scheduler import (  # noqa: E402
    DAILY_JOB,
    SWEEP_JOB,
    SchedulerConfig,
    start_scheduler,
)
from engine.runtime import Runtime  # noqa: E402
from notifiers.smtp import SmtpSettings, SmtpTransport  # noqa: E402
from tests.conftest import ADMIN, people  # noqa: E402

DAY = date(2009, 6, 30)  # a Tuesday
SENDER = "Improvement plans <plans@council.example>"

# Counts what it accepts, and each digest's key, so that a message sent twice shows.
SERVER = """
import re, sys
from collections import Counter
from aiosmtpd.controller import Controller

KEY = re.compile(rb"^X-Actiontrail-Key: *([0-9a-f]+)", re.M | re.I)

class Count:
    def __init__(self):
        self.reset()
    def reset(self):
        self.messages = 0
        self.keys = Counter()
    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        found = KEY.search(envelope.original_content or envelope.content)
        self.keys[found.group(1) if found else b""] += 1
        return "250 OK"

handler = Count()
controller = Controller(handler, hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
for line in sys.stdin:
    if line.strip() == "reset":
        handler.reset()
    duplicated = sum(c - 1 for c in handler.keys.values())
    print(handler.messages, len(handler.keys), duplicated, flush=True)
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

    def _ask(self, command: str) -> tuple[int, int, int]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        messages, keys, duplicated = self.proc.stdout.readline().split()
        return int(messages), int(keys), int(duplicated)

    def counts(self) -> tuple[int, int, int]:
        """(messages, distinct digests, messages beyond the first of their digest)"""
        return self._ask("count")

    def reset(self) -> None:
        self._ask("reset")

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(10)


def open_runtime(url: str, folder: Path) -> Runtime:
    return Runtime.open(Settings(database_url=url, files_dir=str(folder / "files")))


def machine() -> dict[str, Any]:
    model = ""
    memory_gb = 0.0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": model or platform.processor(),
        "memory_gb": memory_gb,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
    }


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
    rt.app.read_models = None
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
    """The reminders due on the day, their digests, and the RAG their emails show;
    median and best of seven."""
    gc.collect()
    due_times, cpu_times, digest_times, rating_times = [], [], [], []
    reminders = digests = rated = 0
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        found = reminders_for_day(rt.engine, DAY)
        t1, c1 = time.perf_counter(), time.process_time()
        with collector_paused():
            built = build_digests(found.reminders)
        t2 = time.perf_counter()
        ratings = shown_rags(rt.engine, found, found.reminders)
        t3 = time.perf_counter()
        due_times.append(t1 - t0)
        # Processor time as well: on a shared machine the wall clock also counts the
        # time other processes held the processors.
        cpu_times.append(c1 - c0)
        digest_times.append(t2 - t0)
        rating_times.append(t3 - t2)
        reminders, digests, rated = len(found.reminders), len(built), len(ratings)
    return {
        "median_seconds": round(statistics.median(due_times), 4),
        "best_seconds": round(min(due_times), 4),
        "cpu_median_seconds": round(statistics.median(cpu_times), 4),
        "with_digests_median_seconds": round(statistics.median(digest_times), 4),
        "rag_median_seconds": round(statistics.median(rating_times), 4),
        "reminders": reminders,
        "digests": digests,
        "actions_rated": rated,
    }


# --- send ---------------------------------------------------------------------------


def plan_with_one_action_each(rt: Runtime, n: int, due: date) -> None:
    """n people, each the lead of one action due on ``due`` (one or two items each)."""
    rng = random.Random(7)
    people(rt)
    rt.app.create_plan(ADMIN, "bench", "Bench plan", agencies=["Council"])
    rt.app.add_group(ADMIN, "bench", "1", "Area")
    plan = rt.app.plan("bench")
    with rt.app.deferred_projection():
        actions = []
        for i in range(n):
            person = Person(f"Person {i}", f"person{i}@council.example")
            criteria = [Criterion("Milestone", due)] if rng.random() < 0.5 else []
            actions.append(
                Action.add(plan.id, f"{i}", f"Action {i}", actor=ADMIN, group="1",
                           leads=[person], plan_start=due - timedelta(days=200),
                           plan_finish=due, success_criteria=criteria)
            )  # fmt: skip
        for i in range(0, n, 2000):
            rt.app.record(*actions[i : i + 2000])


async def send_bare(port: int, messages: list[EmailMessage]) -> float:
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=30)
    t0 = time.perf_counter()
    await client.connect()
    for m in messages:
        await client.send_message(m)
    await client.quit()
    return time.perf_counter() - t0


def send_transport(transport: SmtpTransport, messages: list[EmailMessage], batch: int) -> float:
    """As the dispatcher sends: a batch at a time, each over the transport's pool."""
    t0 = time.perf_counter()
    for i in range(0, len(messages), batch):
        results = asyncio.run(transport.send_batch(messages[i : i + batch]))
        assert all(r.outcome.value == "sent" for r in results), "a message was not sent"
    return time.perf_counter() - t0


def measure_send(
    kind: str, folder: Path, server: LoopbackServer, n: int, rounds: int
) -> dict[str, Any]:
    url = url_for(kind, folder, "send")
    clock = FixedClock(datetime(2009, 6, 1, 9, tzinfo=UTC))
    settings = SmtpSettings("127.0.0.1", server.port, timeout=30)
    config = DispatchConfig()
    try:
        with using_clock(clock):
            rt = open_runtime(url, folder)
            plan_with_one_action_each(rt, n, DAY)
            clock.set(datetime(2009, 6, 30, 7, tzinfo=UTC))  # 08:00 in London
            dispatcher = Dispatcher(rt, SmtpTransport(settings), config=config)

            # Full path, first part: the day's digests queued as events.
            t0 = time.perf_counter()
            queued = dispatcher.queue(DAY)
            queue_seconds = time.perf_counter() - t0
            assert queued.queued == n, queued

            # The messages those dispatches become, rendered as the dispatcher renders
            # them (sign-in links and all), for the two ways of sending them alone.
            dispatcher.outbox.catch_up()
            found: list[Dispatch] = [
                rt.app.repository.get(UUID(r.dispatch_id)) for r in dispatcher.outbox.rows(day=DAY)
            ]
            t0 = time.perf_counter()
            messages = [dispatcher.render(d, clock()) for d in found]
            render_seconds = time.perf_counter() - t0

            # Once untimed: connections and code paths warm up.
            asyncio.run(send_bare(server.port, messages[:500]))
            transport = SmtpTransport(settings)
            runs: dict[str, list[float]] = {"bare": [], "transport": []}
            senders = {
                "bare": lambda: asyncio.run(send_bare(server.port, messages)),
                "transport": lambda: send_transport(transport, messages, config.batch),
            }
            # Best of several rounds, alternating which goes first, so that neither
            # always follows the other on a machine that is busy elsewhere.
            for r in range(rounds):
                for name in ["bare", "transport"] if r % 2 == 0 else ["transport", "bare"]:
                    runs[name].append(senders[name]())
            server.reset()

            # Full path, second part: claim, render, send and record every digest.
            t0 = time.perf_counter()
            sent = dispatcher.send_due()
            send_seconds = time.perf_counter() - t0
            received, distinct, duplicated = server.counts()
            again = dispatcher.run(DAY)
            rt.close()
    finally:
        drop_schema(url)
    assert sent.sent == n and distinct == n and duplicated == 0, (sent, received, distinct)
    assert again[0].queued == again[1].sent == 0
    bare_rate = n / min(runs["bare"])
    transport_rate = n / min(runs["transport"])
    return {
        "messages": n,
        "bare_per_s": round(bare_rate, 1),
        "transport_per_s": round(transport_rate, 1),
        "transport_batch": config.batch,
        "pool_size": settings.pool_size,
        "render_per_s": round(n / render_seconds, 1),
        "full_path": {
            "queue_seconds": round(queue_seconds, 2),
            "send_seconds": round(send_seconds, 2),
            "send_per_s": round(n / send_seconds, 1),
            "per_s": round(n / (queue_seconds + send_seconds), 1),
        },
    }


# --- schedule -----------------------------------------------------------------------


def measure_scheduler(kind: str, folder: Path, server: LoopbackServer, n: int) -> dict[str, Any]:
    """n digests due at 08:00 on the day, with the scheduler started at 09:00 (by a
    simulated clock): its first sweep and the daily job are made due at the same
    instant, and both go for the same n digests."""
    url = url_for(kind, folder, "schedule")
    clock = FixedClock(datetime(2009, 6, 1, 9, tzinfo=UTC))
    config = SchedulerConfig(digest_hour=8, sweep_minutes=60)
    transport = SmtpTransport(SmtpSettings("127.0.0.1", server.port, timeout=30))
    at_nine = datetime(2009, 6, 30, 8, tzinfo=UTC)  # 09:00 in London
    server.reset()
    try:
        with using_clock(clock):
            rt = open_runtime(url, folder)
            plan_with_one_action_each(rt, n, DAY)
            rt.runner.catch_up()
        t0 = time.perf_counter()
        handle = start_scheduler(rt, config, transport=transport, clock=FixedClock(at_nine))
        try:
            sweep = handle.scheduler.get_job(SWEEP_JOB)
            handle.scheduler.modify_job(DAILY_JOB, next_run_time=sweep.next_run_time)
            deadline = time.monotonic() + 900
            while server.counts()[1] < n and time.monotonic() < deadline:
                time.sleep(0.2)
            ran_in = time.perf_counter() - t0
            time.sleep(2.0)  # anything sent twice would have arrived by now
        finally:
            handle.stop()
        before_restart = server.counts()[0]
        # Restarted: its first sweep finds everything sent.
        handle = start_scheduler(rt, config, transport=transport, clock=FixedClock(at_nine))
        try:
            time.sleep(5.0)
        finally:
            handle.stop()
        outbox = Dispatcher(rt, transport).outbox
        outbox.catch_up()
        counts = outbox.counts()
        rt.close()
    finally:
        drop_schema(url)
    received, distinct, duplicated = server.counts()
    return {
        "digests": n,
        "sent": distinct,
        "missed": n - distinct,
        "duplicated": duplicated,
        "sent_after_restart": received - before_restart,
        "outbox": counts,
        "seconds": round(ran_in, 2),
        "per_s": round(distinct / ran_in, 1),
    }


# --- main ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--actions", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=5_000, help="digests due at one instant")
    parser.add_argument("--leads", type=int, default=2_000, help="distinct leads")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of sending")
    args = parser.parse_args()
    result: dict[str, Any] = {"benchmark": "reminders", "db": args.db, "machine": machine()}
    m = result["machine"]
    print(
        f"machine: {m['cpus']} x {m['cpu']}, {m['memory_gb']} GB, load {m['load_average']}, "
        f"Python {m['python']}, {args.db}"
    )

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        url = url_for(args.db, folder, "compute")
        clock = FixedClock(datetime(2009, 6, 1, 9, tzinfo=UTC))
        try:
            with using_clock(clock):
                rt = open_runtime(url, folder)
                loaded = load_actions(rt, args.actions, args.leads)
                compute = measure_compute(rt)
                rt.close()
        finally:
            drop_schema(url)
        result["compute"] = {"actions": args.actions, "load_seconds": round(loaded, 1), **compute}
        print(
            f"compute: {args.actions} open actions; {compute['reminders']} reminders due on "
            f"{DAY}: median {compute['median_seconds'] * 1000:.1f} ms (best "
            f"{compute['best_seconds'] * 1000:.1f} ms, processor time "
            f"{compute['cpu_median_seconds'] * 1000:.1f} ms); grouped into {compute['digests']} "
            f"digests: median {compute['with_digests_median_seconds'] * 1000:.1f} ms; the RAG "
            f"their emails show, for {compute['actions_rated']} actions: median "
            f"{compute['rag_median_seconds'] * 1000:.1f} ms more (loading took {loaded:.0f} s)"
        )

        server = LoopbackServer()
        try:
            send = measure_send(args.db, folder, server, args.messages, args.rounds)
            result["send"] = send
            result["ratio"] = round(send["transport_per_s"] / send["bare_per_s"], 3)
            full = send["full_path"]
            print(
                f"send: {send['messages']} messages; bare aiosmtplib over one connection "
                f"{send['bare_per_s']:.0f}/s; actiontrail's transport (batches of "
                f"{send['transport_batch']}, {send['pool_size']} connections) "
                f"{send['transport_per_s']:.0f}/s ({result['ratio']:.2f}x); rendering "
                f"{send['render_per_s']:.0f}/s"
            )
            print(
                f"full path: {send['messages']} digests queued in {full['queue_seconds']} s, "
                f"claimed, rendered, sent and recorded in {full['send_seconds']} s "
                f"({full['send_per_s']:.0f}/s); {full['per_s']:.0f}/s from read models to "
                f"server"
            )
            sched = measure_scheduler(args.db, folder, server, args.jobs)
        finally:
            server.stop()
        result["schedule"] = sched
        print(
            f"schedule: {sched['digests']} digests due at one instant through the scheduler: "
            f"{sched['sent']} sent, {sched['missed']} missed, {sched['duplicated']} duplicated, "
            f"in {sched['seconds']} s ({sched['per_s']:.0f}/s); {sched['sent_after_restart']} "
            f"sent again after a restart"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
