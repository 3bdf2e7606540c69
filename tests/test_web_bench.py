"""bench/web.py runs end to end and reports each page against its own baseline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[1] / "bench" / "web.py"


def test_web_bench_reports_the_dashboard_and_the_action_page_against_their_baselines(
    tmp_path: Path,
) -> None:
    run = subprocess.run(
        [sys.executable, str(BENCH), "--actions", "12", "--clients", "2", "--seconds", "0.5"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    for key in ("baseline_query_ms", "action_baseline_query_ms", "dashboard_p95_ms",
                "action_p95_ms"):  # fmt: skip
        assert result[key] > 0, key
    assert result["ratio"] == round(result["dashboard_p95_ms"] / result["baseline_query_ms"], 3)
    assert result["action_ratio"] == round(
        result["action_p95_ms"] / result["action_baseline_query_ms"], 3
    )
    # Metrics on against off, both measured in the same turns.
    assert result["metrics_ratio"] == round(
        result["dashboard_metrics_on_p95_ms"] / result["dashboard_metrics_off_p95_ms"], 3
    )
    assert "action page baseline" in run.stdout
