"""files, plus the outbox and inbox.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from avatarmesh.outbox import create_outbox_tables, drop_outbox_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_outbox_tables(op)
    op.create_table(
        "files",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("owner_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("storage_key", sa.Text(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("public_token", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
        sa.UniqueConstraint("public_token", name=op.f("uq_files_public_token")),
    )
    op.create_index(op.f("ix_files_owner_id_created_at"), "files", ["owner_id", "created_at"])
    op.create_index(op.f("ix_files_status_expires_at"), "files", ["status", "expires_at"])


def downgrade() -> None:
    op.drop_table("files")
    drop_outbox_tables(op)
