"""Holding money from another service: the one way avatar and video reserve a charge.

A hold is idempotent per reference (key ``<reference>:hold``), so a retried create
never holds twice. An owner who never topped up has no wallet; to the caller that is
a zero balance (the contract answers 402 for avatars and videos, never
WALLET_NOT_FOUND).
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
