"""Rules stated once: the web asks the domain (next statuses, who leads, which changes need
a reason); one parser of moments for the command line and the web; link signing apart
from the web; no command-line library outside the command line."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from domain.action import Action, next_statuses, rag_needs_reason, status_needs_reason
from domain.clock import FixedClock, using_clock
from domain.errors import DomainError, InvalidInput
from domain.values import REPORTABLE_RAGS, Person, Rag, Status
from engine.service.times import MalformedMoment, parse_moment
from engine.web import reads
from engine.web.times import local_input_to_utc
from engine.web.updates import UpdateForm
from projections.views import new_action_view

ROOT = Path(__file__).resolve().parents[1]
LEAD = Person("Lee Lead", "Lee.Lead@Council.example", "Council")
OTHER_LEAD = Person("Nia Nurse", "nia@nhs.example", "NHS")
NO_EMAIL = Person("Pat Police", None, "Police")
ACCOUNTABLE = Person("Ann Able", "ANN@council.example")


@pytest.fixture(autouse=True)
def june_2009() -> Iterator[None]:
    with using_clock(FixedClock(datetime(2009, 6, 1, 9, tzinfo=UTC))):
        yield


def an_action(status: Status = Status.NOT_STARTED) -> Action:
    action = Action.add(
        uuid4(), "1.1", "Audit case files", actor="admin@council.example",
        leads=[LEAD, OTHER_LEAD, NO_EMAIL], accountable=ACCOUNTABLE,
    )  # fmt: skip
    action.status = status
    return action


# Statuses


def may_become(action: Action, to: Status) -> bool:
    try:
        action.check_transition(to)
    except DomainError:
        return False
    return True


@pytest.mark.parametrize("current", list(Status))
def test_the_web_offers_exactly_the_statuses_the_action_may_move_to(current: Status) -> None:
    allowed = [to for to in Status if may_become(an_action(current), to)]
    assert next_statuses(current) == allowed
    assert an_action(current).next_statuses() == allowed
    assert reads.NEXT_STATUSES[current.value] == [s.value for s in allowed]


# Leads and accountable officers


@pytest.mark.parametrize(
    "email",
    [
        "lee.lead@council.example",
        "nia@nhs.example",
        "ann@council.example",
        "someone@else.example",
        "",
    ],
)
def test_the_web_knows_leads_and_accountable_officers_as_the_action_does(email: str) -> None:
    action = an_action()
    # The view the read models hold, made from the action's own event.
    view = new_action_view(str(action.id), action.pending_events[0])
    assert reads.is_lead(view, email) is action.is_lead(email)
    assert reads.is_accountable(view, email) is action.is_accountable(email)
    assert reads.may_update(view, email) is (action.is_lead(email) or action.is_accountable(email))


def test_leads_are_found_by_their_email_in_lower_case() -> None:
    action = an_action()
    assert action.is_lead("lee.lead@council.example")
    assert action.is_accountable("ann@council.example")
    assert not action.is_lead("ann@council.example")


# Reasons


def refused(check: object) -> bool:
    try:
        check()  # type: ignore[operator]
    except InvalidInput:
        return True
    return False


@pytest.mark.parametrize("rag", list(REPORTABLE_RAGS))
def test_the_form_asks_for_a_reason_for_the_ratings_the_action_does(rag: Rag) -> None:
    action = an_action(Status.IN_PROGRESS)
    by_domain = refused(lambda: action.assess_rag(rag, actor="lee.lead@council.example"))
    by_form = refused(UpdateForm(version=1, rag=rag.value).check)
    assert by_domain == by_form == rag_needs_reason(rag)
    UpdateForm(version=1, rag=rag.value, rag_reason="why").check()


def test_the_form_refuses_the_ratings_a_lead_cannot_give() -> None:
    for rag in set(Rag) - set(REPORTABLE_RAGS):
        with pytest.raises(InvalidInput, match="is not a RAG rating"):
            UpdateForm(version=1, rag=rag.value, rag_reason="why").check()


# Verifying needs accepted evidence as well, and the form cannot know of it.
REACHABLE = [t for t in Status if any(t in next_statuses(s) for s in Status)]


@pytest.mark.parametrize("to", [s for s in REACHABLE if s is not Status.VERIFIED])
def test_the_form_asks_for_a_reason_for_the_statuses_the_action_does(to: Status) -> None:
    start = next(s for s in Status if to in next_statuses(s))
    action = an_action(start)
    by_domain = refused(lambda: action.change_status(to, actor="lee.lead@council.example"))
    by_form = refused(UpdateForm(version=1, status=to.value).check)
    assert by_domain == by_form == status_needs_reason(to)


# Moments


@pytest.mark.parametrize(
    ("typed", "end"),
    [("2009-07-31T18:00", True), ("2009-07-31", True), ("2009-07-31", False),
     ("2009-01-15T09:30", False), ("2009-07-31T17:00:00+00:00", True)],
)  # fmt: skip
def test_the_web_and_the_command_line_read_a_moment_alike(typed: str, end: bool) -> None:
    assert local_input_to_utc(typed, end=end) == parse_moment(typed, end_of_day=end).isoformat()


def test_each_says_in_its_own_words_that_a_moment_is_malformed() -> None:
    with pytest.raises(MalformedMoment, match="use YYYY-MM-DD") as refusal:
        parse_moment("2009-13-01", option="--as-of")
    assert refusal.value.option == "--as-of"
    with pytest.raises(ValueError, match="use the picker"):
        local_input_to_utc("2009-13-01", end=True)
    assert local_input_to_utc("  ", end=True) is None


def test_the_web_keeps_no_parser_of_its_own() -> None:
    text = (ROOT / "engine" / "web" / "times.py").read_text(encoding="utf-8")
    assert "fromisoformat" not in text and "engine.service.times" in text


def test_a_malformed_moment_on_the_command_line_is_bad_usage(tmp_path: Path) -> None:
    from tests.cli import Cli

    r = Cli(tmp_path, f"sqlite:///{tmp_path / 'a.db'}")("show", "p", "--as-of", "2009-13-01")
    assert r.returncode == 2, r.stderr
    shown = " ".join(r.stderr.split())
    assert "Invalid value for --as-of: '2009-13-01' is not a date or time" in shown
    assert "Usage: actiontrail show" in shown and "Traceback" not in shown


# Edges


def test_no_module_of_the_engine_outside_the_command_line_imports_typer() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "engine").rglob("*.py")
        if "cli" not in path.relative_to(ROOT / "engine").parts
        and re.search(r"^\s*(import typer|from typer)", path.read_text(encoding="utf-8"), re.M)
    ]
    assert offenders == []


def test_times_closing_and_reminders_load_without_typer_or_the_web_application() -> None:
    probe = (
        "import sys, engine.service.times, engine.plans.closing, engine.links, engine.web.times, "
        "engine.reminders.delivery; "
        "print(sorted(m for m in ('typer', 'starlette', 'fastapi', 'engine.web.security') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_reminders_sign_links_with_the_link_module_the_web_checks() -> None:
    from engine import links
    from engine.reminders import delivery
    from engine.web.security import Signer

    assert delivery.make_action_link is links.make_action_link
    token = links.LinkSigner("key").dump("lee@council.example", "plan", "1.1", 3)
    email, scope, epoch = Signer("key").load_link(token) or ("", None, -1)
    assert (email, scope, epoch) == ("lee@council.example", links.LinkScope("plan", "1.1"), 3)
    assert Signer("another key").load_link(token) is None
