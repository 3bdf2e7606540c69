"""Database URLs: one URL names where the events and the read models live.

``sqlite:///path/to/file.db`` (the default, a file in the working directory) or
``postgresql://user:password@host:port/dbname[?schema=name]``. ``memory:`` keeps
everything in the process and nothing after it: the fast tier of the tests, and trying
a command out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

from domain.errors import DomainError, InvalidInput

DEFAULT_URL = "sqlite:///actiontrail.db"


class DatabaseUnavailable(DomainError):
    """The database a URL names cannot be opened (no such folder, not a database, no
    server answering): the command stops before it reads or changes anything."""


def redacted(url: str) -> str:
    """The URL as it may be shown: any password replaced by ***."""
    if "://" not in url:
        return url
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url.split("://", 1)[0] + "://***"
    if not password:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    netloc = f"{parts.username or ''}:***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@dataclass(frozen=True)
class Database:
    url: str
    kind: str  # "sqlite", "postgres" or "memory"
    path: Path | None = None
    host: str = ""
    port: int = 5432
    user: str = ""
    password: str = ""
    dbname: str = ""
    schema: str = ""

    @classmethod
    def from_url(cls, url: str) -> Database:
        if url in ("memory:", "memory://"):
            return cls(url="memory:", kind="memory")
        if "://" not in url:
            # A bare path is a SQLite file.
            return cls(url=f"sqlite:///{url}", kind="sqlite", path=Path(url))
        parts = urlsplit(url)
        scheme = parts.scheme.split("+")[0]
        if scheme == "sqlite":
            raw = url.split("://", 1)[1]
            path = raw[1:] if raw.startswith("/") else raw
            if not path or path == ":memory:":
                raise InvalidInput(f"database URL '{url}' must name a SQLite file")
            return cls(url=url, kind="sqlite", path=Path(path))
        if scheme in ("postgresql", "postgres"):
            query = parse_qs(parts.query)
            return cls(
                url=url,
                kind="postgres",
                host=parts.hostname or "127.0.0.1",
                port=parts.port or 5432,
                user=unquote(parts.username or "postgres"),
                password=unquote(parts.password or ""),
                dbname=(parts.path or "/").lstrip("/") or "postgres",
                schema=query.get("schema", [""])[0],
            )
        raise InvalidInput(
            f"database URL '{redacted(url)}': use sqlite:///FILE, "
            "postgresql://USER@HOST:PORT/DB or memory:"
        )

    @property
    def shown_url(self) -> str:
        """The URL as messages name it, without the password."""
        return redacted(self.url)

    def eventsourcing_env(self) -> dict[str, str]:
        # The chained recorders (engine.audit) link every event to the one before it in
        # the same transaction that stores it, so changes behind the engine's back show.
        # Events kept in memory cannot be changed behind the engine's back: no chain.
        if self.kind == "memory":
            return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
        if self.kind == "sqlite":
            assert self.path is not None
            return {
                "PERSISTENCE_MODULE": "engine.adapters.eventstore.sqlite:ChainedSQLiteFactory",
                "SQLITE_DBNAME": str(self.path),
                "SQLITE_LOCK_TIMEOUT": "30",
            }
        env = {
            "PERSISTENCE_MODULE": "engine.adapters.eventstore.postgres:ChainedPostgresFactory",
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
            "POSTGRES_POOL_SIZE": "5",
            "POSTGRES_LOCK_TIMEOUT": "30",
        }
        if self.schema:
            env["POSTGRES_SCHEMA"] = self.schema
        return env

    def sqlalchemy_url(self) -> str:
        if self.kind == "memory":
            return "sqlite://"
        if self.kind == "sqlite":
            return f"sqlite:///{self.path}"
        auth = self.user + (f":{self.password}" if self.password else "")
        return f"postgresql+psycopg://{auth}@{self.host}:{self.port}/{self.dbname}"
