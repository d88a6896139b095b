"""Intake: a settled video with a ``webhook_url`` becomes one ``deliveries`` row, in the
transaction that records its event id in the inbox (a repeat is dropped)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC

from avatarmesh.bus import Delivery
from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from avatarmesh.outbox import first_time
from avatarmesh.v1 import events_pb2
from services.webhook import payload as payloads
from services.webhook import store
from services.webhook.logic import DeliveryStatus
from services.webhook.store import inbox

log = logging.getLogger(__name__)


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
