"""The billing rules: wallets, holds, captures, releases, refunds, expiry, daily caps.

Every movement of money is a row in the append-only ledger and, in the same
transaction, a change to the wallet's running totals:

    kind       balance   held
    top_up     +amount   0
    hold       0         +amount
    capture    -amount   -amount     (a partial capture adds a release of the rest)
    release    0         -rest
    expiry     0         -amount
    refund     +amount   0

so ``balance = sum(balance deltas)`` and ``held = sum(held deltas)``, and a new hold
may only take ``available = balance - held``. Each mutating call locks the owner's
wallet row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite runs ``BEGIN
IMMEDIATE``), checks the idempotency key, then writes the effect and the key's
record together: a replay returns the first result, never a second charge.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from avatarmesh.billing import INSUFFICIENT_BALANCE_MESSAGE
from avatarmesh.clock import utcnow
from avatarmesh.db import Database, insert_ignoring_conflict
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import MAX_OWNER_ID_LENGTH, IdPrefix, new_id
from avatarmesh.money import Micros
from services.billing.config import DEFAULT_TIER, BillingRules
from services.billing.store import (
    DailyUsageRow,
    HoldRow,
    IdempotencyKeyRow,
    LedgerEntryRow,
    WalletRow,
)

log = logging.getLogger(__name__)

INT64_MAX = 2**63 - 1
MAX_KEY_LENGTH = 256
MAX_REFERENCE_LENGTH = 256
MAX_PAGE_LIMIT = 100
INSUFFICIENT_BALANCE_FOR_POSE_MESSAGE = "Insufficient balance to create a pose."


class Purpose(StrEnum):
    AVATAR_CREATION = "avatar_creation"
    POSE = "pose"
    VIDEO = "video"


class HoldStatus(StrEnum):
    HELD = "held"
    CAPTURED = "captured"
    RELEASED = "released"
    EXPIRED = "expired"
    REFUNDED = "refunded"


class EntryKind(StrEnum):
    TOP_UP = "top_up"
    HOLD = "hold"
    CAPTURE = "capture"
    RELEASE = "release"
    REFUND = "refund"
    EXPIRY = "expiry"


@dataclass(frozen=True)
class Wallet:
    owner_id: str
    balance: Micros
    held: Micros
    created_at: datetime
    updated_at: datetime
    # The plan tier (which daily pose cap applies). Defaulted so that results recorded
    # before tiers existed still decode.
    tier: str = DEFAULT_TIER

    @property
    def available(self) -> Micros:
        return self.balance - self.held


@dataclass(frozen=True)
class Hold:
    id: str
    owner_id: str
    status: HoldStatus
    purpose: Purpose
    tier: str  # the cap tier a pose counted under; "" for other purposes
    amount: Micros
    captured: Micros
    refunded: Micros
    reference: str
    expires_at: datetime
    created_at: datetime
    settled_at: datetime | None


@dataclass(frozen=True)
class LedgerEntry:
    id: str
    owner_id: str
    kind: EntryKind
    balance_delta: Micros
    held_delta: Micros
    balance_after: Micros
    held_after: Micros
    hold_id: str | None
    reference: str
    created_at: datetime


@dataclass(frozen=True)
class LedgerPage:
    entries: list[LedgerEntry]
    page: int
    limit: int
    total: int


@dataclass(frozen=True)
class Verification:
    """The wallet's totals against the ones re-derived from the ledger and the holds."""

    wallet_balance: Micros
    ledger_balance: Micros
    wallet_held: Micros
    ledger_held: Micros
    open_holds: Micros

    @property
    def consistent(self) -> bool:
        return (
            self.wallet_balance == self.ledger_balance
            and self.wallet_held == self.ledger_held == self.open_holds
            and 0 <= self.wallet_held <= self.wallet_balance
        )


Clock = Callable[[], datetime]
T = TypeVar("T", Wallet, Hold)


@dataclass(frozen=True)
class _HoldOf:
    """The wallet to lock is the owner's of this hold (found inside the transaction)."""

    hold_id: str


