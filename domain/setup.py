"""What an action's set-up still needs, apart from the Action aggregate so that the
read models' dashboard can ask without loading the aggregates."""

from __future__ import annotations

from domain.values import Status


def setup_gaps(status: str, has_lead: bool, has_accountable: bool, has_end: bool) -> list[str]:
    """The parts of set-up an action still needs; none once it is closed."""
    if Status(status).is_closed:
        return []
    gaps = []
    if not has_lead:
        gaps.append("lead")
    if not has_accountable:
        gaps.append("accountable officer")
    if not has_end:
        gaps.append("finish or recurrence")
    return gaps
