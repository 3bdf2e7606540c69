"""The Dockerfile and compose.yaml name only what the product has: no Docker runs here, so
these files are checked against the command line itself."""

from __future__ import annotations

import json
import re
from pathlib import Path

import typer
import yaml

import engine.cli.commands  # noqa: F401  (registers the commands on the app)
from engine.cli import app

ROOT = Path(__file__).resolve().parent.parent


def serve_options() -> set[str]:
    root = typer.main.get_command(app)
    serve = root.commands["serve"]  # type: ignore[attr-defined]
    return {opt for p in serve.params for opt in p.opts if opt.startswith("--")}


def test_compose_runs_web_catch_up_and_scheduler_with_flags_serve_has() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    commands = {name: s["command"] for name, s in services.items() if "command" in s}
    assert set(commands) == {"web", "catch-up", "scheduler"}
    known = serve_options()
    for name, command in commands.items():
        assert command[0] == "serve", name
        flags = [part for part in command[1:] if part.startswith("--")]
        assert set(flags) <= known, (name, set(flags) - known)
    # Each part of the product runs exactly once across the three services.
    assert "--web-only" in commands["web"]
    assert "--projections-only" in commands["catch-up"]
    assert "--scheduler-only" in commands["scheduler"]
    # They all share one PostgreSQL database.
    urls = {services[n]["environment"]["ACTIONTRAIL_DATABASE_URL"] for n in commands}
    assert len(urls) == 1 and urls.pop().startswith("postgresql://")


def test_dockerfile_runs_as_a_user_on_a_slim_python_with_a_serve_command() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.1\d-slim", text, re.M)
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", text, re.M).group(1))  # type: ignore[union-attr]
    assert cmd[0] == "serve"
    assert {p for p in cmd if p.startswith("--")} <= serve_options()
    assert "/healthz" in text
