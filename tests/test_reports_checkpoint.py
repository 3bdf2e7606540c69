"""The verification checkpoint every report ends with: for a closed period, the record
as at the period's closing event, which the audit module's verification proves later;
otherwise the record as it stands."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import openpyxl
import pytest

from domain.clock import FixedClock
from domain.values import Rag
from engine.audit.checkpoint import (
    Checkpoint,
    check_checkpoint,
    parse_checkpoint,
    take_checkpoint,
)
from engine.demo import load_demo
from engine.reports import Report, ReportFormat, ReportKind, build_report, render
from engine.runtime import Runtime
from projections import queries
from tests.test_audit_tools import RawStore
from tests.test_reports import parse, text_of

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence

SLUG = "leeds-iwc"
RG = "richard.graham@leeds.example"
TEXT_FORMATS = (ReportFormat.HTML, ReportFormat.MD, ReportFormat.CSV)


@pytest.fixture
def demo(rt: Runtime) -> Runtime:
    load_demo(rt)
    return rt


def stated(report: Report, fmt: ReportFormat) -> Checkpoint:
    """The checkpoint as a reader finds it in the rendered report."""
    data = render(report, fmt)
    if fmt is ReportFormat.XLSX:
        about = openpyxl.load_workbook(io.BytesIO(data))["About"]
        found = {row[0]: row[1] for row in about.iter_rows(values_only=True)}
        return parse_checkpoint(str(found["Checkpoint"]))
    if fmt is ReportFormat.DOCX:
        from docx import Document

        return parse_checkpoint("\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs))
    if fmt is ReportFormat.PDF:
        from pypdf import PdfReader

        pages = PdfReader(io.BytesIO(data)).pages
        return parse_checkpoint("\n".join(page.extract_text() for page in pages))
    return parse_checkpoint(data.decode("utf-8-sig"))


def closing_position(rt: Runtime, period: str) -> int:
    rows = queries.history_rows(
        rt.engine,
        queries.plan(rt.engine, SLUG),
        queries.HistoryFilter(kind="Plan.PeriodClosed"),
    )
    return next(int(r["seq"]) for r in rows if r["data"]["period"] == period)


@pytest.mark.parametrize("kind", list(ReportKind))
def test_a_closed_periods_report_ends_with_the_checkpoint_as_at_its_close(
    demo: Runtime, clock: FixedClock, kind: ReportKind
) -> None:
    position = closing_position(demo, "2009-07")
    plan = queries.plan(demo.engine, SLUG)
    up_to_close = queries.history_rows(demo.engine, plan, queries.HistoryFilter(up_to_seq=position))
    report = build_report(demo, SLUG, kind, "2009-07")
    assert report.checkpoint.checkpoint is not None
    expected, _ = take_checkpoint(demo.app, SLUG, up_to_position=position)
    assert report.checkpoint.checkpoint == expected
    assert expected.events == len(up_to_close)
    assert expected.last_recorded == "2009-07-31T17:00:00+00:00"
    clock.set(datetime(2009, 9, 15, 10, tzinfo=UTC))
    demo.app.assess_rag(RG, SLUG, "2.1", Rag.AMBER, reason="partners slow")
    for fmt in ReportFormat:
        found = stated(report, fmt)
        assert (found.plan, found.events, found.head) == (SLUG, expected.events, expected.head)
        outcome = check_checkpoint(demo.app, found)
        assert outcome.holds, (fmt, outcome.message)
        assert outcome.message.endswith("event(s) recorded since")
    # It is where the report ends: only the generation line follows.
    statement = expected.text()
    md = render(report, ReportFormat.MD).decode()
    tail = md[md.rindex("## ") :]
    assert tail.startswith("## Verification checkpoint")
    assert "".join(f"    {line}\n" for line in statement.splitlines()) in tail
    csv = render(report, ReportFormat.CSV).decode("utf-8-sig")
    assert csv.endswith("\r\n\r\n" + statement.replace("\n", "\r\n"))
    root = parse(render(report, ReportFormat.HTML))
    footer = root.find("./body/footer")
    assert footer is not None
    (block,) = [s for s in footer.iter("section") if s.get("class") == "checkpoint"]
    (pre,) = block.iter("pre")
    assert "".join(pre.itertext()) == statement


def test_a_live_report_carries_the_current_checkpoint(demo: Runtime, clock: FixedClock) -> None:
    clock.set(datetime(2009, 9, 15, 10, tzinfo=UTC))
    demo.app.assess_rag(RG, SLUG, "2.1", Rag.AMBER, reason="partners slow")
    report = build_report(demo, SLUG, ReportKind.PROGRESS, None)
    found = report.checkpoint.checkpoint
    assert found is not None
    plan = queries.plan(demo.engine, SLUG)
    assert found.events == len(queries.history_rows(demo.engine, plan))
    assert found.last_recorded == "2009-09-15T10:00:00+00:00"
    assert found.taken == "2009-09-15T10:00:00+00:00"
    assert "as it stands now" in render(report, ReportFormat.MD).decode()
    assert check_checkpoint(demo.app, stated(report, ReportFormat.HTML)).holds


def test_a_record_that_fails_verification_is_reported_in_the_checkpoints_place(
    demo: Runtime,
) -> None:
    raw = RawStore(demo)
    try:
        raw.alter(closing_position(demo, "2009-08"), b'"period":"2009-08"', b'"period":"2009-07"')
    finally:
        raw.close()
    report = build_report(demo, SLUG, ReportKind.GOVERNANCE, "2009-08")
    assert report.checkpoint.checkpoint is None
    assert report.checkpoint.problem is not None
    assert "the record is not intact" in report.checkpoint.problem
    for fmt in TEXT_FORMATS:
        data = render(report, fmt).decode("utf-8-sig")
        assert "No checkpoint could be taken: the record is not intact" in data, fmt
        assert "Checkpoint of the record of plan" not in data, fmt
    about = openpyxl.load_workbook(io.BytesIO(render(report, ReportFormat.XLSX)))["About"]
    found = {row[0]: row[1] for row in about.iter_rows(values_only=True)}
    assert str(found["Checkpoint"]).startswith("No checkpoint could be taken")
    root = parse(render(report, ReportFormat.HTML))
    notes = [text_of(p) for p in root.iter("p") if p.get("class") == "notice"]
    assert notes and notes[-1].startswith("No checkpoint could be taken")
