"""The webhook service consumes events and publishes none: drop the outbox that
``0001`` created and nothing ever wrote (the inbox stays).

Revision ID: 0005
Revises: 0004
"""

from alembic import op

from avatarmesh.outbox import OUTBOX, create_bus_table, drop_bus_table

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    drop_bus_table(op, OUTBOX)


def downgrade() -> None:
    create_bus_table(op, OUTBOX)
