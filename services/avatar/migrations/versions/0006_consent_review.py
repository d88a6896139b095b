"""consent review on avatars (docs/consent.md).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    with op.batch_alter_table("avatars") as batch:
        batch.add_column(
            sa.Column("review_status", sa.String(16), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("consent_video_key", sa.String(512), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("consent_check_json", sa.Text(), nullable=False, server_default="{}")
        )
        batch.add_column(
            sa.Column("pending_voice_json", sa.Text(), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("avatars") as batch:
        batch.drop_column("pending_voice_json")
        batch.drop_column("consent_check_json")
        batch.drop_column("consent_video_key")
        batch.drop_column("review_status")
