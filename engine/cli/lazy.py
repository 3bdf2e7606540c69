"""Modules and functions loaded on first use, so that a command module can name them at
the top and still cost nothing until a command calls them.

    if TYPE_CHECKING:
        from projections import queries
    else:
        queries = lazy.module("projections.queries")

Type checkers see the real import; at run time the module loads on the first
attribute read. (An exception class caught in `except` must be imported for real,
inside the function.)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any


class _LazyModule:
    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)

    def __repr__(self) -> str:
        return f"<module {self._name!r}, loaded on first use>"


def module(name: str) -> Any:
    return _LazyModule(name)


def function(module_name: str, name: str) -> Callable[..., Any]:
    """A function of a module, loaded when first called."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module_name), name)(*args, **kwargs)

    call.__name__ = name
    call.__qualname__ = f"{module_name}.{name}"
    return call
