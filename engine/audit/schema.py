"""The audit read-model table: snapshots of a plan's views, so that a plan as of any moment
is replayed from the nearest snapshot before it instead of from its first event."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, LargeBinary, MetaData, String, Table

audit_metadata = MetaData()

view_snapshots = Table(
    "view_snapshots",
    audit_metadata,
    Column("plan_id", String(36), primary_key=True),
    # Which reducer made the views (see engine.audit.snapshots.reducer_fingerprint): a
    # snapshot made by other rules is never used.
    Column("reducer", String(16), primary_key=True),
    # The plan's views after every event of the plan up to and including this one.
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("events", Integer, nullable=False),  # how many of the plan's events that is
    Column("views", LargeBinary, nullable=False),  # zlib-compressed JSON
)
