"""The plan's verification checkpoint at the foot of a report, where the audit module
provides one.

Kept to this one function so that adjusting to the audit module's interface touches
nothing else.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from typing import Any

from domain.errors import DomainError
from engine.runtime import Runtime

AUDIT_MODULE = "engine.audit.checkpoint"


def plan_checkpoint(
    rt: Runtime, slug: str, up_to_seq: int | None, module: str = AUDIT_MODULE
) -> dict[str, str] | None:
    """The checkpoint as label -> text, or None when there is none to give.

    Uses ``make_checkpoint(rt, slug)`` or ``take_checkpoint(app, slug)``, whichever the
    audit module has. A closed period's report must come out the same whenever it is
    produced, so it carries a checkpoint only where one can be made as at the period's
    closing event (an ``up_to_seq`` parameter)."""
    try:
        audit = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name is not None and module.startswith(e.name):
            return None
        raise
    make = getattr(audit, "make_checkpoint", None)
    first: Any = rt
    if make is None:
        make, first = getattr(audit, "take_checkpoint", None), rt.app
    if make is None:
        return None
    kwargs: dict[str, Any] = {}
    if up_to_seq is not None:
        if "up_to_seq" not in inspect.signature(make).parameters:
            return None
        kwargs["up_to_seq"] = up_to_seq
    try:
        found = make(first, slug, **kwargs)
    except DomainError as e:
        # A record that fails verification is reported, not hidden.
        return {"problem": str(e)}
    if isinstance(found, tuple):  # (checkpoint, verification)
        found = found[0]
    return _fields(found) if found is not None else None


def _fields(found: Any) -> dict[str, str]:
    if callable(getattr(found, "as_json", None)):
        values = found.as_json()
    elif dataclasses.is_dataclass(found) and not isinstance(found, type):
        values = dataclasses.asdict(found)
    elif isinstance(found, dict):
        values = found
    else:
        values = vars(found)
    return {
        str(k).replace("_", " "): v.isoformat() if hasattr(v, "isoformat") else str(v)
        for k, v in values.items()
        if v is not None
    }
