"""The rules: signing secrets, taking events in, and delivering them with retries.

- ``SigningSecrets``: one ``whsec_`` secret per owner, created on first use; a rotation
  keeps the old one signing for a grace period.
- ``Intake``: a settled video with a ``webhook_url`` becomes one ``deliveries`` row, in
  the transaction that records its event id in the inbox (a repeat is dropped).
- ``Dispatcher``: attempts due deliveries, records every attempt, and on failure
  schedules the next with exponential backoff and jitter until ``max_age`` after the
  first attempt. An attempt holds its row with a lease (``locked_until``): if the
  process dies mid-attempt the delivery is attempted again after the lease, so in
  that rare case a receiver sees the event id twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from avatarmesh import fetch
from avatarmesh.bus import Delivery
from avatarmesh.clock import utcnow
from avatarmesh.db import Database, insert_ignoring_conflict
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import IdPrefix, new_id
from avatarmesh.outbox import first_time
from avatarmesh.storage import StorageError
from avatarmesh.v1 import events_pb2
from services.webhook import payload as payloads
from services.webhook.config import WebhookSettings
from services.webhook.signing import delivery_headers, new_secret
from services.webhook.store import (
    DELIVERED,
    FAILED,
    PENDING,
    deliveries,
    delivery_attempts,
    inbox,
    signing_secrets,
)

log = logging.getLogger(__name__)

# The receiver's answer body is read and discarded; more than this counts as a failure.
MAX_RESPONSE_BYTES = 1024 * 1024
# check_url's message when DNS fails: worth retrying, unlike the other refusals.
_UNRESOLVED = "cannot resolve host"


def retry_delay(
    schedule: Sequence[float],
    failed_attempts: int,
    jitter: float = 0.0,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait after ``failed_attempts`` failures: ``schedule[n - 1]`` (the last
    value repeats), stretched or shrunk by up to ``jitter`` (a fraction)."""
    base = float(schedule[min(max(failed_attempts, 1), len(schedule)) - 1])
    return max(0.0, base * (1.0 + jitter * (2.0 * rand() - 1.0)))


# -- signing secrets -----------------------------------------------------------------


class SecretBox:
    """Encrypts secrets at rest with a Fernet key when one is configured."""

    _PREFIX = "fernet:"

    def __init__(self, key: SecretStr | None) -> None:
        self._fernet = Fernet(key.get_secret_value()) if key is not None else None

    def seal(self, secret: str) -> str:
        if self._fernet is None:
            return secret
        return self._PREFIX + self._fernet.encrypt(secret.encode()).decode("ascii")

    def open(self, stored: str) -> str:
        if not stored.startswith(self._PREFIX):
            return stored
        if self._fernet is None:
            raise DomainError(
                ErrorCode.INTERNAL_ERROR,
                "signing secrets are encrypted: set AVATARMESH_WEBHOOK_SECRET_ENCRYPTION_KEY",
            )
        try:
            return self._fernet.decrypt(stored[len(self._PREFIX) :].encode()).decode()
        except InvalidToken:
            raise DomainError(
                ErrorCode.INTERNAL_ERROR, "a signing secret cannot be decrypted with the key"
            ) from None


@dataclass(frozen=True)
class SigningSecret:
    owner_id: str
    secret: str
    created_at: datetime
    previous_secret: str | None = None
    previous_valid_until: datetime | None = None

    def signing(self, now: datetime) -> list[str]:
        """The secrets a delivery is signed with now: the current one, then the previous
        one while its grace period lasts."""
        keys = [self.secret]
        if (
            self.previous_secret
            and self.previous_valid_until is not None
            and self.previous_valid_until > now
        ):
            keys.append(self.previous_secret)
        return keys


def _require_owner(owner_id: str) -> None:
    if not owner_id:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "owner_id is required")


