"""Billing tables: wallets, holds, the append-only ledger, idempotency keys, daily usage.

The wallet row carries the running balance and held amount (locked with
``SELECT ... FOR UPDATE`` on PostgreSQL by every mutating transaction; SQLite
serialises writers with ``BEGIN IMMEDIATE``). Every movement is also a ledger row,
so the wallet is re-derivable from the ledger and ``VerifyLedger`` proves it.
Integrity also lives in the schema: CHECKs on amounts, and triggers (migration
0001) that refuse UPDATE and DELETE on ``ledger_entries``.

Every query lives here. Functions take the caller's session, so the ledger decides
what runs in one transaction. Wallet and hold rows come back as ORM rows (the ledger
changes their totals and statuses in place, written at commit); ``wallet_of``,
``hold_of`` and ``entry_of`` turn rows into the domain types of ``logic``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Text,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from avatarmesh.db import Base, UtcDateTime, insert_ignoring_conflict, service_metadata
from avatarmesh.ids import MAX_OWNER_ID_LENGTH
from services.billing.config import DEFAULT_TIER, MAX_TIER_LENGTH
from services.billing.logic import EntryKind, Hold, HoldStatus, LedgerEntry, Purpose, Wallet

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


# ----------------------------------------------------------------- row -> domain


def wallet_of(row: WalletRow) -> Wallet:
    return Wallet(
        owner_id=row.owner_id,
        balance=row.balance_micros,
        held=row.held_micros,
        created_at=row.created_at,
        updated_at=row.updated_at,
        tier=row.tier,
    )


def hold_of(row: HoldRow) -> Hold:
    return Hold(
        id=row.id,
        owner_id=row.owner_id,
        status=HoldStatus(row.status),
        purpose=Purpose(row.purpose),
        tier=row.tier,
        amount=row.amount_micros,
        captured=row.captured_micros,
        refunded=row.refunded_micros,
        reference=row.reference,
        expires_at=row.expires_at,
        created_at=row.created_at,
        settled_at=row.settled_at,
    )


def entry_of(row: LedgerEntryRow) -> LedgerEntry:
    return LedgerEntry(
        id=row.id,
        owner_id=row.owner_id,
        kind=EntryKind(row.kind),
        balance_delta=row.balance_delta_micros,
        held_delta=row.held_delta_micros,
        balance_after=row.balance_after_micros,
        held_after=row.held_after_micros,
        hold_id=row.hold_id,
        reference=row.reference,
        created_at=row.created_at,
    )


# ------------------------------------------------------------------- wallets


async def ensure_wallet(s: AsyncSession, owner_id: str, now: datetime) -> None:
    """An empty wallet for the owner unless one exists (a concurrent creation wins)."""
    values = {
        "owner_id": owner_id,
        "balance_micros": 0,
        "held_micros": 0,
        "created_at": now,
        "updated_at": now,
    }
    await insert_ignoring_conflict(s, WalletRow, values)


async def lock_wallet(s: AsyncSession, owner_id: str) -> WalletRow | None:
    """The wallet row, locked for the transaction and read fresh."""
    return await s.scalar(
        select(WalletRow)
        .where(WalletRow.owner_id == owner_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def wallet_exists(s: AsyncSession, owner_id: str) -> bool:
    return await s.get(WalletRow, owner_id) is not None


async def wallet_and_due(
    s: AsyncSession, owner_id: str, now: datetime
) -> tuple[WalletRow, bool] | None:
    """The wallet, unlocked, and whether any of its holds is past its expiry."""
    found = (
        await s.execute(
            select(WalletRow, _due_holds(owner_id, now).exists()).where(
                WalletRow.owner_id == owner_id
            )
        )
    ).first()
    return (found[0], bool(found[1])) if found is not None else None


# --------------------------------------------------------------------- holds


def _due_holds(owner_id: str, now: datetime) -> Select[str]:
    """The owner's open holds past their expiry (what a read must settle first)."""
    return select(HoldRow.id).where(
        HoldRow.owner_id == owner_id,
        HoldRow.status == HoldStatus.HELD.value,
        HoldRow.expires_at <= now,
    )


def add_hold(s: AsyncSession, **values: Any) -> HoldRow:
    """A new hold row, written with the rest of the transaction."""
    hold = HoldRow(**values)
    s.add(hold)
    return hold


