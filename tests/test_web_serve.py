"""`actiontrail serve`: the demo, the background catch-up and the process flags."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from config.settings import Settings
from domain.values import Rag
from engine.cli.web import DEMO_PASSWORD
from engine.runtime import Runtime
from engine.web.accounts import Accounts
from tests.test_web_helpers import BIN, PASSWORD, PEOPLE, SLUG, seed_demo, start_server, stop_server

pytestmark = pytest.mark.slow


def signed_in(url: str, email: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30, follow_redirects=True)
    page = client.get("/sign-in").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/sign-in", data={"csrf_token": token, "email": email, "password": password}
    )
    assert response.status_code == 200 and "My actions" in response.text, response.text[:300]
    return client


def test_demo_loads_an_empty_store_and_prints_the_sign_ins(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    server = start_server(url, tmp_path, "--demo")
    try:
        log = server.log.read_text()
        assert f"Open {server.url}/" in log
        assert PEOPLE["nhs"] in log and DEMO_PASSWORD in log
        with closing(signed_in(server.url, PEOPLE["nhs"], DEMO_PASSWORD)) as client:
            assert "Governance" in client.get(f"/plans/{SLUG}/governance").text
    finally:
        stop_server(server)


def test_demo_sets_no_password_in_a_store_that_is_not_a_demo(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'real.db'}"
    env = {**os.environ, "ACTIONTRAIL_DATABASE_URL": url}
    subprocess.run(
        [str(BIN), "users", "add", "admin@council.example", "--name", "Ada", "--role", "admin"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    server = start_server(url, tmp_path, "--demo")
    try:
        assert "the demo plan was not loaded" in server.log.read_text()
    finally:
        stop_server(server)
    rt = Runtime.open(Settings(database_url=url, files_dir=str(tmp_path / "files")))
    try:
        assert not Accounts(rt.engine).has_password("admin@council.example")
        assert not Accounts(rt.engine).has_password(PEOPLE["nhs"])
    finally:
        rt.close()


def _rate_from_another_process(url: str, files: Path) -> None:
    """A change recorded by a process that does not update the read models itself."""
    rt = Runtime.open(Settings(database_url=url, files_dir=str(files)), read_your_writes=False)
    try:
        rt.app.assess_rag(PEOPLE["rg"], SLUG, "2.1", Rag.RED, reason="funding withdrawn")
    finally:
        rt.close()


def _shows_red(client: httpx.Client) -> bool:
    page = client.get(f"/plans/{SLUG}/actions/2.1").text
    return "funding withdrawn" in page


@pytest.mark.parametrize("flag", ["", "--web-only"])
def test_read_models_catch_up_with_other_processes_unless_web_only(
    tmp_path: Path, flag: str
) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    seed_demo(url, tmp_path / "files")
    server = start_server(url, tmp_path, *([flag] if flag else []))
    try:
        log = server.log.read_text()
        expected = "catch-up off, scheduler off" if flag else "catch-up on, scheduler off"
        assert expected in log
        with closing(signed_in(server.url, PEOPLE["rg"], PASSWORD)) as client:
            assert not _shows_red(client)
            _rate_from_another_process(url, tmp_path / "files")
            deadline = time.monotonic() + 5
            while not _shows_red(client) and time.monotonic() < deadline:
                time.sleep(0.25)
            assert _shows_red(client) is (flag == "")
    finally:
        stop_server(server)


def test_serve_stops_cleanly_with_its_scheduler(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sched.db'}"
    seed_demo(url, tmp_path / "files")
    port_server = start_server(url, tmp_path)  # --no-scheduler: the helper's default
    stop_server(port_server)
    env = {
        **os.environ,
        "ACTIONTRAIL_DATABASE_URL": url,
        "ACTIONTRAIL_FILES_DIR": str(tmp_path / "files"),
        "ACTIONTRAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
    }
    process = subprocess.Popen(
        [str(BIN), "serve", "--port", "0"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "scheduler on" in first, first
        time.sleep(2)
        assert process.poll() is None
    finally:
        process.terminate()
        # The server shuts down its jobs, then ends by the signal it was sent.
        assert process.wait(timeout=30) in (0, -signal.SIGTERM)
