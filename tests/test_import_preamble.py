"""The text above a Word plan's table, offered as the new plan's title, organisation and
source: read from how councils word it, shown by a dry run, recorded with the plan, and
overridden by --title, --organisation and --source."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document

from engine.importing import parse_file
from engine.importing.preamble import organisation_in, read_preamble
from engine.importing.record import import_plan
from engine.runtime import Runtime
from projections import queries
from tests.conftest import ADMIN, people

FIXTURES = Path(__file__).parent / "fixtures" / "import"


def word_plan(path: Path, above: list[str], *, title_style: int | None = None) -> Path:
    """A Word plan: paragraphs, then a table of two actions."""
    document = Document()
    for i, text in enumerate(above):
        document.add_paragraph(text, style="Title" if i == title_style else None)
    rows = [
        ["Ref", "Action", "Lead", "Timescale"],
        ["1", "Review the safeguarding strategy", "Ann Smith", "March 2011"],
        ["2", "Audit the case files", "Raj Patel", "June 2011"],
    ]
    table = document.add_table(rows=len(rows), cols=4)
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            table.cell(r, c).text = text
    document.save(str(path))
    return path


@pytest.mark.parametrize(
    ("lines", "title", "organisation", "source"),
    [
        # Telford: an appendix number, the council inside the title, monitoring words.
        (
            ["Appendix 2", "Draft Improvement Plan Telford & Wrekin Council",
             "The implementation of this plan will be monitored via the Safeguarding Board, "
             "the Older People's Partnership Board, Scrutiny and LINKs. In addition the "
             "Inspection outcome, recommendations and progress against the agreed action "
             "plan will be reported into all other relevant Partnership Boards."],
            "Draft Improvement Plan Telford & Wrekin Council", "Telford & Wrekin Council", None,
        ),
        # Sefton: "for use by" the council.
        (["Improvement planning template for use by Sefton Council", "Safeguarding Adults"],
         "Improvement planning template for use by Sefton Council", "Sefton Council", None),
        # Essex: the council on a line of its own, the source labelled.
        (["Essex County Council", "Adult Social Care Improvement Plan 2010",
          "Source: inspection of adult social care, 2010"],
         "Adult Social Care Improvement Plan 2010", "Essex County Council",
         "inspection of adult social care, 2010"),
        # An Ofsted plan: the inspection named before the title.
        (["Telford & Wrekin Council",
          "Ofsted inspection of safeguarding and looked after children services, March 2010",
          "Children's services improvement plan"],
         "Children's services improvement plan", "Telford & Wrekin Council",
         "Ofsted inspection of safeguarding and looked after children services, March 2010"),
        # A health partner first, the CQC's report after.
        (["NHS Leeds", "Joint safeguarding action plan 2011",
          "Following the CQC inspection of adult social care, May 2011"],
         "Joint safeguarding action plan 2011", "NHS Leeds",
         "the CQC inspection of adult social care, May 2011"),
        # Leeds: no organisation, no source.
        (["Independence, Wellbeing & Choice Inspection Action Plan", "AUGUST PROGRESS REPORT"],
         "Independence, Wellbeing & Choice Inspection Action Plan", None, None),
    ],
)  # fmt: skip
def test_the_lines_above_the_table_give_title_organisation_and_source(
    lines: list[str], title: str, organisation: str | None, source: str | None
) -> None:
    found = read_preamble(lines)
    assert (found.title, found.organisation, found.source) == (title, organisation, source)


def test_an_organisation_is_capitalised_words_ending_in_a_body() -> None:
    assert organisation_in("Draft Improvement Plan Telford & Wrekin Council") == (
        "Telford & Wrekin Council"
    )
    assert organisation_in("for use by Sefton Council, 2010") == "Sefton Council"
    assert organisation_in("Leeds Teaching Hospitals NHS Trust") == (
        "Leeds Teaching Hospitals NHS Trust"
    )
    assert organisation_in("Adult Social Care Improvement Plan 2010") is None
    assert organisation_in("the council will report to the board") is None


def test_the_word_fixtures_offer_their_preamble() -> None:
    essex, report = parse_file(FIXTURES / "essex.docx", slug="plan")
    assert essex.title == "Adult Social Care Improvement Plan 2010"
    assert essex.organisation == "Essex County Council"
    assert essex.source == "inspection of adult social care, 2010"
    # Lines that gave the plan its details are not reported as left out.
    left = [i.value for i in report.issues if "text above the table" in i.reason]
    assert "Essex County Council" not in left
    telford, _ = parse_file(FIXTURES / "telford.docx", slug="plan")
    assert telford.organisation == "Telford & Wrekin Council"
    assert telford.source == "telford.docx"  # no line names what the plan answers


def test_a_dry_run_shows_the_preamble_and_a_new_plan_records_it(
    rt: Runtime, tmp_path: Path
) -> None:
    people(rt)
    path = word_plan(
        tmp_path / "plan.docx",
        ["Appendix 1", "Sheffield City Council",
         "Ofsted inspection of safeguarding and looked after children services, March 2010",
         "Improvement plan for children's services"],
        title_style=3,
    )  # fmt: skip
    dry = import_plan(rt, ADMIN, path, slug="sheffield", dry_run=True)
    text = dry.render_text()
    assert (
        "Plan: Improvement plan for children's services; organisation: Sheffield City "
        "Council; source: Ofsted inspection of safeguarding and looked after children "
        "services, March 2010"
    ) in text
    assert dry.to_dict()["plan"]["organisation"] == "Sheffield City Council"
    assert import_plan(rt, ADMIN, path, slug="sheffield").recorded
    rt.runner.catch_up()
    plan = queries.plan(rt.engine, "sheffield")
    assert plan["title"] == "Improvement plan for children's services"
    assert plan["organisation"] == "Sheffield City Council"
    assert plan["source"].startswith("Ofsted inspection of safeguarding")


def test_options_override_the_preamble(rt: Runtime, tmp_path: Path) -> None:
    people(rt)
    path = word_plan(
        tmp_path / "plan.docx",
        ["Essex County Council", "Adult Social Care Improvement Plan 2010",
         "Source: inspection of adult social care, 2010"],
    )  # fmt: skip
    result = import_plan(
        rt,
        ADMIN,
        path,
        slug="essex",
        title="Our plan",
        organisation="Essex Partnership",
        source="CQC report, 2010",
    )
    assert result.recorded
    rt.runner.catch_up()
    plan = queries.plan(rt.engine, "essex")
    assert (plan["title"], plan["organisation"], plan["source"]) == (
        "Our plan",
        "Essex Partnership",
        "CQC report, 2010",
    )
