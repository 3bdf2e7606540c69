"""Sheets the importer refuses, naming the file, row and column: hostile workbooks (XML
entities, zip bombs, giant cells) and what a plan cannot hold (duplicate references,
RAG words that are not RAG, red without a reason, malformed emails, control
characters in names, a quote that swallows rows, two mappings to one field). Each
refusal records nothing, on SQLite and PostgreSQL; and the importer records only
through the application service.
"""

from __future__ import annotations

import ast
import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from domain.errors import PermissionDenied
from engine.importing import ImportFileError, Severity, parse_file
from engine.importing.record import import_plan
from engine.runtime import Runtime
from tests.cli import Cli
from tests.conftest import ADMIN, LEAD, people

HEADINGS = ["Ref", "Action", "Lead", "Plan Finish", "This Month RAG", "Report of Progress"]
ENGINE = Path(__file__).resolve().parent.parent / "engine"


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def rewrite_part(path: Path, part: str, change: Callable[[bytes], bytes]) -> Path:
    """The workbook with one of its XML parts rewritten by ``change``."""
    with zipfile.ZipFile(path) as old:
        parts = {name: old.read(name) for name in old.namelist()}
    changed = change(parts[part])
    assert changed != parts[part], "the change did not apply"
    parts[part] = changed
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in parts.items():
            new.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    return path


def errors(path: Path, **kwargs: Any) -> list[tuple[int | None, str | None, str]]:
    _, report = parse_file(path, slug="plan", **kwargs)
    return [(i.row, i.column, i.reason) for i in report.issues if i.severity is Severity.ERROR]


def good_row(ref: str, **cells: str) -> list[str]:
    row = {"Ref": ref, "Action": f"Action {ref}", "Lead": "Ann Smith", "Plan Finish": "Sep-10",
           "This Month RAG": "Green", "Report of Progress": "Started"}  # fmt: skip
    row.update({k.replace("_", " "): v for k, v in cells.items()})
    return [row[h] for h in HEADINGS]


# -- hostile workbooks ----------------------------------------------------------------------


def test_openpyxl_parses_through_defusedxml() -> None:
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
    ],
    ids=["external-entity", "entity-expansion"],
)
def test_a_workbook_declaring_xml_entities_is_refused(tmp_path: Path, doctype: str) -> None:
    path = write_xlsx(tmp_path / "plan.xlsx", [HEADINGS, good_row("1")])

    def with_entity(xml: bytes) -> bytes:
        if xml.startswith(b"<?xml"):
            head, _, body = xml.partition(b"?>")
            return head + b"?>" + doctype.encode() + body
        return doctype.encode() + xml

    rewrite_part(path, "xl/worksheets/sheet1.xml", with_entity)
    with pytest.raises(ImportFileError, match="declares entities or a DTD, refused"):
        parse_file(path, slug="plan")


def test_a_workbook_that_unpacks_past_the_limit_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_xlsx(tmp_path / "plan.xlsx", [HEADINGS, good_row("1")])
    # 3 MB of one repeated letter packs to a few kilobytes: a small zip bomb.
    rewrite_part(path, "docProps/app.xml", lambda xml: xml + b" " * 3_500_000)
    assert path.stat().st_size < 50_000
    monkeypatch.setenv("ACTIONTRAIL_IMPORT_MAX_UNPACKED_MB", "2")
    with pytest.raises(ImportFileError, match=r"unpacks to 3\.\d MB, over the limit of 2\.0 MB"):
        parse_file(path, slug="plan")
    monkeypatch.setenv("ACTIONTRAIL_IMPORT_MAX_UNPACKED_MB", "4")
    assert parse_file(path, slug="plan")[1].ok


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_cell_longer_than_excel_allows_is_refused_with_its_row_and_column(
    tmp_path: Path, suffix: str
) -> None:
    rows = [HEADINGS, good_row("1"), good_row("2", Action="x" * 40_000)]
    if suffix == ".csv":
        path = write_csv(tmp_path / "plan.csv", rows)
    else:
        # openpyxl cuts what it writes at Excel's limit; the cell is made longer in the XML.
        rows[2][1] = "PLACEHOLDER"
        path = write_xlsx(tmp_path / "plan.xlsx", rows)
        rewrite_part(path, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(
            b"PLACEHOLDER", b"x" * 40_000))  # fmt: skip
    with pytest.raises(ImportFileError) as refused:
        parse_file(path, slug="plan")
    assert str(refused.value) == (
        f"plan{suffix}: row 3, column B: the cell holds 40,000 characters, over the limit "
        f"of 32,767 (Excel's own); nothing read"
    )
    ok = [HEADINGS, good_row("1"), good_row("2", Action="x" * 32_767)]
    assert parse_file(write_csv(tmp_path / "ok.csv", ok), slug="plan")[1].ok


