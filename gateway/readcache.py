"""The gateway's cache of hot reads: whole JSON answers of GET routes, per owner.

Why: a read that reaches a service costs that service ~1.5 ms of CPU on top of the
gateway's own work (gRPC server, session, query), so a polling client or a dashboard
would keep every service busy with answers that have not changed. A cached answer
costs the gateway a dictionary look-up.

What may be cached, and why it stays right:

- Only answers a route marks cacheable (``mark_cacheable``), and only what changes
  solely through something the gateway hears of: a settled avatar (ready, failed), a
  settled video (completed, failed, cancelled), a wallet without open holds. Anything
  in progress (an avatar's stage, a video's progress, a hold that may expire) is read
  from its service every time.
- Entries are keyed by the authenticated owner, the path and the query string: one
  owner's entry is never looked up for another.
- Invalidation, for the whole owner at once (coarse on purpose):
  the services' own settled events (``events.avatar.>``, ``events.video.>``; published
  after the state change and its capture or release commit), and every write through
  any gateway worker (``gateway.cache.invalidate``, published before the write's
  answer leaves). An event about a system avatar, a write through the admin API, and
  a NATS disconnect or reconnect drop everything.
- A read that started before an invalidation never stores its answer (the ticket's
  generations no longer match), so a slow read cannot put back what an event removed.
- While the gateway is not subscribed (NATS down, not yet connected) nothing is
  cached or served from the cache: events could be missed.
- ``ttl_s`` bounds what no event reports (a top-up through the billing CLI, system
  avatars being seeded): such a change shows within ``ttl_s`` plus one re-read.
- When an entry's time is up, the first request re-reads it from the service and the
  others are answered from the entry meanwhile (for at most ``REFRESH_GRACE_S``): a
  popular answer otherwise sends every waiting client to the service at once each
  ``ttl_s``, and that herd was the gateway's p99 under load (issue 15). A re-read that
  is not stored (no longer cacheable, an error) removes the entry (``discard``).

``Cache-Control: no-cache`` on a request skips the cache (and the benchmark's
baseline uses it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import nats
import nats.errors
from google.protobuf.message import DecodeError, Message
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from starlette.requests import Request

from avatarmesh.settings import Settings
from avatarmesh.v1 import events_pb2

log = logging.getLogger(__name__)

CACHEABLE_KEY = "read_cacheable"  # request.state attribute a route sets
INVALIDATE_SUBJECT = "gateway.cache.invalidate"
EVERYONE = "*"  # invalidation payload: every owner
SYSTEM_OWNER = "system"  # the system avatars' owner: they appear in every owner's list
RECONNECT_EVERY_S = 1.0
FLUSH_TIMEOUT_S = 1  # nats-py takes whole seconds


def mark_cacheable(request: Request) -> None:
    """Called by a route whose answer may be served again until invalidated (see the
    module's rules: settled things only)."""
    setattr(request.state, CACHEABLE_KEY, True)


@dataclass(frozen=True)
class CachedAnswer:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


@dataclass(frozen=True)
class Ticket:
    """The generations seen when a read started; its answer is stored only if they
    still hold when it ends."""

    owner: str
    epoch: int
    generation: int


@dataclass(slots=True)
class _Entry:
    answer: CachedAnswer
    epoch: int
    generation: int
    expires: float
    refreshing_until: float = 0.0  # a request is re-reading it until then


Key = tuple[str, bytes]  # (path, raw query string)


class ReadCache:
    """Answers by owner, then (path, query). ``live`` is set by ``CacheFeed`` while it
    is subscribed to the events that invalidate; ``ttl_s`` 0 turns the cache off."""

    MAX_ENTRIES = 50_000
    REFRESH_GRACE_S = 0.5

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._live = False
        self._epoch = 0
        self._generations: dict[str, int] = {}
        self._owners: dict[str, dict[Key, _Entry]] = {}
        self._size = 0

    @property
    def live(self) -> bool:
        return self._live and self.ttl_s > 0

    def set_live(self, live: bool) -> None:
        """Entries kept from before an outage may have missed events: gone either way."""
        self.invalidate_all()
        self._live = live

    def get(self, owner: str, path: str, query: bytes) -> CachedAnswer | None:
        if not self.live:
            return None
        entries = self._owners.get(owner)
        entry = entries.get((path, query)) if entries else None
        if entry is None:
            return None
        if entry.epoch != self._epoch or entry.generation != self._generations.get(owner, 0):
            self.discard(owner, path, query)
            return None
        now = self._clock()
        if now < entry.expires or now < entry.refreshing_until:
            return entry.answer
        entry.refreshing_until = now + self.REFRESH_GRACE_S
        return None  # this caller re-reads it

    def discard(self, owner: str, path: str, query: bytes) -> None:
        entries = self._owners.get(owner)
        if entries is not None and entries.pop((path, query), None) is not None:
            self._size -= 1

    def ticket(self, owner: str) -> Ticket | None:
        if not self.live:
            return None
        return Ticket(owner, self._epoch, self._generations.get(owner, 0))

    def put(self, ticket: Ticket, path: str, query: bytes, answer: CachedAnswer) -> bool:
        """Store ``answer`` unless something was invalidated since ``ticket``."""
        owner = ticket.owner
        if (
            not self.live
            or ticket.epoch != self._epoch
            or ticket.generation != self._generations.get(owner, 0)
        ):
            return False
        if self._size >= self.MAX_ENTRIES:
            self._drop_entries()  # rare: cheaper than tracking age order
        entries = self._owners.setdefault(owner, {})
        self._size += (path, query) not in entries
        entries[(path, query)] = _Entry(
            answer, ticket.epoch, ticket.generation, self._clock() + self.ttl_s
        )
        return True

    def invalidate_owner(self, owner: str) -> None:
        if owner == EVERYONE or owner == SYSTEM_OWNER:
            self.invalidate_all()
            return
        self._generations[owner] = self._generations.get(owner, 0) + 1
        self._size -= len(self._owners.pop(owner, {}))
        if len(self._generations) > self.MAX_ENTRIES:
            self.invalidate_all()  # forgets the counters; the epoch keeps tickets honest

    def invalidate_all(self) -> None:
        self._epoch += 1
        self._generations.clear()
        self._drop_entries()

    def _drop_entries(self) -> None:
        self._owners.clear()
        self._size = 0

    def __len__(self) -> int:
        return self._size


def _owner_of(local_subject: str, data: bytes) -> str:
    """The owner an event is about; EVERYONE when it cannot be read (safe side)."""
    kind: type[Message]
    if local_subject == "events.avatar.deleted":
        kind = events_pb2.AvatarDeleted
    elif local_subject.startswith("events.avatar."):
        kind = events_pb2.AvatarSettled
    elif local_subject.startswith("events.video."):
        kind = events_pb2.VideoSettled
    else:
        return EVERYONE
    try:
        owner = str(getattr(kind.FromString(data), "owner_id", ""))
    except DecodeError:
        return EVERYONE
    return owner or EVERYONE


class CacheFeed:
    """The cache's own NATS connection: subscribes to the invalidating events, sets the
    cache live once subscribed and not live while disconnected, and publishes this
    worker's writes to the other gateway workers. Connected in the background (start-up
    never waits for NATS), retried until it succeeds."""

    def __init__(self, settings: Settings, cache: ReadCache) -> None:
        self.cache = cache
        self._url = settings.nats_url
        self._prefix = f"{settings.bus_namespace}." if settings.bus_namespace else ""
        self._nc: NatsClient | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.cache.ttl_s > 0:
            self._task = asyncio.create_task(self._connect(), name="read-cache-nats")

    async def wrote(self, owner: str) -> None:
        """A write through this worker: forget the owner here, then tell the others
        (flushed, so the message is on the server before the write's answer leaves)."""
        self.cache.invalidate_owner(owner)
        nc = self._nc
        if nc is None or not nc.is_connected:
            return
        try:
            await nc.publish(self._prefix + INVALIDATE_SUBJECT, owner.encode())
            await nc.flush(timeout=FLUSH_TIMEOUT_S)
        except (nats.errors.Error, TimeoutError, OSError) as exc:
            log.warning("read cache: could not tell the other gateway workers: %s", exc)

    async def _connect(self) -> None:
        while True:
            try:
                await self._subscribe()
                return
            except (OSError, nats.errors.Error, TimeoutError) as exc:
                log.warning("NATS not reachable for the read cache yet: %s", exc)
                await self._drop_connection()
                await asyncio.sleep(RECONNECT_EVERY_S)

    async def _subscribe(self) -> None:
        async def down() -> None:
            if self._nc is not None:
                log.warning("read cache off: NATS disconnected")
            self.cache.set_live(False)

        async def up() -> None:
            log.info("read cache on again: NATS reconnected")
            self.cache.set_live(True)

        async def error(exc: Exception) -> None:
            log.warning("read cache nats error: %s", exc)

        self._nc = await nats.connect(
            servers=[self._url],
            name="avatarmesh-gateway-read-cache",
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=RECONNECT_EVERY_S,
            connect_timeout=5,
            ping_interval=5,
            max_outstanding_pings=2,
            disconnected_cb=down,
            reconnected_cb=up,
            error_cb=error,
        )
        for subject in ("events.avatar.>", "events.video.>", INVALIDATE_SUBJECT):
            await self._nc.subscribe(self._prefix + subject, cb=self._on_message)
        await self._nc.flush(timeout=5)  # the server has the subscriptions
        self.cache.set_live(True)
        log.info("read cache on (ttl %.1f s), invalidated through NATS", self.cache.ttl_s)

    async def _on_message(self, msg: Msg) -> None:
        subject = msg.subject.removeprefix(self._prefix)
        if subject == INVALIDATE_SUBJECT:
            owner = msg.data.decode(errors="replace") or EVERYONE
        else:
            owner = _owner_of(subject, msg.data)
        self.cache.invalidate_owner(owner)

    async def _drop_connection(self) -> None:
        nc, self._nc = self._nc, None
        if nc is not None:
            with contextlib.suppress(Exception):
                await nc.close()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.cache.set_live(False)
        await self._drop_connection()
