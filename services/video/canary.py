"""The canary: a synthetic job that travels the real path and comes back.

StartCanary writes the row and the ``jobs.canary`` message in one transaction (the
outbox relays it); a worker answers with ``events.canary.completed``; the consumer
here marks the row completed. Operators call it to prove the queue and the workers
are alive; the tracing test uses it to follow one trace across every hop.
"""

from __future__ import annotations

from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import IdPrefix, new_id
from avatarmesh.outbox import OutboxRelay, first_time
from services.video import events, store
from services.video.logic import Canary, CanaryStatus
from services.video.store import inbox


class Canaries:
    def __init__(self, db: Database, relay: OutboxRelay) -> None:
        self.db = db
        self.relay = relay

    async def start(self) -> Canary:
        canary_id = new_id(IdPrefix.JOB)
        async with self.db.transaction() as session:
            await store.insert_canary(session, canary_id, utcnow())
            await events.queue_canary(session, canary_id)
        self.relay.wake()
        return Canary(id=canary_id, status=CanaryStatus.QUEUED)

    async def get(self, canary_id: str) -> Canary:
        async with self.db.transaction() as session:
            canary = await store.get_canary(session, canary_id)
        if canary is None:
            raise DomainError(ErrorCode.NOT_FOUND, "Canary not found")
        return canary

    async def completed(self, event_id: str, canary_id: str, worker: str) -> None:
        """A worker answered: the canary is completed, with its round trip."""
        async with self.db.transaction() as session:
            if await first_time(session, inbox, event_id):
                await store.complete_canary(session, canary_id, worker, utcnow())
