"""Commands that read from the aggregate cache without asking the store.

Before it returns a cached aggregate, the library asks the store whether it moved on:
a query for each aggregate a command reads (the acting user, the action), most of a
status change's reads. A command marked ``@cached_reads`` skips that question for the
aggregates this process knows to be current (``projections.freshness.FreshAggregates``)
and instead proves, when it records, that nothing was recorded since those reads: its
events must follow the position they were current at, with nothing between, in the
same transaction (``ProjectionRunner.record``'s ``read_at``). When something was
recorded meanwhile, nothing of the command is recorded and it runs once more, reading
from the store as any other command does; so does a command that failed after the log
moved on, since what it read may have been out of date.

Only for commands that read, decide and record once, at their end, with nothing done
outside the store before that record: such a command can run again without doing
anything twice.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import wraps
from typing import Any, Protocol, TypeVar, cast

from projections.freshness import StaleReads


class ReadScope:
    """One run of a command by one application: whether it may read from the cache,
    the position its cached reads were current at, and whether it recorded anything
    (then it is never run again)."""

    def __init__(self, app: object, cached: bool) -> None:
        self.app = app
        self.cached = cached
        self.at: int | None = None
        self.recorded = False


_scope: ContextVar[ReadScope | None] = ContextVar("actiontrail_read_scope", default=None)


def current_scope(app: object) -> ReadScope | None:
    """The command ``app`` is running in this context, if any (another application's
    command, in the same context, is not this one's)."""
    scope = _scope.get()
    return scope if scope is not None and scope.app is app else None


class HasLog(Protocol):
    def log_head(self) -> int:
        """The position of the last event recorded by anyone."""
        ...


F = TypeVar("F", bound=Callable[..., Any])


def cached_reads(method: F) -> F:
    @wraps(method)
    def run(app: HasLog, *args: Any, **kwargs: Any) -> Any:
        if current_scope(app) is not None:
            return method(app, *args, **kwargs)
        scope = ReadScope(app, cached=True)
        token = _scope.set(scope)
        try:
            return method(app, *args, **kwargs)
        except StaleReads:
            if scope.recorded:
                raise
        except Exception:
            # A refusal made on what the cache held stands only if the log is still
            # where those reads were current.
            if scope.recorded or scope.at is None or app.log_head() == scope.at:
                raise
        finally:
            _scope.reset(token)
        token = _scope.set(ReadScope(app, cached=False))
        try:
            return method(app, *args, **kwargs)
        finally:
            _scope.reset(token)

    return cast(F, run)
