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
import typer
from sqlalchemy import column, create_engine, inspect, select, table

from config.settings import Settings
from domain.values import Rag
from engine.cli.web import DEMO_PASSWORD, choose_parts
from engine.reminders.scheduler import DAILY_JOB, JOBS_TABLE, SWEEP_JOB
from engine.runtime import Runtime
from engine.service.accounts import Accounts
from engine.web.background import Jobs
from tests.test_web_helpers import (
    BIN,
    PASSWORD,
    PEOPLE,
    SLUG,
    free_port,
    seed_demo,
    start_server,
    stop_server,
)

pytestmark = [pytest.mark.slow, pytest.mark.persistence]


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


def test_the_flags_choose_what_a_serve_process_runs() -> None:
    everything = choose_parts()
    assert everything.web and everything.jobs == Jobs(projections=True, scheduler=True)
    for flags, web, projections, scheduler in [
        ({"web_only": True}, True, False, False),
        ({"projections_only": True}, False, True, False),
        ({"scheduler_only": True}, False, False, True),
        ({"no_web": True}, False, True, True),
        ({"no_scheduler": True}, True, True, False),
        ({"no_projections": True}, True, False, True),
        # Turning off a part that is off anyway changes nothing.
        ({"web_only": True, "no_scheduler": True}, True, False, False),
        ({"projections_only": True, "no_web": True}, False, True, False),
    ]:
        parts = choose_parts(**flags)
        assert (parts.web, parts.jobs.projections, parts.jobs.scheduler) == (
            web,
            projections,
            scheduler,
        ), flags
    for flags, refusal in [
        ({"projections_only": True, "scheduler_only": True}, "each run one part alone"),
        ({"web_only": True, "projections_only": True}, "each run one part alone"),
        ({"projections_only": True, "no_projections": True}, "which --no-projections"),
        ({"scheduler_only": True, "no_scheduler": True}, "which --no-scheduler"),
        ({"no_web": True, "no_projections": True, "no_scheduler": True}, "nothing to run"),
    ]:
        with pytest.raises(typer.BadParameter, match=refusal):
            choose_parts(**flags)


def test_serve_help_and_refusals_name_the_flags(tmp_path: Path) -> None:
    env = {**os.environ, "ACTIONTRAIL_DATABASE_URL": f"sqlite:///{tmp_path / 'help.db'}"}
    shown = subprocess.run(
        [str(BIN), "serve", "--help"], env=env, capture_output=True, text=True, timeout=120
    )
    assert shown.returncode == 0
    for flag in ("--web-only", "--projections-only", "--scheduler-only", "--no-web"):
        assert flag in shown.stdout, flag
    for flags in (["--projections-only", "--scheduler-only"], ["--no-web", "--demo"]):
        refused = subprocess.run(
            [str(BIN), "serve", *flags], env=env, capture_output=True, text=True, timeout=120
        )
        assert refused.returncode == 2, (flags, refused.stderr)
        assert "Traceback" not in refused.stderr


def start_jobs(db_url: str, folder: Path, *flags: str) -> tuple[subprocess.Popen[bytes], Path]:
    """`serve` without its web server; returns once it says it is running."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "jobs.log"
    env = {
        **os.environ,
        "ACTIONTRAIL_DATABASE_URL": db_url,
        "ACTIONTRAIL_FILES_DIR": str(folder / "files"),
        "ACTIONTRAIL_OUTBOX_DIR": str(folder / "outbox"),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN), "serve", *flags], cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    while "actiontrail running" not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"serve {' '.join(flags)} did not start: {log.read_text()}")
        time.sleep(0.2)
    return process, log


def stop_jobs(process: subprocess.Popen[bytes], log: Path) -> None:
    process.terminate()
    # The jobs are stopped in order and the process ends normally.
    assert process.wait(timeout=30) == 0, log.read_text()
    assert "actiontrail stopped" in log.read_text()


def refuses_connections(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/sign-in", timeout=2)
    except httpx.ConnectError:
        return True
    return False


def _post_progress(client: httpx.Client, ref: str, text: str) -> None:
    page = client.get(f"/plans/{SLUG}/actions/{ref}").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    version = page.split('name="version" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        f"/plans/{SLUG}/actions/{ref}/update",
        data={"csrf_token": token, "version": version, "progress": text},
    )
    assert response.status_code == 200 and "Your update was saved." in response.text


def _rate_out_of_band(url: str, files: Path, rag: Rag, reason: str) -> None:
    """A change by a process that leaves the read models to the catch-up."""
    rt = Runtime.open(Settings(database_url=url, files_dir=str(files)), read_your_writes=False)
    try:
        rt.app.assess_rag(PEOPLE["rg"], SLUG, "2.1", rag, reason=reason)
    finally:
        rt.close()


def _shows(client: httpx.Client, text: str, within: float = 0.0) -> bool:
    deadline = time.monotonic() + within
    while True:
        if text in client.get(f"/plans/{SLUG}/actions/2.1").text:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.25)


def test_web_only_processes_share_a_database_with_one_projections_process(
    db_url: str, tmp_path: Path
) -> None:
    seed_demo(db_url, tmp_path / "files")
    webs = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        webs.append(start_server(db_url, tmp_path / name, "--web-only"))
    projections = None
    try:
        for web in webs:
            assert "catch-up off, scheduler off" in web.log.read_text()
        a, b = (signed_in(w.url, PEOPLE["rg"], PASSWORD) for w in webs)
        with closing(a), closing(b):
            # A web process brings the shared read models up to date after its own
            # change, so the other web process shows it at once.
            _post_progress(a, "2.1", "Standards drafted through process A.")
            assert _shows(b, "Standards drafted through process A.")

            # Nobody catches up with a change written elsewhere...
            _rate_out_of_band(db_url, tmp_path / "files", Rag.RED, "funding withdrawn")
            assert not _shows(a, "funding withdrawn", within=2.5)
            assert not _shows(b, "funding withdrawn")

            # ...until the one projections process runs, without a web server of its own.
            port = free_port()
            projections, log = start_jobs(
                db_url, tmp_path / "projections", "--projections-only", "--port", str(port)
            )
            assert "catch-up on, scheduler off, no web server" in log.read_text()
            assert refuses_connections(port)
            assert _shows(a, "funding withdrawn", within=10)
            assert _shows(b, "funding withdrawn")
            # It keeps catching up while it runs, not only when it starts.
            _rate_out_of_band(db_url, tmp_path / "files", Rag.AMBER, "funding half restored")
            assert _shows(b, "funding half restored", within=10)
            assert _shows(a, "funding half restored")
            stop_jobs(projections, log)
            projections = None
    finally:
        if projections is not None:
            projections.kill()
        for web in webs:
            stop_server(web)


def test_scheduler_only_runs_the_reminders_without_a_web_server(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'scheduler.db'}"
    seed_demo(url, tmp_path / "files")
    port = free_port()
    process, log = start_jobs(url, tmp_path / "scheduler", "--scheduler-only", "--port", str(port))
    try:
        assert "catch-up off, scheduler on, no web server" in log.read_text()
        assert refuses_connections(port)
        engine = create_engine(url)
        try:
            assert JOBS_TABLE in inspect(engine).get_table_names()
            with engine.connect() as conn:
                jobs = set(conn.execute(select(table(JOBS_TABLE, column("id")))).scalars())
        finally:
            engine.dispose()
        assert {DAILY_JOB, SWEEP_JOB} <= jobs
        stop_jobs(process, log)
    finally:
        if process.poll() is None:
            process.kill()
