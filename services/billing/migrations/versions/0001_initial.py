"""Wallets, holds, the append-only ledger, idempotency keys and daily usage.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.billing.store import SeqType, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wallets",
        sa.Column("owner_id", sa.String(128), nullable=False),
        sa.Column("balance_micros", sa.BigInteger(), nullable=False),
        sa.Column("held_micros", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("balance_micros >= 0", name="balance_not_negative"),
        sa.CheckConstraint("held_micros >= 0", name="held_not_negative"),
        sa.CheckConstraint("held_micros <= balance_micros", name="held_within_balance"),
        sa.PrimaryKeyConstraint("owner_id"),
    )
    op.create_table(
        "holds",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("owner_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("tier", sa.String(64), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("captured_micros", sa.BigInteger(), nullable=False),
        sa.Column("refunded_micros", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(256), nullable=False),
        sa.Column("usage_day", sa.Date(), nullable=True),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("settled_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint("amount_micros > 0", name="amount_positive"),
        sa.CheckConstraint(
            "captured_micros >= 0 AND captured_micros <= amount_micros", name="captured_within"
        ),
        sa.CheckConstraint(
            "refunded_micros >= 0 AND refunded_micros <= captured_micros", name="refunded_within"
        ),
        sa.CheckConstraint(
            "status IN ('held', 'captured', 'released', 'expired', 'refunded')",
            name="status_known",
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["wallets.owner_id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_holds_status_expires_at", "holds", ["status", "expires_at"])
    op.create_index("ix_holds_owner_status", "holds", ["owner_id", "status"])
    op.create_table(
        "ledger_entries",
        sa.Column("seq", SeqType, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("owner_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("balance_delta_micros", sa.BigInteger(), nullable=False),
        sa.Column("held_delta_micros", sa.BigInteger(), nullable=False),
        sa.Column("balance_after_micros", sa.BigInteger(), nullable=False),
        sa.Column("held_after_micros", sa.BigInteger(), nullable=False),
        sa.Column("hold_id", sa.String(40), nullable=True),
        sa.Column("reference", sa.String(256), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('top_up', 'hold', 'capture', 'release', 'refund', 'expiry')",
            name="kind_known",
        ),
        sa.CheckConstraint("balance_after_micros >= 0", name="balance_after_not_negative"),
        sa.CheckConstraint("held_after_micros >= 0", name="held_after_not_negative"),
        sa.ForeignKeyConstraint(["owner_id"], ["wallets.owner_id"]),
        sa.ForeignKeyConstraint(["hold_id"], ["holds.id"]),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
    )
    op.create_index("ix_ledger_entries_owner_seq", "ledger_entries", ["owner_id", "seq"])
    op.create_index("ix_ledger_entries_hold_id", "ledger_entries", ["hold_id"])
    op.create_table(
        "idempotency_keys",
        sa.Column("operation", sa.String(16), nullable=False),
        sa.Column("key", sa.String(256), nullable=False),
        sa.Column("owner_id", sa.String(128), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("result_ref", sa.String(40), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("operation", "key"),
    )
    op.create_table(
        "daily_usage",
        sa.Column("owner_id", sa.String(128), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("tier", sa.String(64), nullable=False),
        sa.Column("poses", sa.Integer(), nullable=False),
        sa.CheckConstraint("poses >= 0", name="poses_not_negative"),
        sa.PrimaryKeyConstraint("owner_id", "day", "tier"),
    )
    _ledger_append_only()


def _ledger_append_only() -> None:
    """The ledger is history: the database itself refuses to change or delete a row."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION ledger_entries_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'ledger_entries is append-only'; END; "
            "$$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE "
            "ON ledger_entries FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER ledger_entries_no_{action.lower()} BEFORE {action} "
                "ON ledger_entries BEGIN "
                "SELECT RAISE(ABORT, 'ledger_entries is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_append_only ON ledger_entries")
        op.execute("DROP FUNCTION IF EXISTS ledger_entries_append_only()")
    op.drop_table("daily_usage")
    op.drop_table("idempotency_keys")
    op.drop_index("ix_ledger_entries_hold_id", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_owner_seq", table_name="ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_index("ix_holds_owner_status", table_name="holds")
    op.drop_index("ix_holds_status_expires_at", table_name="holds")
    op.drop_table("holds")
    op.drop_table("wallets")
