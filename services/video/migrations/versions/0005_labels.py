"""labels and metadata on videos (compact JSON, see avatarmesh.labels).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    with op.batch_alter_table("videos") as batch:
        batch.add_column(sa.Column("labels_json", sa.Text(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("metadata_json", sa.Text(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("videos") as batch:
        batch.drop_column("metadata_json")
        batch.drop_column("labels_json")
