"""The gateway's own table: API keys, stored as a SHA-256 hash of the secret."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import String, select, text
from sqlalchemy.orm import Mapped, mapped_column

from avatarmesh.clock import utcnow
from avatarmesh.db import Base, Database, UtcDateTime, service_metadata
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import MAX_OWNER_ID_LENGTH, IdPrefix, new_id
from gateway.auth import hash_secret, new_secret, secrets_match

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
PREFIX_LEN = 12

metadata = service_metadata()


class GatewayBase(Base):
    __abstract__ = True
    metadata = metadata


class ApiKeyRow(GatewayBase):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(MAX_OWNER_ID_LENGTH), index=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(PREFIX_LEN))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


@dataclass(frozen=True)
class ApiKey:
    """An API key as operators see it: never the secret."""

    id: str
    owner_id: str
    name: str | None
    prefix: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ApiKeyRow) -> ApiKey:
        return cls(
            id=row.id,
            owner_id=row.owner_id,
            name=row.name,
            prefix=row.prefix,
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )


@dataclass(frozen=True)
class IssuedKey:
    """A key just created: the only moment its secret is known."""

    key: ApiKey
    secret: str


@dataclass(frozen=True)
class Caller:
    """Who an authenticated request acts for."""

    owner_id: str
    key_id: str


async def create_key(
    db: Database, owner_id: str, *, name: str | None = None, secret: str | None = None
) -> IssuedKey:
    """Issue a key for `owner_id`. With an explicit `secret` (the dev key), creating the
    same secret again for the same owner returns the existing key instead of failing."""
    owner_id = owner_id.strip()
    if not 1 <= len(owner_id) <= MAX_OWNER_ID_LENGTH:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"owner_id must be 1 to {MAX_OWNER_ID_LENGTH} characters"
        )
    if secret is not None and len(secret) < 8:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "key must be at least 8 characters")
    plain = secret if secret is not None else new_secret()
    digest = hash_secret(plain)
    async with db.transaction() as session:
        existing = await session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == digest))
        if existing is not None:
            if existing.owner_id == owner_id and existing.revoked_at is None:
                return IssuedKey(ApiKey.of(existing), plain)
            raise DomainError(ErrorCode.CONFLICT, "that key is already in use")
        row = ApiKeyRow(
            id=new_id(IdPrefix.API_KEY),
            owner_id=owner_id,
            name=name,
            key_hash=digest,
            prefix=plain[:PREFIX_LEN],
            created_at=utcnow(),
            revoked_at=None,
        )
        session.add(row)
        await session.flush()
        return IssuedKey(ApiKey.of(row), plain)


async def revoke_key(db: Database, key_id: str) -> ApiKey:
    """Revoke a key (idempotent); NOT_FOUND when no key has that id."""
    async with db.transaction() as session:
        row = await session.get(ApiKeyRow, key_id)
        if row is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"API key {key_id} not found")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        return ApiKey.of(row)


async def list_keys(db: Database, owner_id: str | None = None) -> list[ApiKey]:
    query = select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.id)
    if owner_id is not None:
        query = query.where(ApiKeyRow.owner_id == owner_id)
    async with db.read() as session:
        return [ApiKey.of(row) for row in await session.scalars(query)]


async def caller_for_secret(db: Database, secret: str) -> Caller | None:
    """The owner of an active key with this secret, or None (unknown or revoked)."""
    return await caller_for_digest(db, hash_secret(secret))


async def caller_for_digest(db: Database, digest: str) -> Caller | None:
    """``caller_for_secret`` for a secret already hashed."""
    async with db.read() as session:
        row = await session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == digest))
        if row is None or row.revoked_at is not None or not secrets_match(row.key_hash, digest):
            return None
        return Caller(owner_id=row.owner_id, key_id=row.id)


async def ping(db: Database) -> None:
    async with db.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


class CallerCache:
    """Active keys' callers by secret hash, for ``ttl_s`` seconds after a lookup, so a
    request does not cost a database read. Only found keys are kept (a key just created
    in another process works at once). Revoking through this process forgets the key
    at once; a revocation elsewhere (another replica, the CLI) takes effect within
    ``ttl_s``. ``ttl_s`` 0 turns the cache off."""

    MAX_ENTRIES = 10_000

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._entries: dict[str, tuple[Caller, float]] = {}

    def get(self, digest: str) -> Caller | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if self._clock() >= entry[1]:
            del self._entries[digest]
            return None
        return entry[0]

    def put(self, digest: str, caller: Caller) -> None:
        if self.ttl_s <= 0:
            return
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.clear()  # rare: cheaper than tracking age order
        self._entries[digest] = (caller, self._clock() + self.ttl_s)

    def forget_key(self, key_id: str) -> None:
        self._entries = {d: e for d, e in self._entries.items() if e[0].key_id != key_id}


async def cached_caller(db: Database, cache: CallerCache, secret: str) -> Caller | None:
    """``caller_for_secret`` through ``cache``."""
    digest = hash_secret(secret)
    caller = cache.get(digest)
    if caller is None:
        caller = await caller_for_digest(db, digest)
        if caller is not None:
            cache.put(digest, caller)
    return caller
