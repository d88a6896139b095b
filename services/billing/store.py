"""Billing tables: wallets, holds, the append-only ledger, idempotency keys, daily usage.

The wallet row carries the running balance and held amount (locked with
``SELECT ... FOR UPDATE`` on PostgreSQL by every mutating transaction; SQLite
serialises writers with ``BEGIN IMMEDIATE``). Every movement is also a ledger row,
so the wallet is re-derivable from the ledger and ``VerifyLedger`` proves it.
Integrity also lives in the schema: CHECKs on amounts, and triggers (migration
0001) that refuse UPDATE and DELETE on ``ledger_entries``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from avatarmesh.db import Base, UtcDateTime, service_metadata
from avatarmesh.ids import MAX_OWNER_ID_LENGTH
from services.billing.config import DEFAULT_TIER, MAX_TIER_LENGTH

metadata = service_metadata()


# BIGSERIAL on PostgreSQL, INTEGER PRIMARY KEY (the rowid) on SQLite.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class BillingBase(Base):
    __abstract__ = True
    metadata = metadata


class WalletRow(BillingBase):
    __tablename__ = "wallets"
    __table_args__ = (
        CheckConstraint("balance_micros >= 0", name="balance_not_negative"),
        CheckConstraint("held_micros >= 0", name="held_not_negative"),
        CheckConstraint("held_micros <= balance_micros", name="held_within_balance"),
    )

    owner_id: Mapped[str] = mapped_column(String(MAX_OWNER_ID_LENGTH), primary_key=True)
    balance_micros: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    held_micros: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # The owner's plan tier: which daily pose cap applies (migration 0002).
    tier: Mapped[str] = mapped_column(
        String(MAX_TIER_LENGTH), nullable=False, default=DEFAULT_TIER, server_default=DEFAULT_TIER
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class HoldRow(BillingBase):
    __tablename__ = "holds"
    __table_args__ = (
        CheckConstraint("amount_micros > 0", name="amount_positive"),
        CheckConstraint(
            "captured_micros >= 0 AND captured_micros <= amount_micros", name="captured_within"
        ),
        CheckConstraint(
            "refunded_micros >= 0 AND refunded_micros <= captured_micros", name="refunded_within"
        ),
        CheckConstraint(
            "status IN ('held', 'captured', 'released', 'expired', 'refunded')",
            name="status_known",
        ),
        Index("ix_holds_status_expires_at", "status", "expires_at"),
        Index("ix_holds_owner_status", "owner_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_id: Mapped[str] = mapped_column(
        String(MAX_OWNER_ID_LENGTH), ForeignKey("wallets.owner_id"), nullable=False
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)
    # The tier whose daily_usage row a pose hold counted in ("" for other purposes).
    tier: Mapped[str] = mapped_column(String(MAX_TIER_LENGTH), nullable=False)
    amount_micros: Mapped[int] = mapped_column(BigInteger, nullable=False)
    captured_micros: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    refunded_micros: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    reference: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    # The UTC day a pose hold counted towards the daily cap (None for other purposes).
    usage_day: Mapped[date | None] = mapped_column(Date, nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class LedgerEntryRow(BillingBase):
    """One movement. Append-only: triggers refuse UPDATE and DELETE."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('top_up', 'hold', 'capture', 'release', 'refund', 'expiry')",
            name="kind_known",
        ),
        CheckConstraint("balance_after_micros >= 0", name="balance_after_not_negative"),
        CheckConstraint("held_after_micros >= 0", name="held_after_not_negative"),
        Index("ix_ledger_entries_owner_seq", "owner_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    owner_id: Mapped[str] = mapped_column(
        String(MAX_OWNER_ID_LENGTH), ForeignKey("wallets.owner_id"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    balance_delta_micros: Mapped[int] = mapped_column(BigInteger, nullable=False)
    held_delta_micros: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # The wallet right after this entry: a running total an auditor can follow.
    balance_after_micros: Mapped[int] = mapped_column(BigInteger, nullable=False)
    held_after_micros: Mapped[int] = mapped_column(BigInteger, nullable=False)
    hold_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("holds.id"), nullable=True, index=True
    )
    reference: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class IdempotencyKeyRow(BillingBase):
    """The first result of a mutating call, found again by (operation, key)."""

    __tablename__ = "idempotency_keys"

    operation: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(256), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(MAX_OWNER_ID_LENGTH), nullable=False)
    # sha256 of the canonical request parameters: the same key with others is a conflict.
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    # The hold or ledger entry the call produced, and the result it answered (JSON).
    result_ref: Mapped[str] = mapped_column(String(40), nullable=False)
    result: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class DailyUsageRow(BillingBase):
    """Poses held per owner, UTC day and tier (for the daily caps)."""

    __tablename__ = "daily_usage"
    __table_args__ = (CheckConstraint("poses >= 0", name="poses_not_negative"),)

    owner_id: Mapped[str] = mapped_column(String(MAX_OWNER_ID_LENGTH), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    tier: Mapped[str] = mapped_column(String(MAX_TIER_LENGTH), primary_key=True)
    poses: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
