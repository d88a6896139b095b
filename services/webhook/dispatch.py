"""Delivery: attempts due deliveries, records every attempt, and on failure schedules
the next (``logic.retry_delay``) until ``webhook_max_age_seconds`` after the first."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from avatarmesh import fetch
from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from avatarmesh.errors import DomainError
from avatarmesh.ids import IdPrefix, new_id
from avatarmesh.storage import StorageError
from services.webhook import payload as payloads
from services.webhook import store
from services.webhook.config import WebhookSettings
from services.webhook.logic import Delivery, DeliveryStatus, Outcome, retry_delay
from services.webhook.secrets import SigningSecrets
from services.webhook.signing import delivery_headers

log = logging.getLogger(__name__)

# The receiver's answer body is read and discarded; more than this counts as a failure.
MAX_RESPONSE_BYTES = 1024 * 1024
# check_url's message when DNS fails: worth retrying, unlike the other refusals.
_UNRESOLVED = "cannot resolve host"

Send = Callable[..., Awaitable[tuple[int, bytes]]]
Presign = Callable[[str, timedelta], Awaitable[str]]
EndpointKeys = Callable[[str, datetime], Awaitable[list[str]]]


@dataclass(frozen=True)
class Claim:
    delivery: Delivery
    lease: datetime


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
        endpoint_keys: EndpointKeys | None = None,
    ) -> None:
        self.db = db
        self.endpoint_keys = endpoint_keys
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
        async with self.db.transaction() as session:
            claimed = await store.claim_due(session, now, lease, limit)
        return [Claim(delivery, lease) for delivery in claimed]

    async def dispatch_due(self) -> int:
        """Attempt every due delivery once (tests and tools); returns how many."""
        claims = await self.claim(self.settings.webhook_concurrency)
        await asyncio.gather(*(self.attempt(claim) for claim in claims))
        return len(claims)

    async def attempt(self, claim: Claim) -> None:
        at = utcnow()
        started = time.monotonic()
        try:
            outcome = await self._post(claim.delivery)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._release(claim))
            raise
        duration_ms = int((time.monotonic() - started) * 1000)
        await self._record(claim, at, outcome, duration_ms)

    async def _post(self, row: Delivery) -> Outcome:
        loopback = self.settings.allow_insecure_loopback
        try:
            await fetch.check_url(row.url, allow_insecure_loopback=loopback)
        except DomainError as exc:
            if exc.message.startswith(_UNRESOLVED):
                return Outcome(error=exc.message)
            return Outcome(error=f"webhook_url refused: {exc.message}", permanent=True)
        endpoint_id = row.endpoint_id
        try:
            keys = await self._keys(row.owner_id, endpoint_id)
        except DomainError as exc:
            return Outcome(error=exc.message, permanent=endpoint_id is not None)
        try:
            video_url = None
            if row.video_key and self.presign is not None:
                ttl = timedelta(seconds=self.settings.webhook_video_url_ttl_seconds)
                video_url = await self.presign(row.video_key, ttl)
            body = payloads.render_body(json.loads(row.payload), video_url)
            status, _ = await self.send(
                "POST",
                row.url,
                content=body,
                headers=delivery_headers(row.webhook_id or row.event_id, keys, body),
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

    async def _keys(self, owner_id: str, endpoint_id: str | None) -> list[str]:
        """An endpoint's own secrets, else the owner's (a job's ``webhook_url``)."""
        if endpoint_id and self.endpoint_keys is not None:
            return await self.endpoint_keys(endpoint_id, utcnow())
        return (await self.secrets.get(owner_id)).signing(utcnow())

    async def _release(self, claim: Claim) -> None:
        """Hand a leased delivery back at once (shutdown interrupted its attempt)."""
        async with self.db.transaction() as session:
            await store.release_lease(session, claim.delivery.event_id, claim.lease)

    async def _record(self, claim: Claim, at: datetime, outcome: Outcome, duration_ms: int) -> None:
        settings = self.settings
        async with self.db.transaction() as session:
            row = await store.locked_delivery(session, claim.delivery.event_id)
            number = row.attempts + 1
            first = row.first_attempt_at or at
            await store.insert_attempt(
                session,
                dict(
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
                ),
            )
            values: dict[str, Any] = {
                "attempts": number,
                "first_attempt_at": first,
                "last_error": outcome.error or None,
            }
            still_ours = row.status == DeliveryStatus.PENDING and row.locked_until == claim.lease
            if still_ours:
                now = utcnow()
                values["locked_until"] = None
                if outcome.delivered:
                    values.update(status=DeliveryStatus.DELIVERED, finished_at=now)
                elif outcome.permanent:
                    values.update(status=DeliveryStatus.FAILED, finished_at=now)
                else:
                    delay = retry_delay(
                        settings.webhook_retry_schedule_seconds,
                        number,
                        settings.webhook_retry_jitter,
                    )
                    due = now + timedelta(seconds=delay)
                    if due > first + timedelta(seconds=settings.webhook_max_age_seconds):
                        values.update(
                            status=DeliveryStatus.FAILED,
                            finished_at=now,
                            last_error=f"{outcome.error}; gave up after {number} attempts",
                        )
                    else:
                        values["next_attempt_at"] = due
            else:
                log.warning("delivery %s: lease lost during attempt %d", row.event_id, number)
            await store.update_delivery(session, row.event_id, values)
        if outcome.delivered:
            log.info("delivered %s to %s (attempt %d)", row.event_id, row.url, number)
        else:
            log.info("delivery %s attempt %d failed: %s", row.event_id, number, outcome.error)
