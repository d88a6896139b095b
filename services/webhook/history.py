"""The delivery history an owner reads: every attempt, newest first."""

from __future__ import annotations

from sqlalchemy import select

from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from services.webhook.logic import AttemptRecord, require_owner
from services.webhook.store import deliveries, delivery_attempts


async def list_attempts(
    db: Database, owner_id: str, subject_id: str = "", limit: int = 100
) -> list[AttemptRecord]:
    """The owner's recorded attempts, newest first (one subject's when given)."""
    require_owner(owner_id)
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
