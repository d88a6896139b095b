"""The ``idempotency_keys`` table: one row per (owner, key), shared by every gateway
process through the gateway's database, so a retry landing on another worker (or
another replica) sees the first request.

A row is ``running`` while the first request executes (held by a lease, so a gateway
that died mid-request does not block the key forever) and ``done`` once its answer is
stored. Rows older than the retention (24 h) count as absent and are purged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, Integer, LargeBinary, String, Table, Text, delete, select
from sqlalchemy import update as sql_update

from avatarmesh.clock import utcnow
from avatarmesh.db import Database, UtcDateTime, insert_ignoring_conflict
from avatarmesh.ids import MAX_OWNER_ID_LENGTH
from gateway.store import metadata

MAX_KEY_LENGTH = 255

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("owner_id", String(MAX_OWNER_ID_LENGTH), primary_key=True),
    Column("key", String(MAX_KEY_LENGTH), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("method", String(8), nullable=False),
    Column("path", Text(), nullable=False),
    Column("state", String(8), nullable=False),
    Column("lease_token", String(32), nullable=True),
    Column("locked_until", UtcDateTime(), nullable=True),
    Column("status_code", Integer(), nullable=True),
    Column("content_type", String(200), nullable=True),
    Column("headers", Text(), nullable=True),
    Column("body", LargeBinary(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_idempotency_keys_created_at", "created_at"),
)


class KeyState(StrEnum):
    RUNNING = "running"
    DONE = "done"


@dataclass(frozen=True)
class Stored:
    """A finished first answer, replayed to every repeat."""

    status_code: int
    content_type: str | None
    headers: str | None
    body: bytes


@dataclass(frozen=True)
class Claim:
    """What a request with a key may do: ``run`` it (holding ``token``), ``replay`` a
    stored answer, wait because the first is still ``running``, or refuse a ``reused``
    key (another body)."""

    kind: str  # "run" | "replay" | "running" | "reused"
    token: str = ""
    stored: Stored | None = None


async def claim(
    db: Database,
    owner_id: str,
    key: str,
    fingerprint: str,
    method: str,
    path: str,
    *,
    token: str,
    lease: timedelta,
    retention: timedelta,
) -> Claim:
    """Take the key for this request, or say why not (one transaction)."""
    now = utcnow()
    k = idempotency_keys.c
    async with db.transaction() as session:
        row = (
            await session.execute(
                select(idempotency_keys).where(k.owner_id == owner_id, k.key == key)
            )
        ).first()
        if row is not None and row.created_at <= now - retention:
            await session.execute(
                delete(idempotency_keys).where(k.owner_id == owner_id, k.key == key)
            )
            row = None
        if row is None:
            inserted = await insert_ignoring_conflict(
                session,
                idempotency_keys,
                {
                    "owner_id": owner_id,
                    "key": key,
                    "fingerprint": fingerprint,
                    "method": method,
                    "path": path,
                    "state": KeyState.RUNNING,
                    "lease_token": token,
                    "locked_until": now + lease,
                    "created_at": now,
                },
            )
            # Lost a race with another process: the caller asks again.
            return Claim("run", token) if inserted else Claim("running")
        return await _existing(session, row, fingerprint, token, now, lease)


async def _existing(
    session: Any, row: Any, fingerprint: str, token: str, now: datetime, lease: timedelta
) -> Claim:
    if row.fingerprint != fingerprint:
        return Claim("reused")
    if row.state == KeyState.DONE:
        stored = Stored(row.status_code, row.content_type, row.headers, bytes(row.body or b""))
        return Claim("replay", stored=stored)
    if row.locked_until is not None and row.locked_until > now:
        return Claim("running")
    # The process running the first request died: this retry takes over.
    k = idempotency_keys.c
    result = await session.execute(
        sql_update(idempotency_keys)
        .where(
            k.owner_id == row.owner_id,
            k.key == row.key,
            k.lease_token == row.lease_token,
        )
        .values(lease_token=token, locked_until=now + lease)
    )
    return Claim("run", token) if result.rowcount == 1 else Claim("running")


async def finish(db: Database, owner_id: str, key: str, token: str, stored: Stored) -> None:
    """Store the first answer (only while this request still holds the key)."""
    k = idempotency_keys.c
    async with db.transaction() as session:
        await session.execute(
            sql_update(idempotency_keys)
            .where(k.owner_id == owner_id, k.key == key, k.lease_token == token)
            .values(
                state=KeyState.DONE,
                lease_token=None,
                locked_until=None,
                status_code=stored.status_code,
                content_type=stored.content_type,
                headers=stored.headers,
                body=stored.body,
            )
        )


async def forget(db: Database, owner_id: str, key: str, token: str) -> None:
    """Free the key: the request failed and left nothing behind, so a retry runs anew."""
    k = idempotency_keys.c
    async with db.transaction() as session:
        await session.execute(
            delete(idempotency_keys).where(
                k.owner_id == owner_id, k.key == key, k.lease_token == token
            )
        )


async def purge(db: Database, retention: timedelta) -> int:
    """Delete keys older than the retention; returns how many."""
    async with db.transaction() as session:
        result = await session.execute(
            delete(idempotency_keys).where(idempotency_keys.c.created_at <= utcnow() - retention)
        )
    return int(result.rowcount)  # type: ignore[attr-defined]
