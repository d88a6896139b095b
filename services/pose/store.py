"""The pose service's tables: custom poses, the outbox and the inbox."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, String, Table, Text

from avatarmesh.db import UtcDateTime, service_metadata
from avatarmesh.ids import MAX_OWNER_ID_LENGTH
from avatarmesh.outbox import inbox_table, outbox_table

metadata = service_metadata()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

poses = Table(
    "poses",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("avatar_id", String(64), nullable=False),
    Column("owner_id", String(MAX_OWNER_ID_LENGTH), nullable=False),
    Column("name", String(60), nullable=False),
    Column("prompt", Text(), nullable=False),
    Column("image_key", String(512), nullable=False),
    Column("status", String(16), nullable=False),
    Column("cost_micros", BigInteger(), nullable=False),
    Column("applied_json", Text(), nullable=False),
    Column("hold_id", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_poses_avatar_owner", "avatar_id", "owner_id", "created_at"),
)
