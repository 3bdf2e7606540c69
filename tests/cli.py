"""The installed `actiontrail` command, run as a user runs it, for the tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).with_name("actiontrail")


class Cli:
    """Runs the command in ``cwd`` against the database ``url``, with no acting user
    unless one is given. ``columns`` sets the terminal width Rich assumes; None leaves
    it unset, as when output goes to a file (Rich would then wrap at 80)."""

    def __init__(
        self,
        cwd: Path,
        url: str,
        *,
        columns: int | None = 200,
        extra_env: dict[str, str] | None = None,
        timeout: int = 300,
    ) -> None:
        self.cwd = cwd
        self.timeout = timeout
        self.env = {**os.environ, "ACTIONTRAIL_DATABASE_URL": url, **(extra_env or {})}
        for name in ("ACTIONTRAIL_USER", "ACTIONTRAIL_CONFIG", "COLUMNS"):
            self.env.pop(name, None)
        if columns is not None:
            self.env["COLUMNS"] = str(columns)

    def __call__(self, *args: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
        env = dict(self.env)
        if user:
            env["ACTIONTRAIL_USER"] = user
        return subprocess.run(
            [str(BIN), *args],
            cwd=self.cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=self.timeout,
        )

    def ok(self, *args: str, user: str | None = None) -> str:
        r = self(*args, user=user)
        assert r.returncode == 0, r.stderr + r.stdout
        return r.stdout

    def json(self, *args: str, user: str | None = None) -> Any:
        """The output of ``--format json`` given before the command."""
        return json.loads(self.ok("--format", "json", *args, user=user))
