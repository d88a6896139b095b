"""The ledger: every billing call, each in one transaction over the service database.

Each mutating call locks the owner's wallet row (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite runs ``BEGIN IMMEDIATE``), checks the idempotency key, then writes
the effect and the key's record together: a replay returns the first result, never a
second charge. Holds past their expiry are released lazily by the call that finds
them, and by the sweeper. The rules and types are in ``logic``; the queries in
``store``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from avatarmesh.billing import INSUFFICIENT_BALANCE_MESSAGE
from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import IdPrefix, new_id
from avatarmesh.money import Micros
from services.billing import store
from services.billing.config import DEFAULT_TIER, BillingRules
from services.billing.logic import (
    INSUFFICIENT_BALANCE_FOR_POSE_MESSAGE,
    INT64_MAX,
    MAX_PAGE_LIMIT,
    EntryKind,
    Hold,
    HoldStatus,
    LedgerPage,
    Purpose,
    T,
    Verification,
    Wallet,
    check_key,
    check_owner,
    check_reference,
    decode_result,
    encode_result,
    request_fingerprint,
    seconds_to_midnight,
    wallet_not_found,
)
from services.billing.store import (
    DailyUsageRow,
    HoldRow,
    LedgerEntryRow,
    WalletRow,
    entry_of,
    hold_of,
    wallet_of,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


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
        check_owner(owner_id)
        check_key(idempotency_key)
        check_reference(note, "note")
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
            return entry.id, wallet_of(wallet)

        params = {"owner_id": owner_id, "amount": amount, "note": note}
        return await self._mutate(
            "top_up", idempotency_key, params, Wallet, owner_id, effect, create_wallet=True
        )

    async def set_tier(self, owner_id: str, tier: str) -> Wallet:
        """Put the owner on a plan tier; its daily pose cap applies from the next hold.

        Not a money movement, so no ledger row and no idempotency key: setting the
        tier the wallet already has changes nothing. Only configured tiers are
        accepted, so a typo cannot quietly leave an owner on the default cap."""
        check_owner(owner_id)
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
            return wallet_of(wallet)

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
        check_owner(owner_id)
        check_key(idempotency_key)
        check_reference(reference, "reference")
        check_reference(tier, "tier")
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
                used = await store.poses_on(s, owner_id, now.date())
                if cap is not None and used >= cap:
                    raise DomainError(
                        ErrorCode.DAILY_CAP_REACHED,
                        f"Daily cap of {cap} poses reached for tier {cap_tier!r} "
                        "(resets at midnight UTC)",
                        retry_after=seconds_to_midnight(now),
                    )
                usage = await self._pose_usage(s, owner_id, now.date(), cap_tier)
            if wallet.balance_micros - wallet.held_micros < amount:
                if purpose is Purpose.POSE:
                    raise DomainError(
                        ErrorCode.INSUFFICIENT_BALANCE_FOR_POSE,
                        INSUFFICIENT_BALANCE_FOR_POSE_MESSAGE,
                    )
                raise DomainError(ErrorCode.INSUFFICIENT_BALANCE, INSUFFICIENT_BALANCE_MESSAGE)
            hold = store.add_hold(
                s,
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
            if usage is not None:
                usage.poses += 1
            await s.flush()  # the hold row first: ledger entries refer to it
            await self._append(s, wallet, EntryKind.HOLD, 0, amount, hold.id, reference, now)
            return hold.id, hold_of(hold)

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
        check_key(idempotency_key)
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
            return hold.id, hold_of(hold)

        params = {"hold_id": hold_id, "amount": amount}
        return await self._mutate(
            "capture", idempotency_key, params, Hold, _HoldOf(hold_id), effect
        )

    async def release(self, hold_id: str, idempotency_key: str) -> Hold:
        """Give a hold back in full. Releasing a released or expired hold changes nothing."""
        check_key(idempotency_key)

        async def effect(s: AsyncSession, wallet: WalletRow, now: datetime) -> tuple[str, Hold]:
            hold = await self._hold_row(s, hold_id)
            if hold.status in (HoldStatus.RELEASED, HoldStatus.EXPIRED):
                return hold.id, hold_of(hold)
            if hold.status != HoldStatus.HELD:
                raise DomainError(
                    ErrorCode.CONFLICT,
                    f"hold {hold.id} is {hold.status}; refund a captured hold instead",
                )
            await self._settle_unused(s, wallet, hold, HoldStatus.RELEASED, now)
            return hold.id, hold_of(hold)

        params = {"hold_id": hold_id}
        return await self._mutate(
            "release", idempotency_key, params, Hold, _HoldOf(hold_id), effect
        )

    async def refund(self, hold_id: str, amount: Micros, idempotency_key: str) -> Hold:
        """Give back some (or, with 0, all the rest) of what a capture charged."""
        check_key(idempotency_key)
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
            return hold.id, hold_of(hold)

        params = {"hold_id": hold_id, "amount": amount}
        return await self._mutate("refund", idempotency_key, params, Hold, _HoldOf(hold_id), effect)

    # ------------------------------------------------------------------- reads

    async def get_hold(self, hold_id: str) -> Hold:
        async with self._db.transaction() as s:
            hold = await store.get_hold(s, hold_id)
            if hold is None:
                raise DomainError(ErrorCode.NOT_FOUND, f"hold {hold_id} not found")
            if not _is_due(hold, self._clock()):
                return hold_of(hold)
            owner_id = hold.owner_id
        await self._expire_owner(owner_id)
        async with self._db.transaction() as s:
            return hold_of(await self._hold_row(s, hold_id))

    async def wallet(self, owner_id: str) -> Wallet:
        """The wallet, after releasing any of its holds that have expired. Read without
        the write lock when none is due (the common case: a balance poll must not queue
        behind every hold and capture)."""
        check_owner(owner_id)
        now = self._clock()
        async with self._db.read() as s:
            found = await store.wallet_and_due(s, owner_id, now)
            if found is None:
                raise wallet_not_found(owner_id)
            row, due = found
            if not due:
                return wallet_of(row)
        async with self._db.transaction() as s:
            wallet = await self._lock_wallet(s, owner_id)
            await self._expire_due(s, wallet, self._clock())
            return wallet_of(wallet)

    async def ledger(self, owner_id: str, page: int = 1, limit: int = 20) -> LedgerPage:
        """The wallet's ledger, newest first."""
        check_owner(owner_id)
        if page < 1:
            raise DomainError(ErrorCode.VALIDATION_ERROR, "page must be 1 or more")
        if not 1 <= limit <= MAX_PAGE_LIMIT:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR, f"limit must be between 1 and {MAX_PAGE_LIMIT}"
            )
        async with self._db.sessions() as s:
            if not await store.wallet_exists(s, owner_id):
                raise wallet_not_found(owner_id)
            rows, total = await store.ledger_page(s, owner_id, (page - 1) * limit, limit)
            entries = [entry_of(row) for row in rows]
        return LedgerPage(entries=entries, page=page, limit=limit, total=total)

    async def verify(self, owner_id: str) -> Verification:
        """Re-derive the wallet from its ledger and open holds, in one snapshot."""
        check_owner(owner_id)
        async with self._db.transaction() as s:
            wallet = await self._lock_wallet(s, owner_id)
            ledger_balance, ledger_held = await store.ledger_sums(s, owner_id)
            return Verification(
                wallet_balance=wallet.balance_micros,
                ledger_balance=ledger_balance,
                wallet_held=wallet.held_micros,
                ledger_held=ledger_held,
                open_holds=await store.open_holds_total(s, owner_id),
            )

    # ------------------------------------------------------------------ expiry

    async def expire_due_holds(self, batch: int = 500) -> int:
        """Release every hold past its expiry (ledger kind ``expiry``); returns how many."""
        now = self._clock()
        async with self._db.sessions() as s:
            owners = await store.owners_with_due_holds(s, now, batch)
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
        due = await store.due_holds(s, wallet.owner_id, now)
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
        fingerprint = request_fingerprint(operation, params)
        for attempt in range(3):
            deferred: _Deferred | None = None
            try:
                async with self._db.transaction() as s:
                    if isinstance(owner, _HoldOf):
                        owner_id = await self._owner_of(s, owner.hold_id)
                    else:
                        owner_id = owner
                    if create_wallet:
                        await store.ensure_wallet(s, owner_id, self._clock())
                    wallet = await self._lock_wallet(s, owner_id)
                    record = await store.key_record(s, operation, key)
                    if record is not None:
                        if record.fingerprint != fingerprint:
                            raise DomainError(
                                ErrorCode.IDEMPOTENCY_CONFLICT,
                                f"idempotency key {key!r} was already used for a different "
                                f"{operation} request",
                            )
                        return decode_result(result_type, record.result)
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
                        store.add_key_record(
                            s,
                            operation=operation,
                            key=key,
                            owner_id=owner_id,
                            fingerprint=fingerprint,
                            result_ref=ref,
                            result=encode_result(result),
                            created_at=now,
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

    async def _lock_wallet(self, s: AsyncSession, owner_id: str) -> WalletRow:
        wallet = await store.lock_wallet(s, owner_id)
        if wallet is None:
            raise wallet_not_found(owner_id)
        return wallet

    async def _owner_of(self, s: AsyncSession, hold_id: str) -> str:
        owner_id = await store.owner_of_hold(s, hold_id)
        if owner_id is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"hold {hold_id} not found")
        return owner_id

    async def _hold_row(self, s: AsyncSession, hold_id: str) -> HoldRow:
        hold = await store.fresh_hold(s, hold_id)
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

    async def _pose_usage(
        self, s: AsyncSession, owner_id: str, day: date, tier: str
    ) -> DailyUsageRow:
        usage = await store.pose_usage(s, owner_id, day, tier)
        return usage if usage is not None else store.add_pose_usage(s, owner_id, day, tier)

    async def _uncount_pose(self, s: AsyncSession, hold: HoldRow) -> None:
        """A pose that was released, expired or fully refunded does not use the cap."""
        if hold.usage_day is None:
            return
        usage = await store.pose_usage(s, hold.owner_id, hold.usage_day, hold.tier)
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
        return store.add_entry(
            s,
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
