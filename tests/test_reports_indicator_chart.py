"""An indicator's readings over time against its target and red threshold, drawn on the
action page and in the progress report, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.clock import FixedClock
from domain.values import Indicator
from engine.reports import ReportFormat, ReportKind, build_report, render
from engine.web import reads
from engine.web.cache import ReadCache
from engine.web.routes.actions import indicator_charts
from tests.conftest import ADMIN, LEAD, World, action_spec
from tests.test_reports import parse

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence

SVG = "{http://www.w3.org/2000/svg}"


def test_readings_are_drawn_against_target_and_red_threshold(
    world: World, clock: FixedClock
) -> None:
    rt = world.rt
    rt.app.add_action(
        ADMIN,
        "plan",
        action_spec(
            "1.3", indicators=[Indicator("Reviews on time", 80.0, "%", red_threshold=60.0)]
        ),
    )
    for day_, value in ((date(2009, 4, 30), 55.0), (date(2009, 5, 31), 68.0),
                        (date(2009, 6, 20), 82.0)):  # fmt: skip
        clock.set(datetime(day_.year, day_.month, day_.day, 12, tzinfo=UTC))
        rt.app.measure_indicator(LEAD, "plan", "1.3", "Reviews on time", value, day_)

    html = render(build_report(rt, "plan", ReportKind.PROGRESS, None), ReportFormat.HTML)
    root = parse(html)
    [chart] = [s for s in root.iter(f"{SVG}svg") if "indicator" in s.get("class", "")]
    tips = [c.find(f"{SVG}title").text for c in chart.iter(f"{SVG}circle")]
    assert tips == ["30 Apr 2009: 55%", "31 May 2009: 68%", "20 Jun 2009: 82%"]
    lines = {ln.get("class"): float(ln.get("y1")) for ln in chart.iter(f"{SVG}line")
             if ln.get("class")}  # fmt: skip
    ys = [float(c.get("cy")) for c in chart.iter(f"{SVG}circle")]
    # Higher is better: 82 sits above the target line, 55 below the red one.
    assert ys[2] < lines["target"] < ys[1] < lines["red-threshold"] < ys[0]

    doc = reads.document(ReadCache(rt.engine), "plan")
    [action] = [a for a in doc["actions"] if a["ref"] == "1.3"]
    page_chart = indicator_charts(action)["Reviews on time"]
    assert str(page_chart).count("<circle") == 3 and "red beyond 60%" in str(page_chart)
