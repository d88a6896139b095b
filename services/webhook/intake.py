"""Intake: an announced event becomes ``deliveries`` rows, in the transaction that
records its event id in the inbox (a repeat is dropped): one to the job's own
``webhook_url`` (settled videos that set one) and one to every live webhook endpoint
of the owner that subscribed to the event.

Each delivery has its own row key (the event id for the job's URL,
``<event id>/<endpoint id>`` for an endpoint) and carries the event id itself as
``webhook_id``, so every receiver de-duplicates on the same ``Webhook-Id``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from avatarmesh.outbox import first_time
from services.webhook import payload as payloads
from services.webhook import store
from services.webhook.endpoints import delivery_values
from services.webhook.logic import SettledVideo
from services.webhook.store import inbox

log = logging.getLogger(__name__)


class Intake:
    """Turns ``events.video.*``, ``events.avatar.ready|failed`` and
    ``events.file.archived`` into deliveries."""

    def __init__(self, db: Database, wake: Callable[[], None]) -> None:
        self.db = db
        self.wake = wake

    async def take(self, settled: SettledVideo) -> None:
        """Deliveries for a settled video (once per event id)."""
        event = payloads.event_name(settled)
        if event is None or not settled.subject.startswith("events.video."):
            return  # not an event receivers are told about (e.g. cancelled)
        if not settled.video_id or not settled.owner_id:
            log.warning("%s without video_id/owner_id ignored", settled.subject)
            return
        event_id = settled.event_id or f"{settled.video_id}:{settled.status}"
        body = payloads.build_payload(settled, event, event_id, settled.occurred_at)
        video_key = (settled.video_key or None) if event == payloads.COMPLETED else None
        await self.fan_out(
            Announcement(event_id, event, settled.owner_id, settled.video_id, body, video_key),
            job_url=settled.webhook_url,
        )

    async def take_avatar(
        self, event: str, event_id: str, avatar_id: str, owner_id: str, error: str, at: datetime
    ) -> None:
        """Deliveries of ``avatar.ready`` / ``avatar.failed`` to subscribed endpoints."""
        if not avatar_id or not owner_id or not event_id:
            return
        body = payloads.avatar_payload(event, event_id, avatar_id, error, at)
        await self.fan_out(Announcement(event_id, event, owner_id, avatar_id, body, None))

    async def take_file_archived(
        self, event_id: str, file_id: str, owner_id: str, kind: str, reason: str, at: datetime
    ) -> None:
        """``file.archived`` to subscribed endpoints."""
        if not file_id or not owner_id or not event_id:
            return
        body = payloads.file_archived_payload(event_id, file_id, kind, reason, at)
        await self.fan_out(Announcement(event_id, "file.archived", owner_id, file_id, body, None))

    async def fan_out(self, note: Announcement, *, job_url: str = "") -> None:
        now = utcnow()
        added = 0
        async with self.db.transaction() as session:
            if not await first_time(session, inbox, note.event_id):
                return  # this event id was taken in already
            if job_url:
                added += await self._to_job_url(session, note, job_url, now)
            for endpoint in await store.live_endpoints(session, note.owner_id):
                if not endpoint.wants(note.event):
                    continue
                if await store.delivery_for(session, note.subject_id, note.event, endpoint.id):
                    continue  # the same fact under another event id: once is enough
                values = note.row(f"{note.event_id}/{endpoint.id}", endpoint.url, now)
                values |= {"endpoint_id": endpoint.id, "webhook_id": note.event_id}
                await store.insert_delivery(session, values)
                added += 1
        if added:
            self.wake()

    async def _to_job_url(self, session: Any, note: Announcement, url: str, now: datetime) -> int:
        same = await store.delivery_for(session, note.subject_id, note.event)
        if same is not None:
            log.warning(
                "%s for %s arrived again as %s; delivering it once (as %s)",
                note.event,
                note.subject_id,
                note.event_id,
                same,
            )
            return 0
        await store.insert_delivery(session, note.row(note.event_id, url, now))
        return 1


class Announcement:
    """One event as every receiver gets it: the frozen body and what it is about."""

    def __init__(
        self,
        event_id: str,
        event: str,
        owner_id: str,
        subject_id: str,
        body: dict[str, Any],
        video_key: str | None,
    ) -> None:
        self.event_id = event_id
        self.event = event
        self.owner_id = owner_id
        self.subject_id = subject_id
        self.body = body
        self.video_key = video_key

    def row(self, key: str, url: str, now: datetime) -> dict[str, Any]:
        return delivery_values(
            key, self.event, self.owner_id, self.subject_id, url, self.body, self.video_key, now
        )