@dataclass
class _Deferred:
    """A refusal raised after committing the lazy expiries the same call wrote."""

    error: DomainError


class Ledger:
    """Wallets and holds of every owner, over one service database."""

    def __init__(
        self, db: Database, rules: BillingRules | None = None, clock: Clock = utcnow
    ) -> None:
        self._db = db
        self.rules = rules or BillingRules()
        self._clock = clock

    # ----------------------------------------------------------------- top-ups

    async def top_up(
        self, owner_id: str, amount: Micros, idempotency_key: str, note: str = ""
    ) -> Wallet:
        _check_owner(owner_id)
        _check_key(idempotency_key)
        _check_reference(note, "note")
        if amount <= 0:
            raise DomainError(ErrorCode.VALIDATION_ERROR, "top-up amount must be positive")
        if amount > self.rules.max_top_up:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR,
                f"a single top-up may not exceed {self.rules.max_top_up} micro-dollars",
            )

        async def effect(s: AsyncSession, wallet: WalletRow, now: datetime) -> tuple[str, Wallet]:
            if wallet.balance_micros + amount > INT64_MAX:
                raise DomainError(ErrorCode.VALIDATION_ERROR, "top-up would overflow the wallet")
            entry = await self._append(s, wallet, EntryKind.TOP_UP, amount, 0, None, note, now)
            return entry.id, _wallet(wallet)

        params = {"owner_id": owner_id, "amount": amount, "note": note}
        return await self._mutate(
            "top_up", idempotency_key, params, Wallet, owner_id, effect, create_wallet=True
        )

    async def set_tier(self, owner_id: str, tier: str) -> Wallet:
        """Put the owner on a plan tier; its daily pose cap applies from the next hold.

        Not a money movement, so no ledger row and no idempotency key: setting the
        tier the wallet already has changes nothing. Only configured tiers are
        accepted, so a typo cannot quietly leave an owner on the default cap."""
        _check_owner(owner_id)
        known = self.rules.known_tiers()
        if tier not in known:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR,
                f"tier must be one of {', '.join(sorted(known))}",
            )
        async with self._db.transaction() as s:
            wallet = await self._lock_wallet(s, owner_id)
            now = self._clock()
            await self._expire_due(s, wallet, now)
            if wallet.tier != tier:
                log.info("wallet %s tier %s -> %s", owner_id, wallet.tier, tier)
                wallet.tier = tier
                wallet.updated_at = now
            return _wallet(wallet)

    # ------------------------------------------------------------------- holds

    async def hold(
        self,
        owner_id: str,
        amount: Micros,
        idempotency_key: str,
        purpose: Purpose,
        *,
        reference: str = "",
        ttl_seconds: int = 0,
        tier: str = "",
    ) -> Hold:
        """Authorise an estimate against the available balance.

        ``tier`` overrides the wallet's tier for a POSE hold's daily cap; empty (what
        the pose service sends) means the wallet's. Other purposes ignore it."""
        _check_owner(owner_id)
        _check_key(idempotency_key)
        _check_reference(reference, "reference")
        _check_reference(tier, "tier")
        if amount <= 0:
            raise DomainError(ErrorCode.VALIDATION_ERROR, "hold amount must be positive")
        if ttl_seconds < 0 or ttl_seconds > self.rules.max_hold_ttl_seconds:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR,
                f"ttl_seconds must be between 0 and {self.rules.max_hold_ttl_seconds}",
            )
        ttl = ttl_seconds or self.rules.hold_ttl_seconds

        async def effect(s: AsyncSession, wallet: WalletRow, now: datetime) -> tuple[str, Hold]:
            usage: DailyUsageRow | None = None
            cap_tier = ""
            if purpose is Purpose.POSE:
                # Read under the wallet lock, so a tier change applies to the next hold.
                cap_tier = tier or wallet.tier
                cap = self.rules.daily_pose_cap(cap_tier)
                # The day's poses under every tier count: a plan change mid-day moves
                # the ceiling, it does not start a fresh count.
                used = await self._poses_today(s, owner_id, now.date())
                if cap is not None and used >= cap:
                    raise DomainError(
                        ErrorCode.DAILY_CAP_REACHED,
                        f"Daily cap of {cap} poses reached for tier {cap_tier!r} "
                        "(resets at midnight UTC)",
                        retry_after=_seconds_to_midnight(now),
                    )
                usage = await self._pose_usage(s, owner_id, now.date(), cap_tier)
            if wallet.balance_micros - wallet.held_micros < amount:
                if purpose is Purpose.POSE:
                    raise DomainError(
                        ErrorCode.INSUFFICIENT_BALANCE_FOR_POSE,
                        INSUFFICIENT_BALANCE_FOR_POSE_MESSAGE,
                    )
                raise DomainError(ErrorCode.INSUFFICIENT_BALANCE, INSUFFICIENT_BALANCE_MESSAGE)
            hold = HoldRow(
                id=new_id(IdPrefix.HOLD),
                owner_id=owner_id,
                status=HoldStatus.HELD.value,
                purpose=purpose.value,
                tier=cap_tier,
                amount_micros=amount,
                captured_micros=0,
                refunded_micros=0,
                reference=reference,
                usage_day=now.date() if usage is not None else None,
                expires_at=now + timedelta(seconds=ttl),
                created_at=now,
                settled_at=None,
            )
            s.add(hold)
            if usage is not None:
                usage.poses += 1
            await s.flush()  # the hold row first: ledger entries refer to it
            await self._append(s, wallet, EntryKind.HOLD, 0, amount, hold.id, reference, now)
            return hold.id, _hold(hold)

        params = {
            "owner_id": owner_id,
            "amount": amount,
            "purpose": purpose.value,
            "reference": reference,
            "ttl_seconds": ttl_seconds,
            # As sent ("" read as "default", as before tiers lived on the wallet), so
            # keys recorded earlier still match their replays.
            "tier": tier or DEFAULT_TIER,
        }
        return await self._mutate("hold", idempotency_key, params, Hold, owner_id, effect)

    async def capture(self, hold_id: str, amount: Micros, idempotency_key: str) -> Hold:
        """Charge up to the held amount; a partial capture releases the rest."""
        _check_key(idempotency_key)
        if amount <= 0:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR,
                "capture amount must be positive (release the hold to charge nothing)",
            )

        async def effect(s: AsyncSession, wallet: WalletRow, now: datetime) -> tuple[str, Hold]:
            hold = await self._hold_row(s, hold_id)
            _require_held(hold, "capture")
            if amount > hold.amount_micros:
                raise DomainError(
                    ErrorCode.VALIDATION_ERROR,
                    f"capture of {amount} exceeds the held {hold.amount_micros} micro-dollars",
                )
            hold.status = HoldStatus.CAPTURED.value
            hold.captured_micros = amount
            hold.settled_at = now
            await self._append(
                s, wallet, EntryKind.CAPTURE, -amount, -amount, hold.id, hold.reference, now
            )
            rest = hold.amount_micros - amount
            if rest:
                await self._append(
                    s, wallet, EntryKind.RELEASE, 0, -rest, hold.id, hold.reference, now
                )
            return hold.id, _hold(hold)

        params = {"hold_id": hold_id, "amount": amount}
        return await self._mutate(
            "capture", idempotency_key, params, Hold, _HoldOf(hold_id), effect
        )

    async def release(self, hold_id: str, idempotency_key: str) -> Hold:
        """Give a hold back in full. Releasing a released or expired hold changes nothing."""
        _check_key(idempotency_key)

        async def effect(s: AsyncSession, wallet: WalletRow, now: datetime) -> tuple[str, Hold]:
            hold = await self._hold_row(s, hold_id)
            if hold.status in (HoldStatus.RELEASED, HoldStatus.EXPIRED):
                return hold.id, _hold(hold)
            if hold.status != HoldStatus.HELD:
                raise DomainError(
                    ErrorCode.CONFLICT,
                    f"hold {hold.id} is {hold.status}; refund a captured hold instead",
                )
            await self._settle_unused(s, wallet, hold, HoldStatus.RELEASED, now)
            return hold.id, _hold(hold)

        params = {"hold_id": hold_id}
        return await self._mutate(
            "release", idempotency_key, params, Hold, _HoldOf(hold_id), effect
        )

    async def refund(self, hold_id: str, amount: Micros, idempotency_key: str) -> Hold:
        """Give back some (or, with 0, all the rest) of what a capture charged."""
        _check_key(idempotency_key)
        if amount < 0:
            raise DomainError(ErrorCode.VALIDATION_ERROR, "refund amount must not be negative")

        async def effect(s: AsyncSession, wallet: WalletRow, now: datetime) -> tuple[str, Hold]:
            hold = await self._hold_row(s, hold_id)
            if hold.status == HoldStatus.REFUNDED:
                raise DomainError(ErrorCode.CONFLICT, f"hold {hold.id} is already fully refunded")
            if hold.status != HoldStatus.CAPTURED:
                raise DomainError(
                    ErrorCode.CONFLICT, f"hold {hold.id} is {hold.status}: nothing was captured"
                )
            remaining = hold.captured_micros - hold.refunded_micros
            refund = amount or remaining
            if refund > remaining:
                raise DomainError(
                    ErrorCode.VALIDATION_ERROR,
                    f"refund of {refund} exceeds the {remaining} micro-dollars left to refund",
                )
            hold.refunded_micros += refund
            if hold.refunded_micros == hold.captured_micros:
                hold.status = HoldStatus.REFUNDED.value
                await self._uncount_pose(s, hold)
            await self._append(s, wallet, EntryKind.REFUND, refund, 0, hold.id, hold.reference, now)
            return hold.id, _hold(hold)

        params = {"hold_id": hold_id, "amount": amount}
        return await self._mutate("refund", idempotency_key, params, Hold, _HoldOf(hold_id), effect)

    # ------------------------------------------------------------------- reads

    async def get_hold(self, hold_id: str) -> Hold:
        async with self._db.transaction() as s:
            hold = await s.get(HoldRow, hold_id)
            if hold is None:
                raise DomainError(ErrorCode.NOT_FOUND, f"hold {hold_id} not found")
            if not _is_due(hold, self._clock()):
                return _hold(hold)
            owner_id = hold.owner_id
        await self._expire_owner(owner_id)
        async with self._db.transaction() as s:
            return _hold(await self._hold_row(s, hold_id))

    async def wallet(self, owner_id: str) -> Wallet:
        """The wallet, after releasing any of its holds that have expired. Read without
        the write lock when none is due (the common case: a balance poll must not queue
        behind every hold and capture)."""
        _check_owner(owner_id)
        now = self._clock()
        async with self._db.read() as s:
            found = (
                await s.execute(
                    select(WalletRow, _due_holds(owner_id, now).exists()).where(
                        WalletRow.owner_id == owner_id
                    )
                )
            ).first()
            if found is None:
                raise _wallet_not_found(owner_id)
            if not found[1]:
                return _wallet(found[0])
        async with self._db.transaction() as s:
            wallet = await self._lock_wallet(s, owner_id)
            await self._expire_due(s, wallet, self._clock())
            return _wallet(wallet)

    async def ledger(self, owner_id: str, page: int = 1, limit: int = 20) -> LedgerPage:
        """The wallet's ledger, newest first."""
        _check_owner(owner_id)
        if page < 1:
            raise DomainError(ErrorCode.VALIDATION_ERROR, "page must be 1 or more")
        if not 1 <= limit <= MAX_PAGE_LIMIT:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR, f"limit must be between 1 and {MAX_PAGE_LIMIT}"
            )
        async with self._db.sessions() as s:
            if await s.get(WalletRow, owner_id) is None:
                raise _wallet_not_found(owner_id)
            total = await s.scalar(
                select(func.count())
                .select_from(LedgerEntryRow)
                .where(LedgerEntryRow.owner_id == owner_id)
            )
            rows = await s.scalars(
                select(LedgerEntryRow)
                .where(LedgerEntryRow.owner_id == owner_id)
                .order_by(LedgerEntryRow.seq.desc())
                .offset((page - 1) * limit)
                .limit(limit)
            )
            entries = [_entry(row) for row in rows]
        return LedgerPage(entries=entries, page=page, limit=limit, total=int(total or 0))

    async def verify(self, owner_id: str) -> Verification:
        """Re-derive the wallet from its ledger and open holds, in one snapshot."""
        _check_owner(owner_id)
        async with self._db.transaction() as s:
            wallet = await self._lock_wallet(s, owner_id)
            sums = (
                await s.execute(
                    select(
                        func.coalesce(func.sum(LedgerEntryRow.balance_delta_micros), 0),
                        func.coalesce(func.sum(LedgerEntryRow.held_delta_micros), 0),
                    ).where(LedgerEntryRow.owner_id == owner_id)
                )
            ).one()
            open_holds = await s.scalar(
                select(func.coalesce(func.sum(HoldRow.amount_micros), 0)).where(
                    HoldRow.owner_id == owner_id, HoldRow.status == HoldStatus.HELD.value
                )
            )
            return Verification(
                wallet_balance=wallet.balance_micros,
                ledger_balance=int(sums[0]),
                wallet_held=wallet.held_micros,
                ledger_held=int(sums[1]),
                open_holds=int(open_holds or 0),
            )

    # ------------------------------------------------------------------ expiry

    async def expire_due_holds(self, batch: int = 500) -> int:
        """Release every hold past its expiry (ledger kind ``expiry``); returns how many."""
        now = self._clock()
        async with self._db.sessions() as s:
            owners = list(
                await s.scalars(
                    select(HoldRow.owner_id)
                    .where(HoldRow.status == HoldStatus.HELD.value, HoldRow.expires_at <= now)
                    .distinct()
                    .limit(batch)
                )
            )
        expired = 0
        for owner_id in owners:
            expired += await self._expire_owner(owner_id)
        return expired

    async def run_sweeper(self, interval_seconds: float) -> None:
        """The background task: expire due holds every ``interval_seconds``."""
        while True:
            try:
                count = await self.expire_due_holds()
                if count:
                    log.info("expired %d holds", count)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("hold expiry sweep failed; retrying next interval")
            await asyncio.sleep(interval_seconds)

    async def _expire_owner(self, owner_id: str) -> int:
        async with self._db.transaction() as s:
            wallet = await self._lock_wallet(s, owner_id)
            return await self._expire_due(s, wallet, self._clock())

    async def _expire_due(self, s: AsyncSession, wallet: WalletRow, now: datetime) -> int:
        due = list(
            await s.scalars(
                select(HoldRow)
                .where(
                    HoldRow.owner_id == wallet.owner_id,
                    HoldRow.status == HoldStatus.HELD.value,
                    HoldRow.expires_at <= now,
                )
                .order_by(HoldRow.expires_at, HoldRow.id)
                .execution_options(populate_existing=True)
            )
        )
        for hold in due:
            await self._settle_unused(s, wallet, hold, HoldStatus.EXPIRED, now)
        return len(due)

    # ------------------------------------------------------------- machinery

    async def _mutate(
        self,
        operation: str,
        key: str,
        params: dict[str, Any],
        result_type: type[T],
        owner: str | _HoldOf,
        effect: Callable[[AsyncSession, WalletRow, datetime], Awaitable[tuple[str, T]]],
        *,
        create_wallet: bool = False,
    ) -> T:
        """Lock the wallet, honour the idempotency key, apply ``effect``, record the key.

        A key already recorded answers its first result (or IDEMPOTENCY_CONFLICT when
        the parameters differ) without touching anything. A refusal is not recorded,
        so the same key may succeed later (after a top-up, say)."""
        fingerprint = _fingerprint(operation, params)
        for attempt in range(3):
            deferred: _Deferred | None = None
            try:
                async with self._db.transaction() as s:
                    if isinstance(owner, _HoldOf):
                        owner_id = await self._owner_of(s, owner.hold_id)
                    else:
                        owner_id = owner
                    if create_wallet:
                        await self._ensure_wallet(s, owner_id)
                    wallet = await self._lock_wallet(s, owner_id)
                    record = await s.get(IdempotencyKeyRow, (operation, key))
                    if record is not None:
                        if record.fingerprint != fingerprint:
                            raise DomainError(
                                ErrorCode.IDEMPOTENCY_CONFLICT,
                                f"idempotency key {key!r} was already used for a different "
                                f"{operation} request",
                            )
                        return _decode(result_type, record.result)
                    now = self._clock()
                    expired = await self._expire_due(s, wallet, now)
                    try:
                        ref, result = await effect(s, wallet, now)
                    except DomainError as exc:
                        if not expired:
                            raise
                        # Keep the expiries this call found; effects refuse before writing.
                        deferred = _Deferred(exc)
                    else:
                        s.add(
                            IdempotencyKeyRow(
                                operation=operation,
                                key=key,
                                owner_id=owner_id,
                                fingerprint=fingerprint,
                                result_ref=ref,
                                result=_encode(result),
                                created_at=now,
                            )
                        )
            except IntegrityError:
                # The same key committed by a concurrent call (or a wallet created at the
                # same moment): run again and find its record.
                if attempt == 2:
                    raise
                continue
            if deferred is not None:
                raise deferred.error
            return result
        raise AssertionError("unreachable")

    async def _ensure_wallet(self, s: AsyncSession, owner_id: str) -> None:
        now = self._clock()
        values = {
            "owner_id": owner_id,
            "balance_micros": 0,
            "held_micros": 0,
            "created_at": now,
            "updated_at": now,
        }
        await insert_ignoring_conflict(s, WalletRow, values)

    async def _lock_wallet(self, s: AsyncSession, owner_id: str) -> WalletRow:
        wallet = await s.scalar(
            select(WalletRow)
            .where(WalletRow.owner_id == owner_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if wallet is None:
            raise _wallet_not_found(owner_id)
        return wallet

    async def _owner_of(self, s: AsyncSession, hold_id: str) -> str:
        owner_id = await s.scalar(select(HoldRow.owner_id).where(HoldRow.id == hold_id))
        if owner_id is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"hold {hold_id} not found")
        return owner_id

    async def _hold_row(self, s: AsyncSession, hold_id: str) -> HoldRow:
        hold = await s.scalar(
            select(HoldRow).where(HoldRow.id == hold_id).execution_options(populate_existing=True)
        )
        if hold is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"hold {hold_id} not found")
        return hold

    async def _settle_unused(
        self, s: AsyncSession, wallet: WalletRow, hold: HoldRow, status: HoldStatus, now: datetime
    ) -> None:
        """Release or expire a whole open hold."""
        hold.status = status.value
        hold.settled_at = now
        await self._uncount_pose(s, hold)
        kind = EntryKind.EXPIRY if status is HoldStatus.EXPIRED else EntryKind.RELEASE
        await self._append(s, wallet, kind, 0, -hold.amount_micros, hold.id, hold.reference, now)

    async def _poses_today(self, s: AsyncSession, owner_id: str, day: date) -> int:
        used = await s.scalar(
            select(func.coalesce(func.sum(DailyUsageRow.poses), 0)).where(
                DailyUsageRow.owner_id == owner_id, DailyUsageRow.day == day
            )
        )
        return int(used or 0)

    async def _pose_usage(
        self, s: AsyncSession, owner_id: str, day: date, tier: str
    ) -> DailyUsageRow:
        usage = await s.get(DailyUsageRow, (owner_id, day, tier), populate_existing=True)
        if usage is None:
            usage = DailyUsageRow(owner_id=owner_id, day=day, tier=tier, poses=0)
            s.add(usage)
        return usage

    async def _uncount_pose(self, s: AsyncSession, hold: HoldRow) -> None:
        """A pose that was released, expired or fully refunded does not use the cap."""
        if hold.usage_day is None:
            return
        usage = await s.get(
            DailyUsageRow, (hold.owner_id, hold.usage_day, hold.tier), populate_existing=True
        )
        if usage is not None and usage.poses > 0:
            usage.poses -= 1

    async def _append(
        self,
        s: AsyncSession,
        wallet: WalletRow,
        kind: EntryKind,
        balance_delta: Micros,
        held_delta: Micros,
        hold_id: str | None,
        reference: str,
        now: datetime,
    ) -> LedgerEntryRow:
        wallet.balance_micros += balance_delta
        wallet.held_micros += held_delta
        wallet.updated_at = now
        entry = LedgerEntryRow(
            id=new_id(IdPrefix.LEDGER_ENTRY),
            owner_id=wallet.owner_id,
            kind=kind.value,
            balance_delta_micros=balance_delta,
            held_delta_micros=held_delta,
            balance_after_micros=wallet.balance_micros,
            held_after_micros=wallet.held_micros,
            hold_id=hold_id,
            reference=reference,
            created_at=now,
        )
        s.add(entry)  # written with the rest of the transaction at commit
        return entry


