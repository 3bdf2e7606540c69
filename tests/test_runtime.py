"""Opening a store: several processes starting together on a new PostgreSQL schema all
open it, as the web processes, the projection runner and the scheduler do."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from tests.cli import BIN
from tests.conftest import PG_DSN, require_postgres


@pytest.fixture
def schemas() -> Iterator[list[str]]:
    require_postgres()
    made: list[str] = []
    yield made
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        for schema in made:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_processes_starting_together_on_a_new_schema_all_open_it(
    schemas: list[str], tmp_path: object
) -> None:
    failures = []
    for _ in range(4):
        schemas.append(f"t_{uuid.uuid4().hex[:12]}")
        env = {"ACTIONTRAIL_DATABASE_URL": f"{PG_DSN}?schema={schemas[-1]}", "PATH": "/usr/bin"}
        starting = [
            subprocess.Popen(
                [str(BIN), "init"], env=env, cwd=str(tmp_path), text=True,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )  # fmt: skip
            for _ in range(3)
        ]
        for process in starting:
            _, err = process.communicate(timeout=120)
            if process.returncode:
                failures.append(err.strip())
    assert failures == []
