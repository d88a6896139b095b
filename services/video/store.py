"""The video service's tables: videos, canaries, the outbox and the inbox."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from avatarmesh.db import UtcDateTime, service_metadata
from avatarmesh.ids import MAX_OWNER_ID_LENGTH
from avatarmesh.outbox import inbox_table, outbox_table

metadata = service_metadata()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

canaries = Table(
    "canaries",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("worker", String(120), nullable=False, default=""),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("completed_at", UtcDateTime(), nullable=True),
    Column("round_trip_ms", Float, nullable=True),
)


# Status values stored in ``videos.status``. "settling" is internal (the render is
# done and billing is being reconciled); the API shows it as "processing".
QUEUED = "queued"
PROCESSING = "processing"
SETTLING = "settling"
COMPLETED = "completed"
FAILED = "failed"
CANCELLED = "cancelled"
ACTIVE = (QUEUED, PROCESSING, SETTLING)
TERMINAL = (COMPLETED, FAILED, CANCELLED)

videos = Table(
    "videos",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("owner_id", String(MAX_OWNER_ID_LENGTH), nullable=False),
    Column("avatar_id", String(40), nullable=False),
    Column("pose_id", String(40), nullable=False, default=""),
    Column("tier", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("text", Text, nullable=False, default=""),
    Column("audio_key", String(512), nullable=False, default=""),
    Column("video_prompt", Text, nullable=False, default=""),
    Column("webhook_url", Text, nullable=False, default=""),
    Column("language", String(8), nullable=False, default=""),
    Column("resolution", Integer, nullable=False),
    Column("fps", Integer, nullable=False),
    Column("estimated_seconds", Float, nullable=False),
    Column("rate_micros_per_second", BigInteger, nullable=False),
    Column("hold_id", String(40), nullable=False),
    Column("cost_micros", BigInteger, nullable=False),
    Column("actual_seconds", Float, nullable=True),
    Column("actual_cost_micros", BigInteger, nullable=True),
    Column("video_key", String(512), nullable=False, default=""),
    Column("poster_key", String(512), nullable=False, default=""),
    Column("error", Text, nullable=False, default=""),
    Column("progress", Float, nullable=False, default=0.0),
    Column("output_format", String(8), nullable=False, default="url"),
    Column("idempotency_key", String(255), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("completed_at", UtcDateTime(), nullable=True),
    UniqueConstraint("owner_id", "idempotency_key", name="uq_videos_owner_idempotency"),
    Index("ix_videos_owner_created", "owner_id", "created_at"),
    Index("ix_videos_status", "status"),
)
