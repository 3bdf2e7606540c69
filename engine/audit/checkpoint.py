"""Checkpoints: a short statement of a plan's record that a board can minute, and the
proof, later, that the plan's history up to it is unchanged.

The statement names the plan, how many of its events it covers and the plan's digest
after them (see engine.adapters.eventstore.chain). Being outside the database, a minuted checkpoint
also catches a rewrite that recomputed the whole chain.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain import clock
from domain.errors import InvalidInput, NotFound
from domain.ids import plan_id
from domain.plan import check_slug
from engine.adapters.eventstore.chain import HASH_PREFIX
from engine.audit.verify import Problem, Verification, verify_store


@dataclass(frozen=True)
class Checkpoint:
    plan: str
    events: int
    head: str  # hex SHA-256
    last_recorded: str | None = None
    taken: str | None = None
    # The whole store's chain when it was taken: how many links, and the last. Kept by
    # witnesses outside the database, it shows the newest events of any kind removed
    # (with their links, and the head rewound), which the chain alone cannot.
    chain_links: int | None = None
    chain_link: str | None = None

    def text(self) -> str:
        lines = [
            f"Checkpoint of the record of plan {self.plan}",
            f"plan: {self.plan}",
            f"events: {self.events}",
        ]
        if self.last_recorded:
            lines.append(f"last event recorded: {self.last_recorded}")
        lines.append(f"head: {HASH_PREFIX}{self.head}")
        if self.chain_links is not None and self.chain_link:
            lines.append(f"store chain: link {self.chain_links} {HASH_PREFIX}{self.chain_link}")
        if self.taken:
            lines.append(f"taken: {self.taken}")
        return "\n".join(lines) + "\n"

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "plan": self.plan,
            "events": self.events,
            "head": f"{HASH_PREFIX}{self.head}",
            "last_recorded": self.last_recorded,
            "taken": self.taken,
        }
        if self.chain_links is not None and self.chain_link:
            data["store_chain"] = f"link {self.chain_links} {HASH_PREFIX}{self.chain_link}"
        return data


_PLAN = re.compile(r"\bplan\s*[:=]\s*\"?([a-z0-9][a-z0-9-]*)", re.IGNORECASE)
_EVENTS = re.compile(r"\bevents\s*[:=]\s*\"?(\d+)", re.IGNORECASE)
_HEAD = re.compile(r"\bhead\s*[:=]\s*\"?(?:sha256:)?([0-9a-f]{64})\b", re.IGNORECASE)
_HEADING = re.compile(r"\bCheckpoint of the record of plan\b", re.IGNORECASE)
_CHAIN = re.compile(
    r"\bstore[ _]chain\s*[:=]\s*\"?link\s+(\d+)\s+(?:sha256:)?([0-9a-f]{64})\b", re.IGNORECASE
)
# A checkpoint read from a URL or file is a few hundred bytes; anything much larger is
# not one.
MAX_CHECKPOINT_BYTES = 64 * 1024


def parse_checkpoint(text: str) -> Checkpoint:
    """A checkpoint as printed (text or JSON), or copied into minutes or a report: the
    plan, events and head lines are what count. In a document with other text before
    the statement (a report whose narratives might say "plan: ..."), the lines are read
    from the statement's own heading on, the last one in the document."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as e:
            raise InvalidInput(f"the checkpoint is not valid JSON: {e}") from None
        stripped = "\n".join(f"{k}: {v}" for k, v in data.items()) if isinstance(data, dict) else ""
    headings = list(_HEADING.finditer(stripped))
    if headings:
        stripped = stripped[headings[-1].start() :]
    found = {
        name: rx.search(stripped)
        for name, rx in (("plan", _PLAN), ("events", _EVENTS), ("head", _HEAD))
    }
    missing = [name for name, m in found.items() if m is None]
    if missing:
        raise InvalidInput(
            f"the checkpoint has no {' or '.join(missing)} line "
            "(expected 'plan: SLUG', 'events: N' and 'head: sha256:HEX')"
        )
    plan_m, events_m, head_m = found["plan"], found["events"], found["head"]
    assert plan_m and events_m and head_m
    chain_m = _CHAIN.search(stripped)
    return Checkpoint(
        plan=plan_m.group(1).lower(),
        events=int(events_m.group(1)),
        head=head_m.group(1).lower(),
        chain_links=int(chain_m.group(1)) if chain_m else None,
        chain_link=chain_m.group(2).lower() if chain_m else None,
    )


def read_checkpoint(value: str) -> Checkpoint:
    """The text itself, the name of a file holding it, or a URL (http, https or file)
    where a witness keeps it."""
    if re.match(r"^(https?|file)://", value, re.IGNORECASE):
        return parse_checkpoint(_fetch(value))
    path = Path(value)
    if len(value) < 4096 and "\n" not in value and path.is_file():
        return parse_checkpoint(path.read_text(encoding="utf-8", errors="replace"))
    return parse_checkpoint(value)


