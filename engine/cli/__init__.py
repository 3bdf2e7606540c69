"""The `actiontrail` command.

Start-up is kept light: this package and the command modules import only Typer and
small modules at the top, and each command imports what it needs (the runtime,
SQLAlchemy, report or web code) when it runs; tests/test_cli_startup.py holds the list
of modules `import engine.cli` must not load.

Options anywhere: `--format table|json`, `--as EMAIL` and `--db URL` are taken before
the command (the root callback below) and after it (engine/cli/options.py, applied to
every command of the tree by `main()`; the one after wins). A new command needs nothing
for them: see engine/cli/options.py for how it reads them, how it reports what it
recorded under `--format json`, and the `-o/--output FILE` convention.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from domain.errors import DomainError, MalformedValue
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
    # Plain help and usage errors, as git and kubectl print them: Rich's boxes would
    # cost a third of a second of imports on every `--help`.
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            shown = version("actiontrail")
        except PackageNotFoundError:
            shown = "unknown"
        typer.echo(f"actiontrail {shown}")
        raise typer.Exit()


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
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    from config.settings import Settings

    settings = Settings.load()
    if db:
        settings = Settings(**{**settings.__dict__, "database_url": db})
    state = CliState(settings=settings, actor=as_user or settings.user, format=fmt)
    ctx.obj = state
    ctx.call_on_close(state.close)


def command(argv: Sequence[str] | None = None) -> typer.Typer:
    """The whole command tree, every command with the options it takes anywhere.

    Given the words of a command line, only the branch it runs: Typer builds every
    command's options before it runs one, which for the whole tree is a tenth of a
    quick command's start. Help, completion and a word that names no command get the
    whole tree (for the list of commands and "did you mean")."""
    from engine.cli import commands  # noqa: F401  (registers the commands)
    from engine.cli.options import apply_common_options

    return apply_common_options(app if argv is None else _branch(argv))


# Options of the root command that take a value, so the word after them is no command.
_ROOT_VALUES = ("--db", "--as", "--format")


def _branch(argv: Sequence[str]) -> typer.Typer:
    if os.environ.get("_ACTIONTRAIL_COMPLETE"):
        return app
    words = iter(argv)
    for word in words:
        if word in _ROOT_VALUES:
            next(words, None)
        elif word.startswith(tuple(f"{o}=" for o in _ROOT_VALUES)):
            continue
        elif word.startswith("-"):
            return app  # --help, --version, --install-completion: the whole tree
        else:
            break
    else:
        return app
    named = [c for c in app.registered_commands if _name(c.name, c.callback) == word]
    groups = [g for g in app.registered_groups if g.name == word]
    if not named and not groups:
        return app
    branch = copy.copy(app)
    branch.registered_commands = named
    branch.registered_groups = groups
    return branch


def _name(name: str | None, callback: Any) -> str:
    return name or callback.__name__.replace("_", "-")


def main() -> None:
    # Usage errors exit with status 2 inside app(); a refused command exits with 1 here.
    try:
        command(sys.argv[1:])()
    except DomainError as e:
        from engine.cli import output

        output.error(str(e))
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