# -- a quote that swallows rows ------------------------------------------------------------


def test_a_quote_never_closed_swallows_the_rest_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    path.write_text(
        "Ref,Action,Lead,Plan Finish\n"
        '1,"Audit cases,Ann Smith,Sep-10\n'
        "2,Train staff,Bob Jones,Oct-10\n"
        "3,Publish policy,Ann Smith,Nov-10\n"
    )
    with pytest.raises(ImportFileError, match=r"row 2, column B: a quote \(\"\) opens"):
        parse_file(path, slug="plan")


def test_a_quote_closed_rows_later_swallows_the_rows_between(tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    path.write_text(
        "Ref,Action,Lead,Plan Finish\n"
        '1,"Audit cases,Ann Smith,Sep-10\n'
        "2,Train staff,Bob Jones,Oct-10\n"
        '3,Publish policy",Ann Smith,Nov-10\n'
        "4,Review board,Ann Smith,Dec-10\n"
    )
    with pytest.raises(ImportFileError, match="row 2, column B: a quote .* '2,Train staff,Bob"):
        parse_file(path, slug="plan")


def test_a_cell_with_line_breaks_and_commas_is_not_a_swallowed_row(tmp_path: Path) -> None:
    rows = [HEADINGS, good_row("1", Action="Audit cases\nReview, then report, to the board")]
    spec, report = parse_file(write_csv(tmp_path / "plan.csv", rows), slug="plan")
    assert report.ok and spec.actions[0].title.startswith("Audit cases")


# -- what a plan cannot hold ---------------------------------------------------------------


def test_a_reference_used_twice_is_refused_even_on_the_next_row(tmp_path: Path) -> None:
    rows = [HEADINGS, good_row("1"), good_row("1", Action="Something else"), good_row("2"),
            good_row("2")]  # fmt: skip
    assert errors(write_csv(tmp_path / "plan.csv", rows)) == [
        (3, "Ref", "reference 1 is used again (first at row 2) for another action; "
                   "each action needs its own"),
    ]  # fmt: skip


def test_a_rag_word_that_is_not_a_rag_is_refused(tmp_path: Path) -> None:
    rows = [HEADINGS, good_row("1", This_Month_RAG="Purple"), good_row("2", This_Month_RAG="TBC")]
    path = write_csv(tmp_path / "plan.csv", rows)
    assert errors(path) == [
        (2, "This Month RAG", "'Purple' is not a RAG rating (red, amber/orange, green, blue, "
                              "grey, completed, or status words such as on track, at risk, "
                              "off track)"),
    ]  # fmt: skip


def test_red_or_amber_needs_a_reason_somewhere_in_the_row(tmp_path: Path) -> None:
    rows = [
        HEADINGS + ["Risk Report"],
        good_row("1", This_Month_RAG="Red", Report_of_Progress="") + [""],
        good_row("2", This_Month_RAG="Amber", Report_of_Progress="") + ["Staff shortage"],
        good_row("3", This_Month_RAG="Amber", Report_of_Progress="Behind on audits") + [""],
    ]
    spec, report = parse_file(write_csv(tmp_path / "plan.csv", rows), slug="plan")
    assert [(i.row, i.column) for i in report.errors] == [(2, "This Month RAG")]
    assert "rated Red with no reason anywhere in the row" in report.errors[0].reason
    reasons = {a.ref: a.rag_reason for a in spec.actions}
    assert reasons == {"1": None, "2": "Staff shortage", "3": "Behind on audits"}


def test_a_reason_column_is_the_ratings_reason(tmp_path: Path) -> None:
    rows = [HEADINGS + ["Reason"],
            good_row("1", This_Month_RAG="Red") + ["Budget cut"],
            good_row("2") + ["On track"]]  # fmt: skip
    spec, report = parse_file(write_csv(tmp_path / "plan.csv", rows), slug="plan")
    assert report.ok
    first, second = spec.actions
    assert first.rag_reason == "Budget cut"
    assert second.rag_reason is None and "Reason: On track" in second.notes


@pytest.mark.parametrize(
    ("lead", "problem"),
    [
        ("Dan\rBcc: <dan@x.example>", "control character (U+000D"),
        ("Ann \u202eSmith", "control character (U+202E right-to-left override"),
        ("Ann Smith <ann.smith@@council.gov.uk>", "'ann.smith@@council.gov.uk' is not an email"),
        ("Ann Smith ann.smith@council", "'ann.smith@council' is not an email address"),
    ],
)
def test_names_that_could_break_an_email_are_refused(
    tmp_path: Path, lead: str, problem: str
) -> None:
    rows = [HEADINGS, good_row("1"), good_row("2", Lead=lead)]
    [(row, column, reason)] = errors(write_csv(tmp_path / "plan.csv", rows))
    assert (row, column) == (3, "Lead") and problem in reason


def test_names_with_good_addresses_and_several_lines_are_kept(tmp_path: Path) -> None:
    lead = "Ann Smith <ann.smith@council.gov.uk>\nBob O'Neil (bob.o'neil@nhs.net)"
    rows = [HEADINGS, good_row("1", Lead=lead)]
    spec, report = parse_file(write_csv(tmp_path / "plan.csv", rows), slug="plan")
    assert report.ok
    assert [p.email for p in spec.actions[0].leads] == [
        "ann.smith@council.gov.uk", "bob.o'neil@nhs.net",
    ]  # fmt: skip


def test_two_mappings_to_a_field_one_column_holds_are_refused(tmp_path: Path) -> None:
    rows = [["Ref", "Task", "Job", "Lead"], ["1", "Audit", "Review", "Ann Smith"]]
    path = write_csv(tmp_path / "plan.csv", rows)
    with pytest.raises(ImportFileError, match="the mappings Task=action and Job=action both give"):
        parse_file(path, slug="plan", mapping={"Task": "action", "Job": "action"})
    # Fields several columns share may be mapped twice.
    _, report = parse_file(path, slug="plan", mapping={"Task": "action", "Job": "progress"})
    assert report.ok


# -- recorded nothing, on both databases -----------------------------------------------------


@pytest.fixture
def admin_rt(rt: Runtime) -> Runtime:
    people(rt)
    return rt


def test_a_refused_sheet_records_nothing(admin_rt: Runtime, tmp_path: Path) -> None:
    before = admin_rt.app.recorder.max_notification_id()
    rows = [HEADINGS, good_row("1"), good_row("2", This_Month_RAG="Purple")]
    result = import_plan(admin_rt, ADMIN, write_csv(tmp_path / "plan.csv", rows), slug="plan")
    assert not result.ok and not result.recorded
    assert admin_rt.app.recorder.max_notification_id() == before


def test_only_admins_import_through_the_application_service(
    admin_rt: Runtime, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "plan.csv", [HEADINGS, good_row("1")])
    with pytest.raises(PermissionDenied):
        import_plan(admin_rt, LEAD, path, slug="plan")
    with pytest.raises(PermissionDenied):
        admin_rt.app.apply_import(LEAD, "plan", [])
    assert import_plan(admin_rt, ADMIN, path, slug="plan").recorded


def test_the_importer_neither_records_nor_checks_roles_itself() -> None:
    """One door: every write of an import goes through the application service."""
    found = []
    for path in sorted((ENGINE / "importing").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            writes = ("save", "record", "repository")
            if (
                isinstance(node, ast.Attribute)
                and node.attr in writes
                and "app" in ast.unparse(node.value)
            ):
                found.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
            if isinstance(node, ast.Name | ast.alias) and "permissions" in ast.unparse(node):
                found.append(f"{path.name}:{node.lineno} permissions")
    assert found == []


@pytest.mark.persistence
def test_the_command_line_says_one_line_and_records_nothing(db_url: str, tmp_path: Path) -> None:
    cli = Cli(tmp_path, db_url)
    cli.ok("users", "add", ADMIN, "--name", "Ada Admin", "--role", "admin")
    quote = tmp_path / "plan.csv"
    quote.write_text('Ref,Action,Lead\n1,"Audit,Ann Smith\n2,Train,Bob Jones\n')
    big = write_xlsx(tmp_path / "big.xlsx", [HEADINGS, good_row("1", Action="PLACEHOLDER")])
    rewrite_part(big, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(
        b"PLACEHOLDER", b"y" * 33_000))  # fmt: skip
    mapped = write_csv(tmp_path / "mapped.csv", [["Ref", "Task", "Job"], ["1", "Audit", "Go"]])
    for args, message in [
        ((str(quote),), "plan.csv: row 2, column B: a quote"),
        ((str(big),), "big.xlsx: row 2, column B: the cell holds 33,000 characters"),
        ((str(mapped), "--map", "Task=action", "--map", "Job=action"), "both give the field"),
        ((str(mapped), "--map", "Task=action", "--map", "Task=progress"), "mapped twice"),
    ]:
        r = cli("import", *args, "--plan", "plan", user=ADMIN)
        assert r.returncode == 1, r.stdout + r.stderr
        assert message in r.stderr and "Traceback" not in r.stderr + r.stdout
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert cli.json("plans", user=ADMIN) == []
