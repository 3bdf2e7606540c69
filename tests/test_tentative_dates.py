"""Tentative dates: "(tbc)", "provisional" or "tentative" beside a date in a plan's sheet
is a mark on the action's finish, kept in the event that sets it, shown beside the date
("31 Mar 2011 (tbc)") in `show`, the web action page and the reports, and written back
by export-sheet so that the round trip holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from domain.clock import FixedClock
from domain.values import with_tentative_mark
from engine.cli.render import show_plan
from engine.importing import parse_file
from engine.importing.export_sheet import write_sheet
from engine.importing.exported import record_key
from engine.importing.record import import_plan
from engine.reports import ReportFormat, ReportKind, build_report, render
from engine.runtime import Runtime
from projections import queries
from tests.conftest import ADMIN, LEAD, people
from tests.web_inprocess import Site, open_site

HEADINGS = "Ref,Action,Plan Start,Plan Finish,Lead\n"
ROWS = (
    '1,Recruit a principal social worker,2010-04-01,31 Mar 2011 (tbc),"Lee Lead"\n'
    "2,Publish the strategy,2010-04-01,April 2011 provisional,Lee Lead\n"
    "3,Train the teams,2010-04-01,June 2011 tentative,Lee Lead\n"
    "4,Audit the files,2010-04-01,31 Dec 2010,Lee Lead\n"
)


def sheet(tmp_path: Path, rows: str = ROWS) -> Path:
    path = tmp_path / "plan.csv"
    path.write_text(HEADINGS + rows, encoding="utf-8")
    return path


def views(rt: Runtime, slug: str = "plan") -> dict[str, dict[str, object]]:
    rt.runner.catch_up()
    return {a["ref"]: a for a in queries.actions(rt.engine, queries.plan(rt.engine, slug))}


@pytest.fixture
def imported(rt: Runtime, clock: FixedClock, tmp_path: Path) -> Runtime:
    clock.set(datetime(2010, 9, 1, 9, 0, tzinfo=UTC))
    people(rt)
    assert import_plan(rt, ADMIN, sheet(tmp_path), slug="plan").recorded
    return rt


def test_tbc_provisional_and_tentative_beside_a_date_mark_the_finish(tmp_path: Path) -> None:
    spec, report = parse_file(sheet(tmp_path), slug="plan")
    found = {a.ref: a for a in spec.actions}
    assert [found[r].plan_finish for r in "1234"] == [
        date(2011, 3, 31), date(2011, 4, 30), date(2011, 6, 30), date(2010, 12, 31),
    ]  # fmt: skip
    assert [found[r].plan_finish_tentative for r in "1234"] == [True, True, True, False]
    # The mark is kept as the mark, not as words beside the date.
    assert all(found[r].timescale is None for r in "1234")
    read = {d.text: d.read for d in report.dates}
    assert read["31 Mar 2011 (tbc)"] == "2011-03-31 (tentative)"


def test_the_mark_is_in_the_added_event_only_when_set(imported: Runtime) -> None:
    found = views(imported)
    assert [found[r]["plan_finish_tentative"] for r in "1234"] == [True, True, True, False]
    app = imported.app
    tentative = app.action("plan", "1")
    firm = app.action("plan", "4")
    assert tentative.plan_finish_tentative and not firm.plan_finish_tentative
    stored = {
        n.originator_id: n.state
        for n in app.recorder.select_notifications(start=0, limit=1000)
        if n.topic == "domain.action:Action.Added"
    }
    assert b'"plan_finish_tentative":true' in stored[tentative.id]
    # A firm date's event holds the fields such events always held.
    assert b"plan_finish_tentative" not in stored[firm.id]


def test_a_date_confirmed_in_the_sheet_is_an_amendment(imported: Runtime, tmp_path: Path) -> None:
    confirmed = ROWS.replace("31 Mar 2011 (tbc)", "31 Mar 2011")
    result = import_plan(imported, ADMIN, sheet(tmp_path, confirmed), slug="plan")
    assert result.recorded and [c.ref for c in result.changes] == ["1"]
    assert not views(imported)["1"]["plan_finish_tentative"]
    # The same sheet again changes nothing.
    again = import_plan(imported, ADMIN, sheet(tmp_path, confirmed), slug="plan", dry_run=True)
    assert not again.changes


def test_the_mark_can_be_amended(imported: Runtime) -> None:
    imported.app.amend_action(ADMIN, "plan", "4", "plan_finish_tentative", True, "not agreed")
    assert views(imported)["4"]["plan_finish_tentative"]
    history = imported.app.action("plan", "4")
    assert history.plan_finish_tentative


def test_show_puts_tbc_beside_the_date(imported: Runtime) -> None:
    assert with_tentative_mark("31 Mar 2011", True) == "31 Mar 2011 (tbc)"
    assert with_tentative_mark("31 Dec 2010", False) == "31 Dec 2010"
    assert with_tentative_mark("", True) == ""
    doc = queries.document(imported.engine, queries.plan(imported.engine, "plan"), date(2010, 9, 1))
    shown = show_plan_text(doc)
    assert "2011-03-31 (tbc)" in shown and "2010-12-31 (tbc)" not in shown


@pytest.mark.persistence  # a report seals the hash chain's checkpoint
def test_the_progress_report_puts_tbc_beside_the_date(imported: Runtime) -> None:
    built = build_report(imported, "plan", ReportKind.PROGRESS)
    text = render(built, ReportFormat.MD).decode()
    assert "plan finish 31 Mar 2011 (tbc)" in text
    assert "plan finish 31 Dec 2010 (tbc)" not in text and "plan finish 31 Dec 2010" in text
    assert "<td>31 Mar 2011 (tbc)</td>" in render(built, ReportFormat.HTML).decode()


@pytest.fixture
def web(db_url: str, tmp_path: Path) -> Iterator[Site]:
    opened = open_site(db_url, tmp_path)
    yield opened
    opened.rt.close()


def test_the_web_action_page_shows_the_mark(web: Site) -> None:
    site = web
    site.rt.app.amend_action(ADMIN, "plan", "1.1", "plan_finish_tentative", True, "not agreed")
    site.accounts.set_password(LEAD, "correct horse battery")
    page = site.signed_in(ADMIN).get("/plans/plan/actions/1.1")
    assert page.status_code == 200
    assert "30 Sep 2009 (tbc)" in page.text


def test_export_writes_the_mark_back_and_the_round_trip_holds(
    imported: Runtime, tmp_path: Path
) -> None:
    doc = queries.document(imported.engine, queries.plan(imported.engine, "plan"), date(2010, 9, 1))
    for suffix in (".xlsx", ".csv", ".docx"):
        out = tmp_path / f"again{suffix}"
        write_sheet(doc, out, record_key(imported))
        result = import_plan(imported, ADMIN, out, slug="plan", dry_run=True)
        assert result.ok and not result.changes, (suffix, result.render_text())
    finishes = [row[6] for row in load_workbook(tmp_path / "again.xlsx")["plan"].iter_rows(
        min_row=4, values_only=True)]  # fmt: skip
    assert "31 Mar 2011 (tbc)" in finishes and datetime(2010, 12, 31) in finishes
    # Read from the cells alone (no export record), the marks come back too.
    spec, _ = parse_file(tmp_path / "again.csv", slug="copy")
    assert [a.plan_finish_tentative for a in spec.actions] == [True, True, True, False]


def show_plan_text(doc: dict[str, object]) -> str:
    from engine.cli import output

    with output.console.capture() as captured:
        show_plan(doc)
    return captured.get()
