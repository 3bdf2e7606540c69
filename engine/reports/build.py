"""A report of one kind for one period: its content, its table and the checkpoint of the
plan's record it ends with."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain import clock
from engine.reports.checkpoint import ReportCheckpoint, plan_checkpoint
from engine.reports.exceptions import ExceptionContent, build_exceptions, exception_table
from engine.reports.governance import GovernanceContent, build_governance, governance_table
from engine.reports.progress import ProgressContent, build_progress, progress_table
from engine.reports.snapshot import PeriodSnapshot, take_snapshot
from engine.reports.table import Table
from engine.runtime import Runtime


class ReportKind(StrEnum):
    PROGRESS = "progress"
    EXCEPTION = "exception"
    GOVERNANCE = "governance"


TITLES = {
    ReportKind.PROGRESS: "Summary Report",
    ReportKind.EXCEPTION: "Exception Report",
    ReportKind.GOVERNANCE: "Governance Sign-off Report",
}

Content = ProgressContent | ExceptionContent | GovernanceContent


@dataclass(frozen=True)
class Report:
    kind: ReportKind
    snapshot: PeriodSnapshot
    content: Content
    table: Table
    checkpoint: ReportCheckpoint
    generated_at: datetime

    @property
    def title(self) -> str:
        """The plan's title and the report's, once: a plan titled after one of its
        reports ("...: Summary Report August 2009") is not given a second."""
        suffix = f"{TITLES[self.kind]} {self.snapshot.period.label}"
        base = _REPORT_SUFFIX.sub("", self.snapshot.plan["title"].strip())
        return f"{base}: {suffix}" if base else suffix


_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
# A trailing "Summary Report August 2009", "Progress Report for Q3 2009" and the like.
_REPORT_SUFFIX = re.compile(
    r"[\s:,\-–—]*\b(?:(?:summary|exception|governance(?:\s+sign-off)?|monthly|"
    r"progress|monthly\s+progress|quarterly|board)\s+)?report\s+(?:for\s+)?"
    rf"(?:(?:{_MONTHS})|Q[1-4])\s+\d{{4}}\s*$",
    re.IGNORECASE,
)


def build_report(rt: Runtime, slug: str, kind: ReportKind, period_key: str | None = None) -> Report:
    """Raises NotFound for an unknown plan and InvalidInput for a period that is not one
    of the plan's."""
    snap = take_snapshot(rt, slug, period_key)
    content: Content
    if kind is ReportKind.PROGRESS:
        content = build_progress(snap)
        table = progress_table(snap, content)
    elif kind is ReportKind.EXCEPTION:
        content = build_exceptions(snap)
        table = exception_table(snap, content)
    else:
        content = build_governance(snap)
        table = governance_table(snap, content)
    return Report(
        kind=kind,
        snapshot=snap,
        content=content,
        table=table,
        checkpoint=plan_checkpoint(rt, slug, snap.up_to_seq),
        generated_at=clock.now(),
    )
