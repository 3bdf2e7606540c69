"""An exact round trip, for any plan: `export-sheet` to a workbook or a Word table, then
`import` of that file into the same plan, finds nothing to change and records nothing.

Plans are made at random through the application service, with everything a plan can
hold: groupings on two levels, actions inside and outside them, indicators with
baselines, thresholds and a reading, leads and accountable officers with titles, emails
and agencies (or none), several criteria with and without dates, recurrences and the
plan's own words for its timescale, tentative finishes, ratings with reasons, progress
and risk, statuses, cross-references and notes, in text chosen to trip a reader:
commas, quotes, semicolons, " and ", line breaks, tabs, accents, leading numbers and
symbols, words that look like dates, ratings, headings or targets.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from domain.clock import FixedClock
from domain.spec import ActionSpec, GroupSpec, PlanSpec
from domain.values import Criterion, Direction, Indicator, Person, Rag, Recurrence, Status
from engine.importing.export_sheet import write_sheet
from engine.importing.exported import record_key
from engine.importing.record import import_plan
from engine.runtime import Runtime
from projections import queries
from tests.conftest import ADMIN, OFFICER, people
from tests.test_import_fuzz import FAST as FUZZ

# Derandomized, as the import fuzz tests are: the suite runs the same examples everywhere.
FAST = settings(FUZZ, max_examples=200)
TODAY = datetime(2011, 6, 1, 9, 0, tzinfo=UTC)

_AWKWARD = st.sampled_from([
    "Review, revise and agree", '"quoted" words', "it's", "one; two; three", "Smith and Jones",
    "line one\nline two", "tab\there", "café — naïve Zoë", "1. Numbered first", "2.3", "=SUM(A1)",
    "+44 20", "-minus", "@handle", "70% of plans reviewed within 28 days", "fewer than 5%",
    "see 2.1", "Q3 2010/11", "April 2011 (tbc)", "Ongoing", "Completed", "Red", "Amber: late",
    "Recommendation 2: looks like a heading", "Improvement Area 3", "Lead Officer: Ann",
    "(Page 12)", "• bullet", "  spaced  out  ", "日本語", "🙂", "a/b & c", "x" * 300,
])  # fmt: skip
_WORD = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]),
    min_size=1,
    max_size=12,
)
TEXT = st.lists(st.one_of(_AWKWARD, _WORD), min_size=1, max_size=4).map(" ".join).filter(
    lambda t: t.strip() != ""
)
DAY = st.dates(min_value=date(2008, 1, 1), max_value=date(2013, 12, 31))
PAST = st.dates(min_value=date(2009, 1, 1), max_value=TODAY.date())

_NAMES = st.sampled_from([
    "Dora Director", "Ann O'Neil", "Smith, John", "Dr Jane Smith", "Zoë Ó Briain",
    "Margaret Howard", "Lee Lead", "J. R. Hartley", "Ravi Shankar-Patel",
])  # fmt: skip
_TITLES = st.none() | st.sampled_from(
    ["Director", "Head of Service, Adults", "Safeguarding Lead (interim)", "Chief Officer"]
)
_AGENCIES = st.none() | st.sampled_from(["Council", "NHS Leeds", "Police; West", "Age UK & Co"])


@st.composite
def person(draw: st.DrawFn, number: int) -> Person:
    name = draw(_NAMES)
    email = draw(st.none() | st.just(f"person{number}@agency.example"))
    return Person(name, email, draw(_AGENCIES), draw(_TITLES))


@dataclass
class Made:
    """A plan to load, and what its leads then report."""

    spec: PlanSpec
    ratings: dict[str, tuple[Rag, str | None]] = field(default_factory=dict)
    progress: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    readings: dict[str, tuple[str, float, date]] = field(default_factory=dict)
    statuses: dict[str, tuple[Status, date | None]] = field(default_factory=dict)


_REFS = ["1.1", "1.2", "2", "2.1a", "A3", "10.4", "3(b)", "7"]


@st.composite
def plans(draw: st.DrawFn) -> Made:
    outcome = draw(st.booleans())
    groups: list[GroupSpec] = []
    if outcome:
        groups.append(GroupSpec("O1", draw(TEXT)))
    for ref in draw(st.lists(st.sampled_from(["1", "2", "A", "4b"]), unique=True, max_size=3)):
        parent = "O1" if outcome and draw(st.booleans()) else None
        page = draw(st.none() | st.sampled_from(["12", "3-4"]))
        groups.append(GroupSpec(ref, draw(TEXT), parent=parent, page=page))
    refs = draw(st.lists(st.sampled_from(_REFS), min_size=1, max_size=4, unique=True))
    made = Made(PlanSpec(slug="plan", title=draw(TEXT), groups=groups))
    numbers = itertools.count()
    for ref in refs:
        start = draw(st.none() | DAY)
        finish = draw(st.none() | DAY.filter(lambda d, s=start: s is None or d >= s))
        recurrence = draw(st.none() | st.sampled_from(list(Recurrence)))
        indicators = [
            Indicator(
                name=draw(TEXT),
                target=draw(st.integers(0, 500)) / 2,
                unit=draw(st.sampled_from(["%", "", "days", "cases"])),
                direction=draw(st.sampled_from(list(Direction))),
                baseline=draw(st.none() | st.integers(0, 100).map(float)),
                red_threshold=draw(st.none() | st.integers(0, 100).map(float)),
            )
            for _ in range(draw(st.integers(0, 2)))
        ]
        indicators = list({i.name: i for i in indicators}.values())
        criteria = [
            Criterion(draw(TEXT), draw(st.none() | DAY)) for _ in range(draw(st.integers(0, 3)))
        ]
        action = ActionSpec(
            ref=ref,
            title=draw(TEXT),
            group=draw(st.none() | st.sampled_from([g.ref for g in groups] or [None])),
            aim=draw(st.none() | TEXT),
            # A person is named once among an action's leads.
            leads=list(
                {
                    p.name: p
                    for p in (draw(person(next(numbers))) for _ in range(draw(st.integers(0, 3))))
                }.values()
            ),
            accountable=Person(
                draw(st.sampled_from(["Olu Officer", "Olu Officer-Smith, OBE"])),
                OFFICER,
                draw(_AGENCIES),
                draw(_TITLES),
            ),
            plan_start=start,
            plan_finish=finish,
            plan_finish_tentative=finish is not None and draw(st.booleans()),
            recurrence=recurrence,
            timescale=draw(st.none() | TEXT),
            success_criteria=list(dict.fromkeys(criteria)),
            indicators=indicators,
            evidence_expected=draw(st.lists(TEXT, max_size=2)),
            cross_refs=draw(st.lists(st.sampled_from(_REFS), max_size=2, unique=True)),
            notes=draw(st.lists(TEXT, max_size=2)),
        )
        made.spec.actions.append(action)
        if draw(st.booleans()):
            rag = draw(st.sampled_from([Rag.RED, Rag.AMBER, Rag.GREEN]))
            reason = draw(TEXT) if rag is not Rag.GREEN else draw(st.none() | TEXT)
            made.ratings[ref] = (rag, reason)
        if draw(st.booleans()):
            made.progress[ref] = (draw(TEXT), draw(st.none() | TEXT))
        if indicators and draw(st.booleans()):
            made.readings[ref] = (indicators[0].name, draw(st.integers(0, 200)) / 4, draw(PAST))
        status = draw(st.sampled_from([None, *Status]).filter(lambda s: s is not Status.VERIFIED))
        if status is not None and status is not Status.NOT_STARTED:
            on = draw(PAST) if status is Status.COMPLETED else None
            made.statuses[ref] = (status, on)
    return made


def record(rt: Runtime, made: Made, slug: str) -> None:
    """The plan, through the application service, and its leads' reports."""
    made.spec.slug = slug
    app = rt.app
    app.load_plan(ADMIN, made.spec)
    for ref, (indicator, value, on) in made.readings.items():
        app.measure_indicator(OFFICER, slug, ref, indicator, value, on)
    for ref, (rag, reason) in made.ratings.items():
        app.assess_rag(OFFICER, slug, ref, rag, reason=reason)
    for ref, (narrative, risk) in made.progress.items():
        app.report_progress(OFFICER, slug, ref, "2011-06", narrative, risk=risk)
    for ref, (status, on) in made.statuses.items():
        if status in (Status.DEFERRED, Status.CANCELLED):
            app.change_status(OFFICER, slug, ref, status, reason="as planned")
        else:
            if status is Status.COMPLETED:
                app.change_status(OFFICER, slug, ref, Status.IN_PROGRESS)
            app.change_status(OFFICER, slug, ref, status, effective_on=on)


