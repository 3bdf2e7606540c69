"""The `actiontrail` command."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from config.logging import configure_logging
from config.settings import Settings
from domain.errors import DomainError, MalformedValue
from engine.cli import output
from engine.cli.context import CliState, Format


class CommandGroup(TyperGroup):
    """Turns a value the engine found malformed (a date, a period) into bad usage of the
    option it was typed in, exit status 2, as Click does for the values it parses."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except MalformedValue as e:
            if e.option is None:
                raise
            raise typer.BadParameter(str(e), ctx=_command_context(e), param_hint=e.option) from None


def _command_context(error: BaseException) -> Any:
    """The context of the command that was running, so the usage shown is its own."""
    found = None
    tb = error.__traceback__
    while tb is not None:
        candidate = tb.tb_frame.f_locals.get("ctx")
        if isinstance(candidate, CommandGroup.context_class):
            found = candidate
        tb = tb.tb_next
    return found


app = typer.Typer(
    cls=CommandGroup,
    name="actiontrail",
    help="Event-sourced workflow engine for multi-agency improvement plans.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="Database URL (ACTIONTRAIL_DATABASE_URL); default a SQLite file."
        ),
    ] = None,
    as_user: Annotated[
        str | None, typer.Option("--as", help="Acting user's email (ACTIONTRAIL_USER).")
    ] = None,
    fmt: Annotated[
        Format, typer.Option("--format", help="Output for lists and views.")
    ] = Format.TABLE,
) -> None:
    settings = Settings.load()
    if db:
        settings = Settings(**{**settings.__dict__, "database_url": db})
    configure_logging(settings.log_level, settings.log_format)
    state = CliState(settings=settings, actor=as_user or settings.user, format=fmt)
    ctx.obj = state
    ctx.call_on_close(state.close)


def main() -> None:
    from engine.cli import commands  # noqa: F401  (registers the commands)

    # Usage errors exit with status 2 inside app(); a refused command exits with 1 here.
    try:
        app()
    except DomainError as e:
        output.error(str(e))
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
