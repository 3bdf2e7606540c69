"""Wiring: one object that opens the event store, the read models and the file store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from eventsourcing.persistence import PersistenceError
from sqlalchemy import Engine, StaticPool, create_engine, event
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from config.logging import get_logger
from config.settings import Settings
from engine.application import ActionTrail
from engine.audit.schema import audit_metadata
from engine.audit.snapshots import SnapshotProjection
from engine.database import Database, DatabaseUnavailable
from engine.files import FileStore
from projections.projectors import all_projections
from projections.runner import ProjectionRunner
from projections.schema import metadata

log = get_logger(__name__)

# How long to wait for a PostgreSQL server to answer before saying it does not.
CONNECT_TIMEOUT_SECONDS = 30


def _open_errors(db: Database) -> tuple[type[BaseException], ...]:
    """What opening a database can fail with when the URL names something unusable.
    The PostgreSQL driver loads only for a PostgreSQL database."""
    errors: tuple[type[BaseException], ...] = (
        sqlite3.Error,
        PersistenceError,
        SQLAlchemyError,
        OSError,
    )
    if db.kind != "sqlite":
        import psycopg

        errors += (psycopg.Error,)
    return errors


@dataclass
class Runtime:
    settings: Settings
    db: Database
    app: ActionTrail
    engine: Engine
    runner: ProjectionRunner
    files: FileStore

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        read_your_writes: bool = True,
        connect_timeout: int = CONNECT_TIMEOUT_SECONDS,
    ) -> Runtime:
        """Open the database the settings name, creating its tables if need be. A URL
        naming something that cannot be opened is a DatabaseUnavailable naming it."""
        db = Database.from_url(settings.database_url)
        app: ActionTrail | None = None
        engine: Engine | None = None
        try:
            if db.kind == "sqlite":
                _check_sqlite_path(db)
            with _tables_lock(db, connect_timeout):
                app = ActionTrail(env=db.eventsourcing_env())
                engine = read_model_engine(db)
                metadata.create_all(engine)
                audit_metadata.create_all(engine)
                # Snapshots come last: they read the history rows written for the same batch.
                runner = ProjectionRunner(
                    app, engine, projections=[*all_projections(), SnapshotProjection(app)]
                )
                runner.tracking.create_table()
        except _open_errors(db) as e:
            log.debug("database_open_failed", url=db.shown_url, exc_info=True)
            if app is not None:
                app.close()
            if engine is not None:
                engine.dispose()
            raise DatabaseUnavailable(
                f"cannot open the database {db.shown_url}: {_cause(e, db)}"
            ) from e
        if read_your_writes:
            app.after_save = runner.apply_recorded
        files = FileStore(Path(settings.files_dir))
        return cls(settings, db, app, engine, runner, files)

    def close(self) -> None:
        self.app.close()
        self.engine.dispose()


def read_model_engine(db: Database) -> Engine:
    if db.kind == "memory":
        # One connection for the process: each new one would open an empty database.
        return create_engine(
            db.sqlalchemy_url(),
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
        )
    if db.kind == "sqlite":
        engine = create_engine(
            db.sqlalchemy_url(), connect_args={"timeout": 30}, pool_pre_ping=False
        )

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):  # type: ignore[no-untyped-def]
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # Read models can always be rebuilt from the events, so they need not
            # wait for the disk on every commit.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    args = {"options": f"-csearch_path={db.schema}"} if db.schema else {}
    return create_engine(db.sqlalchemy_url(), connect_args=args, pool_size=5)


def _check_sqlite_path(db: Database) -> None:
    """What SQLite itself would only call "unable to open database file"."""
    assert db.path is not None
    if db.path.is_dir():
        raise DatabaseUnavailable(
            f"cannot open the database {db.shown_url}: {db.path} is a folder, not a file"
        )
    folder = db.path.parent
    if not folder.exists():
        raise DatabaseUnavailable(
            f"cannot open the database {db.shown_url}: the folder {folder} does not exist"
        )
    if not folder.is_dir():
        raise DatabaseUnavailable(
            f"cannot open the database {db.shown_url}: {folder} is not a folder"
        )


@contextmanager
def _tables_lock(db: Database, timeout: int) -> Iterator[None]:
    """On PostgreSQL: make sure the server answers (within ``timeout`` seconds, where the
    event store's pool would wait far longer) and that the schema the URL names exists,
    then hold a lock while the tables are made. Processes starting together would
    otherwise create the same tables and functions at once, which PostgreSQL refuses
    ("tuple concurrently updated"). SQLite serialises this itself."""
    if db.kind != "postgres":
        yield
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=db.host,
        port=db.port,
        user=db.user,
        password=db.password or None,
        dbname=db.dbname,
        connect_timeout=max(timeout, 1),
        autocommit=True,
    ) as conn:
        # Held until this connection closes, when the tables are made.
        key = f"actiontrail tables {db.schema or 'public'}"
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
        if db.schema:
            conn.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(db.schema))
            )
        yield


def _cause(error: BaseException, db: Database) -> str:
    """The error's own words on one line, without the password."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        error = error.orig
    text = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, sqlite3.DatabaseError) and "not a database" in text:
        text = f"{db.path} is not a SQLite database ({text})"
    if len(db.password) >= 4:  # a shorter one would hide ordinary words, not a secret
        text = text.replace(db.password, "***")
    return text
