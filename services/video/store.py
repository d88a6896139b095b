"""The video service's tables: canaries, plus the outbox and the inbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Float, String, Table

from avatarmesh.db import service_metadata
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
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    Column("round_trip_ms", Float, nullable=True),
)


def utcnow() -> datetime:
    from datetime import UTC

    return datetime.now(UTC)
