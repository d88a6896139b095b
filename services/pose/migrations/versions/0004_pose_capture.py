"""Poses remember whether their capture was confirmed, so one interrupted between the
commit and the capture is charged later instead of never (found by `make chaos`).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.add_column(
        "poses", sa.Column("captured", sa.Boolean(), nullable=False, server_default=sa.true())
    )


def downgrade() -> None:
    op.drop_column("poses", "captured")