class SigningSecrets:
    def __init__(self, db: Database, box: SecretBox, grace: timedelta) -> None:
        self.db = db
        self.box = box
        self.grace = grace

    def _record(self, row: Any) -> SigningSecret:
        created_at = row.created_at
        assert created_at is not None
        return SigningSecret(
            owner_id=row.owner_id,
            secret=self.box.open(row.secret),
            created_at=created_at,
            previous_secret=self.box.open(row.previous_secret) if row.previous_secret else None,
            previous_valid_until=row.previous_valid_until,
        )

    async def _select(self, session: AsyncSession, owner_id: str, *, lock: bool) -> Any:
        query = select(signing_secrets).where(signing_secrets.c.owner_id == owner_id)
        if lock and not self.db.is_sqlite:
            query = query.with_for_update()
        return (await session.execute(query)).first()

    async def get(self, owner_id: str) -> SigningSecret:
        """The owner's secret, created on first use."""
        _require_owner(owner_id)
        async with self.db.transaction() as session:
            row = await self._select(session, owner_id, lock=False)
            if row is None:
                await insert_ignoring_conflict(
                    session,
                    signing_secrets,
                    {
                        "owner_id": owner_id,
                        "secret": self.box.seal(new_secret()),
                        "created_at": utcnow(),
                    },
                )
                row = await self._select(session, owner_id, lock=False)
        return self._record(row)

    async def rotate(self, owner_id: str) -> SigningSecret:
        """A new secret; the old one keeps signing for the grace period."""
        _require_owner(owner_id)
        await self.get(owner_id)  # exists from here on
        now = utcnow()
        async with self.db.transaction() as session:
            row = await self._select(session, owner_id, lock=True)
            keep_old = self.grace > timedelta(0)
            await session.execute(
                update(signing_secrets)
                .where(signing_secrets.c.owner_id == owner_id)
                .values(
                    secret=self.box.seal(new_secret()),
                    created_at=now,
                    previous_secret=row.secret if keep_old else None,
                    previous_valid_until=now + self.grace if keep_old else None,
                )
            )
            row = await self._select(session, owner_id, lock=False)
        return self._record(row)


# -- intake ----------------------------------------------------------------------------


class Intake:
    """Turns ``events.video.*`` into deliveries (the bus handler)."""

    def __init__(self, db: Database, wake: Callable[[], None]) -> None:
        self.db = db
        self.wake = wake

    async def handle(self, delivery: Delivery[events_pb2.VideoSettled]) -> None:
        settled = delivery.message
        event = payloads.event_name(settled, delivery.subject)
        if event is None or not delivery.subject.startswith("events.video."):
            return  # not an event receivers are told about (e.g. cancelled)
        if not settled.webhook_url:
            return
        if not settled.video_id or not settled.owner_id:
            log.warning("%s without video_id/owner_id ignored", delivery.subject)
            return
        event_id = (
            settled.meta.event_id or delivery.msg_id or f"{settled.video_id}:{settled.status}"
        )
        occurred_at = (
            settled.meta.occurred_at.ToDatetime(tzinfo=UTC)
            if settled.meta.HasField("occurred_at")
            else utcnow()
        )
        body = payloads.build_payload(settled, event, event_id, occurred_at)
        now = utcnow()
        async with self.db.transaction() as session:
            if not await first_time(session, inbox, event_id):
                return  # this event id was taken in already
            same = await session.scalar(
                select(deliveries.c.event_id).where(
                    deliveries.c.subject_id == settled.video_id, deliveries.c.event == event
                )
            )
            if same is not None:
                log.warning(
                    "%s for %s arrived again as %s; delivering it once (as %s)",
                    event,
                    settled.video_id,
                    event_id,
                    same,
                )
                return
            await session.execute(
                deliveries.insert().values(
                    event_id=event_id,
                    event=event,
                    owner_id=settled.owner_id,
                    subject_id=settled.video_id,
                    url=settled.webhook_url,
                    payload=json.dumps(body),
                    video_key=(settled.video_key or None) if event == payloads.COMPLETED else None,
                    status=PENDING,
                    attempts=0,
                    created_at=now,
                    next_attempt_at=now,
                )
            )
        self.wake()


# -- dispatch --------------------------------------------------------------------------

Send = Callable[..., Awaitable[tuple[int, bytes]]]
Presign = Callable[[str, timedelta], Awaitable[str]]


@dataclass(frozen=True)
class Claim:
    row: Any
    lease: datetime


@dataclass(frozen=True)
class Outcome:
    status_code: int = 0
    error: str = ""
    permanent: bool = False  # no retry (the URL was refused)

    @property
    def delivered(self) -> bool:
        return 200 <= self.status_code < 300 and not self.error


