"""The webhook service's tables and every query on them.

- ``signing_secrets``: one per owner (encrypted at rest when a key is configured);
  after a rotation the previous secret and until when it still signs.
- ``deliveries``: one per event, written with the inbox row when the event arrives;
  the body is frozen then. ``status`` is pending, delivered or failed; a pending row
  is due at ``next_attempt_at`` unless an attempt holds it (``locked_until``).
- ``delivery_attempts``: every attempt, its answer or error, and how long it took.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Integer, String, Table, Text, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from avatarmesh.db import UtcDateTime, insert_ignoring_conflict, service_metadata
from avatarmesh.ids import MAX_OWNER_ID_LENGTH
from avatarmesh.outbox import inbox_table, outbox_table
from services.webhook.logic import AttemptRecord, Delivery, DeliveryStatus, SigningSecret

metadata = service_metadata()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

signing_secrets = Table(
    "signing_secrets",
    metadata,
    Column("owner_id", String(MAX_OWNER_ID_LENGTH), primary_key=True),
    Column("secret", Text(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("previous_secret", Text(), nullable=True),
    Column("previous_valid_until", UtcDateTime(), nullable=True),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("event", String(64), nullable=False),
    Column("owner_id", String(MAX_OWNER_ID_LENGTH), nullable=False),
    Column("subject_id", String(64), nullable=False),
    Column("url", Text(), nullable=False),
    Column("payload", Text(), nullable=False),
    Column("video_key", Text(), nullable=True),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer(), nullable=False, default=0),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("first_attempt_at", UtcDateTime(), nullable=True),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("locked_until", UtcDateTime(), nullable=True),
    Column("finished_at", UtcDateTime(), nullable=True),
    Column("last_error", Text(), nullable=True),
    Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    Index("ix_deliveries_subject_id_event", "subject_id", "event"),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("event_id", String(128), nullable=False),
    Column("owner_id", String(MAX_OWNER_ID_LENGTH), nullable=False),
    Column("subject_id", String(64), nullable=False),
    Column("event", String(64), nullable=False),
    Column("url", Text(), nullable=False),
    Column("attempt", Integer(), nullable=False),
    Column("status_code", Integer(), nullable=False),
    Column("error", Text(), nullable=False),
    Column("duration_ms", Integer(), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_delivery_attempts_owner_id_at", "owner_id", "at"),
    Index("ix_delivery_attempts_event_id", "event_id"),
    Index("ix_delivery_attempts_subject_id", "subject_id"),
)


# -- signing secrets -------------------------------------------------------------------


async def sealed_secret(
    session: AsyncSession, owner_id: str, *, lock: bool
) -> SigningSecret | None:
    """The owner's secrets as stored (sealed: ``SecretBox.open`` reads them), locked
    for update when ``lock``; None when the owner has none yet."""
    query = select(signing_secrets).where(signing_secrets.c.owner_id == owner_id)
    if lock and session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return SigningSecret(**row._mapping) if row is not None else None


async def create_secret(session: AsyncSession, owner_id: str, sealed: str, now: datetime) -> None:
    """The owner's first secret, unless a concurrent call created one first."""
    await insert_ignoring_conflict(
        session, signing_secrets, {"owner_id": owner_id, "secret": sealed, "created_at": now}
    )


async def update_secret(session: AsyncSession, owner_id: str, **values: Any) -> None:
    await session.execute(
        update(signing_secrets).where(signing_secrets.c.owner_id == owner_id).values(**values)
    )


# -- deliveries ------------------------------------------------------------------------


async def delivery_for(session: AsyncSession, subject_id: str, event: str) -> str | None:
    """The event id already delivering ``event`` for the subject, if any."""
    d = deliveries.c
    found = await session.scalar(
        select(d.event_id).where(d.subject_id == subject_id, d.event == event)
    )
    return None if found is None else str(found)


async def insert_delivery(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(deliveries.insert().values(**values))


def delivery_of(row: Any) -> Delivery:
    values = dict(row._mapping)
    values["status"] = DeliveryStatus(values["status"])
    return Delivery(**values)


async def claim_due(
    session: AsyncSession, now: datetime, lease: datetime, limit: int
) -> list[Delivery]:
    """Up to ``limit`` due, unleased pending deliveries, leased until ``lease``
    (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so replicas never take the same one)."""
    d = deliveries.c
    query = (
        select(deliveries)
        .where(
            d.status == DeliveryStatus.PENDING,
            d.next_attempt_at <= now,
            or_(d.locked_until.is_(None), d.locked_until <= now),
        )
        .order_by(d.next_attempt_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update(skip_locked=True)
    rows = list((await session.execute(query)).all())
    if rows:
        await session.execute(
            update(deliveries)
            .where(d.event_id.in_([row.event_id for row in rows]))
            .values(locked_until=lease)
        )
    return [delivery_of(row) for row in rows]


async def release_lease(session: AsyncSession, event_id: str, lease: datetime) -> None:
    """Hand a leased delivery back at once (if the lease is still this one)."""
    await session.execute(
        update(deliveries)
        .where(deliveries.c.event_id == event_id, deliveries.c.locked_until == lease)
        .values(locked_until=None)
    )


async def locked_delivery(session: AsyncSession, event_id: str) -> Delivery:
    """The delivery as it is now, locked for the rest of the transaction."""
    query = select(deliveries).where(deliveries.c.event_id == event_id)
    if session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()
    return delivery_of((await session.execute(query)).one())


async def insert_attempt(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(delivery_attempts.insert().values(**values))


async def update_delivery(session: AsyncSession, event_id: str, values: Mapping[str, Any]) -> None:
    await session.execute(
        update(deliveries).where(deliveries.c.event_id == event_id).values(**values)
    )


async def purge_finished(session: AsyncSession, settled_before: datetime) -> int:
    """Forget deliveries settled before ``settled_before``, with their attempts."""
    d = deliveries.c
    settled = d.status != DeliveryStatus.PENDING
    finished = select(d.event_id).where(settled, d.finished_at < settled_before)
    await session.execute(
        delete(delivery_attempts).where(delivery_attempts.c.event_id.in_(finished))
    )
    result = await session.execute(delete(deliveries).where(d.event_id.in_(finished)))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def attempts(
    session: AsyncSession, owner_id: str, subject_id: str, limit: int
) -> list[AttemptRecord]:
    """The owner's recorded attempts, newest first (one subject's when given)."""
    a = delivery_attempts.c
    query = (
        select(delivery_attempts, deliveries.c.status.label("delivery_status"))
        .join(deliveries, deliveries.c.event_id == a.event_id)
        .where(a.owner_id == owner_id)
        .order_by(a.at.desc(), a.attempt.desc())
        .limit(limit)
    )
    if subject_id:
        query = query.where(a.subject_id == subject_id)
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
            at=row.at,
            delivery_status=row.delivery_status,
        )
        for row in (await session.execute(query)).all()
    ]
