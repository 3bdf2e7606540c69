"""The plan's verification checkpoint at the foot of every report.

A closed period's report carries the checkpoint of the record as at the period's closing
event: the plan's events up to it, the plan's digest after them and when the last was
recorded. It is the same whenever the report is produced, and `actiontrail verify
--checkpoint` proves later that the plan's history up to that close is unchanged. Any
other report carries the checkpoint of the record as it stands.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import DomainError
from engine.audit.checkpoint import Checkpoint, take_checkpoint
from engine.runtime import Runtime


@dataclass(frozen=True)
class ReportCheckpoint:
    """The checkpoint, or why there is none: a record that fails verification is
    reported in the checkpoint's place, not hidden."""

    checkpoint: Checkpoint | None
    problem: str | None = None
    at_close: bool = False  # as at the closing of the report's period

    @property
    def statement(self) -> str:
        """The checkpoint as `actiontrail checkpoint` prints it, for the minutes."""
        return self.checkpoint.text() if self.checkpoint is not None else ""

    @property
    def lines(self) -> list[str]:
        return self.statement.splitlines()

    @property
    def intro(self) -> str:
        if self.checkpoint is None:
            return f"No checkpoint could be taken: {self.problem}"
        when = "as it stood when this period closed" if self.at_close else "as it stands now"
        return (
            f"The record of the plan {when}. To prove later that it is unchanged, give this "
            "statement (or this file) to actiontrail verify --checkpoint."
        )


def plan_checkpoint(rt: Runtime, slug: str, up_to_position: int | None) -> ReportCheckpoint:
    """The checkpoint as at a position of the store (a closed period's closing event), or
    as the record stands when no position is given."""
    try:
        found, _ = take_checkpoint(rt.app, slug, up_to_position=up_to_position)
    except DomainError as e:
        return ReportCheckpoint(None, problem=str(e), at_close=up_to_position is not None)
    return ReportCheckpoint(found, at_close=up_to_position is not None)
