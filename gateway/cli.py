"""Operators' command line for API keys, working directly on the gateway's database
(the same store functions as the admin route)::

    python -m gateway.cli keys create --owner OWNER [--name NAME] [--key SECRET]
    python -m gateway.cli keys revoke KEY_ID
    python -m gateway.cli keys list [--owner OWNER]

``create`` prints the new key (JSON, with the secret: it is shown only once).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from avatarmesh.db import Database, run_sync
from avatarmesh.errors import DomainError
from avatarmesh.settings import load_settings
from gateway import store
from gateway.settings import GatewaySettings

T = TypeVar("T")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gateway.cli", description=__doc__)
    groups = parser.add_subparsers(dest="group", required=True)
    keys = groups.add_parser("keys", help="manage API keys").add_subparsers(
        dest="action", required=True
    )
    create = keys.add_parser("create", help="create a key for an owner and print it")
    create.add_argument("--owner", required=True, help="owner id the key acts for")
    create.add_argument("--name", default=None, help="label for operators")
    create.add_argument(
        "--key", default=None, help="use this secret instead of a generated one (dev keys)"
    )
    revoke = keys.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("key_id")
    listing = keys.add_parser("list", help="list keys (never their secrets)")
    listing.add_argument("--owner", default=None)
    return parser


def _key_json(key: store.ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "owner_id": key.owner_id,
        "name": key.name,
        "prefix": key.prefix,
        "created_at": key.created_at.isoformat(),
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


async def _with_db(settings: GatewaySettings, work: Callable[[Database], Awaitable[T]]) -> T:
    db = Database(settings.database_url_for("gateway"))
    try:
        await db.migrate(store.MIGRATIONS)
        return await work(db)
    finally:
        await db.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = load_settings(GatewaySettings)
    try:
        if args.action == "create":
            if settings.admin_key and args.key == settings.admin_key:
                print("error: an API key cannot be the admin key", file=sys.stderr)
                return 2

            async def create(db: Database) -> store.IssuedKey:
                return await store.create_key(db, args.owner, name=args.name, secret=args.key)

            issued = run_sync(_with_db(settings, create))
            print(json.dumps({**_key_json(issued.key), "key": issued.secret}))
        elif args.action == "revoke":

            async def revoke(db: Database) -> store.ApiKey:
                return await store.revoke_key(db, args.key_id)

            print(json.dumps(_key_json(run_sync(_with_db(settings, revoke)))))
        else:

            async def listing(db: Database) -> list[store.ApiKey]:
                return await store.list_keys(db, args.owner)

            for key in run_sync(_with_db(settings, listing)):
                print(json.dumps(_key_json(key)))
    except DomainError as exc:
        print(f"error: {exc.code.name}: {exc.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
