"""The checkpoint from an audit module that offers `take_checkpoint(app, slug)`, which
returns the checkpoint with its verification and refuses a record that is not intact."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from domain.clock import FixedClock
from domain.errors import InvalidInput
from engine.demo import load_demo
from engine.reports.checkpoint import plan_checkpoint
from engine.runtime import Runtime
from tests.conftest import open_runtime

SLUG = "leeds-iwc"
REFUSE = "refuse-me"


def take_checkpoint(app: Any, slug: str) -> tuple[dict[str, Any], str]:
    if slug == REFUSE:
        raise InvalidInput("the record is not intact, so no checkpoint was taken")
    return {"plan": slug, "events": app.recorder.max_notification_id(), "taken": None}, "intact"


@pytest.fixture
def leeds(sqlite_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Runtime]:
    runtime = open_runtime(sqlite_url, tmp_path)
    load_demo(runtime)
    yield runtime
    runtime.close()


def test_a_live_report_takes_the_checkpoint(leeds: Runtime) -> None:
    found = plan_checkpoint(leeds, SLUG, None, module=__name__)
    assert found == {"plan": SLUG, "events": str(leeds.app.recorder.max_notification_id())}


def test_a_closed_period_leaves_off_a_checkpoint_it_cannot_take_as_at_its_close(
    leeds: Runtime,
) -> None:
    assert plan_checkpoint(leeds, SLUG, 10, module=__name__) is None


def test_a_record_that_fails_verification_is_reported(leeds: Runtime) -> None:
    found = plan_checkpoint(leeds, REFUSE, None, module=__name__)
    assert found == {"problem": "the record is not intact, so no checkpoint was taken"}