def _fetch(url: str) -> str:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=15) as response:  # noqa: S310 (schemes checked)
            data: bytes = response.read(MAX_CHECKPOINT_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", None) or e
        raise InvalidInput(f"cannot read the checkpoint at {url}: {reason}") from None
    if len(data) > MAX_CHECKPOINT_BYTES:
        raise InvalidInput(f"{url} holds more than a checkpoint ({MAX_CHECKPOINT_BYTES:,} bytes)")
    return data.decode("utf-8", errors="replace")


def require_plan(app: Any, slug: str) -> None:
    check_slug(slug)
    if not app.recorder.select_events(plan_id(slug), limit=1):
        raise NotFound(f"no plan '{slug}'")


def take_checkpoint(
    app: Any, slug: str, up_to_position: int | None = None
) -> tuple[Checkpoint, Verification]:
    """The checkpoint of the plan's record now, or as it stood at a position of the store
    (the plan's events up to it; `taken` is then left out, so the same checkpoint comes
    out whenever it is taken). Refused when the record is not intact: a checkpoint would
    vouch for a changed one."""
    require_plan(app, slug)
    result = verify_store(app, plan_id(slug), up_to_position=up_to_position)
    problems = result.problems_for(str(plan_id(slug)))
    if problems:
        raise InvalidInput(
            "the record is not intact, so no checkpoint was taken: " + problems[0].message()
        )
    assert result.plan is not None
    if up_to_position is None:
        checkpoint = Checkpoint(
            plan=slug,
            events=result.plan.events,
            head=result.plan.head,
            last_recorded=result.plan.last_recorded,
            taken=clock.now().isoformat(),
            chain_links=result.head.number if result.head else None,
            chain_link=result.head.link if result.head else None,
        )
        return checkpoint, result
    prefix = result.plan.up_to
    assert prefix is not None
    if not prefix.events:
        raise NotFound(f"plan '{slug}' had no events by position {up_to_position}")
    checkpoint = Checkpoint(
        plan=slug,
        events=prefix.events,
        head=prefix.head,
        last_recorded=prefix.last_recorded,
    )
    return checkpoint, result


@dataclass(frozen=True)
class CheckpointResult:
    checkpoint: Checkpoint
    verification: Verification
    holds: bool
    message: str

    @property
    def problems(self) -> list[Problem]:
        return self.verification.problems_for(str(plan_id(self.checkpoint.plan)))


def check_checkpoint(app: Any, checkpoint: Checkpoint) -> CheckpointResult:
    require_plan(app, checkpoint.plan)
    result = verify_store(app, plan_id(checkpoint.plan), checkpoint_events=checkpoint.events)
    digest = result.plan
    assert digest is not None
    if digest.events < checkpoint.events:
        holds = False
        message = (
            f"plan {checkpoint.plan} now has {digest.events} events, fewer than the "
            f"{checkpoint.events} the checkpoint covers: events were removed"
        )
    elif digest.at_checkpoint != checkpoint.head:
        holds = False
        message = (
            f"the first {checkpoint.events} events of plan {checkpoint.plan} no longer match "
            f"the checkpoint (head now {HASH_PREFIX}{digest.at_checkpoint}, checkpoint "
            f"{HASH_PREFIX}{checkpoint.head}): the history up to the checkpoint has changed"
        )
    else:
        holds = True
        later = digest.events - checkpoint.events
        message = (
            f"the first {checkpoint.events} events of plan {checkpoint.plan} match the "
            f"checkpoint ({HASH_PREFIX}{checkpoint.head}); {later} event(s) recorded since"
        )
        store = _store_chain_problem(app, checkpoint, result)
        if store is not None:
            holds, message = False, store
    return CheckpointResult(checkpoint, result, holds, message)


def _store_chain_problem(app: Any, checkpoint: Checkpoint, result: Verification) -> str | None:
    """Whether the store's chain still holds the link the checkpoint witnessed."""
    n, witnessed = checkpoint.chain_links, checkpoint.chain_link
    if n is None or not witnessed:
        return None
    if n == 0:
        return None
    link = app.recorder.find_link_number(n)
    if link is None:
        ends = result.head.number if result.head else 0
        return (
            f"the store's hash chain now ends at link {ends}, before link {n} that the "
            "checkpoint witnessed: the newest events were removed (and the chain's head "
            "rewound to hide it)"
        )
    if link.link != witnessed:
        return (
            f"link {n} of the store's hash chain is now {HASH_PREFIX}{link.link}, not the "
            f"{HASH_PREFIX}{witnessed} the checkpoint witnessed: the record up to it was "
            "rewritten"
        )
    return None
