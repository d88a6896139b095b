"""The running service's sweeper releases a hold past its TTL on its own (ledger kind
EXPIRY), with no call touching the wallet; a capture afterwards is CONFLICT."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.money import usd
from avatarmesh.v1 import billing_pb2 as pb
from tests.integration.billing.support import billing_service, billing_settings

pytestmark = pytest.mark.integration


async def test_sweeper_expires_an_unsettled_hold_and_capture_then_conflicts(
    database_url: str, tmp_path: Path
) -> None:
    settings = billing_settings(database_url, tmp_path, billing_sweep_interval_seconds=0.2)
    async with billing_service(settings) as (stub, _port):
        await stub.TopUp(
            pb.TopUpRequest(owner_id="own_x", amount_micros=usd(5), idempotency_key="f")
        )
        record = await stub.Hold(
            pb.HoldRequest(
                owner_id="own_x",
                amount_micros=usd(2),
                idempotency_key="vg_1:hold",
                purpose=pb.CHARGE_PURPOSE_VIDEO,
                ttl_seconds=1,
            )
        )
        kinds: list[int] = []
        for _ in range(50):  # ListLedger only reads: only the sweeper can write EXPIRY
            await asyncio.sleep(0.1)
            page = await stub.ListLedger(pb.ListLedgerRequest(owner_id="own_x"))
            kinds = [e.kind for e in page.entries]
            if pb.LEDGER_KIND_EXPIRY in kinds:
                break
        assert kinds[0] == pb.LEDGER_KIND_EXPIRY, kinds
        with pytest.raises(DomainError) as err:
            await stub.Capture(
                pb.CaptureRequest(hold_id=record.id, amount_micros=usd(1), idempotency_key="c")
            )
        assert err.value.code is ErrorCode.CONFLICT
        wallet = await stub.GetWallet(pb.GetWalletRequest(owner_id="own_x"))
        assert (wallet.balance_micros, wallet.held_micros) == (usd(5), 0)
