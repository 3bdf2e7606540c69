"""Start-up of the command line, as a person at a terminal meets it.

Two ratios, each against a baseline measured in the same run:

* `actiontrail --help` against a bare `python -c pass` (goal: within 6x);
* `actiontrail show leeds-iwc` on the demo store against a bare Python script that
  opens the same SQLite file with sqlite3 and counts its events (goal: within 12x).

Each figure is the median of N runs, alternating the command and its baseline so that
both see the same load. Prints the figures, then one line of JSON whose `ratio` is the
larger of the two wall-clock ratios (each is also given, with the raw medians in
seconds, and the same ratios of CPU seconds, which other work on a busy machine sways
less).

    python bench/cli.py [--n 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).with_name("actiontrail")
COUNT_EVENTS = (
    "import sqlite3, sys\n"
    "conn = sqlite3.connect(sys.argv[1])\n"
    "print(conn.execute('SELECT count(*) FROM stored_events').fetchone()[0])\n"
)


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one run."""
    cpu, start = _cpu(), time.perf_counter()
    r = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed, cpu = time.perf_counter() - start, _cpu() - cpu
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {r.stderr.strip()}")
    return elapsed, cpu


def medians(
    pair: tuple[list[str], list[str]], env: dict[str, str], n: int
) -> tuple[float, float, float, float]:
    """Median wall-clock seconds of n runs of a command and of its baseline, run turn
    about, then their median CPU seconds (less swayed by other work on the machine)."""
    command, baseline = pair
    timed(command, env)  # warm the file cache and the compiled modules once
    timed(baseline, env)
    a, b = [], []
    for _ in range(n):
        a.append(timed(command, env))
        b.append(timed(baseline, env))
    return (
        statistics.median(w for w, _ in a),
        statistics.median(w for w, _ in b),
        statistics.median(c for _, c in a),
        statistics.median(c for _, c in b),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5, help="Runs of each command (default 5).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.db"
        env = {**os.environ, "ACTIONTRAIL_DATABASE_URL": f"sqlite:///{db}", "COLUMNS": "160"}
        for name in ("ACTIONTRAIL_USER", "ACTIONTRAIL_CONFIG"):
            env.pop(name, None)
        subprocess.run([str(BIN), "demo"], env=env, capture_output=True, check=True, cwd=tmp)
        help_s, bare_s, help_cpu, bare_cpu = medians(
            ([str(BIN), "--help"], [sys.executable, "-c", "pass"]), env, args.n
        )
        show_s, count_s, show_cpu, count_cpu = medians(
            (
                [str(BIN), "show", "leeds-iwc"],
                [sys.executable, "-c", COUNT_EVENTS, str(db)],
            ),
            env,
            args.n,
        )
    help_ratio, show_ratio = help_s / bare_s, show_s / count_s
    print(f"cores: {os.cpu_count()}, runs of each: {args.n}, load average {os.getloadavg()[0]:.1f}")
    print(
        f"actiontrail --help      {help_s:.3f} s  python -c pass         {bare_s:.3f} s  "
        f"{help_ratio:.1f}x (goal 6x)"
    )
    print(
        f"actiontrail show demo   {show_s:.3f} s  sqlite3 count script   {count_s:.3f} s  "
        f"{show_ratio:.1f}x (goal 12x)"
    )
    print(
        json.dumps(
            {
                "ratio": round(max(help_ratio, show_ratio), 2),
                "help_ratio": round(help_ratio, 2),
                "show_ratio": round(show_ratio, 2),
                "help_goal": 6,
                "show_goal": 12,
                "help_seconds": round(help_s, 4),
                "bare_python_seconds": round(bare_s, 4),
                "show_seconds": round(show_s, 4),
                "sqlite_count_seconds": round(count_s, 4),
                "help_cpu_ratio": round(help_cpu / bare_cpu, 2),
                "show_cpu_ratio": round(show_cpu / count_cpu, 2),
                "help_cpu_seconds": round(help_cpu, 4),
                "bare_python_cpu_seconds": round(bare_cpu, 4),
                "show_cpu_seconds": round(show_cpu, 4),
                "sqlite_count_cpu_seconds": round(count_cpu, 4),
                "load_average": round(os.getloadavg()[0], 2),
                "runs": args.n,
                "cores": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
