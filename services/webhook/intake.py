"""Intake: a settled video with a ``webhook_url`` becomes one ``deliveries`` row, in the
transaction that records its event id in the inbox (a repeat is dropped)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from avatarmesh.outbox import first_time
from services.webhook import payload as payloads
from services.webhook import store
from services.webhook.logic import DeliveryStatus, SettledVideo
from services.webhook.store import inbox

log = logging.getLogger(__name__)


class Intake:
    """Turns ``events.video.*`` into deliveries (the bus handler)."""

    def __init__(self, db: Database, wake: Callable[[], None]) -> None:
        self.db = db
        self.wake = wake

    async def take(self, settled: SettledVideo) -> None:
        """One delivery for a settled video with a webhook URL (once per event id)."""
        event = payloads.event_name(settled)
        if event is None or not settled.subject.startswith("events.video."):
            return  # not an event receivers are told about (e.g. cancelled)
        if not settled.webhook_url:
            return
        if not settled.video_id or not settled.owner_id:
            log.warning("%s without video_id/owner_id ignored", settled.subject)
            return
        event_id = settled.event_id or f"{settled.video_id}:{settled.status}"
        body = payloads.build_payload(settled, event, event_id, settled.occurred_at)
        now = utcnow()
        async with self.db.transaction() as session:
            if not await first_time(session, inbox, event_id):
                return  # this event id was taken in already
            same = await store.delivery_for(session, settled.video_id, event)
            if same is not None:
                log.warning(
                    "%s for %s arrived again as %s; delivering it once (as %s)",
                    event,
                    settled.video_id,
                    event_id,
                    same,
                )
                return
            await store.insert_delivery(
                session,
                {
                    "event_id": event_id,
                    "event": event,
                    "owner_id": settled.owner_id,
                    "subject_id": settled.video_id,
                    "url": settled.webhook_url,
                    "payload": json.dumps(body),
                    "video_key": (settled.video_key or None)
                    if event == payloads.COMPLETED
                    else None,
                    "status": DeliveryStatus.PENDING,
                    "attempts": 0,
                    "created_at": now,
                    "next_attempt_at": now,
                },
            )
        self.wake()
