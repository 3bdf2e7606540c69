"""Shared fixtures: a store per test.

Two tiers. Tests of what the engine does (its rules, commands, read models and reports)
run on the library's in-memory event store, which is fast. Tests marked ``persistence``
(what is stored, locked, chained, restarted, shared between processes) run on a real
SQLite file and a real PostgreSQL schema each. ``ACTIONTRAIL_TEST_STORES=all`` runs
every test on both databases as well.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from argon2 import PasswordHasher

from config.settings import Settings
from domain.clock import FixedClock, using_clock
from domain.spec import ActionSpec
from domain.values import Criterion, Person
from engine.runtime import Runtime

PG_DSN = os.environ.get("ACTIONTRAIL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_available() -> bool:
    try:
        with psycopg.connect(
            PG_DSN.replace("postgresql://", "postgresql://", 1), connect_timeout=3
        ):
            return True
    except psycopg.OperationalError:
        return False


def require_postgres() -> None:
    """PostgreSQL tests skip where none is reachable, but never under CI."""
    if postgres_available():
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but PostgreSQL is not reachable at {PG_DSN}")
    pytest.skip(f"PostgreSQL not reachable at {PG_DSN}")


PERSISTENT_STORES = ["sqlite", "postgres"]


def store_kinds(persistence: bool) -> list[str]:
    if persistence or os.environ.get("ACTIONTRAIL_TEST_STORES") == "all":
        return PERSISTENT_STORES
    return ["memory"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_url" in metafunc.fixturenames:
        marked = metafunc.definition.get_closest_marker("persistence") is not None
        metafunc.parametrize("db_url", store_kinds(marked), indirect=True)


# Passwords set and checked in the test process are hashed with Argon2id at its lowest
# cost: the tests set and check a great many, each at the product's cost a tenth of a
# second or more. Hashes stay Argon2id, checked by the same code; a server or command the
# tests start as a process of its own hashes at the product's cost (and re-hashes a
# password set here when it is first checked there). The product's cost is checked by
# test_passwords_are_hashed_at_the_products_cost in tests/test_web_accounts.py.
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True, scope="session")
def low_cost_password_hashes() -> Iterator[None]:
    from engine.service import accounts

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_hasher", TEST_HASHER)
        yield


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "memory":
        yield "memory:"
        return
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'actiontrail.db'}"
        return
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield f"{PG_DSN}?schema={schema}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'actiontrail.db'}"


@pytest.fixture
def clock() -> Iterator[FixedClock]:
    c = FixedClock(datetime(2009, 6, 1, 9, 0, tzinfo=UTC))
    with using_clock(c):
        yield c


def open_runtime(url: str, tmp_path: Path) -> Runtime:
    return Runtime.open(Settings(database_url=url, files_dir=str(tmp_path / "files")))


@pytest.fixture
def rt(db_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Runtime]:
    runtime = open_runtime(db_url, tmp_path)
    yield runtime
    runtime.close()


ADMIN = "admin@council.example"
LEAD = "lead@council.example"
LEAD2 = "lead2@council.example"
OFFICER = "officer@council.example"
NHS = "approver@nhs.example"
POLICE = "approver@police.example"
SECRETARY = "secretary@board.example"
AUDITOR = "auditor@audit.example"
AGENCIES = ["Council", "NHS Trust", "Police"]


@dataclass
class World:
    rt: Runtime
    slug: str = "plan"


def people(rt: Runtime) -> None:
    app = rt.app
    app.add_user(None, ADMIN, "Ada Admin", ["admin"])
    app.add_user(ADMIN, LEAD, "Lee Lead", ["lead"], agency="Council")
    app.add_user(ADMIN, LEAD2, "Liz Lead", ["lead"], agency="Council")
    app.add_user(ADMIN, OFFICER, "Olu Officer", ["accountable"], agency="Council")
    app.add_user(ADMIN, NHS, "Nia NHS", ["approver"], agency="NHS Trust")
    app.add_user(ADMIN, POLICE, "Pat Police", ["approver"], agency="Police")
    app.add_user(ADMIN, SECRETARY, "Sam Secretary", ["secretary"])
    app.add_user(ADMIN, AUDITOR, "Aud Itor", ["auditor"])


def action_spec(ref: str, **kw: object) -> ActionSpec:
    defaults: dict[str, object] = dict(
        title=f"Action {ref}",
        group="1",
        leads=[Person("Lee Lead", LEAD, "Council")],
        accountable=Person("Olu Officer", OFFICER, "Council"),
        plan_start=date(2009, 1, 1),
        plan_finish=date(2009, 9, 30),
        success_criteria=[Criterion("Audit done", date(2009, 5, 31))],
    )
    defaults.update(kw)
    return ActionSpec(ref=ref, **defaults)  # type: ignore[arg-type]


@pytest.fixture
def world(rt: Runtime) -> World:
    """A plan with one group, two actions and the usual cast of users."""
    people(rt)
    rt.app.create_plan(ADMIN, "plan", "Safeguarding plan", agencies=AGENCIES)
    rt.app.add_group(ADMIN, "plan", "1", "Recommendation 1")
    rt.app.add_action(ADMIN, "plan", action_spec("1.1"))
    rt.app.add_action(ADMIN, "plan", action_spec("1.2", leads=[Person("Liz", LEAD2)]))
    return World(rt)


@pytest.fixture
def server() -> Iterator[Any]:
    """A real SMTP server (aiosmtpd) on a loopback port, for the reminder tests."""
    from tests.test_reminders_support import mail_server

    yield from mail_server()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules with `slow` tests run first, each module's tests still together (its
    fixtures made once), in their order otherwise. Under `pytest -n auto --dist worksteal`
    the long tests then start early and the last to finish are short ones, so no worker
    is left with a long test while the others have nothing to do."""
    slow = {getattr(item, "module", None) for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: getattr(item, "module", None) not in slow)
