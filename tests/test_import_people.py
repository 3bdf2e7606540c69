"""People in a sheet linked to the store's users by name, and a people file adding the
ones the store lacks, recorded with the import as one unit, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from engine.importing import ImportFileError
from engine.importing.people import read_people
from engine.importing.record import import_plan
from engine.runtime import Runtime
from projections import queries
from tests.conftest import ADMIN, LEAD, people

HEADINGS = ["Ref", "Action", "Lead", "Chief Officer", "Plan Finish"]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def sheet(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "plan.csv",
        [
            HEADINGS,
            ["1", "Audit cases", "  lee   LEAD ", "Olu Officer", "Sep-10"],
            ["2", "Train staff", "Mona Moss", "Nobody Known", "Oct-10"],
        ],
    )


def test_names_are_linked_to_users_by_name_and_a_people_file_adds_the_rest(
    rt: Runtime, tmp_path: Path
) -> None:
    people(rt)
    listed = write_csv(
        tmp_path / "people.csv",
        [["Name", "Email", "Agency", "Role"], ["Mona Moss", "mona.moss@nhs.example", "NHS", ""]],
    )
    dry = import_plan(rt, ADMIN, sheet(tmp_path), slug="plan", people=listed, dry_run=True)
    assert dry.users_added == ["mona.moss@nhs.example"]
    assert dry.report.people_without_email == ["Nobody Known"]
    assert "users added from the people file: mona.moss@nhs.example" in dry.render_text()
    assert "mona.moss@nhs.example" not in [u["email"] for u in queries.users(rt.engine)]

    result = import_plan(rt, ADMIN, sheet(tmp_path), slug="plan", people=listed)
    assert result.recorded
    found = {a["ref"]: a for a in queries.actions(rt.engine, queries.plan(rt.engine, "plan"))}
    # Case and spacing aside, "lee LEAD" is the user Lee Lead.
    assert [(p["name"], p["email"]) for p in found["1"]["leads"]] == [("lee LEAD", LEAD)]
    assert found["1"]["accountable"]["email"] == "officer@council.example"
    assert [(p["email"], p["agency"]) for p in found["2"]["leads"]] == [
        ("mona.moss@nhs.example", "NHS")
    ]
    added = {u["email"]: u for u in queries.users(rt.engine)}["mona.moss@nhs.example"]
    assert (added["name"], added["agency"], added["roles"]) == ("Mona Moss", "NHS", ["lead"])
    assert found["2"]["accountable"]["email"] is None


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["Name"], ["Ann"]], "row 1: the people file needs a 'email' column"),
        ([["Name", "Email"], ["Ann", "ann@@x.gov.uk"]], "row 2, column email: 'ann@@x.gov.uk'"),
        ([["Name", "Email"], ["Ann\rBcc", "ann@x.gov.uk"]], "row 2, column name: the name holds"),
        ([["Name", "Email", "Role"], ["Ann", "ann@x.gov.uk", "boss"]], "unknown role 'boss'"),
        (
            [["Name", "Email"], ["Ann", "ann@x.gov.uk"], ["ann", "ann@y.gov.uk"]],
            "row 3: ann is listed again with another email (ann@x.gov.uk at row 2)",
        ),
    ],
)
def test_a_bad_people_file_is_refused_with_its_row(
    tmp_path: Path, rows: list[list[str]], message: str
) -> None:
    with pytest.raises(ImportFileError) as refused:
        read_people(write_csv(tmp_path / "people.csv", rows))
    assert message in str(refused.value)
