"""Per-key token buckets: ``per_minute`` requests a minute per API key, bursting up to
``per_minute``. 0 turns the limit off.

``SharedRateLimiter`` keeps every bucket in a NATS JetStream key-value bucket and
changes it by compare-and-set (an update names the revision it read; a lost race
reads again), so 1 or N gateway processes allow a key the same number of requests.
Inside a process, requests for one key take turns (a lock per key), so concurrent
requests do not race each other's updates; only other processes can.
While NATS is unreachable each process falls back to its own in-memory buckets
(``RateLimiter``): the limit then holds per process, never switches off. Buckets use
wall-clock time, which every process on a host (or NTP-synced hosts) shares.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import struct
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol

import nats.errors
import nats.js.errors
from nats.js.api import StorageType
from nats.js.kv import KeyValue

from avatarmesh.bus import Bus
from avatarmesh.settings import Settings

log = logging.getLogger(__name__)

KV_BUCKET = "GATEWAY_RATE_LIMITS"  # namespaced like the bus's streams
# One shared check may take this long before this process's own bucket decides.
SHARED_TIMEOUT_S = 1.0
RECONNECT_EVERY_S = 1.0

# A bucket idle this long is full again (capacity = a minute's refill): the store may
# forget it. The KV entries expire after it too.
IDLE_FORGET_S = 60.0
# Compare-and-set rounds before giving up on a key (then the request is refused: the
# limit is never exceeded). Each process sends one update per key at a time, so a
# round is lost only to another process.
CAS_ATTEMPTS = 16
_STATE = struct.Struct("!dd")  # (tokens, last refill time), network order


@dataclass(frozen=True)
class TokenBucket:
    """The arithmetic of one bucket, shared by the local and the shared limiter."""

    per_minute: int

    @property
    def capacity(self) -> float:
        return float(self.per_minute)

    @property
    def rate(self) -> float:
        return self.per_minute / 60.0

    def take(self, state: tuple[float, float] | None, now: float) -> tuple[float, int | None]:
        """Spend one token of ``state`` (None: a full bucket) at ``now``: the tokens
        left and None when allowed, else the current tokens and the seconds to wait."""
        tokens, last = state if state is not None else (self.capacity, now)
        tokens = min(self.capacity, tokens + max(0.0, now - last) * self.rate)
        if tokens >= 1.0:
            return tokens - 1.0, None
        return tokens, max(1, math.ceil((1.0 - tokens) / self.rate))


class Limiter(Protocol):
    async def acquire(self, key: str) -> int | None:
        """Take one token: None when allowed, else the seconds to wait (Retry-After)."""


class RateLimiter:
    """Buckets in this process's memory."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._bucket = TokenBucket(per_minute)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def acquire_now(self, key: str) -> int | None:
        if self.per_minute <= 0:
            return None
        now = self._clock()
        tokens, wait = self._bucket.take(self._buckets.get(key), now)
        self._buckets[key] = (tokens, now)
        if wait is None:
            self._prune(now)
        return wait

    async def acquire(self, key: str) -> int | None:
        return self.acquire_now(key)

    def _prune(self, now: float) -> None:
        if len(self._buckets) < 10_000:
            return
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < IDLE_FORGET_S}


class SharedRateLimiter:
    """Buckets in a JetStream KV bucket, changed by compare-and-set.

    ``kv`` returns the KV handle, or None while the gateway is not connected to NATS.
    """

    def __init__(
        self,
        per_minute: int,
        kv: Callable[[], KeyValue | None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.per_minute = per_minute
        self._bucket = TokenBucket(per_minute)
        self._kv = kv
        self._clock = clock
        self._local = RateLimiter(per_minute, clock)
        self._degraded = False
        self._turns: dict[str, asyncio.Lock] = {}

    async def acquire(self, key: str) -> int | None:
        if self.per_minute <= 0:
            return None
        kv = self._kv()
        if kv is not None:
            try:
                async with asyncio.timeout(SHARED_TIMEOUT_S), self._turn(key):
                    wait = await self._acquire_shared(kv, key)
                self._degraded = False
                return wait
            except (nats.errors.Error, TimeoutError) as exc:
                if not self._degraded:  # once per outage, not once per request
                    log.warning("shared rate limit unavailable (%s): limiting per process", exc)
                self._degraded = True
        return self._local.acquire_now(key)

    @contextlib.asynccontextmanager
    async def _turn(self, key: str) -> AsyncIterator[None]:
        lock = self._turns.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and self._turns.get(key) is lock:
                del self._turns[key]  # nobody waits: forget it

    async def _acquire_shared(self, kv: KeyValue, key: str) -> int | None:
        for _ in range(CAS_ATTEMPTS):
            try:
                entry = await kv.get(key)
            except nats.js.errors.KeyNotFoundError:
                entry = None
            state = _STATE.unpack(entry.value) if entry and entry.value else None
            now = self._clock()
            tokens, wait = self._bucket.take(state, now)
            if wait is not None:
                return wait  # nothing spent: the stored state refills by itself
            value = _STATE.pack(tokens, now)
            try:
                if entry is None:
                    await kv.create(key, value)
                else:
                    await kv.update(key, value, last=entry.revision)
                return None
            except nats.js.errors.KeyWrongLastSequenceError:
                continue  # another request spent a token first: read again
        log.warning("rate limit bucket %s too contended: refused for now", key)
        return 1


class SharedBuckets:
    """The gateway's NATS connection for ``SharedRateLimiter``: connected in the
    background (start-up never waits for NATS), retried until it succeeds; ``kv()``
    is None until then and while the connection is down."""

    def __init__(self, settings: Settings) -> None:
        self._bus = Bus(settings, "gateway")
        self._kv: KeyValue | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect(), name="rate-limit-nats")

    def kv(self) -> KeyValue | None:
        return self._kv if self._bus.is_connected else None

    async def _connect(self) -> None:
        while True:
            try:
                await self._bus.connect()
                self._kv = await self._bus.js.create_key_value(
                    bucket=self._bus.stream(KV_BUCKET),
                    history=1,
                    ttl=2 * IDLE_FORGET_S,
                    storage=StorageType.MEMORY,
                )
                log.info("rate limit shared through NATS KV %s", self._bus.stream(KV_BUCKET))
                return
            except (OSError, nats.errors.Error, TimeoutError) as exc:
                log.warning("NATS not reachable for the shared rate limit yet: %s", exc)
                await self._bus.close()
                await asyncio.sleep(RECONNECT_EVERY_S)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._kv = None
        await self._bus.close()
