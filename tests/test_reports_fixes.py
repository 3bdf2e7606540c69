"""Report fixes: a title said once, Markdown that escapes Markdown (not HTML), and the
governance history of earlier versions' sign-offs and revocations kept after a revision."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.clock import FixedClock
from engine.reports import ReportFormat, ReportKind, build_report, render
from engine.reports.governance import GovernanceContent
from projections import queries
from tests.conftest import ADMIN, NHS, POLICE, SECRETARY, World
from tests.test_reports_governance import COUNCIL, opened, sha

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence


def test_a_plan_titled_after_its_report_is_not_given_the_title_twice(world: World) -> None:
    rt = world.rt
    rt.app.create_plan(ADMIN, "leeds", "Leeds Inspection Action Plan: Summary Report August 2009")
    august = build_report(rt, "leeds", ReportKind.PROGRESS, "2009-06")
    assert august.title == "Leeds Inspection Action Plan: Summary Report June 2009"
    html = render(august, ReportFormat.HTML).decode()
    assert html.count("Summary Report") == 2  # the <title> and the heading
    assert "Summary Report August 2009" not in html
    exception = build_report(rt, "leeds", ReportKind.EXCEPTION, "2009-06")
    assert exception.title == "Leeds Inspection Action Plan: Exception Report June 2009"
    plain = build_report(rt, "plan", ReportKind.PROGRESS, "2009-06")
    assert plain.title == "Safeguarding plan: Summary Report June 2009"
    md = render(plain, ReportFormat.MD).decode()
    assert md.count("Safeguarding plan") == 1


def test_markdown_shows_an_ampersand_as_written(world: World) -> None:
    rt = world.rt
    rt.app.create_plan(ADMIN, "tw", "Improvement plan", organisation="Telford & Wrekin Council")
    md = render(build_report(rt, "tw", ReportKind.PROGRESS, "2009-06"), ReportFormat.MD).decode()
    assert "**Telford & Wrekin Council**" in md
    assert "&amp;" not in md


def test_earlier_versions_sign_offs_and_revocations_stay_on_the_record(
    world: World, clock: FixedClock
) -> None:
    rt = opened(world, clock)
    app = rt.app
    app.decide_item(COUNCIL, "plan", "proc", "Council", True, "Executive", date(2009, 6, 11))
    app.decide_item(POLICE, "plan", "proc", "Police", True, "Police Board", date(2009, 6, 11))
    clock.set(datetime(2009, 6, 15, 10, tzinfo=UTC))
    app.sign_off(SECRETARY, "plan", "proc", "Safeguarding Board", date(2009, 6, 15), "SB/1")
    clock.set(datetime(2009, 6, 16, 10, tzinfo=UTC))
    app.revoke_sign_off(SECRETARY, "plan", "proc", reason="minutes wrong")
    clock.set(datetime(2009, 6, 17, 10, tzinfo=UTC))
    app.sign_off(SECRETARY, "plan", "proc", "Safeguarding Board", date(2009, 6, 17), "SB/2")
    clock.set(datetime(2009, 6, 20, 10, tzinfo=UTC))
    app.revise_item(SECRETARY, "plan", "proc", "v2", sha("v2"), "police comments")
    app.decide_item(NHS, "plan", "proc", "NHS Trust", True, "Trust Board", date(2009, 6, 20))

    content = build_report(rt, "plan", ReportKind.GOVERNANCE, None).content
    assert isinstance(content, GovernanceContent)
    [row] = content.rows
    assert row["current_version"] == 2 and row["signed_off"] is None
    assert row["by_agency"]["NHS Trust"]["state"] == "approved"
    assert row["by_agency"]["Police"]["state"] == "stale"
    assert [(h["what"], h["version"], h["on"]) for h in row["history"]] == [
        ("signed off", 1, "2009-06-15"),
        ("revoked", 1, "2009-06-16"),
        ("signed off", 1, "2009-06-17"),
    ]
    report = build_report(rt, "plan", ReportKind.GOVERNANCE, None)
    for fmt in (ReportFormat.HTML, ReportFormat.MD, ReportFormat.CSV):
        text = render(report, fmt).decode("utf-8-sig")
        assert "Version 1 signed off by Safeguarding Board on 15 Jun 2009 (minute SB/1)" in text
        assert "Version 1 sign-off revoked on 16 Jun 2009 by secretary@board.example: " in text
        assert "Version 1 signed off by Safeguarding Board on 17 Jun 2009 (minute SB/2)" in text
    # The matrix the web shows has the same history.
    rt.runner.catch_up()
    doc = queries.document(rt.engine, queries.plan(rt.engine, "plan"), date(2009, 6, 20))
    assert doc["governance"][0]["history"] == row["history"]
