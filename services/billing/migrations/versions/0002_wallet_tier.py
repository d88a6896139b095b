"""The owner's plan tier on the wallet: which daily pose cap applies.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A constant server default: existing wallets become "default" (SQLite can add a
    # NOT NULL column only with one; PostgreSQL fills existing rows from it).
    op.add_column(
        "wallets",
        sa.Column("tier", sa.String(64), nullable=False, server_default="default"),
    )


def downgrade() -> None:
    op.drop_column("wallets", "tier")