def document(rt: Runtime, slug: str) -> dict[str, object]:
    rt.runner.catch_up()
    return queries.document(rt.engine, queries.plan(rt.engine, slug), TODAY.date())


def assert_round_trip(rt: Runtime, folder: Path, slug: str) -> None:
    doc = document(rt, slug)
    before = rt.app.recorder.max_notification_id()
    for suffix in (".xlsx", ".docx"):
        out = folder / f"{slug}{suffix}"
        write_sheet(doc, out, record_key(rt))
        dry = import_plan(rt, ADMIN, out, slug=slug, dry_run=True)
        assert dry.ok, dry.render_text()
        assert not dry.changes and not dry.events and not dry.missing, dry.render_text()
        if suffix == ".xlsx":  # the Word file reads back through the same path
            applied = import_plan(rt, ADMIN, out, slug=slug)
            assert applied.ok and not applied.recorded, applied.render_text()
        assert rt.app.recorder.max_notification_id() == before


@pytest.fixture
def loaded(rt: Runtime, clock: FixedClock) -> Runtime:
    clock.set(TODAY)
    people(rt)
    return rt


_slugs = itertools.count()


def made_and_round_tripped(rt: Runtime, folder: Path, made: Made) -> None:
    slug = f"plan-{next(_slugs)}"
    record(rt, made, slug)
    assert_round_trip(rt, folder, slug)


