"""The record cannot be quietly re-sealed: a store whose chain was dropped takes no write
until an admin adopts its events, loudly and on the record; and a witnessed checkpoint
kept outside the database catches the newest events removed with the head rewound."""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

import pytest

from engine.adapters.eventstore.chain import ADOPTION_TOPIC
from engine.audit.verify import verify_store
from engine.runtime import Runtime
from tests.conftest import ADMIN, AUDITOR, LEAD2, World, open_runtime
from tests.test_audit_chain import action_oid, busy
from tests.test_audit_tools import Cli, RawStore, raw_store  # noqa: F401  (fixture)

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence


def drop_chain_and_alter(world: World, raw: RawStore) -> None:
    busy(world)
    raw.sql(f"DROP TABLE {raw.chain}")
    raw.sql(f"DROP TABLE {raw.head}")
    raw.alter(raw.positions(action_oid("1.1"))[2], b'"amber"', b'"green"')


def test_the_adoption_event_is_the_one_the_stores_accept_without_a_chain() -> None:
    from eventsourcing.utils import get_topic

    from domain.chain_adoption import ChainAdoption

    assert get_topic(ChainAdoption.Adopted) == ADOPTION_TOPIC


def test_a_store_whose_chain_was_dropped_refuses_writes_and_says_so(
    world: World, raw: RawStore, tmp_path: Path
) -> None:
    drop_chain_and_alter(world, raw)
    world.rt.close()
    cli = Cli(tmp_path, world.rt.db.url)
    # Opening again (which used to re-seal the altered history) makes no chain over it.
    r = cli("action", "start", "plan", "1.2", user=LEAD2)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "its hash chain does not cover" in r.stderr
    assert "verify --adopt" in r.stderr

    v = cli("verify")
    assert v.returncode == 1
    assert "NOT INTACT" in v.stdout and "unchained" in v.stdout
    assert "adopted them as they stood" not in v.stdout


def test_only_an_admin_adopts_and_the_adoption_is_loud_and_recorded(
    world: World, raw: RawStore, tmp_path: Path
) -> None:
    drop_chain_and_alter(world, raw)
    events = raw.last_position()
    world.rt.close()
    cli = Cli(tmp_path, world.rt.db.url)
    refused = cli("verify", "--adopt", "--reason", "restored", user=AUDITOR)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert cli("verify").returncode == 1  # still refused, still not intact

    done = cli("verify", "--adopt", "--reason", "chain tables lost in a restore", user=ADMIN)
    assert done.returncode == 0, done.stderr
    assert f"ADOPTED AS THEY STAND: {events} stored event(s), up to position {events}" in (
        done.stdout
    )
    assert "WARNING" in done.stderr
    assert cli("verify").returncode == 0
    [(state,)] = raw.sql(f"SELECT state FROM {raw.events} WHERE topic = ?", [ADOPTION_TOPIC])
    recorded = json.loads(bytes(state))
    assert (recorded["actor"], recorded["events"]) == (ADMIN, events)
    assert recorded["reason"] == "chain tables lost in a restore"
    # Writes go again, chained after the adoption.
    cli.ok("action", "start", "plan", "1.2", user=LEAD2)
    assert cli("verify").returncode == 0
    again = cli("verify", "--adopt", "--reason", "again", user=ADMIN)
    assert again.returncode == 1 and "nothing to adopt" in again.stderr


def truncate_newest(raw: RawStore) -> None:
    """A knowing forger's truncation: the newest event and its link removed, the head
    rewound to the link before, so that the chain alone shows nothing."""
    last = raw.last_position()
    raw.delete(last)
    raw.delete_link(last)
    ((position, number, link),) = raw.sql(
        f"SELECT position, number, link FROM {raw.chain} ORDER BY position DESC LIMIT 1"
    )
    raw.sql(f"UPDATE {raw.head} SET position = ?, number = ?, link = ?", [position, number, link])


def test_a_witnessed_checkpoint_catches_the_newest_events_removed(
    world: World, raw: RawStore, tmp_path: Path
) -> None:
    busy(world)
    # The newest event when the checkpoint is taken is no plan's own (a new user), so
    # the plan's digest alone would not miss it.
    world.rt.app.add_user(ADMIN, "new@council.example", "New", ["lead"])
    cli = Cli(tmp_path, world.rt.db.url)
    witnessed = tmp_path / "witnessed.txt"
    witnessed.write_text(cli.ok("checkpoint", "plan"))
    assert "store chain: link " in witnessed.read_text()
    truncate_newest(raw)
    assert verify_store(world.rt.app).intact  # the chain alone cannot tell

    r = cli("verify", "--checkpoint", str(witnessed))
    assert r.returncode == 1
    assert "before link" in r.stdout and "newest events were removed" in r.stdout


def test_a_checkpoint_is_read_from_a_url_and_a_rewrite_is_caught(
    world: World, raw: RawStore, tmp_path: Path
) -> None:
    busy(world)
    cli = Cli(tmp_path, world.rt.db.url)
    (tmp_path / "cp.txt").write_text(cli.ok("checkpoint", "plan"))
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/cp.txt"
    try:
        assert cli("verify", "--checkpoint", url).returncode == 0
        # A user's event (no plan's) altered and the whole chain recomputed.
        users = raw.sql(f"SELECT MIN({raw.pos}) FROM {raw.events}")
        raw.alter(int(users[0][0]), b"Ada", b"Eve")
        raw.rechain()
        assert verify_store(world.rt.app).intact
        r = cli("verify", "--checkpoint", url)
        assert r.returncode == 1
        assert "the record up to it was rewritten" in r.stdout
        missing = cli("verify", "--checkpoint", url.replace("cp.txt", "none.txt"))
        assert missing.returncode == 1 and "cannot read the checkpoint at" in missing.stderr
    finally:
        server.shutdown()


def test_reopening_a_store_with_its_chain_dropped_seals_nothing(
    world: World, raw: RawStore, tmp_path: Path
) -> None:
    drop_chain_and_alter(world, raw)
    world.rt.close()
    rt: Runtime = open_runtime(world.rt.db.url, tmp_path)
    try:
        assert raw.sql(f"SELECT COUNT(*) FROM {raw.chain}") == [(0,)]
        assert not verify_store(rt.app).intact
    finally:
        rt.close()


def test_the_web_verify_check_catches_the_newest_events_removed(
    world: World, raw: RawStore, tmp_path: Path
) -> None:
    """The web's verify page and API check a pasted checkpoint with the same check as
    `verify --checkpoint`, so a truncated store is caught there too."""
    from engine.web.auditing import check_statement

    busy(world)
    world.rt.app.add_user(ADMIN, "new@council.example", "New", ["lead"])
    witnessed = Cli(tmp_path, world.rt.db.url).ok("checkpoint", "plan")
    assert check_statement(world.rt, "plan", witnessed)["holds"] is True
    truncate_newest(raw)
    checked = check_statement(world.rt, "plan", witnessed)
    assert checked["holds"] is False
    assert "newest events were removed" in checked["message"]
