"""Board reports: the progress report's content, its reproducibility for a closed
period, the open period, escaping and well-formed HTML."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import html5lib
import openpyxl
import pytest

from domain.clock import FixedClock
from domain.periods import Period
from domain.values import Rag
from engine.demo import load_demo
from engine.plans.closing import close_period
from engine.reports import ReportFormat, ReportKind, build_report, render
from engine.reports.documents import md_cell, md_text
from engine.reports.progress import ProgressContent
from engine.reports.snapshot import Basis
from engine.runtime import Runtime
from projections import queries
from projections.lists import lists_for
from tests.conftest import LEAD, LEAD2, OFFICER, SECRETARY, World, open_runtime

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence

SLUG = "leeds-iwc"
RG = "richard.graham@leeds.example"  # lead of 2.1
DH = "dennis.holmes@leeds.example"  # accountable for 2.1 and 7.2
HP = "hilary.paxton@leeds.example"  # lead of 7.2
SECRETARY_LEEDS = "board.secretary@leeds.example"
NHS_LEEDS = "approver@nhsleeds.example"
SVG = "{http://www.w3.org/2000/svg}"


def parse(html: bytes) -> ET.Element:
    """Parses strictly: any HTML parse error fails the test."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    root: ET.Element = parser.parse(html.decode("utf-8"))
    return root


def text_of(el: ET.Element) -> str:
    return " ".join("".join(el.itertext()).split())


def table_with_class(root: ET.Element, cls: str) -> ET.Element:
    for t in root.iter("table"):
        if cls in (t.get("class") or "").split():
            return t
    raise AssertionError(f"no table of class {cls}")


def first_cells(table: ET.Element) -> list[str]:
    rows = table.findall("./tbody/tr")
    return [text_of(r.findall("td")[0]) for r in rows if len(r.findall("td")) > 1]


def report_bytes(rt: Runtime, kind: ReportKind, period: str | None, fmt: ReportFormat) -> bytes:
    return render(build_report(rt, SLUG, kind, period), fmt)


def without_generated(data: bytes) -> list[bytes]:
    return [line for line in data.splitlines() if b"Generated " not in line]


@pytest.fixture
def demo(rt: Runtime) -> Runtime:
    """The demo plan on each database: for what depends on how the store replays."""
    load_demo(rt)
    return rt


@pytest.fixture(name="leeds")
def leeds_on_sqlite(sqlite_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Runtime]:
    """The demo plan on SQLite only: for what reads the same on any database. The other
    report tests import it under this name to share it."""
    runtime = open_runtime(sqlite_url, tmp_path)
    load_demo(runtime)
    yield runtime
    runtime.close()


def test_the_four_lists_are_the_closed_periods_own(demo: Runtime) -> None:
    plan = queries.plan(demo.engine, SLUG)
    recorded = queries.period(demo.engine, plan, "2009-08")["lists"]
    report = build_report(demo, SLUG, ReportKind.PROGRESS, "2009-08")
    assert isinstance(report.content, ProgressContent)
    shown = {lst.key: [r.ref for r in lst.rows] for lst in report.content.lists}
    assert shown == recorded
    assert shown["completed"] == ["2.3", "4.1", "4.2 (a)"]
    assert shown["overdue"] == ["7.2"]
    root = parse(render(report, ReportFormat.HTML))
    for key, refs in recorded.items():
        assert first_cells(table_with_class(root, f"list-{key}")) == refs
    empty = table_with_class(root, "list-commencing_next")
    assert text_of(empty.findall("./tbody/tr/td")[0]) == "None"


def test_overview_counts_move_from_the_previous_closed_period(leeds: Runtime) -> None:
    report = build_report(leeds, SLUG, ReportKind.PROGRESS, "2009-08")
    assert isinstance(report.content, ProgressContent)
    o = report.content.overview
    plan = queries.plan(leeds.engine, SLUG)
    july = queries.period(leeds.engine, plan, "2009-07")["summary"]["by_rag"]
    august = queries.period(leeds.engine, plan, "2009-08")["summary"]["by_rag"]
    assert o.previous_label == "July 2009"
    assert {c.rag: (c.last, c.this) for c in o.counts} == {r: (july[r], august[r]) for r in august}
    red = next(c for c in o.counts if c.rag == "red")
    assert red.change == f"{august['red'] - july['red']:+d}"
    # 2.3, 4.1 and 4.2 (a) went from red or amber to complete; 1.3 moved up earlier.
    assert o.improved == sum(1 for a in report.snapshot.actions if a["direction"] == "up")
    assert o.improved > 0 and o.worsened == 0


