"""Holding, capturing and releasing money from another service: the one spelling of
the idempotency keys avatar, pose and video use.

A hold is idempotent per reference (key ``<reference>:hold``), so a retried create
never holds twice; its capture and release are keyed ``<reference>:capture`` and
``<reference>:release``, so a redelivered settlement never moves money twice. An
owner who never topped up has no wallet; to the caller that is a zero balance (the
contract answers 402 for avatars and videos, never WALLET_NOT_FOUND).
"""

from __future__ import annotations

from typing import Any, Protocol

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.money import Micros
from avatarmesh.v1 import billing_pb2

INSUFFICIENT_BALANCE_MESSAGE = "Insufficient balance. Please top up your account."


class HoldsMoney(Protocol):
    async def Hold(
        self, request: billing_pb2.HoldRequest, **kwargs: Any
    ) -> billing_pb2.HoldRecord: ...


class CapturesMoney(Protocol):
    async def Capture(
        self, request: billing_pb2.CaptureRequest, **kwargs: Any
    ) -> billing_pb2.HoldRecord: ...


class ReleasesMoney(Protocol):
    async def Release(
        self, request: billing_pb2.ReleaseRequest, **kwargs: Any
    ) -> billing_pb2.HoldRecord: ...


async def hold_money(
    billing: HoldsMoney,
    *,
    owner_id: str,
    amount_micros: Micros,
    purpose: billing_pb2.ChargePurpose,
    reference: str,
    ttl_seconds: int,
) -> billing_pb2.HoldRecord:
    """Hold ``amount_micros`` for ``reference``; no wallet reads as too little money."""
    try:
        return await billing.Hold(
            billing_pb2.HoldRequest(
                owner_id=owner_id,
                amount_micros=amount_micros,
                idempotency_key=f"{reference}:hold",
                purpose=purpose,
                reference=reference,
                ttl_seconds=ttl_seconds,
            )
        )
    except DomainError as exc:
        if exc.code is ErrorCode.WALLET_NOT_FOUND:
            raise DomainError(
                ErrorCode.INSUFFICIENT_BALANCE, INSUFFICIENT_BALANCE_MESSAGE
            ) from None
        raise


async def capture_hold(
    billing: CapturesMoney, hold_id: str, amount_micros: Micros, reference: str
) -> billing_pb2.HoldRecord:
    """Charge ``amount_micros`` of the hold taken for ``reference`` (the rest is released)."""
    return await billing.Capture(
        billing_pb2.CaptureRequest(
            hold_id=hold_id, amount_micros=amount_micros, idempotency_key=f"{reference}:capture"
        )
    )


async def release_hold(
    billing: ReleasesMoney, hold_id: str, reference: str
) -> billing_pb2.HoldRecord:
    """Give back the whole hold taken for ``reference``."""
    return await billing.Release(
        billing_pb2.ReleaseRequest(hold_id=hold_id, idempotency_key=f"{reference}:release")
    )
