"""Closing rules as boards run them: from the last day on, early only with a reason,
reopened with a reason and closed again; updates after a close go to the open period;
a past period is closed as of its own last day. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from domain.clock import FixedClock
from domain.errors import DomainError, InvalidInput, PermissionDenied
from domain.periods import Period
from domain.values import Cadence, Rag
from engine.importing.record import import_plan
from engine.plans.closing import close_period
from engine.reports import ReportFormat, ReportKind, build_report, render
from engine.reports.snapshot import Basis
from engine.runtime import Runtime
from projections import queries
from tests.cli import Cli
from tests.conftest import ADMIN, LEAD, OFFICER, SECRETARY, World, people

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence

SEED_004 = Path("/work/shared/seeds/004_ba9cf18bc981cd41.txt")
FIXTURES = Path(__file__).parent / "fixtures" / "import"


def at(y: int, m: int, d: int, hour: int = 17) -> datetime:
    return datetime(y, m, d, hour, tzinfo=UTC)


def period_view(rt: Runtime, key: str) -> dict:  # type: ignore[type-arg]
    rt.runner.catch_up()
    return queries.period(rt.engine, queries.plan(rt.engine, "plan"), key)


def kinds(rt: Runtime) -> list[str]:
    rows = queries.history_rows(rt.engine, queries.plan(rt.engine, "plan"))
    return [r["kind"] for r in rows if r["kind"].startswith("Plan.Period")]


# Early closes


def test_a_period_closes_from_its_last_day_on(world: World, clock: FixedClock) -> None:
    clock.set(at(2009, 6, 29))
    with pytest.raises(DomainError, match="runs to 2009-06-30 and today is 2009-06-29: closing"):
        close_period(world.rt, SECRETARY, "plan", "2009-06")
    assert queries.periods(world.rt.engine, queries.plan(world.rt.engine, "plan")) == []
    clock.set(at(2009, 6, 30, 8))
    result = close_period(world.rt, SECRETARY, "plan", "2009-06")
    assert (result["early"], result["as_of"]) == (False, "2009-06-30")
    assert kinds(world.rt) == ["Plan.PeriodClosed"]


def test_closing_early_needs_a_reason_and_records_it(world: World, clock: FixedClock) -> None:
    clock.set(at(2009, 6, 26))
    with pytest.raises(InvalidInput, match="early needs a reason"):
        close_period(world.rt, SECRETARY, "plan", "2009-06", early=True, reason="  ")
    close_period(world.rt, SECRETARY, "plan", "2009-06", early=True, reason="board meets 29th")
    view = period_view(world.rt, "2009-06")
    assert (view["early"], view["early_reason"], view["as_of"]) == (
        True,
        "board meets 29th",
        "2009-06-26",
    )
    assert kinds(world.rt) == ["Plan.PeriodClosedEarly"]
    report = build_report(world.rt, "plan", ReportKind.PROGRESS, "2009-06")
    assert (
        "Closed before its last day: board meets 29th."
        in render(report, ReportFormat.HTML).decode()
    )


def test_early_is_refused_once_the_period_has_ended(world: World, clock: FixedClock) -> None:
    clock.set(at(2009, 7, 2))
    with pytest.raises(InvalidInput, match="closing it now is not early"):
        close_period(world.rt, SECRETARY, "plan", "2009-06", early=True, reason="x")


# Reopening and closing again


def test_reopen_needs_a_reason_and_the_plans_owner_or_an_admin(
    world: World, clock: FixedClock
) -> None:
    clock.set(at(2009, 6, 30))
    close_period(world.rt, SECRETARY, "plan", "2009-06")
    app = world.rt.app
    app.add_plan_owner(ADMIN, "plan", OFFICER)
    with pytest.raises(InvalidInput, match="needs a reason"):
        app.reopen_period(OFFICER, "plan", "2009-06", "")
    for refused in (LEAD, SECRETARY):
        with pytest.raises(PermissionDenied):
            app.reopen_period(refused, "plan", "2009-06", "wrong figures")
    with pytest.raises(DomainError, match="2009-05 of plan 'plan' is not closed"):
        app.reopen_period(ADMIN, "plan", "2009-05", "wrong figures")
    app.reopen_period(ADMIN, "plan", "2009-06", "wrong figures")
    assert period_view(world.rt, "2009-06")["state"] == "reopened"


def test_reopen_change_and_close_again_with_as_of_views_between(
    world: World, clock: FixedClock, db_url: str, tmp_path: Path
) -> None:
    app = world.rt.app
    app.assess_rag(LEAD, "plan", "1.1", Rag.AMBER, reason="late start")
    clock.set(at(2009, 6, 30))
    close_period(world.rt, SECRETARY, "plan", "2009-06")
    first = period_view(world.rt, "2009-06")
    assert first["lists"]["completed"] == []

    clock.set(at(2009, 7, 2, 9))
    # Closed: progress for June is refused, and by default goes to July.
    with pytest.raises(DomainError, match="2009-06 of plan 'plan' is closed"):
        app.report_progress_for_open_period(LEAD, "plan", "1.1", "late note", period="2009-06")
    clock.set(at(2009, 7, 2, 10))
    app.reopen_period(ADMIN, "plan", "2009-06", "1.1 finished on 29 June, not recorded")
    clock.set(at(2009, 7, 2, 11))
    from domain.values import Status

    app.change_status(LEAD, "plan", "1.1", Status.COMPLETED, effective_on=date(2009, 6, 29))
    assert (
        app.report_progress_for_open_period(LEAD, "plan", "1.1", "Done", period="2009-06")
        == "2009-06"
    )
    clock.set(at(2009, 7, 2, 12))
    again = close_period(world.rt, SECRETARY, "plan", "2009-06")
    assert again["closed_again"] and again["as_of"] == "2009-06-30"
    second = period_view(world.rt, "2009-06")
    assert second["lists"]["completed"] == ["1.1"]
    assert [r["reason"] for r in second["reopenings"]] == ["1.1 finished on 29 June, not recorded"]
    assert second["earlier_closes"][0]["lists"] == first["lists"]
    assert kinds(world.rt) == ["Plan.PeriodClosed", "Plan.PeriodReopened", "Plan.PeriodReclosed"]

    # The report says when and why it was reopened.
    html = render(build_report(world.rt, "plan", ReportKind.PROGRESS, "2009-06"), ReportFormat.HTML)
    assert "Reopened on 2 Jul 2009 by admin@council.example: 1.1 finished on 29 June" in (
        html.decode()
    )

    # Between the closes the plan shows the first close's lists; after, the second's.
    cli = Cli(tmp_path, db_url)
    between = cli.ok("show", "plan", "--as-of", "2009-07-02T11:30:00Z")
    assert "Period 2009-06 (reopened;" in between
    assert "  completed: none" in between
    after = cli.ok("show", "plan", "--as-of", "2009-07-02T12:30:00Z")
    assert "Period 2009-06 (closed;" in after
    assert "  completed: 1.1" in after
    before_reopen = cli.ok("show", "plan", "--as-of", "2009-07-01T09:00:00Z")
    assert "Period 2009-06 (closed;" in before_reopen and "  completed: none" in before_reopen


def test_a_reopened_periods_report_is_live_and_says_why(world: World, clock: FixedClock) -> None:
    clock.set(at(2009, 6, 30))
    close_period(world.rt, SECRETARY, "plan", "2009-06")
    clock.set(at(2009, 7, 1, 9))
    world.rt.app.reopen_period(ADMIN, "plan", "2009-06", "RAG of 1.2 mistyped")
    report = build_report(world.rt, "plan", ReportKind.PROGRESS, "2009-06")
    assert report.snapshot.basis is not Basis.CLOSED
    assert report.snapshot.notice is not None
    assert "June 2009 was reopened on 1 Jul 2009 by admin@council.example (RAG of 1.2" in (
        report.snapshot.notice
    )


# Updates after a close belong to the open period


def test_progress_after_an_early_close_goes_to_the_next_period(
    world: World, clock: FixedClock
) -> None:
    clock.set(at(2009, 6, 26))
    close_period(world.rt, SECRETARY, "plan", "2009-06", early=True, reason="board on 29th")
    clock.set(at(2009, 6, 27, 9))
    key = world.rt.app.report_progress_for_open_period(LEAD, "plan", "1.1", "Underway")
    assert key == "2009-07"
    assert world.rt.app.open_period("plan").key == "2009-07"
    world.rt.runner.catch_up()
    [a] = [a for a in queries.actions(world.rt.engine, queries.plan(world.rt.engine, "plan"))
           if a["ref"] == "1.1"]  # fmt: skip
    assert a["progress_period"] == "2009-07"


# Narrative: editable until the period closes, frozen with it


def test_narrative_is_kept_per_period_and_frozen_by_the_close(
    world: World, clock: FixedClock
) -> None:
    app = world.rt.app
    clock.set(at(2009, 6, 20))
    app.record_narrative(ADMIN, "plan", "2009-06", overview="All on track.")
    app.record_narrative(ADMIN, "plan", "2009-06", risks="Swine flu secondments.")
    with pytest.raises(PermissionDenied):
        app.record_narrative(LEAD, "plan", "2009-06", overview="mine")
    with pytest.raises(InvalidInput, match="needs --overview, --risks or --issues"):
        app.record_narrative(ADMIN, "plan", "2009-06")
    clock.set(at(2009, 6, 30))
    close_period(world.rt, SECRETARY, "plan", "2009-06")
    with pytest.raises(DomainError, match="2009-06 of plan 'plan' is closed"):
        app.record_narrative(ADMIN, "plan", "2009-06", overview="changed")
    report = build_report(world.rt, "plan", ReportKind.PROGRESS, "2009-06")
    html = render(report, ReportFormat.HTML).decode()
    assert "All on track." in html and "Swine flu secondments." in html
    assert html.index("All on track.") < html.index("Swine flu secondments.")
    md = render(report, ReportFormat.MD).decode()
    assert "All on track." in md and "Swine flu secondments." in md


# A past period of an imported plan, closed as of its own last day


def leeds_lists(rt: Runtime) -> dict[str, list[str]]:
    people(rt)
    result = import_plan(rt, ADMIN, SEED_004, slug="plan")
    assert result.recorded
    close_period(rt, SECRETARY, "plan", "2009-08")
    view = period_view(rt, "2009-08")
    assert view["as_of"] == "2009-08-31"
    return view["lists"]  # type: ignore[no-any-return]


def test_the_leeds_august_report_imported_years_later_closes_as_of_31_august(
    rt: Runtime, clock: FixedClock
) -> None:
    # Imported long after: what is dated after 31 August 2009 does not count.
    clock.set(at(2026, 12, 2, 9))
    lists = leeds_lists(rt)
    # The report's completions this period that its table dates in August (4.2 (a) and
    # 24.1 (a) are stages of 4.2 and 24.1, which the table shows still open).
    assert lists["completed"] == ["2.3", "4.1", "24.4"]
    # Due next: the report's 4.2 (b), 4.2 (c), 5.1, 9.7, 20.3 (stages kept on their action).
    assert lists["due_next"] == ["4.2", "5.1", "9.7", "20.3"]
    # The report's 5.2 and 18.2 are not in its table; nothing in it starts in September.
    assert lists["commencing_next"] == []
    # The report lists none overdue, but its table has these past their plan finish on
    # 31 August with no actual finish (9.4 and 13.1 finish that day) and no lead's red
    # rating that the text kept: overdue is read from the dates.
    assert lists["overdue"] == [
        "7.2", "9.4", "9.8", "11.1", "13.1", "18.1", "20.2", "23.1", "24.1", "24.3"
    ]  # fmt: skip
    view = period_view(rt, "2009-08")
    frozen = {a["ref"]: a for a in view["actions"]}
    # The RAG is computed for 31 August 2009, not for today: 9.4 finishes that day.
    assert frozen["9.4"]["rag"] == "amber"
    assert frozen["9.4"]["rag_reasons"] == ["plan finish 31 Aug 2009 is today, not complete"]
    # ...and what the table completes later is not complete in August.
    assert all(frozen[r]["status"] != "completed" for r in lists["due_next"])


def test_closing_a_past_period_reads_the_dates_not_today(rt: Runtime, clock: FixedClock) -> None:
    clock.set(at(2026, 12, 2, 9))
    people(rt)
    import_plan(rt, ADMIN, FIXTURES / "leeds.csv", slug="plan")
    close_period(rt, SECRETARY, "plan", "2009-08")
    today = queries.document(rt.engine, queries.plan(rt.engine, "plan"), date(2026, 12, 2))
    then = period_view(rt, "2009-08")
    # Today every open action is long past its finish; on 31 August 2009 most were not.
    assert then["summary"]["overdue"] < today["summary"]["overdue"]
    assert then["summary"]["by_rag"].get("red", 0) < today["summary"]["by_rag"].get("red", 0)
    assert Period.parse("2009-08").end.isoformat() == then["as_of"]


# The command line


def test_the_command_line_refuses_an_early_close_and_says_where_progress_went(
    tmp_path: Path, db_url: str
) -> None:
    c = Cli(tmp_path, db_url)
    c.ok("users", "add", ADMIN, "--name", "Ada", "--role", "admin")
    c.ok("plan", "create", "p", "--title", "Plan", user=ADMIN)
    today = date.today()
    this = Period.containing(today, Cadence.MONTHLY)
    if today == this.end:
        this = this.previous()  # closing today's month on its last day is not early
    refused = c("period", "close", "p", "--period", this.key, user=ADMIN)
    if this.end > today:
        assert refused.returncode == 1
        assert "needs --early and a reason" in refused.stderr
        assert "Traceback" not in refused.stderr
        done = c.ok(
            "period", "close", "p", "--period", this.key, "--early", "--reason", "board",
            user=ADMIN,
        )  # fmt: skip
        assert f"period {this.key} of p closed early as of {today.isoformat()}" in done
    reopened = c.ok("period", "reopen", "p", "--period", this.key, "--reason", "fix", user=ADMIN)
    assert f"period {this.key} of p reopened" in reopened
    nothing = c("period", "reopen", "p", "--period", this.key, "--reason", "again", user=ADMIN)
    assert nothing.returncode == 1 and "is not closed" in nothing.stderr