def test_last_rag_is_the_previous_closed_periods_and_the_arrow_agrees(leeds: Runtime) -> None:
    report = build_report(leeds, SLUG, ReportKind.PROGRESS, "2009-08")
    plan = queries.plan(leeds.engine, SLUG)
    july = {a["ref"]: a["rag"] for a in queries.period(leeds.engine, plan, "2009-07")["actions"]}
    by_ref = report.snapshot.by_ref
    assert {ref: a["last_rag"] for ref, a in by_ref.items()} == july
    assert by_ref["2.3"]["last_rag"] == "red" and by_ref["2.3"]["rag"] == "complete"
    assert by_ref["2.3"]["direction"] == "up"
    root = parse(render(report, ReportFormat.HTML))
    row = next(
        tr
        for tr in table_with_class(root, "actions").iter("tr")
        if tr.findall("td") and text_of(tr.findall("td")[0]) == "2.3"
    )
    cells = [text_of(td) for td in row.findall("td")]
    assert cells[3] == "Red" and cells[4] == "Complete↑"


def test_the_full_table_groups_actions_under_their_recommendation(leeds: Runtime) -> None:
    report = build_report(leeds, SLUG, ReportKind.PROGRESS, "2009-08")
    root = parse(render(report, ReportFormat.HTML))
    table = table_with_class(root, "actions")
    headings = [th.text or "" for th in table.iter("th")]
    assert "Aim/Outcome" in headings and "Accountable Officer" in headings
    bodies = table.findall("tbody")
    titles = [text_of(b.find("./tr/th")) for b in bodies]  # type: ignore[arg-type]
    assert [t.split(":")[0] for t in titles] == [
        "Recommendation 1",
        "Recommendation 2",
        "Recommendation 3",
        "Recommendation 4",
        "Recommendation 7",
    ]
    last = [text_of(tr.findall("td")[0]) for tr in bodies[-1].findall("tr") if tr.findall("td")]
    assert last == ["7.2"]


def test_risks_list_red_and_amber_first(leeds: Runtime) -> None:
    report = build_report(leeds, SLUG, ReportKind.PROGRESS, "2009-08")
    assert isinstance(report.content, ProgressContent)
    risks = report.content.risks
    assert [r.ref for r in risks] == ["7.2", "4.2 (b)"]
    assert risks[0].rag == "red" and risks[1].rag == "green"


def test_amendments_are_finish_dates_moved_within_the_period(
    world: World, clock: FixedClock
) -> None:
    rt = world.rt
    clock.set(datetime(2009, 6, 10, 9, tzinfo=UTC))
    rt.app.amend_action(LEAD, "plan", "1.1", "plan_finish", date(2009, 12, 31), "partners late")
    rt.app.amend_action(LEAD2, "plan", "1.2", "title", "Renamed action", "clearer wording")
    clock.set(datetime(2009, 6, 30, 17, tzinfo=UTC))
    close_period(rt, SECRETARY, "plan", "2009-06")
    clock.set(datetime(2009, 7, 5, 9, tzinfo=UTC))
    rt.app.amend_action(OFFICER, "plan", "1.2", "plan_finish", date(2009, 10, 31), "more time")

    june = build_report(rt, "plan", ReportKind.PROGRESS, "2009-06")
    assert isinstance(june.content, ProgressContent)
    [moved] = june.content.amendments
    assert (moved.ref, moved.old, moved.new, moved.reason) == (
        "1.1",
        "30 Sep 2009",
        "31 Dec 2009",
        "partners late",
    )
    july = build_report(rt, "plan", ReportKind.PROGRESS, None)
    assert july.snapshot.basis is Basis.CURRENT
    assert isinstance(july.content, ProgressContent)
    assert [(m.ref, m.reason) for m in july.content.amendments] == [("1.2", "more time")]
    assert "more time" in render(july, ReportFormat.HTML).decode()


