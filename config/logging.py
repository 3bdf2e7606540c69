"""structlog set-up: readable lines on a terminal, JSON lines for log collectors."""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(level: str = "warning", fmt: str = "console") -> None:
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.WARNING
    debug = numeric <= logging.DEBUG
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=exception_formatter(debug)
        )
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            # JSON lines carry a plain traceback as text; never the local variables.
            *([structlog.processors.format_exc_info] if fmt == "json" else []),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def exception_formatter(debug: bool) -> structlog.typing.ExceptionRenderer:
    """A traceback as plain text. structlog's default, when Rich is installed, prints
    every frame's local variables, which hold what people wrote, addresses and
    settings: only a developer asking for debug output gets those."""
    if debug:
        return structlog.dev.RichTracebackFormatter(show_locals=True, color_system=None)
    return structlog.dev.plain_traceback
