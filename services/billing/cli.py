"""Operators' command line, talking to the running billing service over gRPC
(``AVATARMESH_BILLING_ADDR``)::

    python -m services.billing.cli topup --owner OWNER --usd 25 [--key KEY] [--note NOTE]
    python -m services.billing.cli balance --owner OWNER
    python -m services.billing.cli set-tier --owner OWNER --tier pro
    python -m services.billing.cli ledger --owner OWNER [--page 1] [--limit 20]
    python -m services.billing.cli verify --owner OWNER
    python -m services.billing.cli prices

Amounts print in dollars, as JSON. ``topup`` without ``--key`` makes a fresh key and
prints it: run the command again with that key to retry without paying twice.
``set-tier`` puts a wallet on a plan tier (one of ``AVATARMESH_BILLING_DAILY_POSE_CAPS``'s
names, or "default"), which decides its daily pose cap.
``verify`` exits 1 when the wallet and its ledger disagree.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from avatarmesh.errors import DomainError
from avatarmesh.grpc_client import channel
from avatarmesh.money import to_usd, usd
from avatarmesh.settings import Settings, load_settings
from avatarmesh.v1 import billing_pb2 as pb
from avatarmesh.v1 import billing_pb2_grpc as pb_grpc


def _dollars(text: str) -> Decimal:
    try:
        amount = Decimal(text)
        usd(amount)
    except (InvalidOperation, ValueError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a dollar amount") from None
    if amount <= 0:
        raise argparse.ArgumentTypeError("the amount must be positive")
    return amount


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m services.billing.cli",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--addr", default=None, help="billing service address (host:port)")
    commands = parser.add_subparsers(dest="command", required=True)
    top_up = commands.add_parser("topup", help="add money to a wallet (creates it)")
    top_up.add_argument("--owner", required=True)
    top_up.add_argument("--usd", required=True, type=_dollars, help="dollars, e.g. 25 or 0.5")
    top_up.add_argument("--key", default=None, help="idempotency key (retry-safe)")
    top_up.add_argument("--note", default="", help="kept on the ledger entry")
    for name, text in (("balance", "the wallet"), ("verify", "check the ledger")):
        commands.add_parser(name, help=text).add_argument("--owner", required=True)
    set_tier = commands.add_parser("set-tier", help="the wallet's plan tier (its daily pose cap)")
    set_tier.add_argument("--owner", required=True)
    set_tier.add_argument("--tier", required=True, help='e.g. "default", "free" or "pro"')
    ledger = commands.add_parser("ledger", help="ledger entries, newest first")
    ledger.add_argument("--owner", required=True)
    ledger.add_argument("--page", type=int, default=1)
    ledger.add_argument("--limit", type=int, default=20)
    commands.add_parser("prices", help="the price book")
    return parser


def _wallet(wallet: pb.Wallet) -> dict[str, Any]:
    return {
        "owner_id": wallet.owner_id,
        "balance_usd": to_usd(wallet.balance_micros),
        "held_usd": to_usd(wallet.held_micros),
        "available_usd": to_usd(wallet.available_micros),
        "tier": wallet.tier,
    }


async def _run(args: argparse.Namespace, addr: str) -> tuple[dict[str, Any], int]:
    async with channel(addr) as ch:
        stub = pb_grpc.BillingServiceStub(ch)
        if args.command == "topup":
            key = args.key or f"cli-top-up:{uuid.uuid4()}"
            wallet = await stub.TopUp(
                pb.TopUpRequest(
                    owner_id=args.owner,
                    amount_micros=usd(args.usd),
                    idempotency_key=key,
                    note=args.note,
                ),
                timeout=10,
            )
            return {**_wallet(wallet), "idempotency_key": key}, 0
        if args.command == "balance":
            reply = await stub.GetWallet(pb.GetWalletRequest(owner_id=args.owner), timeout=10)
            return _wallet(reply), 0
        if args.command == "set-tier":
            reply = await stub.SetWalletTier(
                pb.SetWalletTierRequest(owner_id=args.owner, tier=args.tier), timeout=10
            )
            return _wallet(reply), 0
        if args.command == "ledger":
            page = await stub.ListLedger(
                pb.ListLedgerRequest(owner_id=args.owner, page=args.page, limit=args.limit),
                timeout=10,
            )
            entries = [
                {
                    "id": e.id,
                    "kind": pb.LedgerKind.Name(e.kind).removeprefix("LEDGER_KIND_").lower(),
                    "balance_delta_usd": to_usd(e.balance_delta_micros),
                    "held_delta_usd": to_usd(e.held_delta_micros),
                    "hold_id": e.hold_id or None,
                    "reference": e.reference or None,
                    "created_at": e.created_at.ToJsonString(),
                }
                for e in page.entries
            ]
            return {"data": entries, "page": page.page, "limit": page.limit, "total": page.total}, 0
        if args.command == "verify":
            check = await stub.VerifyLedger(pb.VerifyLedgerRequest(owner_id=args.owner), timeout=10)
            return {
                "consistent": check.consistent,
                "wallet_balance_usd": to_usd(check.wallet_balance_micros),
                "ledger_balance_usd": to_usd(check.ledger_balance_micros),
                "wallet_held_usd": to_usd(check.wallet_held_micros),
                "ledger_held_usd": to_usd(check.ledger_held_micros),
            }, 0 if check.consistent else 1
        prices = await stub.GetPriceBook(pb.GetPriceBookRequest(), timeout=10)
        return {
            "avatar_creation_usd": to_usd(prices.avatar_creation_micros),
            "pose_usd": to_usd(prices.pose_micros),
            "video_avatar_usd_per_second": to_usd(prices.video_avatar_micros_per_second),
            "video_avatar_pro_usd_per_second": to_usd(prices.video_avatar_pro_micros_per_second),
        }, 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    addr = args.addr or load_settings(Settings).billing_addr
    try:
        result, status = asyncio.run(_run(args, addr))
    except DomainError as exc:
        print(
            json.dumps({"error": {"code": exc.code.name, "message": exc.message}}), file=sys.stderr
        )
        return 2
    print(json.dumps(result, indent=2))
    return status


if __name__ == "__main__":
    sys.exit(main())
