"""is_output_temporary on videos (docs/files.md, outputs as files).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    with op.batch_alter_table("videos") as batch:
        batch.add_column(
            sa.Column("output_temporary", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("videos") as batch:
        batch.drop_column("output_temporary")
