"""Housekeeping: deliveries settled longer ago than the retention are forgotten, with
their attempts (the inbox is purged by ``avatarmesh.outbox.run_inbox_purge``)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import delete, select

from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from services.webhook.logic import DeliveryStatus
from services.webhook.store import deliveries, delivery_attempts

log = logging.getLogger(__name__)


async def purge_finished(db: Database, older_than: timedelta) -> int:
    """Forget deliveries settled longer ago than ``older_than``, with their attempts."""
    d = deliveries.c
    settled = d.status != DeliveryStatus.PENDING
    finished = select(d.event_id).where(settled, d.finished_at < utcnow() - older_than)
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
