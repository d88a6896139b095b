"""Initial pose tables: outbox and inbox.

Revision ID: 0001
"""

from alembic import op

from avatarmesh.outbox import create_outbox_tables, drop_outbox_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_outbox_tables(op)


def downgrade() -> None:
    drop_outbox_tables(op)