@FAST
@given(made=plans())
def test_any_plan_exported_and_imported_into_itself_changes_nothing(
    loaded: Runtime, tmp_path: Path, made: Made
) -> None:
    made_and_round_tripped(loaded, tmp_path, made)


# Some 0.2 s an example: 360 in the suite (beside the 200 above), and as many more as
# ACTIONTRAIL_ROUNDTRIP_EXAMPLES asks for when the importer or the export changes. They
# run in PARTS parts of their own seeds (each part on a store of its own), so that the
# test workers share them. Runs of different seeds meet on some of the smallest plans
# (the simplest one every run tries first): each part makes a few more than its share,
# so that the parts together try as many different plans as one run of MANY.
MANY = int(os.environ.get("ACTIONTRAIL_ROUNDTRIP_EXAMPLES", "360"))
PARTS = 6


@pytest.mark.slow
@pytest.mark.parametrize("part", range(PARTS))
def test_many_plans_exported_and_imported_into_themselves_change_nothing(
    loaded: Runtime, tmp_path: Path, part: int
) -> None:
    @seed(part)
    @settings(FAST, max_examples=-(-MANY // PARTS) + 5)
    @given(made=plans())
    def round_trip(made: Made) -> None:
        made_and_round_tripped(loaded, tmp_path, made)

    round_trip()


@pytest.mark.persistence
@settings(FAST, max_examples=10)
@given(made=plans())
def test_the_round_trip_holds_on_a_stored_database(
    loaded: Runtime, tmp_path: Path, made: Made
) -> None:
    made_and_round_tripped(loaded, tmp_path, made)


FIXTURES = Path(__file__).parent / "fixtures" / "import"


@pytest.mark.parametrize("name", ["telford.xlsx", "sefton.xlsx", "essex.xlsx", "leeds.csv"])
def test_a_councils_plan_imported_then_exported_reads_back_with_no_change(
    loaded: Runtime, tmp_path: Path, name: str
) -> None:
    """The seed plans as councils wrote them (a Telford export used to come back with four
    notes added: the words of its timescale cells, read again as notes)."""
    first = import_plan(loaded, ADMIN, FIXTURES / name, slug="seed")
    assert first.ok and first.recorded, first.render_text()
    assert_round_trip(loaded, tmp_path, "seed")


def test_a_plan_exported_without_its_record_reads_back_with_no_change(
    loaded: Runtime, tmp_path: Path
) -> None:
    """A CSV carries no record: its cells alone must bring the plan back. Words in a
    plan finish cell ("Ongoing linked to monitoring schedule", "Commences July 2010")
    are the action's timescale again, not notes added to it."""
    assert import_plan(loaded, ADMIN, FIXTURES / "telford.xlsx", slug="seed").recorded
    out = tmp_path / "seed.csv"
    write_sheet(document(loaded, "seed"), out, record_key(loaded))
    again = import_plan(loaded, ADMIN, out, slug="seed", dry_run=True)
    assert again.ok and not again.changes, again.render_text()
