"""Printing for the command line: Rich tables for people, stable JSON for scripts.

Rich loads when something is first printed, not when a command module is imported.
Under `--format json` standard output carries JSON only: sentences go to standard error.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from domain.errors import InvalidInput
from domain.safe_text import json_text

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

RAG_STYLES = {
    "red": "bold white on red",
    "amber": "bold black on dark_orange",
    "green": "bold white on green4",
    "blue": "bold white on blue",
    "complete": "bold white on dark_cyan",
    "grey": "black on grey70",
}

_consoles: dict[str, Console] = {}
_json = {"mode": False, "printed": False}


def __getattr__(name: str) -> Any:
    """``console`` and ``err_console``, made on first use."""
    if name not in ("console", "err_console"):
        raise AttributeError(name)
    if name not in _consoles:
        from rich.console import Console

        if name == "console":
            # Piped output is read in wide viewers and logs, not an 80-column terminal.
            width = None if sys.stdout.isatty() else 160
            _consoles[name] = Console(highlight=False, soft_wrap=False, width=width)
        else:
            # An error is one line however long, so that scripts and logs see all of it.
            _consoles[name] = Console(stderr=True, highlight=False, soft_wrap=True)
    return _consoles[name]


def set_json(on: bool) -> None:
    """Standard output carries JSON only: `info` writes to standard error."""
    _json["mode"] = on


def json_mode() -> bool:
    return _json["mode"]


def mark_printed() -> None:
    """The command wrote its own machine-readable output: nothing is added to it."""
    _json["printed"] = True


def printed_json() -> bool:
    """Whether the command has printed JSON of its own."""
    return _json["printed"]


def plain(text: Any) -> str:
    """What people wrote, as plain text: control characters cannot reach the terminal."""
    if text is None:
        return ""
    return "".join(ch if ch.isprintable() or ch in "\n\t" else "\ufffd" for ch in str(text))


def safe(text: Any) -> str:
    """What people wrote, for a Rich cell: no markup, no control characters."""
    from rich.markup import escape

    return escape(plain(text))


def rag_cell(rag: str | None) -> Text:
    from rich.text import Text

    if not rag:
        return Text("")
    return Text(f" {rag.upper()} ", style=RAG_STYLES.get(rag, ""))


def print_json(data: Any) -> None:
    """JSON for scripts: strictly valid (no NaN or Infinity), and with every character
    that would not print (controls, bidirectional overrides) written as an escape."""
    try:
        json.dumps(data, allow_nan=False, default=str)
    except ValueError:
        where = _non_finite(data, "")
        if where is None:
            raise
        raise InvalidInput(
            f"cannot write JSON: the value at {where or 'the top'} is not a finite number"
        ) from None
    sys.stdout.write(json_text(data) + "\n")
    _json["printed"] = True


def _non_finite(data: Any, path: str) -> str | None:
    """Where in the data the first NaN or infinity is, as a path like actions[0].value."""
    if isinstance(data, float) and not math.isfinite(data):
        return path
    if isinstance(data, dict):
        for key, value in data.items():
            found = _non_finite(value, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            found = _non_finite(value, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def table(title: str | None, columns: Sequence[str], rows: list[list[Any]]) -> None:
    from rich.table import Table
    from rich.text import Text

    t = Table(title=title, show_lines=False, expand=False)
    for c in columns:
        t.add_column(c, overflow="fold")
    for row in rows:
        t.add_row(*[cell if isinstance(cell, Text) else safe(cell) for cell in row])
    __getattr__("console").print(t)


def error(message: str) -> None:
    """One line, whatever the message holds."""
    from rich.text import Text

    text = " ".join(plain(message).splitlines()).replace("\t", " ")
    __getattr__("err_console").print(Text(f"error: {text}", style="bold red"))


def info(message: str) -> None:
    from rich.text import Text

    __getattr__("err_console" if _json["mode"] else "console").print(Text(message))
