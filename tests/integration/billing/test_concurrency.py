"""Concurrent calls through the real gRPC service, on SQLite and on PostgreSQL: the
wallet never goes below zero, a key never charges twice, a hold is captured once."""

from __future__ import annotations

import asyncio

import pytest

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.money import usd
from avatarmesh.v1 import billing_pb2 as pb
from avatarmesh.v1 import billing_pb2_grpc

pytestmark = pytest.mark.integration

Stub = billing_pb2_grpc.BillingServiceStub
OWNER = "own_concurrent"


async def hold(stub: Stub, key: str, dollars: str = "1") -> pb.HoldRecord:
    reply: pb.HoldRecord = await stub.Hold(
        pb.HoldRequest(
            owner_id=OWNER,
            amount_micros=usd(dollars),
            idempotency_key=key,
            purpose=pb.CHARGE_PURPOSE_VIDEO,
            reference=key.split(":")[0],
        )
    )
    return reply


async def assert_consistent(stub: Stub) -> None:
    check = await stub.VerifyLedger(pb.VerifyLedgerRequest(owner_id=OWNER))
    assert check.consistent, check


async def test_fifty_concurrent_one_dollar_holds_on_ten_dollars_exactly_ten_succeed(
    billing: Stub,
) -> None:
    await billing.TopUp(
        pb.TopUpRequest(owner_id=OWNER, amount_micros=usd(10), idempotency_key="fund")
    )
    results = await asyncio.gather(
        *(hold(billing, f"vg_{i}:hold") for i in range(50)), return_exceptions=True
    )
    held = [r for r in results if isinstance(r, pb.HoldRecord)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(held) == 10, results
    assert len(refused) == 40
    assert {e.code for e in refused} == {ErrorCode.INSUFFICIENT_BALANCE}
    wallet = await billing.GetWallet(pb.GetWalletRequest(owner_id=OWNER))
    assert (wallet.balance_micros, wallet.held_micros, wallet.available_micros) == (
        usd(10),
        usd(10),
        0,
    )
    await assert_consistent(billing)


async def test_concurrent_redeliveries_of_one_hold_key_hold_once(billing: Stub) -> None:
    await billing.TopUp(
        pb.TopUpRequest(owner_id=OWNER, amount_micros=usd(10), idempotency_key="fund")
    )
    replies = await asyncio.gather(*(hold(billing, "vg_same:hold") for _ in range(20)))
    assert len({r.id for r in replies}) == 1
    wallet = await billing.GetWallet(pb.GetWalletRequest(owner_id=OWNER))
    assert wallet.held_micros == usd(1)
    await assert_consistent(billing)


async def test_concurrent_captures_of_one_hold_charge_once(billing: Stub) -> None:
    await billing.TopUp(
        pb.TopUpRequest(owner_id=OWNER, amount_micros=usd(10), idempotency_key="fund")
    )
    record = await hold(billing, "vg_cap:hold", "2")
    results = await asyncio.gather(
        *(
            billing.Capture(
                pb.CaptureRequest(
                    hold_id=record.id, amount_micros=usd("1.5"), idempotency_key=f"cap:{i}"
                )
            )
            for i in range(10)
        ),
        return_exceptions=True,
    )
    captured = [r for r in results if isinstance(r, pb.HoldRecord)]
    assert len(captured) == 1, results
    assert {r.code for r in results if isinstance(r, DomainError)} == {ErrorCode.CONFLICT}
    wallet = await billing.GetWallet(pb.GetWalletRequest(owner_id=OWNER))
    assert (wallet.balance_micros, wallet.held_micros) == (usd("8.5"), 0)
    await assert_consistent(billing)


async def test_concurrent_first_top_ups_create_one_wallet(billing: Stub) -> None:
    await asyncio.gather(
        *(
            billing.TopUp(
                pb.TopUpRequest(owner_id=OWNER, amount_micros=usd(1), idempotency_key=f"t{i}")
            )
            for i in range(10)
        )
    )
    wallet = await billing.GetWallet(pb.GetWalletRequest(owner_id=OWNER))
    assert wallet.balance_micros == usd(10)
    await assert_consistent(billing)
