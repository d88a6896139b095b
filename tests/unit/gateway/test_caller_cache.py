"""The API-key cache: a checked key skips the database for a few seconds, and a
revocation is never trusted away for longer than that."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from avatarmesh.db import Database
from gateway import store
from gateway.settings import GatewaySettings


async def _database(tmp_path: Path) -> Database:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/keys.db")
    await db.migrate(store.MIGRATIONS)
    return db


async def test_key_revoked_elsewhere_stops_working_within_the_ttl(tmp_path: Path) -> None:
    """A revocation this process did not see (the CLI, another replica) is honoured
    once the cached entry is older than ``ttl_s``."""
    db = await _database(tmp_path)
    now = [100.0]
    cache = store.CallerCache(2.0, clock=lambda: now[0])
    issued = await store.create_key(db, "own_a")
    first = await store.cached_caller(db, cache, issued.secret)
    assert first is not None and first.owner_id == "own_a"
    await store.revoke_key(db, issued.key.id)
    now[0] += 1.0
    assert await store.cached_caller(db, cache, issued.secret) == first  # still cached
    now[0] += 1.5
    assert await store.cached_caller(db, cache, issued.secret) is None
    await db.close()


async def test_forgetting_a_key_takes_effect_at_once(tmp_path: Path) -> None:
    db = await _database(tmp_path)
    cache = store.CallerCache(60.0)
    kept, revoked = await store.create_key(db, "own_a"), await store.create_key(db, "own_b")
    for issued in (kept, revoked):
        assert await store.cached_caller(db, cache, issued.secret) is not None
    await store.revoke_key(db, revoked.key.id)
    cache.forget_key(revoked.key.id)
    assert await store.cached_caller(db, cache, revoked.secret) is None
    assert await store.cached_caller(db, cache, kept.secret) is not None
    await db.close()


async def test_unknown_keys_are_not_cached(tmp_path: Path) -> None:
    """A key created after a failed lookup works at once (no negative entries)."""
    db = await _database(tmp_path)
    cache = store.CallerCache(60.0)
    secret = "sk_live_created_later_0123456789"
    assert await store.cached_caller(db, cache, secret) is None
    await store.create_key(db, "own_c", secret=secret)
    assert await store.cached_caller(db, cache, secret) is not None
    await db.close()


async def test_zero_ttl_reads_the_database_every_time(
    tmp_path: Path, make_settings: Callable[..., GatewaySettings]
) -> None:
    db = await _database(tmp_path)
    cache = store.CallerCache(make_settings(api_key_cache_s=0).api_key_cache_s)
    issued = await store.create_key(db, "own_d")
    assert await store.cached_caller(db, cache, issued.secret) is not None
    await store.revoke_key(db, issued.key.id)
    assert await store.cached_caller(db, cache, issued.secret) is None
    await db.close()
