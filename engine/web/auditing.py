"""What the audit and reports pages and the JSON API ask the audit and reports packages
for: the plan as of a moment or on a date, what changed between two moments, the
export, the verification of the record, checkpoints and report downloads.

The replay, diff, export, verification and reports are those packages' own, as the
command line uses them; this module only reads the web's input and shapes the answers.
"""

from __future__ import annotations

import io
import queue
import re
import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any, TextIO, cast

from domain import clock
from domain.errors import InvalidInput
from domain.ids import plan_id
from engine.adapters.eventstore.chain import HASH_PREFIX
from engine.audit.as_of import document_as_of, document_effective
from engine.audit.checkpoint import (
    check_checkpoint,
    parse_checkpoint,
    require_plan,
    take_checkpoint,
)
from engine.audit.diff import diff_plan
from engine.audit.export import export_plan
from engine.audit.verify import verify_store
from engine.reports import ReportFormat, ReportKind, build_report, render
from engine.runtime import Runtime
from engine.web.security import download_headers
from engine.web.times import local_input_to_utc
from projections import queries

# Extension: media type and label of each report format.
REPORT_FORMATS: dict[ReportFormat, tuple[str, str]] = {
    ReportFormat.HTML: ("text/html; charset=utf-8", "HTML"),
    ReportFormat.MD: ("text/markdown; charset=utf-8", "Markdown"),
    ReportFormat.CSV: ("text/csv; charset=utf-8", "CSV"),
    ReportFormat.XLSX: (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Excel",
    ),
    ReportFormat.DOCX: (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Word",
    ),
    ReportFormat.PDF: ("application/pdf", "PDF"),
}
EXPORT_MEDIA_TYPE = "application/x-ndjson"
PROBLEMS_SHOWN = 50


def moment(value: str | None, label: str) -> datetime | None:
    """A moment typed into a picker or sent to the API: a date (its end) or a date and
    time, London time unless it carries an offset."""
    try:
        text = local_input_to_utc(value or "", end=True)
    except ValueError as e:
        raise InvalidInput(f"{label}: {e}") from None
    return datetime.fromisoformat(text) if text else None


def day(value: str | None, label: str) -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{label}: '{value}' is not a date (use YYYY-MM-DD)") from None


def plan_as_of(rt: Runtime, slug: str, at: datetime) -> dict[str, Any]:
    """The plan exactly as the system showed it at the moment."""
    return document_as_of(rt, slug, at)


def plan_effective(rt: Runtime, slug: str, on: date) -> dict[str, Any]:
    """The plan as it was on the date, as far as everything recorded since tells."""
    return document_effective(rt, slug, on)


def plan_diff(rt: Runtime, slug: str, start: datetime, end: datetime | None) -> dict[str, Any]:
    """What changed between two moments; the second is now when not given."""
    until = end or clock.now()
    if until < start:
        raise InvalidInput("the second moment of a comparison must come after the first")
    return diff_plan(rt, slug, start, until)


def verification(rt: Runtime, slug: str) -> dict[str, Any]:
    """The hash chain checked over every stored event, and the plan's own digest: the
    fields of `actiontrail verify PLAN --format json`, and whether the whole store is
    intact. `intact` speaks for the plan's events, `store_intact` for every event."""
    require_plan(rt.app, slug)
    result = verify_store(rt.app, plan_id(slug))
    problems = result.problems_for(str(plan_id(slug)))
    plan = result.plan
    return {
        "plan": slug,
        "intact": not problems,
        "store_intact": not result.problems and not result.more_problems,
        "events": result.events,
        "links": result.links,
        "head": f"{HASH_PREFIX}{result.head.link}" if result.head else None,
        "head_position": result.head.position if result.head else 0,
        "sealed_through": result.head.sealed_through if result.head else 0,
        "plan_events": plan.events if plan else 0,
        "plan_head": f"{HASH_PREFIX}{plan.head}" if plan else None,
        "last_recorded": plan.last_recorded if plan else None,
        "problems": [p.as_json() for p in problems],
        "problems_elsewhere": len(result.problems) - len(problems),
        "more_problems": result.more_problems,
        "seconds": round(result.seconds, 3),
    }


