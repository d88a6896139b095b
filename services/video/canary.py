"""The canary: a synthetic job that travels the real path and comes back.

StartCanary writes the row and the ``jobs.canary`` message in one transaction (the
outbox relays it); a worker answers with ``events.canary.completed``; the consumer
here marks the row completed. Operators call it to prove the queue and the workers
are alive; the tracing test uses it to follow one trace across every hop.
"""

from __future__ import annotations

from sqlalchemy import select, update

from avatarmesh.bus import Delivery
from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import IdPrefix, new_id
from avatarmesh.outbox import OutboxRelay, add_to_outbox, first_time
from avatarmesh.v1 import events_pb2, jobs_pb2, video_pb2
from services.video.store import canaries, inbox, outbox

CANARY_SUBJECT = "jobs.canary"


class Canaries:
    def __init__(self, db: Database, relay: OutboxRelay) -> None:
        self.db = db
        self.relay = relay

    async def start(self) -> video_pb2.Canary:
        canary_id = new_id(IdPrefix.JOB)
        async with self.db.transaction() as session:
            await session.execute(
                canaries.insert().values(
                    id=canary_id, status="queued", worker="", created_at=utcnow()
                )
            )
            await add_to_outbox(
                session,
                outbox,
                CANARY_SUBJECT,
                jobs_pb2.CanaryJob(canary_id=canary_id),
                msg_id=f"{canary_id}:job",
            )
        self.relay.wake()
        return video_pb2.Canary(id=canary_id, status="queued")

    async def get(self, canary_id: str) -> video_pb2.Canary:
        async with self.db.transaction() as session:
            row = (
                await session.execute(select(canaries).where(canaries.c.id == canary_id))
            ).first()
        if row is None:
            raise DomainError(ErrorCode.NOT_FOUND, "Canary not found")
        return video_pb2.Canary(
            id=row.id, status=row.status, worker=row.worker, round_trip_ms=row.round_trip_ms or 0.0
        )

    async def on_completed(self, delivery: Delivery[events_pb2.CanaryCompleted]) -> None:
        event = delivery.message
        async with self.db.transaction() as session:
            if not await first_time(session, inbox, event.meta.event_id):
                return
            row = (
                await session.execute(
                    select(canaries.c.created_at).where(canaries.c.id == event.canary_id)
                )
            ).first()
            if row is None:
                return
            now = utcnow()
            created = (
                row.created_at
                if row.created_at.tzinfo
                else row.created_at.replace(tzinfo=now.tzinfo)
            )
            await session.execute(
                update(canaries)
                .where(canaries.c.id == event.canary_id)
                .values(
                    status="completed",
                    worker=event.worker,
                    completed_at=now,
                    round_trip_ms=(now - created).total_seconds() * 1000,
                )
            )