class Dispatcher:
    """Attempts due deliveries, ``concurrency`` at a time, until cancelled."""

    def __init__(
        self,
        db: Database,
        secrets: SigningSecrets,
        settings: WebhookSettings,
        presign: Presign | None,
        *,
        send: Send = fetch.request,
    ) -> None:
        self.db = db
        self.secrets = secrets
        self.settings = settings
        self.presign = presign
        self.send = send
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        inflight: set[asyncio.Task[None]] = set()
        concurrency = self.settings.webhook_concurrency
        try:
            while True:
                self._wake.clear()
                free = concurrency - len(inflight)
                claims: list[Claim] = []
                if free > 0:
                    try:
                        claims = await self.claim(free)
                    except Exception:
                        log.exception("claiming due deliveries failed")
                for claim in claims:
                    task = asyncio.create_task(self.attempt(claim))
                    inflight.add(task)
                    task.add_done_callback(inflight.discard)
                if claims and len(claims) == free:
                    continue  # more may be due
                # Until woken, a slot frees up, or the poll interval passes.
                woken = asyncio.ensure_future(self._wake.wait())
                await asyncio.wait(
                    {woken, *inflight},
                    timeout=self.settings.webhook_poll_interval_seconds,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                woken.cancel()
        finally:
            for task in list(inflight):
                task.cancel()
            for task in list(inflight):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def claim(self, limit: int) -> list[Claim]:
        """Lease up to ``limit`` due deliveries."""
        now = utcnow()
        lease = now + timedelta(seconds=self.settings.webhook_lease_seconds)
        d = deliveries.c
        query = (
            select(deliveries)
            .where(
                d.status == PENDING,
                d.next_attempt_at <= now,
                or_(d.locked_until.is_(None), d.locked_until <= now),
            )
            .order_by(d.next_attempt_at)
            .limit(limit)
        )
        if not self.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        async with self.db.transaction() as session:
            rows = (await session.execute(query)).all()
            if rows:
                await session.execute(
                    update(deliveries)
                    .where(d.event_id.in_([row.event_id for row in rows]))
                    .values(locked_until=lease)
                )
        return [Claim(row, lease) for row in rows]

    async def dispatch_due(self) -> int:
        """Attempt every due delivery once (tests and tools); returns how many."""
        claims = await self.claim(self.settings.webhook_concurrency)
        await asyncio.gather(*(self.attempt(claim) for claim in claims))
        return len(claims)

    async def attempt(self, claim: Claim) -> None:
        at = utcnow()
        started = time.monotonic()
        try:
            outcome = await self._post(claim.row)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._release(claim))
            raise
        duration_ms = int((time.monotonic() - started) * 1000)
        await self._record(claim, at, outcome, duration_ms)

    async def _post(self, row: Any) -> Outcome:
        loopback = self.settings.allow_insecure_loopback
        try:
            await fetch.check_url(row.url, allow_insecure_loopback=loopback)
        except DomainError as exc:
            if exc.message.startswith(_UNRESOLVED):
                return Outcome(error=exc.message)
            return Outcome(error=f"webhook_url refused: {exc.message}", permanent=True)
        try:
            keys = (await self.secrets.get(row.owner_id)).signing(utcnow())
            video_url = None
            if row.video_key and self.presign is not None:
                ttl = timedelta(seconds=self.settings.webhook_video_url_ttl_seconds)
                video_url = await self.presign(row.video_key, ttl)
            body = payloads.render_body(json.loads(row.payload), video_url)
            status, _ = await self.send(
                "POST",
                row.url,
                content=body,
                headers=delivery_headers(row.event_id, keys, body),
                timeout=self.settings.webhook_timeout_seconds,
                max_bytes=MAX_RESPONSE_BYTES,
                allow_insecure_loopback=loopback,
                follow_redirects=False,
            )
        except DomainError as exc:
            return Outcome(error=exc.message)
        except StorageError as exc:
            return Outcome(error=f"could not presign the video URL: {exc}")
        except Exception as exc:
            log.exception("delivering %s failed unexpectedly", row.event_id)
            return Outcome(error=f"{type(exc).__name__}: {exc}")
        if 200 <= status < 300:
            return Outcome(status_code=status)
        if 300 <= status < 400:
            return Outcome(status_code=status, error=f"HTTP {status} (redirects are not followed)")
        return Outcome(status_code=status, error=f"HTTP {status}")

    async def _release(self, claim: Claim) -> None:
        """Hand a leased delivery back at once (shutdown interrupted its attempt)."""
        async with self.db.transaction() as session:
            await session.execute(
                update(deliveries)
                .where(
                    deliveries.c.event_id == claim.row.event_id,
                    deliveries.c.locked_until == claim.lease,
                )
                .values(locked_until=None)
            )

    async def _record(self, claim: Claim, at: datetime, outcome: Outcome, duration_ms: int) -> None:
        d = deliveries.c
        settings = self.settings
        async with self.db.transaction() as session:
            query = select(deliveries).where(d.event_id == claim.row.event_id)
            if not self.db.is_sqlite:
                query = query.with_for_update()
            row = (await session.execute(query)).one()
            number = row.attempts + 1
            first = row.first_attempt_at or at
            await session.execute(
                delivery_attempts.insert().values(
                    id=new_id(IdPrefix.WEBHOOK_ATTEMPT),
                    event_id=row.event_id,
                    owner_id=row.owner_id,
                    subject_id=row.subject_id,
                    event=row.event,
                    url=row.url,
                    attempt=number,
                    status_code=outcome.status_code,
                    error=outcome.error,
                    duration_ms=duration_ms,
                    at=at,
                )
            )
            values: dict[str, Any] = {
                "attempts": number,
                "first_attempt_at": first,
                "last_error": outcome.error or None,
            }
            still_ours = row.status == PENDING and row.locked_until == claim.lease
            if still_ours:
                now = utcnow()
                values["locked_until"] = None
                if outcome.delivered:
                    values.update(status=DELIVERED, finished_at=now)
                elif outcome.permanent:
                    values.update(status=FAILED, finished_at=now)
                else:
                    delay = retry_delay(
                        settings.webhook_retry_schedule_seconds,
                        number,
                        settings.webhook_retry_jitter,
                    )
                    due = now + timedelta(seconds=delay)
                    if due > first + timedelta(seconds=settings.webhook_max_age_seconds):
                        values.update(
                            status=FAILED,
                            finished_at=now,
                            last_error=f"{outcome.error}; gave up after {number} attempts",
                        )
                    else:
                        values["next_attempt_at"] = due
            else:
                log.warning("delivery %s: lease lost during attempt %d", row.event_id, number)
            await session.execute(
                update(deliveries).where(d.event_id == row.event_id).values(**values)
            )
        if outcome.delivered:
            log.info("delivered %s to %s (attempt %d)", claim.row.event_id, claim.row.url, number)
        else:
            log.info("delivery %s attempt %d failed: %s", claim.row.event_id, number, outcome.error)


