"""Settings from the environment, or from a TOML file named by ACTIONTRAIL_CONFIG.

The environment wins over the file; the file wins over the defaults.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from domain.errors import InvalidInput

ENV_PREFIX = "ACTIONTRAIL_"


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///actiontrail.db"
    user: str | None = None
    files_dir: str = "actiontrail-files"
    smtp_url: str | None = None
    mail_from: str = "actiontrail@localhost"
    outbox_dir: str = "outbox"
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str | None = None
    log_level: str = "warning"
    log_format: str = "console"
    # Prometheus metrics at /metrics: off unless set to 1 (or true, yes, on).
    metrics: str = ""
    # /readyz answers 503 when the read models are further behind than this.
    ready_max_lag: str = "60"

    @property
    def metrics_enabled(self) -> bool:
        return self.metrics.strip().lower() in ("1", "true", "yes", "on")

    @property
    def ready_max_lag_seconds(self) -> float:
        try:
            value = float(self.ready_max_lag)
        except ValueError:
            raise InvalidInput(
                f"ACTIONTRAIL_READY_MAX_LAG must be a number of seconds, not {self.ready_max_lag!r}"
            ) from None
        if not value >= 0:
            raise InvalidInput(
                f"ACTIONTRAIL_READY_MAX_LAG must be 0 or more seconds, not {self.ready_max_lag!r}"
            )
        return value

    @classmethod
    def load(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        values: dict[str, str] = {}
        config_file = env.get(f"{ENV_PREFIX}CONFIG")
        if config_file:
            path = Path(config_file)
            if not path.is_file():
                raise InvalidInput(f"config file '{path}' (ACTIONTRAIL_CONFIG) does not exist")
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as e:
                raise InvalidInput(f"config file '{path}': {e}") from None
            known = {f.name for f in fields(cls)}
            unknown = sorted(set(data) - known)
            if unknown:
                raise InvalidInput(f"config file '{path}': unknown settings {', '.join(unknown)}")
            values.update({k: str(v) for k, v in data.items()})
        for f in fields(cls):
            key = f"{ENV_PREFIX}{f.name.upper()}"
            if env.get(key):
                values[f.name] = env[key]
        return cls(**values)  # type: ignore[arg-type]
