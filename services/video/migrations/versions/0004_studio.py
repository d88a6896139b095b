"""Studio videos share the videos table: ``kind`` (avatar | studio), the accepted
request (``studio_json``) and the render's result (``result_json``).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    with op.batch_alter_table("videos") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="avatar"))
        batch.add_column(sa.Column("studio_json", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("result_json", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("videos") as batch:
        batch.drop_column("result_json")
        batch.drop_column("studio_json")
        batch.drop_column("kind")
