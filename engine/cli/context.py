"""What every command needs: settings, the acting user, the output format, the runtime."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

import typer

from config.settings import Settings
from engine.runtime import Runtime

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

    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = Runtime.open(self.settings, connect_timeout=CLI_CONNECT_TIMEOUT_SECONDS)
        return self._runtime

    def require_actor(self) -> str:
        if not self.actor:
            raise typer.BadParameter(
                "this command needs an acting user: --as EMAIL or ACTIONTRAIL_USER",
                param_hint="--as",
            )
        return self.actor

    def close(self) -> None:
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