# ------------------------------------------------------------------ helpers


def _check_owner(owner_id: str) -> None:
    if not owner_id or len(owner_id) > MAX_OWNER_ID_LENGTH:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"owner_id must be 1 to {MAX_OWNER_ID_LENGTH} characters"
        )


def _check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"idempotency_key must be 1 to {MAX_KEY_LENGTH} characters",
        )


def _check_reference(value: str, name: str) -> None:
    if len(value) > MAX_REFERENCE_LENGTH:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"{name} must be at most {MAX_REFERENCE_LENGTH} characters"
        )


def _wallet_not_found(owner_id: str) -> DomainError:
    return DomainError(
        ErrorCode.WALLET_NOT_FOUND, "No billing wallet exists yet (top up to initialise)"
    )


def _require_held(hold: HoldRow, action: str) -> None:
    if hold.status == HoldStatus.HELD:
        return
    if hold.status == HoldStatus.EXPIRED:
        raise DomainError(
            ErrorCode.CONFLICT,
            f"cannot {action} hold {hold.id}: it expired at {hold.expires_at.isoformat()} "
            "and was released; place a new hold",
        )
    raise DomainError(
        ErrorCode.CONFLICT, f"cannot {action} hold {hold.id}: it is already {hold.status}"
    )


def _is_due(hold: HoldRow, now: datetime) -> bool:
    return hold.status == HoldStatus.HELD and hold.expires_at <= now


