"""The transactional outbox (events leave with the state change) and the idempotent inbox.

A service writes its state change and ``add_to_outbox`` in one transaction, so the
event exists exactly when the change does. ``OutboxRelay`` publishes unpublished rows in
id order with their ``msg_id`` as ``Nats-Msg-Id`` and then marks them: a crash between
the two publishes the row again, and the server drops the repeat. The trace context is
captured when the row is written, so the consumer continues the request's trace.

Consumers call ``first_time(session, inbox, msg_id)`` inside the transaction that
applies a message; it is False when that message was already applied.

A service keeps the outbox only if it publishes and the inbox only if it consumes: its
Alembic migrations create them with ``create_bus_table(op, OUTBOX | INBOX)`` (the first
services' ``0001`` called ``create_outbox_tables(op)`` for both) and its metadata gets
the same tables through ``outbox_table(metadata)`` and ``inbox_table(metadata)``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import zlib
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from google.protobuf.message import Message
from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.schema import SchemaItem

from avatarmesh.bus import Bus
from avatarmesh.clock import utcnow
from avatarmesh.db import Database, UtcDateTime, insert_ignoring_conflict
from avatarmesh.telemetry import inject

if TYPE_CHECKING:
    from alembic.operations import Operations

log = logging.getLogger(__name__)

OUTBOX = "outbox"
INBOX = "processed_messages"


def _outbox_schema() -> list[SchemaItem]:
    return [
        # BIGINT on PostgreSQL, INTEGER (the rowid, so it autoincrements) on SQLite.
        Column("id", BigInteger().with_variant(Integer(), "sqlite"), autoincrement=True),
        Column("subject", String(255), nullable=False),
        Column("msg_id", String(255), nullable=False),
        Column("payload", LargeBinary(), nullable=False),
        Column("headers", Text(), nullable=False, default="{}"),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("published_at", UtcDateTime(), nullable=True),
        PrimaryKeyConstraint("id", name=f"pk_{OUTBOX}"),
        UniqueConstraint("msg_id", name=f"uq_{OUTBOX}_msg_id"),
        Index(f"ix_{OUTBOX}_published_at", "published_at"),
    ]


def _inbox_schema() -> list[SchemaItem]:
    return [
        Column("msg_id", String(255), nullable=False),
        Column("processed_at", UtcDateTime(), nullable=False),
        PrimaryKeyConstraint("msg_id", name=f"pk_{INBOX}"),
        Index(f"ix_{INBOX}_processed_at", "processed_at"),
    ]


_SCHEMAS = {OUTBOX: _outbox_schema, INBOX: _inbox_schema}


def outbox_table(metadata: MetaData) -> Table:
    """The ``outbox`` table in a service's metadata."""
    return Table(OUTBOX, metadata, *_outbox_schema())


def inbox_table(metadata: MetaData) -> Table:
    """The ``processed_messages`` table: ids of messages this service already applied."""
    return Table(INBOX, metadata, *_inbox_schema())


def create_bus_table(op: Operations, name: str) -> None:
    """For a service's Alembic migration: create the outbox or the inbox (``OUTBOX``,
    ``INBOX``) and its index."""
    schema = _SCHEMAS[name]()
    op.create_table(name, *[item for item in schema if not isinstance(item, Index)])
    for index in schema:
        if isinstance(index, Index):
            assert index.name is not None
            op.create_index(index.name, name, [str(c) for c in index.expressions])


def drop_bus_table(op: Operations, name: str) -> None:
    """Undo ``create_bus_table`` (a service that stopped publishing or consuming)."""
    for index in _SCHEMAS[name]():
        if isinstance(index, Index):
            assert index.name is not None
            op.drop_index(index.name, table_name=name)
    op.drop_table(name)


def create_outbox_tables(op: Operations) -> None:
    """Both tables, as the first services' ``0001`` migrations created them."""
    create_bus_table(op, OUTBOX)
    create_bus_table(op, INBOX)


def drop_outbox_tables(op: Operations) -> None:
    drop_bus_table(op, INBOX)
    drop_bus_table(op, OUTBOX)


async def add_to_outbox(
    session: AsyncSession, table: Table, subject: str, message: Message, *, msg_id: str
) -> None:
    """Queue ``message`` for ``subject`` (un-namespaced) in the caller's transaction.

    ``msg_id`` must be derived from what the message announces (e.g. ``f"{video_id}:
    completed"``) so a retried command cannot queue the same fact twice.
    """
    headers = inject({})
    await session.execute(
        table.insert().values(
            subject=subject,
            msg_id=msg_id,
            payload=message.SerializeToString(),
            headers=json.dumps(dict(headers)),
            created_at=utcnow(),
            published_at=None,
        )
    )


async def first_time(session: AsyncSession, inbox: Table, msg_id: str) -> bool:
    """Record ``msg_id`` as processed in the caller's transaction.

    True the first time; False when it was already recorded (the caller skips the
    work). On PostgreSQL a concurrent transaction recording the same id waits for the
    first to finish and then gets False (or True if the first rolled back).
    """
    return await insert_ignoring_conflict(
        session, inbox, {"msg_id": msg_id, "processed_at": utcnow()}
    )


