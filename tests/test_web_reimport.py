"""The web import page shows a re-import's conflicts in the dry run and offers the
choice: keep the plan's values or take the sheet's."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from tests.conftest import ADMIN, World
from tests.test_web_manage import OWNER, recorded, site

__all__ = ["site"]  # the fixture, used by name

HEADS = "Ref,Action,Lead,Plan Finish\n"


def upload(c: Any, body: str) -> Any:
    return c.post(
        "/plans/plan/manage/import",
        data={"csrf_token": c.csrf},
        files={"file": ("council.csv", (HEADS + body).encode())},
    )


def record(c: Any, page: str, **choice: str) -> Any:
    token = re.search(r'name="token" value="([^"]+)"', page)
    assert token, page[:500]
    data = {"csrf_token": c.csrf, "token": token.group(1), "file": "council.csv", **choice}
    return c.post("/plans/plan/manage/import/record", data=data)


@pytest.mark.parametrize(("prefer", "kept"), [("sheet", date(2010, 3, 31)),
                                              ("plan", date(2009, 12, 31))])  # fmt: skip
def test_the_dry_run_shows_conflicts_and_the_choice_is_recorded(
    site: Any, world: World, prefer: str, kept: date
) -> None:
    c = site(OWNER)
    first = upload(c, "9.1,Audit cases,Lee Lead,Sep-09\n9.2,Train staff,Lee Lead,Oct-09\n")
    assert first.status_code == 200 and "Conflicts" not in first.text
    assert "Keep the plan's values" not in first.text
    assert record(c, first.text).status_code == 200
    world.rt.app.amend_action(ADMIN, "plan", "9.1", "plan_finish", date(2009, 12, 31), "Moved")

    dry = upload(c, "9.1,Audit cases,Lee Lead,Mar-10\n9.2,Train staff,Lee Lead,Oct-09\n")
    assert dry.status_code == 200
    table = re.search(r'<table id="conflicts">.*?</table>', dry.text, re.S)
    assert table, dry.text[:2000]
    cells = re.findall(r"<td>([^<]*)</td>", table.group(0))
    assert cells[:5] == ["9.1", "plan_finish", "2010-03-31", "2009-12-31", ADMIN]
    assert 'name="prefer" value="plan" checked' in dry.text
    assert 'name="prefer" value="sheet"' in dry.text
    before = recorded(world.rt)
    assert record(c, dry.text, prefer=prefer).status_code == 200
    assert world.rt.app.action("plan", "9.1").plan_finish == kept
    assert recorded(world.rt) > before  # the sheet's value, or the base taking it as seen
    # Settled either way: the same sheet again has no conflict to offer.
    assert (
        'id="conflicts"'
        not in upload(c, "9.1,Audit cases,Lee Lead,Mar-10\n9.2,Train staff,Lee Lead,Oct-09\n").text
    )


def test_a_choice_that_is_neither_side_is_refused(site: Any, world: World) -> None:
    c = site(OWNER)
    page = upload(c, "9.1,Audit cases,Lee Lead,Sep-09\n")
    before = recorded(world.rt)
    r = record(c, page.text, prefer="both")
    assert r.status_code == 400 and "is not a choice for the conflicts" in r.text
    assert recorded(world.rt) == before
