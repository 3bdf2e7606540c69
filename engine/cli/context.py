"""What every command needs: settings, the acting user, the output format, the runtime.

Loaded by every command, `--help` included: heavy modules (the runtime, SQLAlchemy,
the database drivers) are imported only when a command opens the runtime."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import typer

from config.settings import Settings

if TYPE_CHECKING:
    import sqlite3

    from engine.runtime import Runtime
    from projections.reading import ReadModels

# A command waits this long for a PostgreSQL server before saying it does not answer.
CLI_CONNECT_TIMEOUT_SECONDS = 5


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


@dataclass
class CliState:
    settings: Settings
    actor: str | None
    format: Format
    _runtime: Runtime | None = field(default=None)
    _current: sqlite3.Connection | None = field(default=None)
    # Facts a command that records something adds to its JSON (see engine.cli.options).
    result: dict[str, Any] = field(default_factory=dict)

    def use_database(self, url: str) -> None:
        """Another database than the settings name (`--db`), before the runtime opens."""
        if self._runtime is not None or self._current is not None:
            raise RuntimeError("the database is already open")
        self.settings = Settings(**{**self.settings.__dict__, "database_url": url})

    def runtime(self) -> Runtime:
        if self._runtime is None:
            from config.logging import configure_logging
            from engine.runtime import Runtime

            configure_logging(self.settings.log_level, self.settings.log_format)
            self._runtime = Runtime.open(self.settings, connect_timeout=CLI_CONNECT_TIMEOUT_SECONDS)
        return self._runtime

    def read_models(self) -> ReadModels:
        """The read models with every recorded event applied, for a command that only
        reads: on a SQLite store already at the log's head, one sqlite3 connection
        (engine.read_path); otherwise the runtime's, caught up first."""
        if self._current is not None:
            return self._current
        if self._runtime is None:
            from engine.read_path import current_read_models

            self._current = current_read_models(self.settings)
            if self._current is not None:
                return self._current
        rt = self.runtime()
        rt.catch_up()
        return rt.engine

    def require_actor(self) -> str:
        if not self.actor:
            raise typer.BadParameter(
                "this command needs an acting user: --as EMAIL or ACTIONTRAIL_USER",
                param_hint="--as",
            )
        return self.actor

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None
        if self._runtime is not None:
            self._runtime.close()
            self._runtime = None


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState)
    return obj


def parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"'{value}' is not a date (use YYYY-MM-DD)", param_hint=option
        ) from None
