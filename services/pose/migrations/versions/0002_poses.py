"""Custom poses.

Revision ID: 0002
"""

from alembic import op
from sqlalchemy import BigInteger, Column, DateTime, String, Text

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "poses",
        Column("id", String(64), primary_key=True),
        Column("avatar_id", String(64), nullable=False),
        Column("owner_id", String(128), nullable=False),
        Column("name", String(60), nullable=False),
        Column("prompt", Text(), nullable=False),
        Column("image_key", String(512), nullable=False),
        Column("status", String(16), nullable=False),
        Column("cost_micros", BigInteger(), nullable=False),
        Column("applied_json", Text(), nullable=False),
        Column("hold_id", String(64), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_poses_avatar_owner", "poses", ["avatar_id", "owner_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_poses_avatar_owner", table_name="poses")
    op.drop_table("poses")
