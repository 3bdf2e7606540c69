"""Restoring an exported plan into an empty store.

The file is read twice, a line at a time: first to prove it is complete and unchanged
(its trailer's counts, plan digest and file hash), then to insert the events in batches
through the event store's own recorder, which chains them as it would any new event.
Nothing is inserted from a file that fails the first reading.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.errors import DomainError, InvalidInput
from domain.ids import plan_id
from engine.adapters.eventstore.chain import GENESIS, HASH_PREFIX, canonical_bytes, next_link
from engine.audit.export import FORMAT, VERSION
from engine.audit.verify import verify_store
from engine.runtime import Runtime

BATCH = 500


@dataclass
class RestoreSummary:
    plan: str
    events: int
    plan_events: int
    digest: str


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open("r", encoding="ascii", errors="strict", newline="\n") as f:
        yield from enumerate(f, 1)


def _event(number: int, data: dict[str, Any]) -> tuple[StoredEvent, bool]:
    try:
        event = StoredEvent(
            originator_id=UUID(data["originator_id"]),
            originator_version=int(data["originator_version"]),
            topic=str(data["topic"]),
            state=base64.b64decode(data["state"], validate=True),
        )
        return event, data["of"] == "plan"
    except (KeyError, ValueError, TypeError, binascii.Error) as e:
        raise InvalidInput(f"line {number} is not an exported event ({e})") from None


def check_file(path: Path) -> tuple[dict[str, Any], RestoreSummary]:
    """The header, and what the trailer vouches for, once every line has been checked."""
    header: dict[str, Any] | None = None
    trailer: dict[str, Any] | None = None
    file_hash = hashlib.sha256()
    events = plan_events = 0
    digest = GENESIS
    try:
        for number, text in _lines(path):
            if trailer is not None:
                raise InvalidInput(f"line {number} follows the end of the export")
            try:
                data = json.loads(text)
            except json.JSONDecodeError:
                raise InvalidInput(f"line {number} is not JSON") from None
            if not isinstance(data, dict):
                raise InvalidInput(f"line {number} is not an exported record")
            if header is None:
                if data.get("format") != FORMAT or data.get("version") != VERSION:
                    raise InvalidInput(f"{path} is not an actiontrail export (version {VERSION})")
                header = data
            elif data.get("end") is True:
                trailer = data
                continue
            else:
                event, mine = _event(number, data)
                events += 1
                if mine:
                    plan_events += 1
                    digest = next_link(
                        digest,
                        canonical_bytes(
                            event.originator_id,
                            event.originator_version,
                            event.topic,
                            event.state,
                        ),
                    )
            file_hash.update(text.encode("ascii"))
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not an actiontrail export (not ASCII JSON lines)") from None
    except OSError as e:
        raise InvalidInput(f"cannot read {path}: {e.strerror}") from None
    if header is None:
        raise InvalidInput(f"{path} is empty")
    if trailer is None:
        raise InvalidInput(f"{path} ends before its last line: the export is incomplete")
    stated = (trailer.get("events"), trailer.get("plan_events"), trailer.get("plan_digest"))
    if (
        stated != (events, plan_events, f"{HASH_PREFIX}{digest}")
        or trailer.get("file_sha256") != file_hash.hexdigest()
    ):
        raise InvalidInput(
            f"{path} does not match its own trailer: it was changed or damaged after export"
        )
    return header, RestoreSummary(str(header["plan"]), events, plan_events, digest)


def restore_plan(rt: Runtime, path: Path) -> RestoreSummary:
    _, summary = check_file(path)
    slug = summary.plan
    recorder: Any = rt.app.recorder
    if recorder.select_events(plan_id(slug), limit=1):
        raise DomainError(f"plan '{slug}' already exists in this store; nothing was restored")
    held = recorder.max_notification_id() or 0
    if held:
        raise DomainError(
            f"this store already holds events (up to position {held}); restore needs an "
            "empty store, so nothing was restored"
        )
    batch: list[StoredEvent] = []
    inserted = 0
    for number, text in _lines(path):
        data = json.loads(text)
        if number == 1 or data.get("end") is True:
            continue
        batch.append(_event(number, data)[0])
        if len(batch) >= BATCH:
            recorder.insert_events(batch)
            inserted += len(batch)
            batch = []
    if batch:
        recorder.insert_events(batch)
        inserted += len(batch)
    rt.catch_up()
    result = verify_store(rt.app, plan_id(slug))
    assert result.plan is not None
    if result.problems or result.plan.head != summary.digest:
        raise DomainError(
            f"plan '{slug}' was restored ({inserted} events) but does not verify as exported; "
            "run 'actiontrail verify' for where"
        )
    return summary
