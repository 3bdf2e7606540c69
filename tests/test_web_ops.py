"""Liveness, readiness, Prometheus metrics and request ids, as operations teams use them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from config.settings import Settings
from domain.clock import FixedClock, using_clock
from domain.errors import InvalidInput
from engine.runtime import Runtime
from engine.web.app import create_app
from tests.conftest import ADMIN, action_spec, people

BASE = Settings().base_url


def runtime(url: str, tmp_path: Path, **settings: str) -> Runtime:
    """A runtime whose own writes do not reach the read models: the catch-up is a
    separate process that may be stopped, as in a real deployment."""
    return Runtime.open(
        Settings(database_url=url, files_dir=str(tmp_path / "files"), **settings),
        read_your_writes=False,
    )


@pytest.fixture
def stopped_catch_up(db_url: str, tmp_path: Path) -> Iterator[Runtime]:
    rt = runtime(db_url, tmp_path, metrics="1", ready_max_lag="60")
    # Recorded with the timestamps of 2009, so the unapplied events are years old.
    with using_clock(FixedClock(datetime(2009, 6, 1, 9, 0, tzinfo=UTC))):
        people(rt)
        rt.app.create_plan(ADMIN, "plan", "Safeguarding plan", agencies=["Council"])
        rt.app.add_group(ADMIN, "plan", "1", "Recommendation 1")
        rt.app.add_action(ADMIN, "plan", action_spec("1.1"))
    yield rt
    rt.close()


@pytest.mark.persistence
def test_readyz_is_503_while_the_read_models_fall_behind_and_200_once_caught_up(
    stopped_catch_up: Runtime,
) -> None:
    rt = stopped_catch_up
    with TestClient(create_app(rt), base_url=BASE) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        behind = client.get("/readyz")
        assert behind.status_code == 503, behind.text
        body = behind.json()
        assert body["status"] == "behind" and body["database"] == "ok"
        assert body["read_model_lag_events"] == rt.app.recorder.max_notification_id()
        assert body["read_model_lag_seconds"] > 60

        rt.runner.catch_up()
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["read_model_lag_events"] == 0


def test_readyz_is_503_when_the_database_does_not_answer(db_url: str, tmp_path: Path) -> None:
    rt = runtime(db_url, tmp_path)
    working = rt.engine
    with TestClient(create_app(rt), base_url=BASE) as client:
        assert client.get("/readyz").status_code == 200
        # The read-model database goes away: nothing listens on port 1.
        rt.engine = create_engine(
            "postgresql+psycopg://postgres@127.0.0.1:1/gone", connect_args={"connect_timeout": 2}
        )
        gone = client.get("/readyz")
        assert gone.status_code == 503
        assert gone.json() == {"status": "unavailable", "database": "not answering"}
        rt.engine.dispose()
    rt.engine = working
    rt.close()


def test_a_bad_ready_lag_setting_stops_the_app_at_start(db_url: str, tmp_path: Path) -> None:
    rt = runtime(db_url, tmp_path, ready_max_lag="soon")
    with pytest.raises(InvalidInput, match="ACTIONTRAIL_READY_MAX_LAG.*'soon'"):
        create_app(rt)
    rt.close()


def test_metrics_are_off_unless_turned_on(db_url: str, tmp_path: Path) -> None:
    rt = runtime(db_url, tmp_path)
    with TestClient(create_app(rt), base_url=BASE) as client:
        off = client.get("/metrics")
        assert off.status_code == 404 and "ACTIONTRAIL_METRICS=1" in off.text
    rt.close()


def sample(exposition: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format."""
    for line in exposition.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        found_name, _, rest = line.partition("{") if "{" in line else (line.split()[0], "", "")
        if found_name != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', rest.partition("}")[0]))
        if found == labels:
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {name} {labels} in:\n{exposition}")


def test_metrics_count_requests_routes_lag_outbox_and_sign_in_failures(
    stopped_catch_up: Runtime,
) -> None:
    rt = stopped_catch_up
    with TestClient(create_app(rt), base_url=BASE) as client:
        for _ in range(3):
            client.get("/healthz")
        client.get("/plans/no-such-plan/actions/1.1")
        form = client.get("/sign-in")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert csrf, form.text
        client.post(
            "/sign-in",
            data={"email": ADMIN, "password": "wrong", "csrf_token": csrf.group(1)},
        )
        text = client.get("/metrics").text

    assert (
        sample(
            text, "actiontrail_http_requests_total", method="GET", route="/healthz", status="200"
        )
        == 3
    )
    # A route is counted by its template, not by every address asked for.
    assert "no-such-plan" not in text
    assert (
        sample(
            text, "actiontrail_http_request_duration_seconds_count", method="GET", route="/healthz"
        )
        == 3
    )
    assert sample(text, "actiontrail_sign_in_failures_total") == 1
    head = rt.app.recorder.max_notification_id()
    assert sample(text, "actiontrail_read_model_lag_events") == head
    assert sample(text, "actiontrail_read_model_lag_seconds") > 60
    assert sample(text, "actiontrail_outbox_messages", state="queued") == 0
    assert sample(text, "actiontrail_reminders_sent_total") == 0


def test_every_response_carries_a_request_id_which_the_json_logs_carry_too(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from config.logging import configure_logging

    rt = runtime(db_url, tmp_path)
    configure_logging("info", "json")
    try:
        with TestClient(create_app(rt), base_url=BASE) as client:
            mine = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"})
            fresh = client.get("/healthz")
            hostile = client.get(
                "/healthz", headers={"X-Request-ID": "x; <script>alert(1)</script>" * 3}
            )
    finally:
        configure_logging()
        rt.close()
    assert mine.headers["x-request-id"] == "lb-7f3a.42"
    assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["x-request-id"])
    assert re.fullmatch(r"[0-9a-f]{32}", hostile.headers["x-request-id"])
    lines = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    logged = {x["request_id"] for x in lines if x.get("event") == "request"}
    assert {"lb-7f3a.42", fresh.headers["x-request-id"]} <= logged


def test_probes_answer_any_host_while_pages_refuse_an_unknown_one(
    db_url: str, tmp_path: Path
) -> None:
    rt = runtime(db_url, tmp_path, metrics="1")
    with TestClient(create_app(rt), base_url="http://10.0.0.7:8000") as by_address:
        assert by_address.get("/healthz").status_code == 200
        assert by_address.get("/readyz").status_code == 200
        assert by_address.get("/metrics").status_code == 200
        refused = by_address.get("/sign-in")
        assert refused.status_code == 400
        assert refused.headers["x-request-id"]
    rt.close()
