"""Wiring: one object that opens the event store, the read models and the file store.

The event-sourced application (and with it every aggregate and event class) and the
projection runner are built when first used. A command that only reads asks
``Runtime.catch_up`` to bring the read models to the event log's head: when they are
there already, as they nearly always are (every write applies its own events before it
returns), that costs two small reads and loads neither the aggregates nor the
projections, which is most of what `actiontrail show` would otherwise spend starting.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import PersistenceError
from sqlalchemy import Engine, StaticPool, create_engine, event
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from config.logging import get_logger
from config.settings import Settings
from engine.adapters.database import Database, DatabaseUnavailable
from engine.audit.schema import audit_metadata
from engine.read_path import APPLICATION_NAME, READ_MODELS
from projections.reading import positions
from projections.schema import metadata
from projections.tracking import ReadModelTracking

if TYPE_CHECKING:
    from eventsourcing.persistence import ApplicationRecorder, InfrastructureFactory

    from engine.adapters.files import FileStore
    from engine.service.accounts import Accounts
    from engine.service.application import ActionTrail
    from projections.runner import ProjectionRunner

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


class Runtime:
    """The opened database: the event store (``app``), the read models (``engine``),
    the projection runner (``runner``) and the file store (``files``)."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        engine: Engine,
        *,
        log_store: InfrastructureFactory[Any] | None = None,
        log: ApplicationRecorder | None = None,
        app: ActionTrail | None = None,
        read_your_writes: bool = True,
    ) -> None:
        self.settings = settings
        self.db = db
        self.engine = engine
        # The event store's own recorder, without the application: enough to read the
        # log's head (not for memory:, whose events live in the application itself).
        self._log_store = log_store
        self._log = log
        self._read_your_writes = read_your_writes
        self._app: ActionTrail | None = None
        self._runner: ProjectionRunner | None = None
        self._files: FileStore | None = None
        self._accounts: Accounts | None = None
        self._lock = threading.Lock()
        if app is not None:
            self._wire(app)

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
        log_store: InfrastructureFactory[Any] | None = None
        log_recorder: ApplicationRecorder | None = None
        engine: Engine | None = None
        try:
            if db.kind == "sqlite":
                _check_sqlite_path(db)
            with _tables_lock(db, connect_timeout):
                if db.kind == "memory":
                    from engine.service.application import ActionTrail

                    app = ActionTrail(env=db.eventsourcing_env())
                else:
                    # Opens the event store and creates its tables, as the application
                    # would, so a database that cannot be used is refused here.
                    log_store = _event_store(db)
                    log_recorder = log_store.application_recorder()
                engine = read_model_engine(db)
                metadata.create_all(engine)
                audit_metadata.create_all(engine)
                ReadModelTracking(engine, APPLICATION_NAME, READ_MODELS).create_table()
        except _open_errors(db) as e:
            log.debug("database_open_failed", url=db.shown_url, exc_info=True)
            if app is not None:
                app.close()
            if log_store is not None:
                log_store.close()
            if engine is not None:
                engine.dispose()
            raise DatabaseUnavailable(
                f"cannot open the database {db.shown_url}: {_cause(e, db)}"
            ) from e
        return cls(
            settings,
            db,
            engine,
            log_store=log_store,
            log=log_recorder,
            app=app,
            read_your_writes=read_your_writes,
        )

    def _wire(self, app: ActionTrail) -> None:
        from engine.audit.snapshots import SnapshotProjection
        from projections.projectors import all_projections
        from projections.runner import ProjectionRunner

        # Snapshots come last: they read the history rows written for the same batch.
        runner = ProjectionRunner(
            app,
            self.engine,
            projections=[*all_projections(), SnapshotProjection(app)],
            shares_transaction=self.db.kind in ("sqlite", "postgres"),
        )
        if self._read_your_writes:
            app.read_models = runner
        self._app, self._runner = app, runner

    @property
    def app(self) -> ActionTrail:
        """The application service, with every aggregate: opened when first used."""
        if self._app is None:
            with self._lock:
                if self._app is None:
                    from engine.service.application import ActionTrail

                    # The tables were made when the runtime opened, under the lock that
                    # keeps processes starting together from making them at once.
                    env = {**self.db.eventsourcing_env(), "CREATE_TABLE": "no"}
                    self._wire(ActionTrail(env=env))
        assert self._app is not None
        return self._app

    @property
    def runner(self) -> ProjectionRunner:
        self.app  # noqa: B018  (the runner is built with the application)
        assert self._runner is not None
        return self._runner

    @property
    def files(self) -> FileStore:
        if self._files is None:
            from engine.adapters.files import FileStore

            self._files = FileStore(Path(self.settings.files_dir))
        return self._files

    @property
    def accounts(self) -> Accounts:
        """Passwords, tokens, sessions and the signing key: made (with their tables) once."""
        if self._accounts is None:
            from engine.service.accounts import Accounts

            self._accounts = Accounts(self.engine)
        return self._accounts

    def catch_up(self) -> int:
        """Bring the read models up to the event log's head, as ``runner.catch_up`` does;
        returns how many events were applied. When they are there already, this reads
        the log's head and the read models' tracking records and opens nothing else."""
        if self._app is None and self.read_models_at_head():
            return 0
        return self.runner.catch_up()

    def read_models_at_head(self) -> bool:
        """Whether every read model has applied every event recorded so far."""
        if self._log is None:
            return False
        # The head first: read models at or past it hold everything recorded before
        # this read began, whatever other processes record meanwhile.
        head = self._log.max_notification_id() or 0
        reached = positions(self.engine, APPLICATION_NAME, READ_MODELS)
        return all(reached[name] >= head for name in READ_MODELS)

    def close(self) -> None:
        if self._app is not None:
            self._app.close()
        if self._log_store is not None:
            self._log_store.close()
        self.engine.dispose()


def _event_store(db: Database) -> InfrastructureFactory[Any]:
    """The event store's persistence, configured exactly as the application configures
    its own (``Application.construct_env``: the process environment, then the URL's)."""
    from eventsourcing.persistence import InfrastructureFactory
    from eventsourcing.utils import Environment

    env = Environment(APPLICATION_NAME, {**os.environ, **db.eventsourcing_env()})
    return InfrastructureFactory.construct(env)


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
            # A command's events commit through these connections too (projections.
            # runner), so each commit waits for the disk, as the event store's own do.
            cur.execute("PRAGMA synchronous=FULL")
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
