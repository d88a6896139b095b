"""The webhook service's tables.

- ``signing_secrets``: one per owner (encrypted at rest when a key is configured);
  after a rotation the previous secret and until when it still signs.
- ``deliveries``: one per event, written with the inbox row when the event arrives;
  the body is frozen then. ``status`` is pending, delivered or failed; a pending row
  is due at ``next_attempt_at`` unless an attempt holds it (``locked_until``).
- ``delivery_attempts``: every attempt, its answer or error, and how long it took.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from avatarmesh.db import UtcDateTime, service_metadata
from avatarmesh.ids import MAX_OWNER_ID_LENGTH
from avatarmesh.outbox import inbox_table, outbox_table

metadata = service_metadata()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

signing_secrets = Table(
    "signing_secrets",
    metadata,
    Column("owner_id", String(MAX_OWNER_ID_LENGTH), primary_key=True),
    Column("secret", Text(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("previous_secret", Text(), nullable=True),
    Column("previous_valid_until", UtcDateTime(), nullable=True),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("event", String(64), nullable=False),
    Column("owner_id", String(MAX_OWNER_ID_LENGTH), nullable=False),
    Column("subject_id", String(64), nullable=False),
    Column("url", Text(), nullable=False),
    Column("payload", Text(), nullable=False),
    Column("video_key", Text(), nullable=True),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer(), nullable=False, default=0),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("first_attempt_at", UtcDateTime(), nullable=True),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("locked_until", UtcDateTime(), nullable=True),
    Column("finished_at", UtcDateTime(), nullable=True),
    Column("last_error", Text(), nullable=True),
    Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    Index("ix_deliveries_subject_id_event", "subject_id", "event"),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("event_id", String(128), nullable=False),
    Column("owner_id", String(MAX_OWNER_ID_LENGTH), nullable=False),
    Column("subject_id", String(64), nullable=False),
    Column("event", String(64), nullable=False),
    Column("url", Text(), nullable=False),
    Column("attempt", Integer(), nullable=False),
    Column("status_code", Integer(), nullable=False),
    Column("error", Text(), nullable=False),
    Column("duration_ms", Integer(), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_delivery_attempts_owner_id_at", "owner_id", "at"),
    Index("ix_delivery_attempts_event_id", "event_id"),
    Index("ix_delivery_attempts_subject_id", "subject_id"),
)
