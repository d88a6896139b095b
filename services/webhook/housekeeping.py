"""Housekeeping: deliveries settled longer ago than the retention are forgotten, with
their attempts (the inbox is purged by ``avatarmesh.outbox.run_inbox_purge``)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from services.webhook import store

log = logging.getLogger(__name__)


async def purge_finished(db: Database, older_than: timedelta) -> int:
    """Forget deliveries settled longer ago than ``older_than``, with their attempts."""
    async with db.transaction() as session:
        return await store.purge_finished(session, utcnow() - older_than)


async def run_housekeeping(db: Database, retention: timedelta, every: float = 600.0) -> None:
    """Purge settled deliveries every ``every`` seconds until cancelled."""
    while True:
        try:
            await purge_finished(db, retention)
        except Exception as exc:
            log.warning("webhook housekeeping failed: %s", exc)
        await asyncio.sleep(every)
