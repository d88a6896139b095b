"""video_avatars: every avatar a video shows (a studio video's scene avatars), so
``events.avatar.deleted`` finds a studio video by any of its avatars, not only the
first one that ``videos.avatar_id`` keeps. Older rows are found by that column.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Owner ids are at most 200 characters (avatarmesh.ids, migration 0003); a literal, so
# this revision means the same whatever the constant becomes.
revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "video_avatars",
        sa.Column("video_id", sa.String(40), primary_key=True),
        sa.Column("avatar_id", sa.String(40), primary_key=True),
        sa.Column("owner_id", sa.String(200), nullable=False),
    )
    op.create_index("ix_video_avatars_owner_avatar", "video_avatars", ["owner_id", "avatar_id"])


def downgrade() -> None:
    op.drop_index("ix_video_avatars_owner_avatar", table_name="video_avatars")
    op.drop_table("video_avatars")
