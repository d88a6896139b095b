"""Billing: what a wallet, a hold and a ledger entry are, and the rules that need no lookups.

The service, top-down: ``__main__`` wires it (and the hold-expiry sweeper); ``server``
maps protobuf to the types here and back; ``ledger`` runs every call (top-up, hold,
capture, release, refund, reads, expiry) in one transaction each; ``store`` holds the
tables and every query; ``events`` says it consumes and publishes nothing; ``cli`` is
the operators' command line.

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
may only take ``available = balance - held``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import MAX_OWNER_ID_LENGTH
from avatarmesh.money import Micros
from services.billing.config import DEFAULT_TIER

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


T = TypeVar("T", Wallet, Hold)


# ------------------------------------------------------------------- rules


def check_owner(owner_id: str) -> None:
    if not owner_id or len(owner_id) > MAX_OWNER_ID_LENGTH:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"owner_id must be 1 to {MAX_OWNER_ID_LENGTH} characters"
        )


def check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"idempotency_key must be 1 to {MAX_KEY_LENGTH} characters",
        )


def check_reference(value: str, name: str) -> None:
    if len(value) > MAX_REFERENCE_LENGTH:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"{name} must be at most {MAX_REFERENCE_LENGTH} characters"
        )


def wallet_not_found(owner_id: str) -> DomainError:
    return DomainError(
        ErrorCode.WALLET_NOT_FOUND, "No billing wallet exists yet (top up to initialise)"
    )


def seconds_to_midnight(now: datetime) -> int:
    midnight = datetime.combine(now.date() + timedelta(days=1), time(0), tzinfo=UTC)
    return max(1, math.ceil((midnight - now).total_seconds()))


def request_fingerprint(operation: str, params: dict[str, Any]) -> str:
    canonical = json.dumps({"operation": operation, **params}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


_DATETIME_FIELDS = ("created_at", "updated_at", "expires_at", "settled_at")


def encode_result(result: Wallet | Hold) -> str:
    data = dataclasses.asdict(result)
    for name in _DATETIME_FIELDS:
        if isinstance(data.get(name), datetime):
            data[name] = data[name].isoformat()
    return json.dumps(data, sort_keys=True)


def decode_result(result_type: type[T], text: str) -> T:
    data: dict[str, Any] = json.loads(text)
    for name in _DATETIME_FIELDS:
        if isinstance(data.get(name), str):
            data[name] = datetime.fromisoformat(data[name])
    if result_type is Hold:
        data["status"] = HoldStatus(data["status"])
        data["purpose"] = Purpose(data["purpose"])
    return result_type(**data)