def test_a_closed_period_reads_the_same_however_much_is_recorded_later(
    demo: Runtime, clock: FixedClock
) -> None:
    kinds = [
        (kind, fmt)
        for kind in ReportKind
        for fmt in (ReportFormat.HTML, ReportFormat.MD, ReportFormat.CSV)
    ]
    before = {k: report_bytes(demo, k[0], "2009-08", k[1]) for k in kinds}
    sheet_before = report_bytes(demo, ReportKind.PROGRESS, "2009-08", ReportFormat.XLSX)

    clock.set(datetime(2011, 3, 2, 10, tzinfo=UTC))
    demo.app.amend_action(DH, SLUG, "2.1", "aim", "A reworded aim", "clearer")
    demo.app.amend_action(DH, SLUG, "2.1", "plan_finish", date(2010, 3, 31), "slipped")
    demo.app.assess_rag(RG, SLUG, "2.1", Rag.RED, reason="late")
    demo.app.report_progress(RG, SLUG, "2.1", "2011-03", "Still going", risk="Budget")
    demo.app.report_progress(HP, SLUG, "7.2", "2011-03", "Second review done")
    demo.app.decide_item(
        NHS_LEEDS, SLUG, "safeguarding-procedures", "NHS Leeds", True, "Board", date(2011, 3, 1)
    )
    close_period(demo, SECRETARY_LEEDS, SLUG, "2011-03", early=True, reason="board on 3rd")

    for key, data in before.items():
        again = report_bytes(demo, key[0], "2009-08", key[1])
        assert without_generated(again) == without_generated(data), key
        if key[1] is not ReportFormat.CSV:
            assert again != data, "the generation time is shown"
    sheet_again = report_bytes(demo, ReportKind.PROGRESS, "2009-08", ReportFormat.XLSX)
    assert sheet_values(sheet_again) == sheet_values(sheet_before)
    assert about_values(sheet_again) == about_values(sheet_before)
    assert "Checkpoint" in dict(about_values(sheet_again))  # type: ignore[arg-type]


def sheet_values(data: bytes) -> list[tuple[object, ...]]:
    ws = openpyxl.load_workbook(io.BytesIO(data))["Progress"]
    return list(ws.iter_rows(values_only=True))


def about_values(data: bytes) -> list[tuple[object, ...]]:
    ws = openpyxl.load_workbook(io.BytesIO(data))["About"]
    return [row for row in ws.iter_rows(values_only=True) if row[0] != "Generated"]


def test_the_open_period_comes_from_the_live_plan(demo: Runtime, clock: FixedClock) -> None:
    clock.set(datetime(2009, 9, 15, 10, tzinfo=UTC))
    demo.app.assess_rag(RG, SLUG, "2.1", Rag.AMBER, reason="partners slow")
    report = build_report(demo, SLUG, ReportKind.PROGRESS, None)
    snap = report.snapshot
    assert (snap.period.key, snap.basis, snap.notice) == ("2009-09", Basis.CURRENT, None)
    action = snap.by_ref["2.1"]
    assert (action["last_rag"], action["rag"], action["direction"]) == ("green", "amber", "down")
    plan = queries.plan(demo.engine, SLUG)
    assert snap.lists == lists_for(queries.actions(demo.engine, plan), Period.parse("2009-09"))
    assert snap.previous is not None and snap.previous.period.key == "2009-08"
    html = render(report, ReportFormat.HTML).decode()
    assert "still open" in html
    # The open period is the last bar of the RAG mix, marked as counts so far.
    assert "Sep 09: Amber 1" in html and "so far" in html


def test_a_period_neither_closed_nor_current_says_it_shows_live_data(
    leeds: Runtime, clock: FixedClock
) -> None:
    clock.set(datetime(2009, 11, 2, 10, tzinfo=UTC))
    report = build_report(leeds, SLUG, ReportKind.PROGRESS, "2009-09")
    assert report.snapshot.basis is Basis.LIVE
    assert report.snapshot.notice is not None
    assert "September 2009 has not been closed" in report.snapshot.notice
    root = parse(render(report, ReportFormat.HTML))
    notes = [text_of(p) for p in root.iter("p") if p.get("class") == "notice"]
    assert notes == [report.snapshot.notice]
    assert "not been closed" in render(report, ReportFormat.MD).decode()


