"""A real `actiontrail serve` on a free loopback port, and a real browser to drive it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from config.settings import Settings
from engine.demo import load_data, load_demo
from engine.runtime import Runtime
from engine.service.accounts import Accounts

BIN = Path(sys.executable).with_name("actiontrail")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
PASSWORD = "correct horse battery"

# The demo plan's people (engine/demo/leeds.yaml).
PEOPLE = {key: p["email"] for key, p in load_data()["people"].items()}
SLUG = "leeds-iwc"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    db_url: str
    files: Path
    process: subprocess.Popen[bytes]
    log: Path

    def settings(self) -> Settings:
        return Settings(database_url=self.db_url, files_dir=str(self.files), base_url=self.url)

    def runtime(self) -> Runtime:
        return Runtime.open(self.settings())


def seed_demo(db_url: str, files: Path) -> None:
    """The demo plan and a password for each of its people."""
    rt = Runtime.open(Settings(database_url=db_url, files_dir=str(files)))
    try:
        load_demo(rt)
        accounts = Accounts(rt.engine)
        for email in PEOPLE.values():
            accounts.set_password(email, PASSWORD)
    finally:
        rt.close()


def start_server(db_url: str, folder: Path, *extra: str, port: int | None = None) -> Server:
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    files = folder / "files"
    log = folder / "serve.log"
    env = {
        **os.environ,
        "ACTIONTRAIL_DATABASE_URL": db_url,
        "ACTIONTRAIL_FILES_DIR": str(files),
        "ACTIONTRAIL_BASE_URL": url,
    }
    env.pop("ACTIONTRAIL_SECRET_KEY", None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN), "serve", "--port", str(port), "--no-scheduler", *extra],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(url, db_url, files, process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited: {log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/sign-in", timeout=2):
                return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"serve did not answer within 60 s: {log.read_text()}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def seeded_server(
    factory: pytest.TempPathFactory, seed: Callable[[str, Path], None], name: str = "web"
) -> Iterator[Server]:
    """A server on a SQLite store that `seed` filled first, stopped when done with."""
    folder = factory.mktemp(name)
    db_url = f"sqlite:///{folder / 'actiontrail.db'}"
    seed(db_url, folder / "files")
    server = start_server(db_url, folder)
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from seeded_server(tmp_path_factory, seed_demo)


def require_chromium() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI is set but /usr/bin/chromium is missing (apt-get install chromium)")
        pytest.skip("/usr/bin/chromium is missing (apt-get install -y chromium)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def sign_in(browser: Any, server: Server, who: str) -> Any:
    """A new browser context (its own cookies) signed in as one of the demo people
    (their key in PEOPLE), or anyone else with the same password (their email)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{server.url}/sign-in")
    page.get_by_label("Email address").fill(PEOPLE.get(who, who))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/sign-in" not in page.url, page.content()
    return page


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def csrf_of(page: Any) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.content())
    assert match, "no CSRF token on the page"
    return match.group(1)