def _seconds_to_midnight(now: datetime) -> int:
    midnight = datetime.combine(now.date() + timedelta(days=1), time(0), tzinfo=UTC)
    return max(1, math.ceil((midnight - now).total_seconds()))


def _fingerprint(operation: str, params: dict[str, Any]) -> str:
    canonical = json.dumps({"operation": operation, **params}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _due_holds(owner_id: str, now: datetime) -> Select[str]:
    """The owner's open holds past their expiry (what ``wallet`` must settle first)."""
    return select(HoldRow.id).where(
        HoldRow.owner_id == owner_id,
        HoldRow.status == HoldStatus.HELD.value,
        HoldRow.expires_at <= now,
    )


def _wallet(row: WalletRow) -> Wallet:
    return Wallet(
        owner_id=row.owner_id,
        balance=row.balance_micros,
        held=row.held_micros,
        created_at=row.created_at,
        updated_at=row.updated_at,
        tier=row.tier,
    )


def _hold(row: HoldRow) -> Hold:
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


def _entry(row: LedgerEntryRow) -> LedgerEntry:
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


_DATETIME_FIELDS = ("created_at", "updated_at", "expires_at", "settled_at")


def _encode(result: Wallet | Hold) -> str:
    data = dataclasses.asdict(result)
    for name in _DATETIME_FIELDS:
        if isinstance(data.get(name), datetime):
            data[name] = data[name].isoformat()
    return json.dumps(data, sort_keys=True)


def _decode(result_type: type[T], text: str) -> T:
    data: dict[str, Any] = json.loads(text)
    for name in _DATETIME_FIELDS:
        if isinstance(data.get(name), str):
            data[name] = datetime.fromisoformat(data[name])
    if result_type is Hold:
        data["status"] = HoldStatus(data["status"])
        data["purpose"] = Purpose(data["purpose"])
    return result_type(**data)