# -- housekeeping ----------------------------------------------------------------------

async def purge_finished(db: Database, older_than: timedelta) -> int:
    """Forget deliveries settled longer ago than ``older_than``, with their attempts."""
    d = deliveries.c
    finished = select(d.event_id).where(d.status != PENDING, d.finished_at < utcnow() - older_than)
    async with db.transaction() as session:
        await session.execute(
            delete(delivery_attempts).where(delivery_attempts.c.event_id.in_(finished))
        )
        result = await session.execute(delete(deliveries).where(d.event_id.in_(finished)))
        return int(result.rowcount)  # type: ignore[attr-defined]


async def run_housekeeping(db: Database, retention: timedelta, every: float = 600.0) -> None:
    """Purge settled deliveries every ``every`` seconds until cancelled."""
    while True:
        try:
            await purge_finished(db, retention)
        except Exception as exc:
            log.warning("webhook housekeeping failed: %s", exc)
        await asyncio.sleep(every)


# -- reading attempts ------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptRecord:
    id: str
    event_id: str
    event: str
    subject_id: str
    url: str
    attempt: int
    status_code: int
    error: str
    duration_ms: int
    at: datetime
    delivery_status: str


async def list_attempts(
    db: Database, owner_id: str, subject_id: str = "", limit: int = 100
) -> list[AttemptRecord]:
    """The owner's recorded attempts, newest first (one subject's when given)."""
    _require_owner(owner_id)
    a = delivery_attempts.c
    limit = 100 if limit <= 0 else min(limit, 500)
    query = (
        select(delivery_attempts, deliveries.c.status.label("delivery_status"))
        .join(deliveries, deliveries.c.event_id == a.event_id)
        .where(a.owner_id == owner_id)
        .order_by(a.at.desc(), a.attempt.desc())
        .limit(limit)
    )
    if subject_id:
        query = query.where(a.subject_id == subject_id)
    async with db.transaction() as session:
        rows = (await session.execute(query)).all()
    return [
        AttemptRecord(
            id=row.id,
            event_id=row.event_id,
            event=row.event,
            subject_id=row.subject_id,
            url=row.url,
            attempt=row.attempt,
            status_code=row.status_code,
            error=row.error,
            duration_ms=row.duration_ms,
            at=row.at or utcnow(),
            delivery_status=row.delivery_status,
        )
        for row in rows
    ]