def test_what_people_wrote_shows_as_text(leeds: Runtime, clock: FixedClock) -> None:
    clock.set(datetime(2009, 9, 15, 10, tzinfo=UTC))
    leeds.app.report_progress(
        RG,
        SLUG,
        "2.1",
        "2009-09",
        "<script>alert('x')</script> & *not bold*",
        risk="<b>risk</b>\n# not a heading",
    )
    leeds.app.assess_rag(RG, SLUG, "2.1", Rag.AMBER, reason="<i>why</i>")
    for kind in (ReportKind.PROGRESS, ReportKind.EXCEPTION):
        report = build_report(leeds, SLUG, kind, None)
        html = render(report, ReportFormat.HTML).decode()
        root = parse(html.encode())
        assert not list(root.iter("script")) and not list(root.iter("b"))
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
        assert "&lt;b&gt;risk&lt;/b&gt;" in html
        md = render(report, ReportFormat.MD).decode()
        assert "\\<script\\>alert('x')\\</script\\> & \\*not bold\\*" in md
        assert "\\<b\\>risk\\</b\\>  \n\\# not a heading" in md


# Terminal control sequences, a bell, a right-to-left override, C1 controls, a line
# separator and markup, in what people wrote; and a line longer than a spreadsheet cell.
HIDDEN = ("\x1b", "\x07", "\u202e", "\u202c", "\x85", "\x9b", "\u2028", "\x00")
HOSTILE = (
    "<b>bold</b> *x* \x1b[31mred\x1b[0m ring\x07 \u202egnp.exe\u202c c1\x85\x9b "
    "sep\u2028nul\x00 end"
)
LONG = "y" * 40_000


def hostile(rt: Runtime, clock: FixedClock) -> None:
    """Action 2.1 and the governance item, written by someone out to cause trouble."""
    clock.set(datetime(2009, 9, 15, 10, tzinfo=UTC))
    rt.app.amend_action(DH, SLUG, "2.1", "title", f"Standards {HOSTILE}", "reworded")
    rt.app.assess_rag(RG, SLUG, "2.1", Rag.AMBER, reason=f"late {HOSTILE}")
    rt.app.report_progress(RG, SLUG, "2.1", "2009-09", f"{HOSTILE}\r\n{LONG}", risk=HOSTILE)
    rt.app.decide_item(
        NHS_LEEDS,
        SLUG,
        "safeguarding-procedures",
        "NHS Leeds",
        False,
        f"PEC {HOSTILE}",
        date(2009, 9, 14),
        minute_ref=f"M1 {HOSTILE}",
        reason=f"no {HOSTILE}",
    )


