"""Avatar videos.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "videos",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("owner_id", sa.String(64), nullable=False),
        sa.Column("avatar_id", sa.String(40), nullable=False),
        sa.Column("pose_id", sa.String(40), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("audio_key", sa.String(512), nullable=False),
        sa.Column("video_prompt", sa.Text, nullable=False),
        sa.Column("webhook_url", sa.Text, nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("resolution", sa.Integer, nullable=False),
        sa.Column("fps", sa.Integer, nullable=False),
        sa.Column("estimated_seconds", sa.Float, nullable=False),
        sa.Column("rate_micros_per_second", sa.BigInteger, nullable=False),
        sa.Column("hold_id", sa.String(40), nullable=False),
        sa.Column("cost_micros", sa.BigInteger, nullable=False),
        sa.Column("actual_seconds", sa.Float, nullable=True),
        sa.Column("actual_cost_micros", sa.BigInteger, nullable=True),
        sa.Column("video_key", sa.String(512), nullable=False),
        sa.Column("poster_key", sa.String(512), nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("progress", sa.Float, nullable=False),
        sa.Column("output_format", sa.String(8), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("owner_id", "idempotency_key", name="uq_videos_owner_idempotency"),
    )
    op.create_index("ix_videos_owner_created", "videos", ["owner_id", "created_at"])
    op.create_index("ix_videos_status", "videos", ["status"])


def downgrade() -> None:
    op.drop_index("ix_videos_status", table_name="videos")
    op.drop_index("ix_videos_owner_created", table_name="videos")
    op.drop_table("videos")
