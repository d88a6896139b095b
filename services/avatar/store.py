"""The avatar service's tables: avatars, their voices, the outbox and the inbox."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, String, Table, Text

from avatarmesh.db import UtcDateTime, service_metadata
from avatarmesh.ids import MAX_OWNER_ID_LENGTH
from avatarmesh.outbox import inbox_table, outbox_table

metadata = service_metadata()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

avatars = Table(
    "avatars",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("owner_id", String(MAX_OWNER_ID_LENGTH), nullable=False),
    Column("name", String(60), nullable=False),
    Column("description", Text(), nullable=False, default=""),
    Column("language", String(8), nullable=False),
    Column("nationality", String(60), nullable=False, default=""),
    Column("gender", String(16), nullable=False, default=""),
    Column("accent", String(40), nullable=False, default=""),
    Column("source", String(16), nullable=False),
    # pending | processing | ready | failed
    Column("status", String(16), nullable=False),
    # "" | portrait | demo | voice | poses
    Column("stage", String(16), nullable=False, default=""),
    Column("is_system", Boolean(), nullable=False, default=False),
    Column("is_public", Boolean(), nullable=False, default=False),
    Column("portrait_key", String(512), nullable=False, default=""),
    Column("portrait_kind", String(16), nullable=False, default=""),
    # "" until ready | footage | still, and the reason (see Avatar.motion).
    Column("motion", String(16), nullable=False, default=""),
    Column("motion_reason", Text(), nullable=False, default=""),
    Column("demo_video_key", String(512), nullable=False, default=""),
    Column("tts_voice_id", String(64), nullable=False, default=""),
    Column("cost_micros", BigInteger(), nullable=False, default=0),
    Column("error", Text(), nullable=False, default=""),
    # The creation hold, and how it was settled: "" | captured | released.
    Column("hold_id", String(64), nullable=False, default=""),
    Column("settlement", String(16), nullable=False, default=""),
    # Client uploads the job read (uploads/<owner>/...), deleted once settled.
    Column("upload_keys", Text(), nullable=False, default=""),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_avatars_owner_created", "owner_id", "created_at"),
    Index("ix_avatars_status", "status"),
)

voices = Table(
    "voices",
    metadata,
    Column("id", String(64), primary_key=True),  # the tts_voice_id
    Column("avatar_id", String(64), nullable=False),
    Column("owner_id", String(MAX_OWNER_ID_LENGTH), nullable=False),
    Column("is_system", Boolean(), nullable=False, default=False),
    Column("language", String(8), nullable=False),
    Column("profile_json", Text(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_voices_avatar", "avatar_id"),
)
