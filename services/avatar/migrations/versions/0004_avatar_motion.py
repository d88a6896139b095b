"""How an avatar's videos move: "footage" (its clip's own frames) or "still", and why.

Revision ID: 0004
Revises: 0003
"""

from alembic import op
from sqlalchemy import Column, String, Text

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.add_column("avatars", Column("motion", String(16), nullable=False, server_default=""))
    op.add_column("avatars", Column("motion_reason", Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("avatars") as batch:
        batch.drop_column("motion_reason")
        batch.drop_column("motion")
