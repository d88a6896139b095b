"""The BillingService gRPC servicer: protobuf in, ``Ledger`` call, protobuf out.

No rules live here; DomainErrors raised by the ledger travel to the caller through
the platform interceptor with their documented codes.
"""

from __future__ import annotations

from typing import TypeAlias

import grpc

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.service import Servicer
from avatarmesh.v1 import billing_pb2 as pb
from avatarmesh.v1 import billing_pb2_grpc as pb_grpc
from services.billing.config import PriceBook
from services.billing.ledger import Ledger
from services.billing.logic import EntryKind, Hold, HoldStatus, LedgerEntry, Purpose, Wallet

Context: TypeAlias = grpc.aio.ServicerContext

_PURPOSES = {
    pb.CHARGE_PURPOSE_AVATAR_CREATION: Purpose.AVATAR_CREATION,
    pb.CHARGE_PURPOSE_POSE: Purpose.POSE,
    pb.CHARGE_PURPOSE_VIDEO: Purpose.VIDEO,
}
_PURPOSE_TO_PB = {purpose: value for value, purpose in _PURPOSES.items()}
_STATUS_TO_PB = {
    HoldStatus.HELD: pb.HOLD_STATUS_HELD,
    HoldStatus.CAPTURED: pb.HOLD_STATUS_CAPTURED,
    HoldStatus.RELEASED: pb.HOLD_STATUS_RELEASED,
    HoldStatus.EXPIRED: pb.HOLD_STATUS_EXPIRED,
    HoldStatus.REFUNDED: pb.HOLD_STATUS_REFUNDED,
}
_KIND_TO_PB = {
    EntryKind.TOP_UP: pb.LEDGER_KIND_TOP_UP,
    EntryKind.HOLD: pb.LEDGER_KIND_HOLD,
    EntryKind.CAPTURE: pb.LEDGER_KIND_CAPTURE,
    EntryKind.RELEASE: pb.LEDGER_KIND_RELEASE,
    EntryKind.REFUND: pb.LEDGER_KIND_REFUND,
    EntryKind.EXPIRY: pb.LEDGER_KIND_EXPIRY,
}


class BillingServicer(pb_grpc.BillingServiceServicer):
    def __init__(self, ledger: Ledger, prices: PriceBook) -> None:
        self.ledger = ledger
        self.prices = prices

    async def TopUp(self, request: pb.TopUpRequest, context: Context) -> pb.Wallet:
        wallet = await self.ledger.top_up(
            request.owner_id, request.amount_micros, request.idempotency_key, request.note
        )
        return wallet_pb(wallet)

    async def GetWallet(self, request: pb.GetWalletRequest, context: Context) -> pb.Wallet:
        return wallet_pb(await self.ledger.wallet(request.owner_id))

    async def SetWalletTier(self, request: pb.SetWalletTierRequest, context: Context) -> pb.Wallet:
        return wallet_pb(await self.ledger.set_tier(request.owner_id, request.tier))

    async def ListLedger(
        self, request: pb.ListLedgerRequest, context: Context
    ) -> pb.ListLedgerResponse:
        page = await self.ledger.ledger(request.owner_id, request.page or 1, request.limit or 20)
        return pb.ListLedgerResponse(
            entries=[entry_pb(e) for e in page.entries],
            page=page.page,
            limit=page.limit,
            total=page.total,
        )

    async def Hold(self, request: pb.HoldRequest, context: Context) -> pb.HoldRecord:
        purpose = _PURPOSES.get(request.purpose)
        if purpose is None:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR, "purpose is required (AVATAR_CREATION, POSE or VIDEO)"
            )
        hold = await self.ledger.hold(
            request.owner_id,
            request.amount_micros,
            request.idempotency_key,
            purpose,
            reference=request.reference,
            ttl_seconds=request.ttl_seconds,
            tier=request.tier,
        )
        return hold_pb(hold)

    async def Capture(self, request: pb.CaptureRequest, context: Context) -> pb.HoldRecord:
        hold = await self.ledger.capture(
            request.hold_id, request.amount_micros, request.idempotency_key
        )
        return hold_pb(hold)

    async def Release(self, request: pb.ReleaseRequest, context: Context) -> pb.HoldRecord:
        return hold_pb(await self.ledger.release(request.hold_id, request.idempotency_key))

    async def Refund(self, request: pb.RefundRequest, context: Context) -> pb.HoldRecord:
        hold = await self.ledger.refund(
            request.hold_id, request.amount_micros, request.idempotency_key
        )
        return hold_pb(hold)

    async def GetHold(self, request: pb.GetHoldRequest, context: Context) -> pb.HoldRecord:
        return hold_pb(await self.ledger.get_hold(request.hold_id))

    async def GetPriceBook(self, request: pb.GetPriceBookRequest, context: Context) -> pb.PriceBook:
        return pb.PriceBook(
            avatar_creation_micros=self.prices.avatar_creation,
            pose_micros=self.prices.pose,
            video_avatar_micros_per_second=self.prices.video_avatar_per_second,
            video_avatar_pro_micros_per_second=self.prices.video_avatar_pro_per_second,
        )

    async def VerifyLedger(
        self, request: pb.VerifyLedgerRequest, context: Context
    ) -> pb.VerifyLedgerResponse:
        check = await self.ledger.verify(request.owner_id)
        return pb.VerifyLedgerResponse(
            consistent=check.consistent,
            wallet_balance_micros=check.wallet_balance,
            ledger_balance_micros=check.ledger_balance,
            wallet_held_micros=check.wallet_held,
            ledger_held_micros=check.ledger_held,
        )


def servicer(ledger: Ledger, prices: PriceBook) -> Servicer:
    impl = BillingServicer(ledger, prices)
    return Servicer(
        full_name=pb.DESCRIPTOR.services_by_name["BillingService"].full_name,
        register=lambda server: pb_grpc.add_BillingServiceServicer_to_server(impl, server),
    )


def wallet_pb(wallet: Wallet) -> pb.Wallet:
    return pb.Wallet(
        owner_id=wallet.owner_id,
        balance_micros=wallet.balance,
        held_micros=wallet.held,
        available_micros=wallet.available,
        created_at=wallet.created_at,
        updated_at=wallet.updated_at,
        tier=wallet.tier,
    )


def hold_pb(hold: Hold) -> pb.HoldRecord:
    record = pb.HoldRecord(
        id=hold.id,
        owner_id=hold.owner_id,
        status=_STATUS_TO_PB[hold.status],
        purpose=_PURPOSE_TO_PB[hold.purpose],
        amount_micros=hold.amount,
        captured_micros=hold.captured,
        refunded_micros=hold.refunded,
        reference=hold.reference,
        expires_at=hold.expires_at,
        created_at=hold.created_at,
    )
    if hold.settled_at is not None:
        record.settled_at.FromDatetime(hold.settled_at)
    return record


def entry_pb(entry: LedgerEntry) -> pb.LedgerEntry:
    return pb.LedgerEntry(
        id=entry.id,
        owner_id=entry.owner_id,
        kind=_KIND_TO_PB[entry.kind],
        balance_delta_micros=entry.balance_delta,
        held_delta_micros=entry.held_delta,
        hold_id=entry.hold_id or "",
        reference=entry.reference,
        created_at=entry.created_at,
    )
