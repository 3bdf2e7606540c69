"""Web latency under load: a plan of N actions with a year of history, served by a real
`actiontrail serve` on loopback, read by 20 concurrent signed-in clients.

Measures the dashboard and the action page (p50/p95 latency, requests per second), the
dashboard right after a change (when nothing can be reused), and, as the baselines, each
page's queries and computation alone, in process, with nothing cached. Prints the
figures, then one line of JSON whose `ratio` is dashboard p95 over its baseline (goal: p95
under 50 ms on SQLite), `action_ratio` the action page's p95 over its baseline, and
`metrics_ratio` the dashboard's p95 with Prometheus metrics on over the same with them off,
the two servers measured in turns (goal: at most 1.1).

    python bench/web.py [--actions 500] [--clients 20] [--seconds 10]
"""

from __future__ import annotations

import argparse
import calendar
import gc
import http.client
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from config.settings import Settings  # noqa: E402
from domain.clock import FixedClock, using_clock  # noqa: E402
from domain.spec import ActionSpec, GroupSpec, PlanSpec  # noqa: E402
from domain.values import Criterion, Person, Rag, Status  # noqa: E402
from engine.plans.closing import close_period  # noqa: E402
from engine.runtime import Runtime  # noqa: E402
from engine.service.accounts import Accounts  # noqa: E402
from engine.web.cache import ReadCache  # noqa: E402
from engine.web.routes.actions import action_data  # noqa: E402
from projections import queries  # noqa: E402
from tests.conftest import ADMIN, LEAD, OFFICER, SECRETARY, people  # noqa: E402
from tests.test_web_helpers import start_server, stop_server  # noqa: E402

SLUG = "bench"
PASSWORD = "bench password 1"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def last_months(today: date, count: int = 12) -> list[tuple[int, int]]:
    """The count months before today's, oldest first."""
    y, m = today.year, today.month
    months = []
    for _ in range(count):
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        months.append((y, m))
    return list(reversed(months))


def build_plan(rt: Runtime, n: int) -> list[str]:
    """N actions in ten groupings with a year of history up to today: rated every month
    (a few amber, a few running late), narratives every so often, each month closed."""
    today = date.today()
    months = last_months(today)
    first = date(*months[0], 1)
    clock = FixedClock(datetime(first.year, first.month, 1, 9, tzinfo=UTC))
    refs = [f"{i % 10 + 1}.{i // 10 + 1}" for i in range(n)]
    with using_clock(clock):
        people(rt)
        spec = PlanSpec(
            slug=SLUG,
            title="Benchmark improvement plan",
            organisation="Council",
            agencies=["Council", "NHS Trust", "Police"],
            boards=["Board"],
            groups=[GroupSpec(ref=str(g), title=f"Recommendation {g}") for g in range(1, 11)],
            actions=[
                ActionSpec(
                    ref=ref,
                    title=f"Action {ref}: improve the thing that the inspection found wanting",
                    group=ref.split(".")[0],
                    leads=[Person("Lee Lead", LEAD, "Council")],
                    accountable=Person("Olu Officer", OFFICER, "Council"),
                    plan_start=first,
                    # One in twenty ran past its finish; the rest finish over the next year.
                    plan_finish=today + timedelta(days=-20 if i % 20 == 7 else 30 + i % 330),
                    success_criteria=[Criterion("Audit done", today + timedelta(days=60))],
                )
                for i, ref in enumerate(refs)
            ],
        )
        rt.app.load_plan(ADMIN, spec)
        with rt.app.deferred_projection():
            for ref in refs:
                rt.app.change_status(LEAD, SLUG, ref, Status.IN_PROGRESS)
            for y, m in months:
                clock.set(datetime(y, m, 25, 10, tzinfo=UTC))
                for i, ref in enumerate(refs):
                    rag = Rag.AMBER if (i + m) % 9 == 0 else Rag.GREEN
                    reason = "partners' approval pending" if rag is Rag.AMBER else None
                    rt.app.assess_rag(LEAD, SLUG, ref, rag, reason=reason)
                    if i % 5 == 0:
                        rt.app.report_progress(LEAD, SLUG, ref, f"{y}-{m:02d}", "Work continues.")
        for y, m in months:
            # Each month closed on its last day, as a board closes it.
            clock.set(datetime(y, m, calendar.monthrange(y, m)[1], 17, tzinfo=UTC))
            close_period(rt, SECRETARY, SLUG, f"{y}-{m:02d}")
    Accounts(rt.engine).set_password(LEAD, PASSWORD)
    return refs


