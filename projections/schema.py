"""The read-model tables, kept in the same database as the events by default."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# Where each projection has got to in an application's notification log: the library's
# tracking records (eventsourcing.persistence.Tracking), one per projection, each
# written in the same transaction as the read-model rows it accounts for
# (projections.tracking).
tracking = Table(
    "projection_tracking",
    metadata,
    Column("projection", String(64), primary_key=True),
    Column("application_name", String(64), primary_key=True),
    Column("notification_id", BigInteger, nullable=False),
)

# Current views of plans, actions, governance items, users and closed periods,
# each a JSON document (see projections.views).
views = Table(
    "read_views",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("plan_id", String(36), nullable=True),
    Column("doc", Text, nullable=False),
    Index("read_views_plan", "kind", "plan_id"),
)

# Every event of every plan, in order: the history auditors read and the time index
# that "as of" queries use (the event store keeps timestamps inside the serialized
# state, so it cannot be searched by time).
history = Table(
    "event_history",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    # "" for events of no plan (users). An event about several plans (a reminder digest)
    # has a row in each plan's history.
    Column("plan_id", String(36), primary_key=True),
    Column("originator_id", String(36), nullable=False),
    Column("originator_version", Integer, nullable=False),
    Column("subject", String(200), nullable=True),
    Column("kind", String(64), nullable=False),
    Column("actor", String(200), nullable=True),
    Column("recorded_at", String(40), nullable=False),
    Column("effective_on", String(40), nullable=True),
    Column("reason", Text, nullable=True),
    Column("data", Text, nullable=False),
    Index("event_history_plan_seq", "plan_id", "seq"),
    Index("event_history_plan_time", "plan_id", "recorded_at"),
)

# What falls due when, for whom: plan finishes and dated success criteria of every
# action, for the reminders. Rebuilt for an action whenever its view changes.
deadlines = Table(
    "deadlines",
    metadata,
    Column("action_id", String(36), primary_key=True),
    Column("number", Integer, primary_key=True),  # 0: the plan finish; n: criterion n
    Column("plan_id", String(36), nullable=False),
    Column("ref", String(100), nullable=False),
    Column("title", Text, nullable=False),
    Column("due", String(10), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reported_rag", String(16), nullable=True),
    Column("leads", Text, nullable=False),
    Column("accountable", Text, nullable=True),
    Index("deadlines_due", "due"),
    Index("deadlines_plan", "plan_id"),
)

# Which plan each aggregate belongs to, and what the history calls it.
subjects = Table(
    "event_subjects",
    metadata,
    Column("originator_id", String(36), primary_key=True),
    Column("plan_id", String(36), primary_key=True),
    Column("label", String(200), nullable=True),
)

# Every reminder dispatch and its state, kept from the Dispatch events
# (projections.outbox): the index senders search for work.
outbox = Table(
    "reminder_outbox",
    metadata,
    Column("dispatch_id", String(36), primary_key=True),
    Column("key", String(64), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("name", String(200), nullable=True),
    Column("day", String(10), nullable=False),
    Column("subject", String(400), nullable=False),
    Column("plan_ids", Text, nullable=False),
    Column("items", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("claimed_by", String(200), nullable=True),
    # Moments as fixed-width UTC text, so that they compare as text in every database.
    Column("lease_until", String(32), nullable=True),
    Column("retry_at", String(32), nullable=True),
    Column("detail", Text, nullable=True),
    Column("code", Integer, nullable=True),
    Column("queued_at", String(32), nullable=False),
    Column("sent_at", String(32), nullable=True),
    Column("updated_at", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Index("reminder_outbox_status", "status"),
    Index("reminder_outbox_recipient_day", "recipient", "day"),
)
