"""The webhook service's tables and every query on them.

- ``signing_secrets``: one per owner (encrypted at rest when a key is configured);
  after a rotation the previous secret and until when it still signs.
- ``deliveries``: one per event, written with the inbox row when the event arrives;
  the body is frozen then. ``status`` is pending, delivered or failed; a pending row
  is due at ``next_attempt_at`` unless an attempt holds it (``locked_until``).
- ``delivery_attempts``: every attempt, its answer or error, and how long it took.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Integer, String, Table, Text, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from avatarmesh.db import UtcDateTime, insert_ignoring_conflict, service_metadata
from avatarmesh.ids import MAX_OWNER_ID_LENGTH
from avatarmesh.outbox import inbox_table
from services.webhook.logic import (
    AttemptRecord,
    Delivery,
    DeliveryStatus,
    SigningSecret,
    StoredEndpoint,
)

metadata = service_metadata()
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
    # Set for a delivery to a webhook endpoint (else: the job's own webhook_url).
    Column("endpoint_id", String(64), nullable=True, index=True),
    # The event id the receiver sees (Webhook-Id); null: ``event_id`` itself.
    Column("webhook_id", String(128), nullable=True),
    Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    Index("ix_deliveries_subject_id_event", "subject_id", "event"),
)

endpoints = Table(
    "endpoints",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("owner_id", String(MAX_OWNER_ID_LENGTH), nullable=False, index=True),
    Column("url", Text(), nullable=False),
    Column("events", Text(), nullable=False),  # JSON list
    Column("description", Text(), nullable=False),
    Column("secret", Text(), nullable=False),
    Column("secret_created_at", UtcDateTime(), nullable=False),
    Column("previous_secret", Text(), nullable=True),
    Column("previous_valid_until", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("deleted_at", UtcDateTime(), nullable=True),
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


async def delivery_for(
    session: AsyncSession, subject_id: str, event: str, endpoint_id: str | None = None
) -> str | None:
    """The delivery already carrying ``event`` for the subject to this endpoint (None:
    the job's own ``webhook_url``), if any."""
    d = deliveries.c
    target = d.endpoint_id.is_(None) if endpoint_id is None else d.endpoint_id == endpoint_id
    found = await session.scalar(
        select(d.event_id).where(d.subject_id == subject_id, d.event == event, target)
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
    session: AsyncSession, owner_id: str, subject_id: str, limit: int, endpoint_id: str = ""
) -> list[AttemptRecord]:
    """The owner's recorded attempts, newest first (one subject's when given)."""
    a = delivery_attempts.c
    query = (
        select(
            delivery_attempts,
            deliveries.c.status.label("delivery_status"),
            deliveries.c.endpoint_id.label("endpoint_id"),
            deliveries.c.webhook_id.label("webhook_id"),
        )
        .join(deliveries, deliveries.c.event_id == a.event_id)
        .where(a.owner_id == owner_id)
        .order_by(a.at.desc(), a.attempt.desc())
        .limit(limit)
    )
    if subject_id:
        query = query.where(a.subject_id == subject_id)
    if endpoint_id:
        query = query.where(deliveries.c.endpoint_id == endpoint_id)
    return [
        AttemptRecord(
            id=row.id,
            event_id=row.webhook_id or row.event_id,
            event=row.event,
            subject_id=row.subject_id,
            url=row.url,
            attempt=row.attempt,
            status_code=row.status_code,
            error=row.error,
            duration_ms=row.duration_ms,
            at=row.at,
            delivery_status=row.delivery_status,
            endpoint_id=row.endpoint_id or "",
        )
        for row in (await session.execute(query)).all()
    ]


# -- endpoints -------------------------------------------------------------------------


def endpoint_of(row: Any) -> StoredEndpoint:
    return StoredEndpoint(**(dict(row._mapping) | {"events": tuple(json.loads(row.events))}))


async def insert_endpoint(session: AsyncSession, endpoint: StoredEndpoint) -> None:
    values = asdict(endpoint) | {"events": json.dumps(list(endpoint.events))}
    await session.execute(endpoints.insert().values(**values))


async def live_endpoint(
    session: AsyncSession, owner_id: str, endpoint_id: str
) -> StoredEndpoint | None:
    """The owner's live endpoint, or None (missing, deleted or another owner's)."""
    e = endpoints.c
    query = select(endpoints).where(
        e.id == endpoint_id, e.owner_id == owner_id, e.deleted_at.is_(None)
    )
    row = (await session.execute(query)).first()
    return None if row is None else endpoint_of(row)


async def endpoint_by_id(session: AsyncSession, endpoint_id: str) -> StoredEndpoint | None:
    query = select(endpoints).where(endpoints.c.id == endpoint_id)
    row = (await session.execute(query)).first()
    return None if row is None else endpoint_of(row)


async def live_endpoints(session: AsyncSession, owner_id: str) -> list[StoredEndpoint]:
    e = endpoints.c
    query = (
        select(endpoints)
        .where(e.owner_id == owner_id, e.deleted_at.is_(None))
        .order_by(e.created_at, e.id)
    )
    return [endpoint_of(row) for row in (await session.execute(query)).all()]


async def update_endpoint(session: AsyncSession, endpoint_id: str, **values: Any) -> None:
    await session.execute(update(endpoints).where(endpoints.c.id == endpoint_id).values(**values))


async def fail_pending_for_endpoint(
    session: AsyncSession, endpoint_id: str, now: datetime, reason: str
) -> None:
    """A deleted endpoint is not tried any more."""
    d = deliveries.c
    await session.execute(
        update(deliveries)
        .where(d.endpoint_id == endpoint_id, d.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.FAILED, finished_at=now, last_error=reason)
    )
