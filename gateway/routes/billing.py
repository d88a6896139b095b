"""Billing over REST: a user's own balance and ledger; operators' top-ups and plan tiers.

Amounts are dollars in JSON (exact to the micro-dollar) and int64 micro-dollars on
the wire to the billing service. The top-up and tier routes are guarded by the admin
key, never by a user's API key.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.money import to_usd, usd
from avatarmesh.v1 import billing_pb2 as pb
from gateway.bodies import PageLimit, PageNumber, RequestBody
from gateway.deps import AdminCaller, Clients, Owner
from gateway.errors import ERROR_RESPONSES
from gateway.readcache import mark_cacheable

# Full paths: the user routes live under /api/v1 (API key, feature flag, rate limit),
# the operators' top-up under /admin/v1 (admin key).
router = APIRouter(tags=["billing"], responses=ERROR_RESPONSES)


class Balance(BaseModel):
    balance_usd: float = Field(description="Money in the wallet, open holds included")
    held_usd: float = Field(description="Authorised for jobs in progress")
    available_usd: float = Field(description="What new work may use: balance - held")
    currency: Literal["USD"] = "USD"
    tier: str = Field(description='Plan tier: which daily pose cap applies ("default")')


class WalletOut(Balance):
    owner_id: str


class LedgerEntryOut(BaseModel):
    id: str
    kind: str = Field(description="top_up, hold, capture, release, refund or expiry")
    balance_delta_usd: float = Field(description="Effect on the balance (capture -, refund +)")
    held_delta_usd: float = Field(description="Effect on the held amount (hold +)")
    hold_id: str | None
    reference: str | None
    created_at: datetime


class LedgerPage(BaseModel):
    data: list[LedgerEntryOut]
    page: int
    limit: int
    total: int


# The billing service enforces its own (configurable) ceiling; this one only keeps the
# amount inside the int64 micro-dollars it travels in.
MAX_TOP_UP_USD = Decimal(10**12)


class TopUp(RequestBody):
    amount_usd: Decimal = Field(
        gt=0, le=MAX_TOP_UP_USD, description="Dollars to add, e.g. 25 or 0.5"
    )
    idempotency_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=256,
        description="Repeat a top-up safely: the same key adds the money once",
    )
    note: str | None = Field(default=None, max_length=256)


class WalletTier(RequestBody):
    # Which names exist is the billing service's configuration; it refuses the others.
    tier: str = Field(
        min_length=1, max_length=64, description='A configured tier, e.g. "default", "pro"'
    )


@router.get("/api/v1/billing/balance", summary="The caller's wallet balance")
async def get_balance(request: Request, owner: Owner, clients: Clients) -> Balance:
    wallet = await clients.billing.GetWallet(pb.GetWalletRequest(owner_id=owner))
    if wallet.held_micros == 0:
        # No hold that could expire unseen: it changes only by a write through the
        # gateway or a settled avatar or video (their events).
        mark_cacheable(request)
    return Balance(
        balance_usd=to_usd(wallet.balance_micros),
        held_usd=to_usd(wallet.held_micros),
        available_usd=to_usd(wallet.available_micros),
        tier=wallet.tier,
    )


@router.get("/api/v1/billing/ledger", summary="The caller's ledger, newest first")
async def get_ledger(
    owner: Owner,
    clients: Clients,
    page: PageNumber = 1,
    limit: PageLimit = 20,
) -> LedgerPage:
    reply = await clients.billing.ListLedger(
        pb.ListLedgerRequest(owner_id=owner, page=page, limit=limit)
    )
    return LedgerPage(
        data=[_entry(e) for e in reply.entries],
        page=reply.page,
        limit=reply.limit,
        total=reply.total,
    )


@router.post(
    "/admin/v1/wallets/{owner_id}/top-ups",
    status_code=status.HTTP_201_CREATED,
    summary="Add money to an owner's wallet (creates it on the first top-up)",
)
async def top_up(owner_id: str, body: TopUp, _admin: AdminCaller, clients: Clients) -> WalletOut:
    try:
        amount = usd(body.amount_usd)
    except ValueError:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, "amount_usd: at most 6 decimal places"
        ) from None
    wallet = await clients.billing.TopUp(
        pb.TopUpRequest(
            owner_id=owner_id,
            amount_micros=amount,
            idempotency_key=body.idempotency_key or f"admin-top-up:{uuid.uuid4()}",
            note=body.note or "",
        )
    )
    return _wallet_out(wallet)


@router.put(
    "/admin/v1/wallets/{owner_id}/tier",
    summary="Put an owner's wallet on a plan tier (its daily pose cap)",
)
async def set_tier(
    owner_id: str, body: WalletTier, _admin: AdminCaller, clients: Clients
) -> WalletOut:
    wallet = await clients.billing.SetWalletTier(
        pb.SetWalletTierRequest(owner_id=owner_id, tier=body.tier)
    )
    return _wallet_out(wallet)


def _wallet_out(wallet: pb.Wallet) -> WalletOut:
    return WalletOut(
        owner_id=wallet.owner_id,
        balance_usd=to_usd(wallet.balance_micros),
        held_usd=to_usd(wallet.held_micros),
        available_usd=to_usd(wallet.available_micros),
        tier=wallet.tier,
    )


_KIND_PREFIX = "LEDGER_KIND_"


def _entry(entry: pb.LedgerEntry) -> LedgerEntryOut:
    return LedgerEntryOut(
        id=entry.id,
        kind=pb.LedgerKind.Name(entry.kind).removeprefix(_KIND_PREFIX).lower(),
        balance_delta_usd=to_usd(entry.balance_delta_micros),
        held_delta_usd=to_usd(entry.held_delta_micros),
        hold_id=entry.hold_id or None,
        reference=entry.reference or None,
        created_at=entry.created_at.ToDatetime(tzinfo=UTC),
    )
