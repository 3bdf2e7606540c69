"""The JSON API against a real `actiontrail serve`, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from domain.clock import FixedClock, using_clock
from tests.conftest import (
    ADMIN,
    AGENCIES,
    AUDITOR,
    LEAD,
    NHS,
    POLICE,
    SECRETARY,
    action_spec,
    open_runtime,
    people,
)
from tests.test_web_helpers import BIN, Server, start_server, stop_server

pytestmark = pytest.mark.slow


def token_for(server: Server, email: str) -> str:
    """Made by the command line, as an administrator would."""
    env = {**os.environ, "ACTIONTRAIL_DATABASE_URL": server.db_url}
    result = subprocess.run(
        [str(BIN), "users", "token", email, "--label", "tests"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[Server]:
    rt = open_runtime(db_url, tmp_path)
    with using_clock(FixedClock(datetime(2009, 6, 1, 9, 0, tzinfo=UTC))):
        people(rt)
        rt.app.create_plan(ADMIN, "plan", "Safeguarding plan", agencies=AGENCIES)
        rt.app.add_group(ADMIN, "plan", "1", "Recommendation 1")
        rt.app.add_action(ADMIN, "plan", action_spec("1.1"))
        rt.app.open_item(
            SECRETARY, "plan", "proc", "Procedures", ["NHS Trust", "Police"], "v1.docx", "ab" * 32
        )
    rt.close()
    s = start_server(db_url, tmp_path)
    yield s
    stop_server(s)


def client(server: Server, email: str | None) -> httpx.Client:
    headers = {"authorization": f"Bearer {token_for(server, email)}"} if email else {}
    return httpx.Client(base_url=server.url + "/api/v1", headers=headers, timeout=30)


def test_api_runs_the_engine_commands_with_their_rules(server: Server) -> None:
    with client(server, None) as anonymous:
        assert anonymous.get("/me").status_code == 401
        bad = anonymous.get("/me", headers={"authorization": "Bearer at_not-a-token"})
        assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"

    with client(server, LEAD) as lead:
        assert lead.get("/me").json()["email"] == LEAD
        action = lead.get("/plans/plan/actions/1.1").json()
        version = action["version"]

        refused = lead.post("/plans/plan/actions/1.1/rag", json={"rag": "amber"})
        assert refused.status_code == 400
        assert "needs a reason" in refused.json()["message"]

        ok = lead.post(
            "/plans/plan/actions/1.1/rag",
            json={"rag": "amber", "reason": "audit slipped", "expected_version": version},
        )
        assert ok.status_code == 200, ok.text
        assert ok.json()["version"] == version + 1

        stale = lead.post(
            "/plans/plan/actions/1.1/progress",
            json={"narrative": "Audit booked.", "expected_version": version},
        )
        assert stale.status_code == 409
        assert "updated by someone else" in stale.json()["message"]

        uploaded = lead.post(
            "/plans/plan/actions/1.1/evidence/files",
            files={"file": ("audit-plan.txt", b"The audit plan.\n", "text/plain")},
            data={"note": "the plan"},
        )
        assert uploaded.status_code == 200, uploaded.text
        assert uploaded.json()["evidence_id"] == "E1"
        wrong_type = lead.post(
            "/plans/plan/actions/1.1/evidence/files",
            files={"file": ("run.sh", b"#!/bin/sh\n", "text/x-sh")},
        )
        assert wrong_type.status_code == 400

        shown = lead.get("/plans/plan/actions/1.1").json()
        assert shown["reported_rag"] == "amber"
        assert shown["evidence"][0]["name"] == "audit-plan.txt"
        history = lead.get("/plans/plan/history", params={"subject": "1.1"}).json()
        assert [h["actor"] for h in history[-2:]] == [LEAD, LEAD]
        assert lead.get("/my/actions").json()[0]["ref"] == "1.1"

    with client(server, NHS) as nhs:
        other = nhs.post(
            "/plans/plan/governance/proc/decisions",
            json={"agency": "Police", "approve": True, "body": "Board", "decided_on": "2009-06-02"},
        )
        assert other.status_code == 403
        own = nhs.post(
            "/plans/plan/governance/proc/decisions",
            json={
                "agency": "NHS Trust",
                "approve": True,
                "body": "Trust Board",
                "decided_on": "2009-06-02",
                "version": 1,
            },
        )
        assert own.status_code == 200, own.text

    with client(server, SECRETARY) as secretary:
        early = secretary.post(
            "/plans/plan/governance/proc/sign-off",
            json={"board": "Board", "decided_on": "2009-06-03"},
        )
        assert early.status_code == 400 and "Police has not approved" in early.json()["message"]
    with client(server, POLICE) as police:
        decision = {
            "agency": "Police",
            "approve": True,
            "body": "Chief Officers",
            "decided_on": "2009-06-03",
        }
        assert (
            police.post("/plans/plan/governance/proc/decisions", json=decision).status_code == 200
        )
    with client(server, SECRETARY) as secretary:
        done = secretary.post(
            "/plans/plan/governance/proc/sign-off",
            json={"board": "Board", "decided_on": "2009-06-04"},
        )
        assert done.status_code == 200, done.text
        row = secretary.get("/plans/plan/governance").json()[0]
        assert row["signed_off"]["board"] == "Board"

    with client(server, AUDITOR) as auditor:
        assert auditor.get("/plans/plan").status_code == 200
        change = auditor.post("/plans/plan/actions/1.1/status", json={"status": "in_progress"})
        assert change.status_code == 403
        assert auditor.get("/plans/nowhere").status_code == 404


def test_openapi_describes_the_api_and_its_bearer_tokens(server: Server) -> None:
    spec = httpx.get(server.url + "/api/openapi.json", timeout=30).json()
    paths = spec["paths"]
    assert "/api/v1/plans/{slug}/actions/{ref}/rag" in paths
    assert "/api/v1/plans/{slug}/governance/{key}/decisions" in paths
    assert not any(p.startswith("/plans") for p in paths)  # pages are not API
    schemes = spec["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())


def test_uploads_over_the_evidence_limit_are_refused_before_they_are_read(
    server: Server,
) -> None:
    if "postgresql" in server.db_url:
        pytest.skip("the limit is enforced before any database work; SQLite shows it")
    with client(server, LEAD) as lead:
        big = b"x" * (27 * 1024 * 1024)
        response = lead.post(
            "/plans/plan/actions/1.1/evidence/files",
            files={"file": ("big.txt", big, "text/plain")},
        )
        assert response.status_code == 413
        assert lead.get("/plans/plan/actions/1.1").json()["evidence"] == []