def baseline(rt: Runtime, runs: int = 20) -> float:
    """The dashboard's reads and computation alone, median seconds."""
    timings = []
    for _ in range(runs):
        t0 = time.perf_counter()
        queries.document(rt.engine, queries.plan(rt.engine, SLUG), date.today())
        timings.append(time.perf_counter() - t0)
    return statistics.median(timings)


def action_baseline(rt: Runtime, refs: list[str], runs: int = 20) -> float:
    """The action page's reads and computation alone, median seconds over different
    actions: what the page asks for (the plan as assessed, the action's history, the
    people) when nothing is cached, without rendering or serving it."""
    timings = []
    for i in range(runs):
        state = SimpleNamespace(rt=rt, cache=ReadCache(rt.engine))
        t0 = time.perf_counter()
        action_data(state, SLUG, refs[i * 7 % len(refs)])
        timings.append(time.perf_counter() - t0)
    return statistics.median(timings)


def signed_in_client(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30, follow_redirects=False)
    page = client.get("/sign-in").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/sign-in", data={"csrf_token": token, "email": LEAD, "password": PASSWORD, "next": "/"}
    )
    assert response.status_code == 303, response.text
    return client


def load(url: str, paths: list[str], clients: int, seconds: float) -> tuple[list[float], float]:
    """Each client requests the paths in turn until the time is up; latencies in seconds
    and requests per second overall."""
    # Plain keep-alive connections: the load generator shares the machine with the
    # server, so it should spend as little of it as it can.
    host, port = url.removeprefix("http://").split(":")
    sessions = []
    for _ in range(clients):
        signed = signed_in_client(url)
        cookie = "; ".join(f"{k}={v}" for k, v in signed.cookies.items())
        signed.close()
        sessions.append((http.client.HTTPConnection(host, int(port), timeout=30), cookie))
    latencies: list[float] = []
    lock = threading.Lock()
    max_requests = 200_000  # a bound, whatever the machine's speed

    def run(session: tuple[http.client.HTTPConnection, str], offset: int) -> None:
        conn, cookie = session
        mine: list[float] = []
        i = offset
        while time.monotonic() < stop_at and len(mine) < max_requests // clients:
            t0 = time.perf_counter()
            conn.request("GET", quote(paths[i % len(paths)]), headers={"Cookie": cookie})
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - t0)
            assert response.status == 200, response.status
            i += 1
        with lock:
            latencies.extend(mine)

    # One request first, so the figures are of the pages as they are served between
    # changes; the first request after a change is measured on its own (after_write).
    for path in paths:
        conn, cookie = sessions[0]
        conn.request("GET", quote(path), headers={"Cookie": cookie})
        conn.getresponse().read()
    stop_at = time.monotonic() + seconds
    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(s, i)) for i, s in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    for conn, _ in sessions:
        conn.close()
    return latencies, len(latencies) / elapsed


def after_write(url: str, refs: list[str], rounds: int = 10) -> list[float]:
    """The dashboard's first request after a change: nothing cached can be reused."""
    client = signed_in_client(url)
    timings = []
    for i in range(rounds):
        page = client.get(f"/plans/{SLUG}/actions/{refs[i]}").text
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        version = page.split('name="version" value="', 1)[1].split('"', 1)[0]
        response = client.post(
            f"/plans/{SLUG}/actions/{refs[i]}/update",
            data={"csrf_token": token, "version": version, "progress": f"Round {i}."},
        )
        assert response.status_code == 303, response.text[:500]
        t0 = time.perf_counter()
        assert client.get(f"/plans/{SLUG}").status_code == 200
        timings.append(time.perf_counter() - t0)
    client.close()
    return timings


