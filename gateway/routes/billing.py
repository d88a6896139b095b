"""Billing over REST: a user's own balance and ledger; operators' top-ups and plan tiers.

Amounts are dollars in JSON (exact to the micro-dollar) and int64 micro-dollars on
the wire to the billing service. The top-up and tier routes are guarded by the admin
key, never by a user's API key.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Path, Request, status
from pydantic import BaseModel, ConfigDict, Field

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import MAX_OWNER_ID_LENGTH
from avatarmesh.money import to_usd, usd
from avatarmesh.v1 import billing_pb2 as pb
from gateway.bodies import PageLimit, PageNumber, RequestBody
from gateway.deps import AdminCaller, Clients, Owner
from gateway.errors import ERROR_RESPONSES
from gateway.readcache import mark_cacheable
from gateway.schema import ADMIN_CODES, API_CODES, BODY_CODES, NO_NUL, errors

# Full paths: the user routes live under /api/v1 (API key, feature flag, rate limit),
# the operators' top-up under /admin/v1 (admin key).
router = APIRouter(tags=["billing"], responses=ERROR_RESPONSES)


OwnerId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=MAX_OWNER_ID_LENGTH,
        pattern=NO_NUL,
        description="The owner (the owner_id of their API keys)",
    ),
]


class Balance(BaseModel):
    balance_usd: float = Field(description="Money in the wallet, open holds included")
    held_usd: float = Field(description="Authorised for jobs in progress")
    available_usd: float = Field(description="What new work may use: balance - held")
    currency: Literal["USD"] = "USD"
    tier: str = Field(description='Plan tier: which daily pose cap applies ("default")')


class WalletOut(Balance):
    owner_id: str


LedgerKind = Literal["top_up", "hold", "capture", "release", "refund", "expiry"]


class LedgerEntryOut(BaseModel):
    id: str
    kind: LedgerKind
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


def amount_pattern(ceiling: Decimal) -> str:
    """The decimal strings in (0, ceiling] with at most 6 decimals, as a regex (exact for
    a ceiling that is a power of ten, as the default 100000 is; else bounded by digits)."""
    digits = len(str(int(ceiling)))
    whole = digits - 1 if ceiling == 10 ** (digits - 1) else digits
    fraction = "|".join(f"0{{{n}}}[1-9]\\d{{0,{5 - n}}}" for n in range(6))
    top = f"|0*{int(ceiling)}(\\.0{{1,6}})?" if whole < digits else ""
    return rf"^(0*[1-9]\d{{0,{whole - 1}}}(\.\d{{1,6}})?|0*\.({fraction}){top})$"


def _json_amount(schema: dict[str, Any]) -> None:
    """A JSON number or a decimal string (exact); gateway.app sets the ceiling's bounds."""
    schema.pop("pattern", None)
    schema.pop("exclusiveMinimum", None)
    schema.pop("maximum", None)
    schema["anyOf"] = [
        {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.000001},
        {"type": "string", "pattern": amount_pattern(MAX_TOP_UP_USD)},
    ]


class TopUp(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"amount_usd": 25, "idempotency_key": "invoice-1042"}]}
    )

    amount_usd: Decimal = Field(
        gt=0,
        le=MAX_TOP_UP_USD,
        decimal_places=6,
        description='Dollars to add: a number (25, 0.5) or a decimal string ("0.01"), whole '
        "micro-dollars, at most the deployment's single top-up ceiling "
        "(AVATARMESH_BILLING_MAX_TOP_UP_USD)",
        json_schema_extra=_json_amount,
    )
    idempotency_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=256,
        pattern=NO_NUL,
        description="Repeat a top-up safely: the same key adds the money once",
    )
    note: str | None = Field(default=None, max_length=256, pattern=NO_NUL)


class WalletTier(RequestBody):
    # Which names exist is the billing service's configuration; it refuses the others.
    tier: str = Field(
        min_length=1,
        max_length=64,
        description="A configured plan tier (AVATARMESH_BILLING_DAILY_POSE_CAPS' names)",
    )


@router.get(
    "/api/v1/billing/balance",
    summary="The caller's wallet balance",
    responses=errors(API_CODES, ErrorCode.WALLET_NOT_FOUND),
)
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


@router.get(
    "/api/v1/billing/ledger",
    summary="The caller's ledger, newest first",
    responses=errors(API_CODES, ErrorCode.VALIDATION_ERROR),
)
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
    responses=errors(BODY_CODES, ADMIN_CODES, ErrorCode.IDEMPOTENCY_CONFLICT),
)
async def top_up(
    owner_id: OwnerId, body: TopUp, _admin: AdminCaller, clients: Clients
) -> WalletOut:
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
    responses=errors(BODY_CODES, ADMIN_CODES, ErrorCode.WALLET_NOT_FOUND),
)
async def set_tier(
    owner_id: OwnerId, body: WalletTier, _admin: AdminCaller, clients: Clients
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
        kind=cast(LedgerKind, pb.LedgerKind.Name(entry.kind).removeprefix(_KIND_PREFIX).lower()),
        balance_delta_usd=to_usd(entry.balance_delta_micros),
        held_delta_usd=to_usd(entry.held_delta_micros),
        hold_id=entry.hold_id or None,
        reference=entry.reference or None,
        created_at=entry.created_at.ToDatetime(tzinfo=UTC),
    )
