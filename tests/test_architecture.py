"""The architecture, checked: the layers (import-linter contracts in pyproject.toml) and
one door for every write (only the application service saves aggregates)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICE = ROOT / "engine" / "application.py"
# The names the application service's store is reached by: a call of `save` or `record`
# on any of them outside the service is a side door.
APP_NAMES = {"app", "application", "trail"}


def test_import_layers_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def side_doors(source: str, filename: str) -> list[str]:
    """Calls like ``app.record(...)``, ``rt.app.save(...)`` or ``self.app.record(...)``."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in ("save", "record"):
            continue
        owner = node.func.value
        name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
        if name in APP_NAMES:
            found.append(f"{filename}:{node.lineno}: {ast.unparse(node.func)}(...)")
    return found


def test_only_the_application_service_records_aggregates() -> None:
    doors: list[str] = []
    for package in ("engine", "projections", "notifiers", "config", "domain"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == SERVICE:
                continue
            doors += side_doors(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert doors == [], "write only through engine/service/application.py:\n" + "\n".join(doors)


def test_the_side_door_check_finds_a_side_door() -> None:
    source = (
        "def f(rt, self, app):\n    rt.app.record(x)\n    self.app.save(y)\n    app.record(z)\n"
    )
    assert len(side_doors(source, "x.py")) == 3
    assert side_doors("book.save(path)\nstep.record()\n", "y.py") == []
