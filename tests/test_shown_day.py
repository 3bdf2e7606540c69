"""One "today": the command line and the web show a demo plan as of the same day, and
say so; any other plan is shown as of today."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.demo import load_demo
from engine.runtime import Runtime
from engine.service.shown_day import DEMO_END
from engine.web import reads
from engine.web.cache import ReadCache
from tests.cli import Cli

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence


def test_the_demo_is_shown_as_of_the_same_day_on_both(
    rt: Runtime, db_url: str, tmp_path: Path
) -> None:
    slug = load_demo(rt).slug
    web = reads.document(ReadCache(rt.engine), slug)
    cli = Cli(tmp_path, db_url)
    shown = cli.json("show", slug)
    assert shown["as_of"] == web["as_of"] == DEMO_END.isoformat()
    assert shown["summary"] == web["summary"]
    assert shown["shown_note"] == web["shown_note"]
    assert "shown as of 31 Aug 2009, the last day of its recorded history" in web["shown_note"]
    text = cli.ok("show", slug)
    assert "demo data: shown as of 31 Aug 2009, the last day of its recorded history" in text


def test_any_other_plan_is_shown_as_of_today(rt: Runtime, db_url: str, tmp_path: Path) -> None:
    from datetime import date

    from tests.conftest import ADMIN, people

    people(rt)
    rt.app.create_plan(ADMIN, "plan", "Plan")
    web = reads.document(ReadCache(rt.engine), "plan")
    assert web["shown_note"] is None
    shown = Cli(tmp_path, db_url).json("show", "plan")
    # The command line runs on the system clock; the test's fixed clock is in 2009.
    assert shown["as_of"] == date.today().isoformat()
    assert shown["shown_note"] is None
