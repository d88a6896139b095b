"""The canary: a synthetic job that travels the real path and comes back.

StartCanary writes the row and the ``jobs.canary`` message in one transaction (the
outbox relays it); a worker answers with ``events.canary.completed``; the consumer
here marks the row completed. Operators call it to prove the queue and the workers
are alive; the tracing test uses it to follow one trace across every hop.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import IdPrefix, new_id
from avatarmesh.outbox import OutboxRelay, first_time
from services.video import events
from services.video.store import canaries, inbox


@dataclass(frozen=True)
class Canary:
    id: str
    status: str  # queued, completed
    worker: str = ""
    round_trip_ms: float = 0.0


class Canaries:
    def __init__(self, db: Database, relay: OutboxRelay) -> None:
        self.db = db
        self.relay = relay

    async def start(self) -> Canary:
        canary_id = new_id(IdPrefix.JOB)
        async with self.db.transaction() as session:
            await session.execute(
                canaries.insert().values(
                    id=canary_id, status="queued", worker="", created_at=utcnow()
                )
            )
            await events.queue_canary(session, canary_id)
        self.relay.wake()
        return Canary(id=canary_id, status="queued")

    async def get(self, canary_id: str) -> Canary:
        async with self.db.transaction() as session:
            row = (
                await session.execute(select(canaries).where(canaries.c.id == canary_id))
            ).first()
        if row is None:
            raise DomainError(ErrorCode.NOT_FOUND, "Canary not found")
        return Canary(
            id=row.id, status=row.status, worker=row.worker, round_trip_ms=row.round_trip_ms or 0.0
        )

    async def completed(self, event_id: str, canary_id: str, worker: str) -> None:
        """A worker answered: the canary is completed, with its round trip."""
        async with self.db.transaction() as session:
            if not await first_time(session, inbox, event_id):
                return
            row = (
                await session.execute(
                    select(canaries.c.created_at).where(canaries.c.id == canary_id)
                )
            ).first()
            if row is None:
                return
            now = utcnow()
            await session.execute(
                update(canaries)
                .where(canaries.c.id == canary_id)
                .values(
                    status="completed",
                    worker=worker,
                    completed_at=now,
                    round_trip_ms=(now - row.created_at).total_seconds() * 1000,
                )
            )
