"""Owner ids up to avatarmesh.ids.MAX_OWNER_ID_LENGTH (200) characters, as the gateway
issues keys for: the 64-character column answered 500 to such an owner on PostgreSQL.

Revision ID: 0003
Revises: 0002
"""

from avatarmesh.db import widen_string_columns

revision = "0003"
down_revision = "0002"

COLUMNS = [("videos", "owner_id")]


def upgrade() -> None:
    widen_string_columns(COLUMNS, 64, 200)


def downgrade() -> None:
    widen_string_columns(COLUMNS, 200, 64)
