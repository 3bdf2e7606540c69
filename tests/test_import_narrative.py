"""A progress report's overview and risks, above its table, become the narrative of the
month its title names, recorded with the import."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.clock import FixedClock
from engine.importing import Severity, parse_file
from engine.importing.preamble import read_narrative, report_month
from engine.importing.record import import_plan
from engine.plans.closing import close_period
from engine.reports import ReportFormat, ReportKind, build_report, render
from engine.runtime import Runtime
from tests.conftest import ADMIN, SECRETARY, people

SEED_004 = Path("/work/shared/seeds/004_ba9cf18bc981cd41.txt")
FIXTURES = Path(__file__).parent / "fixtures" / "import"


@pytest.mark.parametrize(
    ("title", "period"),
    [
        ("Action Plan: Summary Report August 2009", "2009-08"),
        ("Monthly progress report - march 2011", "2011-03"),
        ("Improvement plan 2010/11", None),
        (None, None),
    ],
)
def test_the_month_is_the_one_the_title_names(title: str | None, period: str | None) -> None:
    assert report_month(title) == period


def test_each_part_runs_from_its_heading_to_the_next_heading() -> None:
    lines = [
        "Completed Actions this Reporting Period",
        "Overview:",
        "All on track.",
        "- Advocacy review under way.",
        "Risks and Issues",
        "Swine flu secondments.",
        "RAG ratings will be reviewed by the board.",
        "Key issues",
        "Partners' governance is slow.",
        "Amendments to the Action Plan",
        "No amendments are requested",
    ]
    found = read_narrative(lines, "Progress report August 2009")
    assert found is not None
    assert found.period == "2009-08"
    assert found.parts == {
        "overview": "All on track.\n- Advocacy review under way.",
        "risks": "Swine flu secondments.\nRAG ratings will be reviewed by the board.",
        "issues": "Partners' governance is slow.",
    }
    assert found.used == {1, 2, 3, 4, 5, 6, 7, 8}
    # No month in the title, or no heading: no narrative.
    assert read_narrative(lines, "Improvement plan") is None
    assert read_narrative(["All on track."], "Progress report August 2009") is None


def test_the_leeds_report_gives_its_august_overview_and_risks() -> None:
    _, report = parse_file(SEED_004, slug="plan")
    assert report.narrative is not None
    assert report.narrative.period == "2009-08"
    overview = report.narrative.parts["overview"]
    assert overview.startswith("All actions are progressing well")
    assert overview.endswith("Newsheet for carers, booklets.")
    risks = report.narrative.parts["risks"]
    assert risks.startswith("There are some actions which might not be completed")
    assert "Swine Flu duties" in risks and "amendments" not in risks.lower()
    # The overview names NHS Leeds in passing: it is not taken as the organisation.
    assert report.organisation is None
    assert "Narrative of 2009-08 from the text above the table: overview, risks" in (
        report.render_text()
    )
    assert report.to_dict()["narrative"]["period"] == "2009-08"


@pytest.fixture
def imported(rt: Runtime, clock: FixedClock) -> Runtime:
    clock.set(datetime(2026, 12, 2, 9, tzinfo=UTC))
    people(rt)
    result = import_plan(rt, ADMIN, SEED_004, slug="plan")
    assert result.recorded and result.events["Plan.NarrativeRecorded"] == 1
    return rt


@pytest.mark.persistence
def test_the_narrative_is_recorded_with_the_plan_and_not_again(imported: Runtime) -> None:
    narrative = imported.app.plan("plan").narratives["2009-08"]
    assert narrative["overview"].startswith("All actions are progressing well")
    assert "Swine Flu duties" in narrative["risks"]
    again = import_plan(imported, ADMIN, SEED_004, slug="plan")
    assert not again.recorded and not again.events
    assert not [i.reason for i in again.report.issues if "narrative" in i.reason]


# Closing writes the checkpoint line of the hash chain, which only stored events have.
@pytest.mark.persistence
def test_the_closed_months_report_shows_them(imported: Runtime) -> None:
    close_period(imported, SECRETARY, "plan", "2009-08")
    report = build_report(imported, "plan", ReportKind.PROGRESS, "2009-08")
    html = render(report, ReportFormat.HTML).decode()
    assert "All actions are progressing well" in html
    assert "Swine Flu duties" in html
    assert html.index("All actions are progressing well") < html.index("Swine Flu duties")


@pytest.mark.persistence
def test_a_closed_month_keeps_its_narrative_and_the_import_says_so(
    imported: Runtime, tmp_path: Path
) -> None:
    close_period(imported, SECRETARY, "plan", "2009-08")
    changed = tmp_path / "report.txt"
    changed.write_text(
        SEED_004.read_text(encoding="utf-8").replace(
            "All actions are progressing well", "Most actions are progressing well"
        ),
        encoding="utf-8",
    )
    result = import_plan(imported, ADMIN, changed, slug="plan", dry_run=True)
    assert result.ok
    warnings = [i for i in result.report.issues if i.severity is Severity.WARNING]
    assert any(
        "the narrative above the table is not recorded" in i.reason and "closed" in i.reason
        for i in warnings
    ), [i.reason for i in warnings]
    narrative = imported.app.plan("plan").narratives["2009-08"]
    assert narrative["overview"].startswith("All actions are progressing well")
