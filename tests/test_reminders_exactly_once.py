"""Reminders exactly once, however the sender ends: each outcome recorded as it is sent,
a restarted sender taking its own claims back at once, one bad reminder or one bad name
never losing a person's digest, and nothing but the application service writing."""

from __future__ import annotations

import ast
import io
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog

from config.logging import configure_logging
from domain.clock import FixedClock
from domain.dispatch import Dispatch, DispatchStatus, dispatch_id
from domain.values import Person
from engine.reminders.dispatcher import Dispatcher
from engine.reminders.sender import LOCK_DIR_ENV
from engine.runtime import Runtime
from tests.conftest import LEAD
from tests.test_reminders_support import MailServer, at, setup_plan, simple_action

DAY = date(2009, 6, 30)
ENGINE = Path(__file__).parent.parent / "engine"


@pytest.fixture(autouse=True)
def own_lock_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LOCK_DIR_ENV, str(tmp_path / "senders"))


def item(ref: str, **changes: Any) -> dict[str, Any]:
    """A reminder as a Dispatch keeps it (engine.reminders.items.item_data)."""
    return {
        "section": "due",
        "rule": "lead_time",
        "plan": "plan",
        "plan_title": "Safeguarding plan",
        "kind": "action",
        "ref": ref,
        "title": f"Action {ref}",
        "due": "2009-07-02",
        "rag": "green",
        "reported_rag": None,
        "status": "in_progress",
        "url_path": f"/plans/plan/actions/{ref}",
        "version": None,
        "agency": None,
        "since": None,
        "leads": [],
        "action_ref": ref,
        "days_overdue": None,
        "working_days_left": 2,
        "days_waiting": None,
        **changes,
    }


def queue(rt: Runtime, key: str, to: Person, items: list[dict[str, Any]]) -> None:
    assert rt.app.queue_dispatches([Dispatch.queue(key, to, DAY, [], items)]) == 1


def queue_for_leads(rt: Runtime, count: int) -> None:
    """One digest of action 1.1 for each of `count` leads, keyed k0, k1 and on, to
    lead0@council.example, lead1@council.example and on."""
    for n in range(count):
        queue(rt, f"k{n}", Person(f"Lead {n}", f"lead{n}@council.example"), [item("1.1")])


def test_a_reminder_that_cannot_be_rendered_is_left_out_and_the_rest_goes(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    clock.set(at(DAY))
    # "purple" is no RAG this version knows: as if stored by another version.
    queue(rt, "k1", Person("Lee Lead", LEAD), [item("1.1"), item("1.2", rag="purple")])
    dispatcher = Dispatcher(rt, server.transport())
    report = dispatcher.send_due()
    assert (report.sent, report.failed) == (1, 0)
    assert len(report.left_out) == 1
    assert report.left_out[0].startswith(f"{LEAD}: 1.2 (ValueError:")
    [(_, message)] = server.inbox.received
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "1.1 Action 1.1" in text
    assert "1.2" not in text
    stored = rt.app.dispatch(dispatch_id("k1"))
    assert stored is not None and stored.status is DispatchStatus.SENT


def test_a_name_with_a_line_break_can_neither_fail_a_digest_nor_add_a_header(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    clock.set(at(date(2009, 6, 1)))
    dan = Person("Dan\r\nBcc: <mallory@evil.example>", "dan@council.example", "Council")
    setup_plan(rt, simple_action("1.1", DAY, leads=[dan]))
    clock.set(at(DAY))
    _, sent = Dispatcher(rt, server.transport()).run(DAY)
    assert (sent.sent, sent.failed) == (1, 0)
    [(rcpts, message)] = server.inbox.received
    assert rcpts == ["dan@council.example"]
    assert message["Bcc"] is None
    assert (
        str(message["To"])
        == '"Dan\\\\u000d\\\\u000aBcc: <mallory@evil.example>" <dan@council.example>'
    )


def test_bidirectional_controls_are_shown_escaped_in_both_parts_of_a_digest(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    clock.set(at(DAY))
    queue(rt, "k1", Person("Lee Lead", LEAD), [item("1.1", title="Pay \u202etxt.exe")])
    Dispatcher(rt, server.transport()).send_due()
    [(_, message)] = server.inbox.received
    for kind in ("plain", "html"):
        body = message.get_body((kind,)).get_content()  # type: ignore[union-attr]
        assert "\u202e" not in body
        assert "Pay \\u202etxt.exe" in body


def test_a_restarted_sender_takes_its_own_claims_back_at_once(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    clock.set(at(DAY))
    queue_for_leads(rt, 3)
    first = Dispatcher(rt, server.transport())
    # It claims all three, and dies before sending any (kill -9 releases its name).
    ids = [dispatch_id(f"k{n}") for n in range(3)]
    assert len(rt.app.claim_dispatches(ids, first.name, clock(), first.config.lease)) == 3
    first.close()
    clock.set(clock() + timedelta(seconds=5))  # the lease has ten minutes to run

    # Another sender, on a name of its own, waits out the lease.
    assert Dispatcher(rt, server.transport(), name="other").send_due().claimed == 0
    again = Dispatcher(rt, server.transport())
    assert again.name == first.name
    report = again.send_due()
    assert (report.reclaimed, report.sent) == (3, 3)
    assert sorted(server.inbox.recipients()) == [f"lead{n}@council.example" for n in range(3)]


def test_two_live_senders_on_one_host_never_share_a_name(rt: Runtime) -> None:
    one, two = Dispatcher(rt), Dispatcher(rt)
    assert one.name != two.name
    one.close()
    assert Dispatcher(rt).name == one.name


def test_outcomes_are_recorded_one_by_one_as_the_server_answers(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    clock.set(at(DAY))
    queue_for_leads(rt, 6)
    seen: list[int] = []

    class Watching(Dispatcher):
        def _record(self, d: Any, attempt: Any, report: Any) -> None:
            super()._record(d, attempt, report)
            stored = [self.rt.app.dispatch(dispatch_id(f"k{n}")) for n in range(6)]
            seen.append(sum(s is not None and s.status is DispatchStatus.SENT for s in stored))

    report = Watching(rt, server.transport(pool_size=1)).send_due()
    assert report.sent == 6
    # Each message's outcome was in the store before the next one was sent.
    assert seen == [1, 2, 3, 4, 5, 6]


def test_no_traceback_shows_local_variables_outside_debug(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    configure_logging("warning", "console")
    try:
        secret_local = "hunter2-password"  # noqa: F841
        raise ValueError("Header values may not contain linefeed")
    except ValueError:
        structlog.get_logger("t").exception("reminder could not be rendered")
    written = out.getvalue()
    assert "ValueError: Header values may not contain linefeed" in written
    assert "hunter2-password" not in written
    configure_logging("warning", "console")


def test_the_reminders_write_only_through_the_application_service() -> None:
    offenders = []
    for path in sorted((ENGINE / "reminders").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("record", "save")
            ):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
