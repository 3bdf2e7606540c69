"""Settings from the environment, or from a TOML file named by ACTIONTRAIL_CONFIG.

The environment wins over the file; the file wins over the defaults.
"""

from __future__ import annotations

import os
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
    # Web sessions end after this long unused, and this long after sign-in whatever.
    session_idle_minutes: int = 60
    session_max_hours: int = 12
    # Host names the web answers to besides the base URL's (comma-separated).
    trusted_hosts: str | None = None
    # Single sign-on (OpenID Connect); passwords stay unless turned off with an issuer set.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    # Email domains whose unknown people are enrolled with no roles on first sign-in, each
    # with the agency it belongs to: "council.example=Council, nhs.example=NHS Trust".
    oidc_allowed_domains: str | None = None
    password_sign_in: str = "on"
    # How to report an accessibility problem, on the accessibility statement: an email
    # address, a web address or a sentence. Unset, it names the organisation's administrator.
    accessibility_contact: str | None = None

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
            import tomllib  # only when there is a config file to read

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
        return cls(**_typed(values))  # type: ignore[arg-type]

    def host_names(self) -> list[str]:
        """The base URL's host and any listed in trusted_hosts."""
        from urllib.parse import urlsplit

        hosts = [urlsplit(self.base_url).hostname or ""]
        hosts += [h.strip().lower() for h in (self.trusted_hosts or "").split(",") if h.strip()]
        return [h for h in dict.fromkeys(hosts) if h]


def _typed(values: dict[str, str]) -> dict[str, object]:
    """Whole numbers where the default is one, with a clear line naming a bad one."""
    defaults = {f.name: f.default for f in fields(Settings)}
    typed: dict[str, object] = {}
    for name, value in values.items():
        if isinstance(defaults.get(name), int):
            try:
                number = int(value)
            except ValueError:
                number = 0
            if number <= 0:
                raise InvalidInput(
                    f"setting {name} ({ENV_PREFIX}{name.upper()}) must be a whole number "
                    f"above 0, not '{value}'"
                )
            typed[name] = number
        else:
            typed[name] = value
    return typed