async def purge_processed(db: Database, inbox: Table, older_than: timedelta) -> int:
    """Forget inbox ids older than ``older_than`` (longer than any redelivery horizon)."""
    async with db.transaction() as session:
        result = await session.execute(
            delete(inbox).where(inbox.c.processed_at < utcnow() - older_than)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


# Inbox ids outlive the EVENTS stream's 7 days, so a redelivered message finds its id.
INBOX_RETENTION = timedelta(days=8)
INBOX_PURGE_EVERY_SECONDS = 600.0


async def run_inbox_purge(
    db: Database, inbox: Table, *, every: float = INBOX_PURGE_EVERY_SECONDS
) -> None:
    """Background task of every service with an inbox: purge ids older than
    ``INBOX_RETENTION`` now and then every ``every`` seconds (else the table only grows)."""
    while True:
        try:
            await purge_processed(db, inbox, INBOX_RETENTION)
        except Exception as exc:
            log.warning("purging the inbox failed: %s", exc)
        await asyncio.sleep(every)


class OutboxRelay:
    """Publishes outbox rows in id order, then marks them published.

    On PostgreSQL one transaction holds a per-table advisory lock while it selects a
    batch (``FOR UPDATE SKIP LOCKED``), publishes and marks it, so any number of
    replicas may run a relay: one publishes at a time, in order, and another takes
    over when it dies. On SQLite (one process per database) rows are read, published
    and marked in short transactions so writers are not blocked while publishing.
    A publish error stops the batch at that row (rows after it wait), the rows
    already published are marked, and the relay backs off and retries.
    """

    def __init__(
        self,
        db: Database,
        bus: Bus,
        table: Table,
        *,
        batch: int = 100,
        poll_interval: float = 0.5,
        max_backoff: float = 10.0,
        keep_published: timedelta = timedelta(days=1),
    ) -> None:
        self.db = db
        self.bus = bus
        self.table = table
        self.batch = batch
        self.poll_interval = poll_interval
        self.max_backoff = max_backoff
        self.keep_published = keep_published
        self._wake = asyncio.Event()
        self._lock_key = zlib.crc32(f"avatarmesh-outbox:{table.name}".encode())
        self._last_purge = 0.0

    def wake(self) -> None:
        """Relay now instead of at the next poll (call after committing outbox rows)."""
        self._wake.set()

    async def run(self) -> None:
        """Relay until cancelled."""
        failures = 0
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            try:
                sent = await self.relay_once()
                if loop.time() - self._last_purge > 600:
                    self._last_purge = loop.time()
                    await self.purge_published()
            except Exception as exc:
                failures += 1
                delay = min(self.max_backoff, self.poll_interval * 2**failures)
                log.warning("outbox relay failed (retrying in %.1fs): %s", delay, exc)
                await asyncio.sleep(delay)
                continue
            failures = 0
            if sent >= self.batch:
                continue  # more may be waiting
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)
            except TimeoutError:
                pass

    async def relay_once(self) -> int:
        """Publish one batch of unpublished rows; returns how many were published."""
        if self.db.is_sqlite:
            return await self._relay_sqlite()
        return await self._relay_locked()

    def _pending(self) -> Any:
        t = self.table
        return (
            select(t.c.id, t.c.subject, t.c.msg_id, t.c.payload, t.c.headers)
            .where(t.c.published_at.is_(None))
            .order_by(t.c.id)
            .limit(self.batch)
        )

    async def _publish(self, rows: Any) -> tuple[list[int], Exception | None]:
        done: list[int] = []
        for row in rows:
            try:
                await self.bus.publish_raw(
                    row.subject, row.payload, msg_id=row.msg_id, headers=json.loads(row.headers)
                )
            except Exception as exc:
                return done, exc
            done.append(row.id)
        return done, None

    async def _mark(self, session: AsyncSession, ids: list[int]) -> None:
        if ids:
            await session.execute(
                update(self.table).where(self.table.c.id.in_(ids)).values(published_at=utcnow())
            )

    async def _relay_locked(self) -> int:
        async with self.db.transaction() as session:
            locked = await session.scalar(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": self._lock_key}
            )
            if not locked:
                return 0  # another replica is relaying this table
            rows = (await session.execute(self._pending().with_for_update(skip_locked=True))).all()
            done, error = await self._publish(rows)
            await self._mark(session, done)
        if error is not None:
            raise error
        return len(done)

    async def _relay_sqlite(self) -> int:
        async with self.db.transaction() as session:
            rows = (await session.execute(self._pending())).all()
        if not rows:
            return 0
        done, error = await self._publish(rows)
        async with self.db.transaction() as session:
            await self._mark(session, done)
        if error is not None:
            raise error
        return len(done)

    async def purge_published(self) -> int:
        """Delete rows published longer ago than ``keep_published``."""
        t = self.table
        async with self.db.transaction() as session:
            result = await session.execute(
                delete(t).where(
                    t.c.published_at.is_not(None),
                    t.c.published_at < utcnow() - self.keep_published,
                )
            )
            return int(result.rowcount)  # type: ignore[attr-defined]
