"""Webhook endpoints: an owner's receivers with their own secrets and event filters;
a delivery may go to one (``endpoint_id``) and carries the event id receivers see
(``webhook_id``) apart from its own key.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "endpoints",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("owner_id", sa.String(200), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("secret_created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous_secret", sa.Text(), nullable=True),
        sa.Column("previous_valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_endpoints")),
    )
    op.create_index(op.f("ix_endpoints_owner_id"), "endpoints", ["owner_id"])
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("endpoint_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("webhook_id", sa.String(128), nullable=True))
    op.create_index(op.f("ix_deliveries_endpoint_id"), "deliveries", ["endpoint_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_deliveries_endpoint_id"), table_name="deliveries")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("webhook_id")
        batch.drop_column("endpoint_id")
    op.drop_index(op.f("ix_endpoints_owner_id"), table_name="endpoints")
    op.drop_table("endpoints")
