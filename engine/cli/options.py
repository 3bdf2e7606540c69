"""Options every command takes after its name as well as before it.

``--format table|json``, ``--as EMAIL`` and ``--db URL`` belong to the root command
(``actiontrail --format json plans``), and ``apply_common_options`` gives them to every
command of the tree as well (``actiontrail plans --format json``). Given in both places,
the one after the command wins. ``main()`` applies it to the whole tree once every
command module is imported, so a new command gets the options with no line of its own:
register it with ``@app.command()`` or on a sub-app as usual and read
``state(ctx).format`` / ``state(ctx).actor`` / ``state(ctx).runtime()``.

A command that declares its own ``--format`` (``history`` also writes csv, ``report``
html or md) keeps it: it should fall back to ``state(ctx).format`` when not given.

With ``--format json``, a command that records something and prints no JSON of its own
prints what it recorded: each aggregate changed, its new version, and each event's kind
and position in the store's sequence (see ``engine.service.recorded``). A command may add its
own facts to that object with ``state(ctx).result.update(...)``; a command that records
no event but does something (writes a file, sets a password) puts what it did there, and
that alone is printed. Sentences (``output.info``) go to standard error under JSON.

Commands that write a file take ``-o/--output FILE`` (``output_option`` below), with
``-`` meaning standard output where the format allows it (``export``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Annotated, Any

import typer

from engine.cli.context import CliState, Format

# `-o/--output FILE`: one convention for every command that writes a file.
OUTPUT_HELP = "The file to write."


def output_option(help_text: str = OUTPUT_HELP) -> Any:
    """The option of a command that writes a file: `FILE: Annotated[Path, output_option()]`."""
    return typer.Option("-o", "--output", help=help_text)

PANEL = "Options for every command"

# Each: the parameter's name in the wrapper, its option, and how it is shown in --help.
_COMMON: tuple[tuple[str, str, Any], ...] = (
    (
        "common_format_",
        "--format",
        Annotated[
            Format | None,
            typer.Option(
                "--format",
                help="table or json (wins over --format before the command).",
                rich_help_panel=PANEL,
            ),
        ],
    ),
    (
        "common_as_",
        "--as",
        Annotated[
            str | None,
            typer.Option(
                "--as",
                help="Acting user's email (wins over --as before the command).",
                rich_help_panel=PANEL,
            ),
        ],
    ),
    (
        "common_db_",
        "--db",
        Annotated[
            str | None,
            typer.Option(
                "--db",
                help="Database URL (wins over --db before the command).",
                rich_help_panel=PANEL,
            ),
        ],
    ),
)


def commands(
    app: typer.Typer, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command of the tree (its CommandInfo) with the words that name it."""
    for info in app.registered_commands:
        name = info.name or info.callback.__name__.replace("_", "-")  # type: ignore[union-attr]
        yield (*path, name), info
    for group in app.registered_groups:
        sub = group.typer_instance
        assert sub is not None
        yield from commands(sub, (*path, group.name or sub.info.name or ""))


def apply_common_options(app: typer.Typer) -> typer.Typer:
    """Give every command of the tree --format, --as and --db, and the JSON of what it
    recorded (see the module's docstring). Idempotent; returns the app."""
    for _, info in commands(app):
        if info.callback is not None and not getattr(info.callback, "_common", False):
            info.callback = with_common_options(info.callback)
    return app


def _option_names(signature: inspect.Signature) -> set[str]:
    names: set[str] = set()
    for p in signature.parameters.values():
        infos = [*getattr(p.annotation, "__metadata__", ()), p.default]
        for info in infos:
            if not isinstance(info, typer.models.OptionInfo):
                continue
            # In Annotated, Option's positional arguments are its names (held as the
            # default, then the declarations); as a default, the first is the value.
            decls = [info.default, *(info.param_decls or ())]
            names.update(d for d in decls if isinstance(d, str) and d.startswith("-"))
    return names


def with_common_options(callback: Callable[..., Any]) -> Callable[..., Any]:
    """The command with --format, --as and --db (those it does not declare itself)."""
    signature = inspect.signature(callback, eval_str=True)
    taken = _option_names(signature)
    added = [(name, option, hint) for name, option, hint in _COMMON if option not in taken]

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        values = {name: kwargs.pop(name, None) for name, _, _ in added}
        st = _apply(values)
        from engine.cli import output
        from engine.service.recorded import collecting

        output.set_json(st.format is Format.JSON)
        with collecting() as changes:
            result = callback(*args, **kwargs)
        if st.format is Format.JSON and not output.printed_json():
            if changes:
                output.print_json({**st.result, "recorded": [c.as_json() for c in changes]})
            elif st.result:
                output.print_json(st.result)
        return result

    params = list(signature.parameters.values()) + [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=hint)
        for name, _, hint in added
    ]
    run.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in params if p.annotation is not p.empty}
    run._common = True  # type: ignore[attr-defined]
    return run


def _apply(values: dict[str, Any]) -> CliState:
    from typer._click.globals import get_current_context

    from engine.cli.context import state

    # Typer hands commands its own Context class, a subclass of the one this returns.
    st = state(get_current_context())  # type: ignore[arg-type]
    fmt = values.get("common_format_")
    if fmt is not None:
        st.format = Format(fmt)
    if values.get("common_as_") is not None:
        st.actor = values["common_as_"]
    if values.get("common_db_") is not None:
        st.use_database(values["common_db_"])
    return st
