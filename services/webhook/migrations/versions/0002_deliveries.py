"""Signing secrets, deliveries and their attempts.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def _ts(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "signing_secrets",
        sa.Column("owner_id", sa.String(64), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        _ts("created_at"),
        sa.Column("previous_secret", sa.Text(), nullable=True),
        _ts("previous_valid_until", nullable=True),
        sa.PrimaryKeyConstraint("owner_id", name="pk_signing_secrets"),
    )
    op.create_table(
        "deliveries",
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("owner_id", sa.String(64), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("video_key", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("created_at"),
        _ts("first_attempt_at", nullable=True),
        _ts("next_attempt_at"),
        _ts("locked_until", nullable=True),
        _ts("finished_at", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name="pk_deliveries"),
    )
    op.create_index(
        "ix_deliveries_status_next_attempt_at", "deliveries", ["status", "next_attempt_at"]
    )
    op.create_index("ix_deliveries_subject_id_event", "deliveries", ["subject_id", "event"])
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("owner_id", sa.String(64), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        _ts("at"),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_attempts"),
    )
    op.create_index("ix_delivery_attempts_owner_id_at", "delivery_attempts", ["owner_id", "at"])
    op.create_index("ix_delivery_attempts_event_id", "delivery_attempts", ["event_id"])
    op.create_index("ix_delivery_attempts_subject_id", "delivery_attempts", ["subject_id"])


def downgrade() -> None:
    op.drop_table("delivery_attempts")
    op.drop_table("deliveries")
    op.drop_table("signing_secrets")
