"""The read path: a command that only reads a SQLite store at the log's head reads the
read models through one sqlite3 connection; otherwise it opens the runtime."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from config.settings import Settings
from engine.read_path import EVENTS_TABLE, current_read_models
from engine.runtime import Runtime
from projections import queries


def settings(url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=url, files_dir=str(tmp_path / "files"))


def opened(url: str, tmp_path: Path, *, read_your_writes: bool = True) -> Runtime:
    return Runtime.open(settings(url, tmp_path), read_your_writes=read_your_writes)


def current(url: str, tmp_path: Path) -> closing[sqlite3.Connection]:
    conn = current_read_models(settings(url, tmp_path))
    assert isinstance(conn, sqlite3.Connection)
    return closing(conn)


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A SQLite store holding an admin and one plan, its read models at the head."""
    url = f"sqlite:///{tmp_path / 'at.db'}"
    rt = opened(url, tmp_path)
    try:
        rt.app.add_user(None, "admin@c.example", "Ada", roles=["admin"])
        rt.app.create_plan("admin@c.example", "p", "Plan", agencies=["Council"])
    finally:
        rt.close()
    return url


def add_plan(url: str, tmp_path: Path, *, read_your_writes: bool = True) -> Runtime:
    """Another process records a plan ("q"), applying it to the read models or not."""
    writer = opened(url, tmp_path, read_your_writes=read_your_writes)
    writer.app.create_plan("admin@c.example", "q", "Later", agencies=["Council"])
    return writer


def test_the_events_table_is_the_one_the_event_store_keeps(url: str, tmp_path: Path) -> None:
    rt = opened(url, tmp_path)
    try:
        assert rt.app.recorder.events_table_name == EVENTS_TABLE  # type: ignore[attr-defined]
    finally:
        rt.close()


def test_a_store_at_the_head_is_read_through_sqlite3_alone(url: str, tmp_path: Path) -> None:
    with current(url, tmp_path) as conn:
        assert queries.plan(conn, "p")["title"] == "Plan"
        assert [p["slug"] for p in queries.plans(conn)] == ["p"]


def test_read_models_behind_the_log_send_the_command_to_the_runtime(
    url: str, tmp_path: Path
) -> None:
    writer = add_plan(url, tmp_path, read_your_writes=False)
    try:
        assert current_read_models(settings(url, tmp_path)) is None
        writer.catch_up()
        with current(url, tmp_path) as conn:
            assert [p["slug"] for p in queries.plans(conn)] == ["p", "q"]
    finally:
        writer.close()


def test_the_reads_of_one_command_see_one_moment(url: str, tmp_path: Path) -> None:
    with current(url, tmp_path) as conn:
        before = queries.plans(conn)
        # Another process records and applies a plan while the command reads.
        add_plan(url, tmp_path).close()
        assert queries.plans(conn) == before
        assert queries.action_counts(conn) == {}


@pytest.mark.parametrize(
    "other",
    ["memory:", "postgresql://postgres@127.0.0.1:5432/test", "sqlite:///{tmp}/missing.db"],
)
def test_other_stores_are_left_to_the_runtime(other: str, tmp_path: Path) -> None:
    assert current_read_models(settings(other.format(tmp=tmp_path), tmp_path)) is None
    assert not (tmp_path / "missing.db").exists()  # nothing is made by looking


def test_a_file_that_is_not_a_store_is_left_to_the_runtime(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    assert current_read_models(settings(f"sqlite:///{other}", tmp_path)) is None
    (tmp_path / "text.db").write_text("not a database")
    assert current_read_models(settings(f"sqlite:///{tmp_path / 'text.db'}", tmp_path)) is None
