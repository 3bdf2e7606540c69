"""The exception report: red, amber and reported-better-than-computed actions only,
with why and for how long."""

from __future__ import annotations

from datetime import UTC, date, datetime

from domain.clock import FixedClock
from domain.periods import Period
from domain.values import Rag
from engine.reports import ReportFormat, ReportKind, build_report, render
from engine.reports.exceptions import ExceptionContent
from engine.runtime import Runtime
from projections import queries
from tests.test_reports import leeds_on_sqlite, parse, text_of  # noqa: F401  (fixture)

SLUG = "leeds-iwc"
RG = "richard.graham@leeds.example"


def content_of(rt: Runtime, period: str | None) -> ExceptionContent:
    content = build_report(rt, SLUG, ReportKind.EXCEPTION, period).content
    assert isinstance(content, ExceptionContent)
    return content


def test_red_and_amber_are_in_and_green_is_out(leeds: Runtime) -> None:
    plan = queries.plan(leeds.engine, SLUG)
    frozen = queries.period(leeds.engine, plan, "2009-07")["actions"]
    red = [a["ref"] for a in frozen if a["rag"] == "red"]
    amber = [a["ref"] for a in frozen if a["rag"] == "amber"]
    green = [a["ref"] for a in frozen if a["rag"] == "green"]
    assert red and amber and green
    content = content_of(leeds, "2009-07")
    listed = [f.action["ref"] for f in content.flagged]
    assert listed == red + amber  # red first
    assert (content.red, content.amber) == (len(red), len(amber))

    root = parse(
        render(build_report(leeds, SLUG, ReportKind.EXCEPTION, "2009-07"), ReportFormat.HTML)
    )
    headings = [text_of(h) for h in root.iter("h3")]
    titles = {a["ref"]: f"{a['ref']} {a['title']}" for a in frozen}
    assert headings == [titles[ref] for ref in red + amber]
    assert not set(headings) & {titles[ref] for ref in green}


def test_each_says_why_and_for_how_long(leeds: Runtime) -> None:
    content = content_of(leeds, "2009-08")
    [flagged] = content.flagged
    a = flagged.action
    assert a["ref"] == "7.2" and a["rag"] == "red"
    assert a["rag_reasons"][0] == "plan finish 31 May 2009 passed, not complete"
    assert flagged.rag_run is not None and flagged.exception_run is not None
    # Red in the June, July and August closed periods; an exception since May.
    assert (flagged.rag_run.periods, flagged.rag_run.since) == (3, Period.parse("2009-06"))
    assert (flagged.exception_run.periods, flagged.exception_run.since) == (
        4,
        Period.parse("2009-05"),
    )
    # The lead has rated it Amber since the July assessment.
    assert flagged.reported is not None
    assert (flagged.reported.rag, flagged.reported.since) == ("amber", date(2009, 7, 25))
    assert flagged.reported.for_days == 37
    assert flagged.duration == [
        "Shown Red for 3 periods, since June 2009",
        "An exception for 4 periods, since May 2009",
        "Reported Amber since 25 Jul 2009 (37 days)",
    ]
    html = render(
        build_report(leeds, SLUG, ReportKind.EXCEPTION, "2009-08"), ReportFormat.HTML
    ).decode()
    assert "Delay in getting information from other agencies." in html
    assert "One serious case review reported" in html
    assert "Latest progress (August 2009)" in html


def test_the_open_period_counts_itself_in_how_long(leeds: Runtime, clock: FixedClock) -> None:
    clock.set(datetime(2009, 9, 15, 10, tzinfo=UTC))
    leeds.app.assess_rag(RG, SLUG, "2.1", Rag.AMBER, reason="partners slow")
    content = content_of(leeds, None)
    flagged = {f.action["ref"]: f for f in content.flagged}
    assert flagged["2.1"].rag_run is not None
    assert (flagged["2.1"].rag_run.periods, flagged["2.1"].rag_run.since) == (
        1,
        Period.parse("2009-09"),
    )
    assert flagged["7.2"].rag_run is not None and flagged["7.2"].rag_run.periods == 4
    assert flagged["2.1"].reported is not None
    assert flagged["2.1"].reported.since == date(2009, 9, 15)


def test_nothing_to_report_says_so(leeds: Runtime) -> None:
    content = content_of(leeds, "2008-10")
    assert content.flagged == []
    html = render(
        build_report(leeds, SLUG, ReportKind.EXCEPTION, "2008-10"), ReportFormat.HTML
    ).decode()
    assert "No action is red or amber" in html
