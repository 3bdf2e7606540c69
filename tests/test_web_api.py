"""The JSON API against a real `actiontrail serve`, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import re
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

pytestmark = [pytest.mark.slow, pytest.mark.persistence]


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


def cli(server: Server, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "ACTIONTRAIL_DATABASE_URL": server.db_url}
    return subprocess.run([str(BIN), *args], env=env, capture_output=True, timeout=120)


def test_audit_queries_answer_as_the_command_line_does(server: Server, tmp_path: Path) -> None:
    with client(server, LEAD) as lead:
        version = lead.get("/plans/plan/actions/1.1").json()["version"]
        rated = lead.post(
            "/plans/plan/actions/1.1/rag",
            json={"rag": "amber", "reason": "audit slipped", "expected_version": version},
        )
        assert rated.status_code == 200, rated.text
        uploaded = lead.post(
            "/plans/plan/actions/1.1/evidence/files",
            files={"file": ("audit-plan.txt", b"The audit plan.\n", "text/plain")},
        )
        assert uploaded.status_code == 200, uploaded.text
    with client(server, NHS) as nhs:
        decided = nhs.post(
            "/plans/plan/governance/proc/decisions",
            json={"agency": "NHS Trust", "approve": True, "body": "Trust Board",
                  "decided_on": "2009-06-02", "version": 1},
        )  # fmt: skip
        assert decided.status_code == 200, decided.text
    now = datetime.now(UTC).isoformat()

    # Everyone with a token may read the audit, as everyone signed in reads the page.
    with client(server, AUDITOR) as auditor:
        then = auditor.get("/plans/plan/as-of", params={"at": "2009-06-01T12:00"})
        assert then.status_code == 200, then.text
        doc = then.json()
        assert doc["replay"]["mode"] == "recorded"
        (action,) = doc["actions"]
        assert action["ref"] == "1.1" and action["reported_rag"] is None
        assert action["evidence"] == []
        assert [c["state"] for c in doc["governance"][0]["agencies"]] == ["pending", "pending"]

        latest = auditor.get("/plans/plan/as-of", params={"at": now}).json()
        (action,) = latest["actions"]
        assert action["reported_rag"] == "amber"
        assert [e["name"] for e in action["evidence"]] == ["audit-plan.txt"]
        cells = {c["agency"]: c for c in latest["governance"][0]["agencies"]}
        assert cells["NHS Trust"]["state"] == "approved"
        assert cells["NHS Trust"]["body"] == "Trust Board"

        # The approval took effect on 2 June, recorded years later: only the effective
        # view has it on that day.
        on_day = auditor.get("/plans/plan/effective", params={"on": "2009-06-02"}).json()
        assert on_day["replay"]["mode"] == "effective"
        cells = {c["agency"]: c for c in on_day["governance"][0]["agencies"]}
        assert cells["NHS Trust"]["state"] == "approved"
        as_of_day = auditor.get("/plans/plan/as-of", params={"at": "2009-06-02"}).json()
        cells = {c["agency"]: c for c in as_of_day["governance"][0]["agencies"]}
        assert cells["NHS Trust"]["state"] == "pending"
        # The same answer as `actiontrail show --effective`.
        shown = cli(server, "--format", "json", "show", "plan", "--effective", "2009-06-02")
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["governance"] == on_day["governance"]

        changed = auditor.get("/plans/plan/diff", params={"from": "2009-06-01T12:00"})
        assert changed.status_code == 200, changed.text
        diff = changed.json()
        fields = {f["field"] for s in diff["actions"] if s["subject"] == "1.1" for f in s["fields"]}
        assert "reported_rag" in fields
        assert diff["governance"][0]["subject"] == "proc"
        assert {e["actor"] for e in diff["events"]} == {LEAD, NHS}
        backwards = auditor.get("/plans/plan/diff", params={"from": now, "to": "2009-06-01T12:00"})
        assert backwards.status_code == 400 and "must come after" in backwards.json()["message"]

        history = auditor.get("/plans/plan/history", params={"subject": "1.1"}).json()
        assert history[-1]["kind"] == "Action.EvidenceSubmitted"
        # since/until read as the command line reads them: London time, a date whole.
        for since, until in [("2009-06-01", "2009-06-01"), ("2009-06-01T00:00", None),
                             ("2009-05-31T23:00Z", None)]:  # fmt: skip
            params = {"since": since, **({"until": until} if until else {})}
            window = auditor.get("/plans/plan/history", params=params)
            assert window.status_code == 200, window.text
            by_cli = cli(server, "--format", "json", "history", "plan", "--since", since,
                         *(["--until", until] if until else []))  # fmt: skip
            assert [e["seq"] for e in window.json()] == [
                e["seq"] for e in json.loads(by_cli.stdout)
            ]
        unreadable = auditor.get("/plans/plan/history", params={"since": "June"})
        assert unreadable.status_code == 400 and "since" in unreadable.json()["message"]

        verified = auditor.get("/plans/plan/verify").json()
        assert verified["intact"] and verified["store_intact"]
        assert verified["problems"] == []
        by_cli = json.loads(cli(server, "verify", "plan", "--format", "json").stdout)
        assert verified["plan_head"] == by_cli["plan"]["head"]
        assert verified["plan_events"] == by_cli["plan"]["events"]

        taken = auditor.get("/plans/plan/checkpoint").json()
        assert taken["checkpoint"]["head"] == verified["plan_head"]
        assert f"head: {verified['plan_head']}" in taken["text"]
        held = auditor.get("/plans/plan/verify", params={"checkpoint": taken["text"]}).json()
        assert held["holds"] and held["intact"], held
        forged = taken["text"].replace(taken["checkpoint"]["head"][-6:], "000000")
        broken = auditor.get("/plans/plan/verify", params={"checkpoint": forged}).json()
        assert broken["holds"] is False and "has changed" in broken["message"]
        # A checkpoint is text: a file named in its place is never read.
        named = auditor.get("/plans/plan/verify", params={"checkpoint": "/etc/hostname"})
        assert named.status_code == 400

        # The export, streamed, with the same events as `actiontrail export`.
        with auditor.stream("GET", "/plans/plan/export") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("application/x-ndjson")
            assert "content-length" not in response.headers  # sent as it is read
            assert "plan-export.jsonl" in response.headers["content-disposition"]
            lines = [line for line in response.iter_lines() if line]
        header, *events, trailer = (json.loads(line) for line in lines)
        assert header["format"] == "actiontrail-export" and header["plan"] == "plan"
        assert trailer["end"] and trailer["events"] == len(events)
        out = tmp_path / "cli-export.jsonl"
        assert cli(server, "export", "plan", "-o", str(out)).returncode == 0
        cli_lines = out.read_text().splitlines()
        assert lines[1:-1] == cli_lines[1:-1]
        assert trailer["plan_digest"] == json.loads(cli_lines[-1])["plan_digest"]

        for path in ("/as-of?at=2009-06-01", "/effective?on=2009-06-01", "/verify", "/export"):
            assert auditor.get(f"/plans/nowhere{path}").status_code == 404, path
        bad = auditor.get("/plans/plan/as-of", params={"at": "last Tuesday"})
        assert bad.status_code == 400 and "not a date" in bad.json()["message"]
        early = auditor.get("/plans/plan/as-of", params={"at": "2009-05-01"})
        assert early.status_code == 404 and "had not been registered" in early.json()["message"]

    with client(server, None) as anonymous:
        for path in ("/as-of?at=2009-06-01", "/diff?from=2009-06-01", "/export", "/verify",
                     "/checkpoint", "/reports/progress.html"):  # fmt: skip
            assert anonymous.get(f"/plans/plan{path}").status_code == 401, path


def test_reports_download_as_the_command_line_renders_them(server: Server) -> None:
    media = {
        "html": "text/html",
        "md": "text/markdown",
        "csv": "text/csv",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "pdf": "application/pdf",
    }
    with client(server, LEAD) as lead:
        for kind in ("progress", "exception", "governance"):
            for fmt, media_type in media.items():
                response = lead.get(f"/plans/plan/reports/{kind}.{fmt}?period=2009-06")
                assert response.status_code == 200, (kind, fmt, response.text[:300])
                assert response.headers["content-type"].startswith(media_type)
                assert f"plan-{kind}-2009-06.{fmt}" in response.headers["content-disposition"]
                if fmt in ("xlsx", "docx"):
                    assert response.content[:2] == b"PK"
                elif fmt == "pdf":
                    assert response.content[:5] == b"%PDF-"
                elif fmt == "csv":
                    assert response.content.startswith(b"\xef\xbb\xbf")  # as the CLI writes it
                else:
                    assert "June 2009" in response.text

        # The same report as `actiontrail report`, but for the moment each was made.
        def steady(text: str) -> list[str]:
            return [line for line in text.splitlines() if not re.search(r"Generated|taken", line)]

        markdown = lead.get("/plans/plan/reports/progress.md?period=2009-06").text
        by_cli = cli(server, "report", "plan", "--period", "2009-06", "--format", "md")
        assert by_cli.returncode == 0, by_cli.stderr
        assert steady(markdown) == steady(by_cli.stdout.decode())

        # Without a period: the plan's current one.
        current = lead.get("/plans/plan/reports/exception.md")
        assert current.status_code == 200
        assert lead.get("/plans/plan/reports/exception.odt").status_code == 422
        assert lead.get("/plans/plan/reports/summary.html").status_code == 422
        wrong = lead.get("/plans/plan/reports/progress.html?period=2009-13")
        assert wrong.status_code == 400


def test_openapi_describes_the_audit_and_report_queries(server: Server) -> None:
    paths = httpx.get(server.url + "/api/openapi.json", timeout=30).json()["paths"]
    for path in ("as-of", "effective", "diff", "history", "export", "verify", "checkpoint",
                 "reports/{kind}.{fmt}"):  # fmt: skip
        assert "get" in paths[f"/api/v1/plans/{{slug}}/{path}"], path
    export = paths["/api/v1/plans/{slug}/export"]["get"]["responses"]["200"]["content"]
    assert "application/x-ndjson" in export