def shown_text(data: bytes, fmt: ReportFormat) -> list[str]:
    """Every piece of text a reader of the report gets."""
    if fmt is ReportFormat.DOCX:
        from docx import Document

        doc = Document(io.BytesIO(data))
        texts = [str(doc.core_properties.title)] + [p.text for p in doc.paragraphs]
        for table in doc.tables:
            texts += [c.text for row in table.rows for c in row.cells]
        return texts
    if fmt is ReportFormat.PDF:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        return [str((reader.metadata or {}).get("/Title", ""))] + [
            page.extract_text() for page in reader.pages
        ]
    if fmt is not ReportFormat.XLSX:
        return [data.decode("utf-8-sig")]
    book = openpyxl.load_workbook(io.BytesIO(data))
    texts = [str(book.properties.title)]
    for ws in book.worksheets:
        texts += [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    return texts


@pytest.mark.parametrize("kind", list(ReportKind))
def test_characters_that_would_not_print_never_reach_a_report(
    leeds: Runtime, clock: FixedClock, kind: ReportKind
) -> None:
    hostile(leeds, clock)
    report = build_report(leeds, SLUG, kind, None)
    for fmt in ReportFormat:
        if fmt is ReportFormat.PDF and kind is not ReportKind.GOVERNANCE:
            # The PDF is the HTML printed (checked above); laying out the 40,000
            # character narrative over forty pages would take minutes. The governance
            # report carries the same hostile text without it.
            continue
        texts = shown_text(render(report, fmt), fmt)
        for text in texts:
            assert not [ch for ch in HIDDEN if ch in text], (fmt, text[:200])
            assert "\r" not in text or fmt is ReportFormat.CSV, fmt
        joined = "\n".join(texts)
        # Shown as escapes, so the reader sees that something was there.
        assert "u001b" in joined and "u202egnp.exe" in joined, fmt
        if fmt is ReportFormat.XLSX:
            assert max(len(t) for t in texts) <= 32_767
            if kind is not ReportKind.GOVERNANCE:
                assert "[cut here: the text has 40," in joined
        elif kind is not ReportKind.GOVERNANCE:
            if fmt is ReportFormat.PDF:
                # Broken across lines and pages, but all there.
                assert joined.count("y") >= len(LONG), fmt
            else:
                assert LONG in joined, fmt
    root = parse(render(report, ReportFormat.HTML))
    assert not list(root.iter("b"))


def test_a_narrative_in_the_markdown_is_text_with_its_hidden_characters_escaped(
    leeds: Runtime, clock: FixedClock
) -> None:
    hostile(leeds, clock)
    md = render(build_report(leeds, SLUG, ReportKind.EXCEPTION, None), ReportFormat.MD).decode()
    # Markdown shows \\u001b as \u001b: the escape, not the character.
    assert (
        r"\<b\>bold\</b\> \*x\* \\u001b\[31mred\\u001b\[0m ring\\u0007 "
        r"\\u202egnp.exe\\u202c c1\\u0085\\u009b sep\\u2028nul\\u0000 end"
    ) in md
    # The carriage return before a line break is dropped; the line break is kept.
    assert f"end  \n{LONG}" in md


@pytest.mark.parametrize("kind", list(ReportKind))
def test_html_is_well_formed_and_prints_on_a4_landscape(leeds: Runtime, kind: ReportKind) -> None:
    html = report_bytes(leeds, kind, "2009-08", ReportFormat.HTML)
    root = parse(html)
    text = html.decode()
    assert "@page { size: A4 landscape;" in text
    assert "thead { display: table-header-group; }" in text
    assert "overflow-wrap: anywhere" in text
    assert not list(root.iter("script"))
    assert root.find("./head/title") is not None


def test_pictures_are_inline_svg_drawn_from_the_closed_periods(leeds: Runtime) -> None:
    report = build_report(leeds, SLUG, ReportKind.PROGRESS, "2009-08")
    root = parse(render(report, ReportFormat.HTML))
    mix, timeline, *indicators = list(root.iter(f"{SVG}svg"))
    assert all("indicator" in svg.get("class", "") for svg in indicators)
    segments = [text_of(t) for t in mix.iter(f"{SVG}title")][1:]
    plan = queries.plan(leeds.engine, SLUG)
    expected = []
    for p in queries.periods(leeds.engine, plan):
        period = Period.parse(p["period"])
        label = f"{period.start:%b %y}"
        for rag in ("blue", "complete", "green", "amber", "red", "grey"):
            if p["summary"]["by_rag"][rag]:
                expected.append(f"{label}: {rag.capitalize()} {p['summary']['by_rag'][rag]}")
    assert segments == expected
    refs = [text_of(t) for t in timeline.iter(f"{SVG}text")]
    assert all(a["ref"] in refs for a in report.snapshot.actions)
    finished = [text_of(t) for t in timeline.iter(f"{SVG}title") if "finished" in text_of(t)]
    assert "2.3 finished 31 Aug 2009" in finished
    assert "report date, 31 Aug 2009" in refs


@pytest.mark.parametrize(
    ("written", "text", "cell"),
    [
        ("a | b", "a \\| b", "a \\| b"),
        ("*x* _y_ `z` [l]", "\\*x\\* \\_y\\_ \\`z\\` \\[l\\]", None),
        ("one\n- two\n3. three", "one  \n\\- two  \n3\\. three", "one<br>\\- two<br>3\\. three"),
        ("- first line may lead", "- first line may lead", None),
        ("<b> & </b>", "\\<b\\> & \\</b\\>", None),
        ("Telford & Wrekin Council", "Telford & Wrekin Council", None),
        ("&amp; is &#38;", "\\&amp; is \\&#38;", None),
    ],
)
def test_markdown_shows_what_people_wrote_literally(
    written: str, text: str, cell: str | None
) -> None:
    assert md_text(written) == text
    if cell is not None:
        assert md_cell(written) == cell