def checkpoint(rt: Runtime, slug: str) -> dict[str, Any]:
    """A statement of the plan's record for the board to minute (refused when the
    record is not intact), as JSON and as the text to paste into the minutes."""
    taken, _ = take_checkpoint(rt.app, slug)
    return {"checkpoint": taken.as_json(), "text": taken.text()}


def check_statement(rt: Runtime, slug: str, statement: str) -> dict[str, Any]:
    """Whether the plan's history up to a minuted checkpoint is unchanged. The statement
    is the text itself: the web never reads a file named in it."""
    stated = parse_checkpoint(statement)
    if stated.plan != slug:
        raise InvalidInput(f"the checkpoint is of plan '{stated.plan}', not '{slug}'")
    outcome = check_checkpoint(rt.app, stated)
    return {
        "checkpoint": stated.as_json(),
        "holds": outcome.holds,
        "message": outcome.message,
        "intact": not outcome.problems,
        "problems": [p.as_json() for p in outcome.problems],
    }


def report(rt: Runtime, slug: str, kind: str, fmt: str, period: str | None) -> bytes:
    """A board report of one period as `actiontrail report` renders it."""
    try:
        report_kind = ReportKind(kind)
    except ValueError:
        kinds = ", ".join(k.value for k in ReportKind)
        raise InvalidInput(f"'{kind}' is not a kind of report: choose {kinds}") from None
    return render(build_report(rt, slug, report_kind, period or None), report_format(fmt))


def report_format(fmt: str) -> ReportFormat:
    try:
        return ReportFormat(fmt)
    except ValueError:
        formats = ", ".join(f.value for f in ReportFormat)
        raise InvalidInput(f"reports come as {formats}, not {fmt}") from None


def download_name(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "-", "-".join(parts))


def attachment(name: str) -> dict[str, str]:
    return download_headers(name)


# The export, streamed as it is read


class _Abandoned(Exception):
    """The download stopped being read: the export ends."""


class _Pipe(io.TextIOBase):
    """A text file whose writes are read, in chunks, by an iterator on another thread.
    The writer waits while the reader is behind, so memory holds a few chunks at most."""

    CHUNK = 64 * 1024

    def __init__(self, depth: int = 8) -> None:
        self.chunks: queue.Queue[bytes | BaseException | None] = queue.Queue(depth)
        self.abandoned = threading.Event()
        self._parts: list[str] = []
        self._size = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= self.CHUNK:
            self.send_buffered()
        return len(text)

    def send_buffered(self) -> None:
        if self._parts:
            self.put("".join(self._parts).encode("utf-8"))
            self._parts, self._size = [], 0

    def put(self, item: bytes | BaseException | None) -> None:
        while not self.abandoned.is_set():
            try:
                self.chunks.put(item, timeout=1.0)
                return
            except queue.Full:
                continue
        raise _Abandoned


def streamed(write: Callable[[TextIO], object], name: str) -> Iterator[bytes]:
    """What write(out) writes, as it is written. A failure part way ends the stream
    early, so the download is incomplete (an export's missing trailer shows it)."""
    pipe = _Pipe()

    def run() -> None:
        try:
            write(cast(TextIO, pipe))
            pipe.send_buffered()
            pipe.put(None)
        except _Abandoned:
            return
        except BaseException as e:  # handed to the reader, which raises it
            try:
                pipe.put(e)
            except _Abandoned:
                return

    threading.Thread(target=run, name=name, daemon=True).start()
    try:
        while True:
            item = pipe.chunks.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        pipe.abandoned.set()


def export_stream(rt: Runtime, slug: str) -> Iterator[bytes]:
    """The plan's export (every event, one JSON line each, as `actiontrail export`
    writes it). An unknown plan is refused here, before anything is sent."""
    queries.plan(rt.engine, slug)
    return streamed(lambda out: export_plan(rt, slug, out), f"actiontrail-export-{slug}")
