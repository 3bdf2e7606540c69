"""Printing for the command line: Rich tables for people, stable JSON for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

RAG_STYLES = {
    "red": "bold white on red",
    "amber": "bold black on dark_orange",
    "green": "bold white on green4",
    "blue": "bold white on blue",
    "complete": "bold white on dark_cyan",
    "grey": "black on grey70",
}

# Piped output is read in wide viewers and logs, not an 80-column terminal.
console = Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, highlight=False)


def plain(text: Any) -> str:
    """What people wrote, as plain text: control characters cannot reach the terminal."""
    if text is None:
        return ""
    return "".join(ch if ch.isprintable() or ch in "\n\t" else "\ufffd" for ch in str(text))


def safe(text: Any) -> str:
    """What people wrote, for a Rich cell: no markup, no control characters."""
    return escape(plain(text))


def rag_cell(rag: str | None) -> Text:
    if not rag:
        return Text("")
    return Text(f" {rag.upper()} ", style=RAG_STYLES.get(rag, ""))


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def table(title: str | None, columns: Sequence[str], rows: list[list[Any]]) -> None:
    t = Table(title=title, show_lines=False, expand=False)
    for c in columns:
        t.add_column(c, overflow="fold")
    for row in rows:
        t.add_row(*[cell if isinstance(cell, Text) else safe(cell) for cell in row])
    console.print(t)


def error(message: str) -> None:
    err_console.print(Text(f"error: {message}", style="bold red"))


def info(message: str) -> None:
    console.print(Text(message))
