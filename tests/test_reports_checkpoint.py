"""The verification checkpoint at the foot of a report.

The checkpoint functions below stand in for the audit module's two shapes: they are
real functions over the plan's history, passed by module name.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.clock import FixedClock
from engine.demo import load_demo
from engine.reports import ReportFormat, ReportKind, build_report, render
from engine.reports.checkpoint import plan_checkpoint
from engine.runtime import Runtime
from projections import queries
from tests.conftest import open_runtime
from tests.test_reports import parse, text_of

SLUG = "leeds-iwc"
HERE = __name__


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    plan: str
    events: int
    head: str
    taken: datetime


def make_checkpoint(rt: Runtime, slug: str, up_to_seq: int | None = None) -> Checkpoint:
    rows = queries.history_rows(
        rt.engine, queries.plan(rt.engine, slug), queries.HistoryFilter(up_to_seq=up_to_seq)
    )
    head = hashlib.sha256("".join(str(r["seq"]) for r in rows).encode()).hexdigest()
    return Checkpoint(slug, len(rows), head, datetime(2009, 9, 1, tzinfo=UTC))


@pytest.fixture
def leeds(sqlite_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Runtime]:
    runtime = open_runtime(sqlite_url, tmp_path)
    load_demo(runtime)
    yield runtime
    runtime.close()


def test_no_audit_module_no_checkpoint(leeds: Runtime) -> None:
    assert plan_checkpoint(leeds, SLUG, None, module="engine.no_such_module") is None


def test_a_live_report_carries_the_current_checkpoint(leeds: Runtime) -> None:
    found = plan_checkpoint(leeds, SLUG, None, module=HERE)
    assert found is not None
    count = len(queries.history_rows(leeds.engine, queries.plan(leeds.engine, SLUG)))
    assert found["plan"] == SLUG and found["events"] == str(count)
    assert found["taken"] == "2009-09-01T00:00:00+00:00"


def test_a_closed_period_carries_the_checkpoint_as_at_its_close(leeds: Runtime) -> None:
    report = build_report(leeds, SLUG, ReportKind.PROGRESS, "2009-08")
    assert report.snapshot.up_to_seq is not None
    found = plan_checkpoint(leeds, SLUG, report.snapshot.up_to_seq, module=HERE)
    assert found == _fields(make_checkpoint(leeds, SLUG, report.snapshot.up_to_seq))
    with_block = dataclasses.replace(report, checkpoint=found)
    root = parse(render(with_block, ReportFormat.HTML))
    block = next(s for s in root.iter("section") if s.get("class") == "checkpoint")
    shown = dict(
        zip(
            [text_of(t) for t in block.iter("dt")],
            [text_of(d) for d in block.iter("dd")],
            strict=True,
        )
    )
    assert shown == found
    assert "## Verification checkpoint" in render(with_block, ReportFormat.MD).decode()


def _fields(c: Checkpoint) -> dict[str, str]:
    return {
        "plan": c.plan,
        "events": str(c.events),
        "head": c.head,
        "taken": c.taken.isoformat(),
    }


def test_reports_without_a_checkpoint_have_no_block(leeds: Runtime) -> None:
    report = dataclasses.replace(
        build_report(leeds, SLUG, ReportKind.GOVERNANCE, "2009-08"), checkpoint=None
    )
    assert b"Verification checkpoint" not in render(report, ReportFormat.HTML)
