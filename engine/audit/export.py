"""Exporting a plan: every stored event of its aggregates, and of the plan's people, as
JSON lines, exactly as stored, read and written a page at a time.

The plan's people are everyone who may act on it under the engine's rules, so that the
restored plan can be carried on: whoever recorded its events or is named as a lead or
accountable officer, everyone of one of its agencies (the plan's, and those its
governance items need: their approvers may not have acted yet), everyone with a role
that is not tied to an agency (admins, board secretaries, auditors), and whoever
registered or changed any of them. Other people of the store (other plans' agencies)
are left out.

The file is a header line, one line per event in the order the events were recorded,
and a trailer that states how many events there are, the plan's digest (see
engine.adapters.eventstore.chain) and a SHA-256 of every line before it, so a restore can tell a
complete, unchanged file from anything else.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from sqlalchemy import Connection, select

from domain import clock
from domain.users import user_id
from engine.adapters.eventstore.chain import (
    GENESIS,
    HASH_PREFIX,
    canonical_bytes,
    id_text,
    next_link,
)
from engine.audit.replay import read_stored
from engine.audit.timeline import Row
from engine.runtime import Runtime
from projections import queries
from projections.projectors import NO_PLAN
from projections.schema import history

FORMAT = "actiontrail-export"
VERSION = 1
PAGE = 2000


@dataclass
class ExportSummary:
    plan: str
    events: int = 0
    plan_events: int = 0
    users: int = 0
    digest: str = GENESIS


# Roles that act on every plan of the store, whatever the person's agency.
STORE_ROLES = frozenset({"admin", "secretary", "auditor"})


def referenced_users(conn: Connection, pid: str, named: set[str]) -> list[str]:
    """The ids of the plan's people: who did something in the plan, the people named
    (see plan_people), and who registered or changed those users, until nobody new
    turns up."""
    emails = {
        str(a)
        for a in conn.execute(
            select(history.c.actor).where(history.c.plan_id == pid).distinct()
        ).scalars()
        if a
    } | named
    found: set[str] = set()
    while True:
        ids = {str(user_id(e)) for e in emails} - found
        registered = set(
            conn.execute(
                select(history.c.originator_id)
                .where(history.c.plan_id == NO_PLAN, history.c.originator_id.in_(sorted(ids)))
                .distinct()
            ).scalars()
        )
        if not registered:
            return sorted(found)
        found |= registered
        emails = {
            str(a)
            for a in conn.execute(
                select(history.c.actor)
                .where(
                    history.c.plan_id == NO_PLAN,
                    history.c.originator_id.in_(sorted(registered)),
                )
                .distinct()
            ).scalars()
            if a
        }


def plan_people(rt: Runtime, plan: dict[str, Any]) -> set[str]:
    """The emails of those who may act on the plan without having done so yet: its
    actions' leads and accountable officers, the people of its agencies and of the
    agencies its governance items need, and every admin, secretary and auditor."""
    emails = set()
    for a in queries.actions(rt.engine, plan):
        for p in [*(a["leads"] or []), a["accountable"]]:
            if p and p.get("email"):
                emails.add(str(p["email"]).lower())
    agencies = set(plan.get("agencies") or [])
    for item in queries.items(rt.engine, plan):
        agencies |= set(item.get("agencies") or [])
    for user in queries.users(rt.engine):
        if user.get("agency") in agencies or STORE_ROLES & set(user.get("roles") or []):
            emails.add(str(user["email"]).lower())
    return emails


def _pages(
    conn: Connection, pid: str, users: list[str], page: int
) -> Iterator[list[tuple[Row, bool]]]:
    after = 0
    mine = history.c.plan_id == pid
    theirs = (history.c.plan_id == NO_PLAN) & history.c.originator_id.in_(users)
    while True:
        rows = conn.execute(
            select(
                history.c.seq,
                history.c.originator_id,
                history.c.originator_version,
                history.c.kind,
                history.c.recorded_at,
                history.c.effective_on,
                history.c.plan_id,
            )
            .where(history.c.seq > after, mine | theirs if users else mine)
            .order_by(history.c.seq)
            .limit(page)
        ).all()
        if not rows:
            return
        yield [(Row(*r[:6]), r[6] == pid) for r in rows]
        after = rows[-1][0]


def line(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=True) + "\n"


def export_plan(rt: Runtime, slug: str, out: TextIO, page: int = PAGE) -> ExportSummary:
    rt.catch_up()
    plan = queries.plan(rt.engine, slug)
    pid = str(plan["id"])
    summary = ExportSummary(slug)
    file_hash = hashlib.sha256()

    def write(data: dict[str, Any]) -> None:
        text = line(data)
        file_hash.update(text.encode("ascii"))
        out.write(text)

    with rt.engine.connect() as conn:
        users = referenced_users(conn, pid, plan_people(rt, plan))
        summary.users = len(users)
        write(
            {
                "format": FORMAT,
                "version": VERSION,
                "plan": slug,
                "plan_id": pid,
                "users": len(users),
                "exported_at": clock.now().isoformat(),
                "source": rt.db.kind,
            }
        )
        for rows in _pages(conn, pid, users, page):
            of_plan = {r.seq: mine for r, mine in rows}
            for row, stored in read_stored(rt.app, [r for r, _ in rows]):
                mine = of_plan[row.seq]
                write(
                    {
                        "position": row.seq,
                        "of": "plan" if mine else "user",
                        "originator_id": id_text(stored.originator_id),
                        "originator_version": stored.originator_version,
                        "topic": stored.topic,
                        "state": base64.b64encode(stored.state).decode("ascii"),
                    }
                )
                summary.events += 1
                if mine:
                    summary.plan_events += 1
                    summary.digest = next_link(
                        summary.digest,
                        canonical_bytes(
                            stored.originator_id,
                            stored.originator_version,
                            stored.topic,
                            stored.state,
                        ),
                    )
    out.write(
        line(
            {
                "end": True,
                "events": summary.events,
                "plan_events": summary.plan_events,
                "plan_digest": f"{HASH_PREFIX}{summary.digest}",
                "file_sha256": file_hash.hexdigest(),
            }
        )
    )
    return summary