async def get_hold(s: AsyncSession, hold_id: str) -> HoldRow | None:
    return await s.get(HoldRow, hold_id)


async def fresh_hold(s: AsyncSession, hold_id: str) -> HoldRow | None:
    """The hold row as the database has it now (under the owner's wallet lock)."""
    return await s.scalar(
        select(HoldRow).where(HoldRow.id == hold_id).execution_options(populate_existing=True)
    )


async def owner_of_hold(s: AsyncSession, hold_id: str) -> str | None:
    return await s.scalar(select(HoldRow.owner_id).where(HoldRow.id == hold_id))


async def due_holds(s: AsyncSession, owner_id: str, now: datetime) -> list[HoldRow]:
    """The owner's open holds past their expiry, oldest expiry first."""
    return list(
        await s.scalars(
            select(HoldRow)
            .where(
                HoldRow.owner_id == owner_id,
                HoldRow.status == HoldStatus.HELD.value,
                HoldRow.expires_at <= now,
            )
            .order_by(HoldRow.expires_at, HoldRow.id)
            .execution_options(populate_existing=True)
        )
    )


async def owners_with_due_holds(s: AsyncSession, now: datetime, limit: int) -> list[str]:
    return list(
        await s.scalars(
            select(HoldRow.owner_id)
            .where(HoldRow.status == HoldStatus.HELD.value, HoldRow.expires_at <= now)
            .distinct()
            .limit(limit)
        )
    )


async def open_holds_total(s: AsyncSession, owner_id: str) -> int:
    total = await s.scalar(
        select(func.coalesce(func.sum(HoldRow.amount_micros), 0)).where(
            HoldRow.owner_id == owner_id, HoldRow.status == HoldStatus.HELD.value
        )
    )
    return int(total or 0)


# -------------------------------------------------------------------- ledger


def add_entry(s: AsyncSession, **values: Any) -> LedgerEntryRow:
    """A new ledger row, written with the rest of the transaction at commit."""
    entry = LedgerEntryRow(**values)
    s.add(entry)
    return entry


async def ledger_page(
    s: AsyncSession, owner_id: str, offset: int, limit: int
) -> tuple[list[LedgerEntryRow], int]:
    """The owner's entries, newest first, and how many there are in all."""
    total = await s.scalar(
        select(func.count()).select_from(LedgerEntryRow).where(LedgerEntryRow.owner_id == owner_id)
    )
    rows = await s.scalars(
        select(LedgerEntryRow)
        .where(LedgerEntryRow.owner_id == owner_id)
        .order_by(LedgerEntryRow.seq.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total or 0)


async def ledger_sums(s: AsyncSession, owner_id: str) -> tuple[int, int]:
    """The sums of the owner's balance and held deltas."""
    sums = (
        await s.execute(
            select(
                func.coalesce(func.sum(LedgerEntryRow.balance_delta_micros), 0),
                func.coalesce(func.sum(LedgerEntryRow.held_delta_micros), 0),
            ).where(LedgerEntryRow.owner_id == owner_id)
        )
    ).one()
    return int(sums[0]), int(sums[1])


# ---------------------------------------------------------- idempotency keys


async def key_record(s: AsyncSession, operation: str, key: str) -> IdempotencyKeyRow | None:
    return await s.get(IdempotencyKeyRow, (operation, key))


def add_key_record(s: AsyncSession, **values: Any) -> None:
    s.add(IdempotencyKeyRow(**values))


# --------------------------------------------------------------- daily usage


async def poses_on(s: AsyncSession, owner_id: str, day: date) -> int:
    """The owner's poses counted on ``day`` under every tier."""
    used = await s.scalar(
        select(func.coalesce(func.sum(DailyUsageRow.poses), 0)).where(
            DailyUsageRow.owner_id == owner_id, DailyUsageRow.day == day
        )
    )
    return int(used or 0)


async def pose_usage(s: AsyncSession, owner_id: str, day: date, tier: str) -> DailyUsageRow | None:
    return await s.get(DailyUsageRow, (owner_id, day, tier), populate_existing=True)


def add_pose_usage(s: AsyncSession, owner_id: str, day: date, tier: str) -> DailyUsageRow:
    usage = DailyUsageRow(owner_id=owner_id, day=day, tier=tier, poses=0)
    s.add(usage)
    return usage
