"""The governance report: each item against each required agency, what is pending and
since when, and the board's sign-off."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest

from domain.clock import FixedClock
from engine.plans.closing import close_period
from engine.reports import ReportFormat, ReportKind, build_report, render
from engine.reports.governance import GovernanceContent
from engine.runtime import Runtime
from tests.conftest import ADMIN, NHS, POLICE, SECRETARY, World
from tests.test_reports import parse, table_with_class, text_of
from tests.test_reports_sheets import table_rows

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence

COUNCIL = "approver@council.example"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def content_of(rt: Runtime, period: str | None) -> GovernanceContent:
    content = build_report(rt, "plan", ReportKind.GOVERNANCE, period).content
    assert isinstance(content, GovernanceContent)
    return content


def opened(world: World, clock: FixedClock) -> Runtime:
    rt = world.rt
    rt.app.add_user(ADMIN, COUNCIL, "Cy Council", ["approver"], agency="Council")
    clock.set(datetime(2009, 6, 2, 10, tzinfo=UTC))
    rt.app.open_item(
        SECRETARY, "plan", "proc", "Procedures", ["Council", "NHS Trust", "Police"], "v1", sha("v1")
    )
    clock.set(datetime(2009, 6, 12, 10, tzinfo=UTC))
    rt.app.decide_item(
        NHS, "plan", "proc", "NHS Trust", True, "Trust Board", date(2009, 6, 10), minute_ref="TB/7"
    )
    return rt


def test_matrix_shows_each_agencys_decision_and_what_is_pending(
    world: World, clock: FixedClock
) -> None:
    rt = opened(world, clock)
    clock.set(datetime(2009, 6, 22, 10, tzinfo=UTC))
    content = content_of(rt, None)
    assert content.agencies == ["Council", "NHS Trust", "Police"]
    [row] = content.rows
    nhs = row["by_agency"]["NHS Trust"]
    assert (nhs["state"], nhs["body"], nhs["minute_ref"], nhs["decided_on"], nhs["version"]) == (
        "approved",
        "Trust Board",
        "TB/7",
        "2009-06-10",
        1,
    )
    assert [(w.agency, w.since, w.for_days) for w in content.waiting] == [
        ("Council", "2 Jun 2009", "20 days"),
        ("Police", "2 Jun 2009", "20 days"),
    ]
    root = parse(render(build_report(rt, "plan", ReportKind.GOVERNANCE, None), ReportFormat.HTML))
    matrix = table_with_class(root, "matrix")
    heads = [text_of(th) for th in matrix.findall("./thead/tr/th")]
    assert heads == ["Item", "Council", "NHS Trust", "Police", "Board sign-off"]
    cells = [
        [t.strip() for t in td.itertext() if t.strip()] for td in matrix.findall("./tbody/tr/td")
    ]
    assert cells[0] == ["Pending", "pending since 2 Jun 2009"]
    assert cells[1] == ["Approved", "Trust Board, minute TB/7", "10 Jun 2009", "version 1"]
    assert cells[3] == ["Awaiting agency approvals"]


def test_board_sign_off_once_every_agency_has_approved(world: World, clock: FixedClock) -> None:
    rt = opened(world, clock)
    rt.app.decide_item(POLICE, "plan", "proc", "Police", True, "Command Team", date(2009, 6, 11))
    rt.app.decide_item(COUNCIL, "plan", "proc", "Council", True, "Executive", date(2009, 6, 11))
    assert content_of(rt, None).ready == 1
    clock.set(datetime(2009, 6, 20, 10, tzinfo=UTC))
    rt.app.sign_off(SECRETARY, "plan", "proc", "Safeguarding Board", date(2009, 6, 20), "SB/3")
    content = content_of(rt, None)
    assert (content.signed, content.ready, content.waiting) == (1, 0, [])
    html = render(build_report(rt, "plan", ReportKind.GOVERNANCE, None), ReportFormat.HTML)
    assert "Signed off by Safeguarding Board on 20 Jun 2009 (minute SB/3)" in html.decode()


def test_a_closed_period_shows_the_item_as_it_stood_then(world: World, clock: FixedClock) -> None:
    rt = opened(world, clock)
    clock.set(datetime(2009, 6, 30, 17, tzinfo=UTC))
    close_period(rt, SECRETARY, "plan", "2009-06")
    clock.set(datetime(2009, 7, 3, 10, tzinfo=UTC))
    rt.app.revise_item(SECRETARY, "plan", "proc", "v2", sha("v2"), "police comments")

    [then] = content_of(rt, "2009-06").rows
    assert then["current_version"] == 1
    assert then["by_agency"]["NHS Trust"]["state"] == "approved"
    [now] = content_of(rt, "2009-07").rows
    assert now["current_version"] == 2
    assert now["by_agency"]["NHS Trust"]["state"] == "stale"
    stale = next(w for w in content_of(rt, "2009-07").waiting if w.agency == "NHS Trust")
    assert stale.state == "Approved version 1 only; this version pending"
    assert stale.since == "3 Jul 2009"


def test_csv_has_a_row_per_item_and_agency(world: World, clock: FixedClock) -> None:
    rt = opened(world, clock)
    data = render(build_report(rt, "plan", ReportKind.GOVERNANCE, None), ReportFormat.CSV)
    rows = table_rows(data)
    assert [(r["Agency"], r["State"], r["Decided on"]) for r in rows] == [
        ("Council", "Pending", ""),
        ("NHS Trust", "Approved", "2009-06-10"),
        ("Police", "Pending", ""),
    ]
