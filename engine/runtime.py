"""Wiring: one object that opens the event store, the read models and the file store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event

from config.settings import Settings
from engine.application import ActionTrail
from engine.audit.schema import audit_metadata
from engine.audit.snapshots import SnapshotProjection
from engine.database import Database
from engine.files import FileStore
from projections.projectors import all_projections
from projections.runner import ProjectionRunner
from projections.schema import metadata


@dataclass
class Runtime:
    settings: Settings
    db: Database
    app: ActionTrail
    engine: Engine
    runner: ProjectionRunner
    files: FileStore

    @classmethod
    def open(cls, settings: Settings, *, read_your_writes: bool = True) -> Runtime:
        db = Database.from_url(settings.database_url)
        if db.kind == "postgres" and db.schema:
            _ensure_schema(db)
        app = ActionTrail(env=db.eventsourcing_env())
        engine = read_model_engine(db)
        metadata.create_all(engine)
        audit_metadata.create_all(engine)
        # Snapshots come last: they read the history rows written for the same batch.
        runner = ProjectionRunner(
            app, engine, projections=[*all_projections(), SnapshotProjection(app)]
        )
        if read_your_writes:
            app.after_save = runner.apply_recorded
        files = FileStore(Path(settings.files_dir))
        return cls(settings, db, app, engine, runner, files)

    def close(self) -> None:
        self.app.close()
        self.engine.dispose()


def read_model_engine(db: Database) -> Engine:
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


def _ensure_schema(db: Database) -> None:
    engine = create_engine(db.sqlalchemy_url())
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"')
    engine.dispose()
