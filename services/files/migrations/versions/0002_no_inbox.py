"""The files service publishes ``events.file.archived`` and consumes nothing: drop the
inbox that ``0001`` created and nothing ever wrote (the outbox stays).

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from avatarmesh.outbox import INBOX, create_bus_table, drop_bus_table

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    drop_bus_table(op, INBOX)


def downgrade() -> None:
    create_bus_table(op, INBOX)