def machine() -> dict[str, object]:
    model = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        mem_kb = 0
    return {"nproc": os.cpu_count(), "memory_gib": round(mem_kb / 1024 / 1024, 1), "cpu": model}


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=500)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0, help="per page measured")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'bench.db'}"
        rt = Runtime.open(Settings(database_url=url, files_dir=str(folder / "files")))
        t0 = time.perf_counter()
        refs = build_plan(rt, args.actions)
        events = rt.runner.head()
        print(f"built {args.actions} actions, {events} events in {time.perf_counter() - t0:.1f} s")
        base = baseline(rt)
        action_base = action_baseline(rt, refs)
        rt.close()
        del rt
        # The plan was built in this process; its leftovers must not cost the load
        # generator collection pauses that would be counted as server latency.
        gc.collect()
        gc.freeze()
        server = start_server(url, folder)
        try:
            dash, dash_rps = load(server.url, [f"/plans/{SLUG}"], args.clients, args.seconds)
            action_paths = [f"/plans/{SLUG}/actions/{r}" for r in refs]
            act, act_rps = load(server.url, action_paths, args.clients, args.seconds)
            cold = after_write(server.url, refs)
            # The dashboard on a second server with Prometheus metrics on (goal: p95
            # within 10% of metrics off), against this one, measured in turns (off, on,
            # on, off): load from elsewhere on the machine, which moves from one minute
            # to the next, then falls on both alike.
            os.environ["ACTIONTRAIL_METRICS"] = "1"
            try:
                counted = start_server(url, folder)
            finally:
                del os.environ["ACTIONTRAIL_METRICS"]
            try:
                metrics_text = httpx.get(f"{counted.url}/metrics", timeout=30)
                assert metrics_text.status_code == 200, metrics_text.text[:200]
                turns = {"off": ([], []), "on": ([], [])}  # latencies, req/s of each turn
                for turn in ("off", "on", "on", "off"):
                    target = counted if turn == "on" else server
                    got, rps = load(target.url, [f"/plans/{SLUG}"], args.clients, args.seconds / 2)
                    turns[turn][0].extend(got)
                    turns[turn][1].append(rps)
            finally:
                stop_server(counted)
        finally:
            stop_server(server)
        dash_off, dash_m = turns["off"][0], turns["on"][0]
        dash_off_rps = statistics.mean(turns["off"][1])
        dash_m_rps = statistics.mean(turns["on"][1])
    result = {
        "benchmark": "web",
        "db": "sqlite",
        "actions": args.actions,
        "events": events,
        "clients": args.clients,
        "dashboard_p50_ms": ms(statistics.median(dash)),
        "dashboard_p95_ms": ms(percentile(dash, 95)),
        "dashboard_rps": round(dash_rps, 1),
        "action_p50_ms": ms(statistics.median(act)),
        "action_p95_ms": ms(percentile(act, 95)),
        "action_rps": round(act_rps, 1),
        "dashboard_after_write_median_ms": ms(statistics.median(cold)),
        "dashboard_metrics_off_p95_ms": ms(percentile(dash_off, 95)),
        "dashboard_metrics_off_rps": round(dash_off_rps, 1),
        "dashboard_metrics_on_p95_ms": ms(percentile(dash_m, 95)),
        "dashboard_metrics_on_rps": round(dash_m_rps, 1),
        "baseline_query_ms": ms(base),
        "action_baseline_query_ms": ms(action_base),
        **machine(),
    }
    result["ratio"] = round(result["dashboard_p95_ms"] / result["baseline_query_ms"], 3)
    result["action_ratio"] = round(result["action_p95_ms"] / result["action_baseline_query_ms"], 3)
    result["metrics_ratio"] = round(
        result["dashboard_metrics_on_p95_ms"] / result["dashboard_metrics_off_p95_ms"], 3
    )
    print(
        f"dashboard: p50 {result['dashboard_p50_ms']} ms, p95 {result['dashboard_p95_ms']} ms, "
        f"{result['dashboard_rps']} req/s"
    )
    print(
        f"action page: p50 {result['action_p50_ms']} ms, p95 {result['action_p95_ms']} ms, "
        f"{result['action_rps']} req/s"
    )
    print(f"dashboard right after a change: median {result['dashboard_after_write_median_ms']} ms")
    print(
        f"dashboard with metrics on: p95 {result['dashboard_metrics_on_p95_ms']} ms, off (in "
        f"turns with it): {result['dashboard_metrics_off_p95_ms']} ms; "
        f"ratio {result['metrics_ratio']}"
    )
    print(f"baseline (dashboard queries and computation alone): {result['baseline_query_ms']} ms")
    print(
        "action page baseline (its queries and computation alone): "
        f"{result['action_baseline_query_ms']} ms"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
