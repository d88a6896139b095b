"""Initial video tables: canaries, outbox, inbox.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from avatarmesh.outbox import create_outbox_tables, drop_outbox_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_outbox_tables(op)
    op.create_table(
        "canaries",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("worker", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("round_trip_ms", sa.Float, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("canaries")
    drop_outbox_tables(op)
