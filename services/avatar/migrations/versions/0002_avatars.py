"""Avatars and their voices.

Revision ID: 0002
"""

from alembic import op
from sqlalchemy import BigInteger, Boolean, Column, DateTime, String, Text

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "avatars",
        Column("id", String(64), primary_key=True),
        Column("owner_id", String(128), nullable=False),
        Column("name", String(60), nullable=False),
        Column("description", Text(), nullable=False),
        Column("language", String(8), nullable=False),
        Column("nationality", String(60), nullable=False),
        Column("gender", String(16), nullable=False),
        Column("accent", String(40), nullable=False),
        Column("source", String(16), nullable=False),
        Column("status", String(16), nullable=False),
        Column("stage", String(16), nullable=False),
        Column("is_system", Boolean(), nullable=False),
        Column("is_public", Boolean(), nullable=False),
        Column("portrait_key", String(512), nullable=False),
        Column("portrait_kind", String(16), nullable=False),
        Column("demo_video_key", String(512), nullable=False),
        Column("tts_voice_id", String(64), nullable=False),
        Column("cost_micros", BigInteger(), nullable=False),
        Column("error", Text(), nullable=False),
        Column("hold_id", String(64), nullable=False),
        Column("settlement", String(16), nullable=False),
        Column("upload_keys", Text(), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_avatars_owner_created", "avatars", ["owner_id", "created_at"])
    op.create_index("ix_avatars_status", "avatars", ["status"])
    op.create_table(
        "voices",
        Column("id", String(64), primary_key=True),
        Column("avatar_id", String(64), nullable=False),
        Column("owner_id", String(128), nullable=False),
        Column("is_system", Boolean(), nullable=False),
        Column("language", String(8), nullable=False),
        Column("profile_json", Text(), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_voices_avatar", "voices", ["avatar_id"])


def downgrade() -> None:
    op.drop_index("ix_voices_avatar", table_name="voices")
    op.drop_table("voices")
    op.drop_index("ix_avatars_status", table_name="avatars")
    op.drop_index("ix_avatars_owner_created", table_name="avatars")
    op.drop_table("avatars")
