"""structlog set-up: readable lines on a terminal, JSON lines for log collectors.

structlog (with the console renderer and Rich's tracebacks it brings) loads when
something is first logged, not when a module that logs is imported: a command that
logs nothing does not pay for it. ``get_logger`` gives such a logger; modules that
import structlog themselves get the configuration when they load it first.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

_pending: dict[str, str] = {}


def configure_logging(level: str = "warning", fmt: str = "console") -> None:
    """Configure now if structlog is loaded, else when it is first used here."""
    _pending.clear()
    _pending.update(level=level, fmt=fmt)
    if "structlog" in sys.modules:
        _apply()


def _apply() -> None:
    if not _pending:
        return
    import structlog

    level, fmt = _pending["level"], _pending["fmt"]
    _pending.clear()
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


def exception_formatter(debug: bool) -> Any:
    """A traceback as plain text. structlog's default, when Rich is installed, prints
    every frame's local variables, which hold what people wrote, addresses and
    settings: only a developer asking for debug output gets those."""
    import structlog

    if debug:
        return structlog.dev.RichTracebackFormatter(show_locals=True, color_system=None)
    return structlog.dev.plain_traceback


class _Logger:
    """structlog's logger for a module, made when it is first used."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, method: str) -> Any:
        import structlog

        _apply()
        return getattr(structlog.get_logger(self._name), method)


def get_logger(name: str) -> Any:
    return _Logger(name)
