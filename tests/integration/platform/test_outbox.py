"""The transactional outbox and inbox on SQLite and PostgreSQL, relayed to a real NATS."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import MetaData, Table, func, inspect, select

from avatarmesh.bus import EVENTS_STREAM, Bus, Delivery
from avatarmesh.db import Database, service_metadata
from avatarmesh.outbox import (
    INBOX,
    OutboxRelay,
    add_to_outbox,
    create_bus_table,
    create_outbox_tables,
    drop_bus_table,
    drop_outbox_tables,
    first_time,
    inbox_table,
    outbox_table,
)
from avatarmesh.settings import Settings
from avatarmesh.v1.jobs_pb2 import CanaryJob

pytestmark = pytest.mark.integration

SUBJECT = "events.canary.happened"


class Tables:
    def __init__(self) -> None:
        self.metadata: MetaData = service_metadata()
        self.outbox: Table = outbox_table(self.metadata)
        self.inbox: Table = inbox_table(self.metadata)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/service.db"
    return str(request.getfixturevalue("pg_database_url"))


@pytest.fixture
async def tables(database_url: str) -> AsyncIterator[Tables]:
    t = Tables()
    db = Database(database_url)
    async with db.engine.begin() as conn:
        await conn.run_sync(t.metadata.create_all)
    await db.close()
    yield t


@pytest.fixture
async def db(database_url: str, tables: Tables) -> AsyncIterator[Database]:
    d = Database(database_url)
    yield d
    await d.close()


@pytest.fixture
async def bus(nats_server: str, bus_namespace: str) -> AsyncIterator[Bus]:
    b = Bus(Settings(nats_url=nats_server, bus_namespace=bus_namespace), "test")
    await b.connect()
    yield b
    await b.close()


class Observer:
    """Everything that reaches the EVENTS stream, through a durable consumer."""

    def __init__(self) -> None:
        self.seen: list[Delivery[CanaryJob]] = []

    @property
    def ids(self) -> list[str]:
        return [d.message.canary_id for d in self.seen]

    async def handle(self, d: Delivery[CanaryJob]) -> None:
        self.seen.append(d)


@contextlib.asynccontextmanager
async def observing(bus: Bus) -> AsyncIterator[Observer]:
    obs = Observer()
    task = asyncio.create_task(
        bus.consume(
            stream=EVENTS_STREAM,
            durable="observer",
            filter_subject="events.>",
            message_type=CanaryJob,
            handler=obs.handle,
        )
    )
    try:
        yield obs
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def wait_for(predicate: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def add(db: Database, tables: Tables, *ids: str) -> None:
    async with db.transaction() as session:
        for cid in ids:
            await add_to_outbox(
                session, tables.outbox, SUBJECT, CanaryJob(canary_id=cid), msg_id=f"ev:{cid}"
            )


async def unpublished(db: Database, tables: Tables) -> int:
    async with db.transaction() as session:
        count = await session.scalar(
            select(func.count()).where(tables.outbox.c.published_at.is_(None))
        )
    return int(count or 0)


async def test_rolled_back_rows_are_never_published(db: Database, tables: Tables, bus: Bus) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await add_to_outbox(
                session, tables.outbox, SUBJECT, CanaryJob(canary_id="ghost"), msg_id="ev:ghost"
            )
            raise RuntimeError("state change failed")
    await add(db, tables, "real")
    relay = OutboxRelay(db, bus, tables.outbox)
    assert await relay.relay_once() == 1
    assert await relay.relay_once() == 0
    async with observing(bus) as obs:
        await wait_for(lambda: len(obs.seen) == 1)
        await asyncio.sleep(0.3)
    assert obs.ids == ["real"]


async def test_committed_rows_are_published_once_in_order(
    db: Database, tables: Tables, bus: Bus
) -> None:
    relay = OutboxRelay(db, bus, tables.outbox, batch=7, poll_interval=5.0)
    expected = [str(i) for i in range(40)]
    async with observing(bus) as obs:
        task = asyncio.create_task(relay.run())
        try:
            for i in range(0, 40, 4):
                await add(db, tables, *expected[i : i + 4])
                relay.wake()
            await wait_for(lambda: len(obs.seen) >= 40)
            await asyncio.sleep(0.3)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert obs.ids == expected
    assert [d.msg_id for d in obs.seen] == [f"ev:{i}" for i in expected]
    assert await unpublished(db, tables) == 0
    assert await relay.relay_once() == 0


async def test_crash_between_publish_and_mark_gives_consumers_no_duplicate(
    db: Database, tables: Tables, bus: Bus
) -> None:
    await add(db, tables, "a", "b", "c")
    # A relay published a and b, then died before marking them.
    async with db.transaction() as session:
        rows = (await session.execute(select(tables.outbox).order_by(tables.outbox.c.id))).all()
    for row in rows[:2]:
        await bus.publish_raw(row.subject, row.payload, msg_id=row.msg_id)
    assert await unpublished(db, tables) == 3

    assert await OutboxRelay(db, bus, tables.outbox).relay_once() == 3
    async with observing(bus) as obs:
        await wait_for(lambda: len(obs.seen) == 3)
        await asyncio.sleep(0.3)
    assert obs.ids == ["a", "b", "c"]


async def test_relay_keeps_rows_when_the_bus_is_down_and_sends_them_later(
    db: Database,
    tables: Tables,
    bus: Bus,
    nats_server: str,
    bus_namespace: str,
) -> None:
    closed = Bus(Settings(nats_url=nats_server, bus_namespace=bus_namespace), "down")
    await closed.connect()
    await closed.close()  # every publish now fails
    await add(db, tables, "x", "y")
    with pytest.raises(Exception):  # noqa: B017 - any bus error
        await OutboxRelay(db, closed, tables.outbox).relay_once()
    assert await unpublished(db, tables) == 2
    assert await OutboxRelay(db, bus, tables.outbox).relay_once() == 2
    assert await unpublished(db, tables) == 0


async def test_outbox_row_carries_the_writers_trace(db: Database, tables: Tables, bus: Bus) -> None:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())
    with trace.get_tracer("test").start_as_current_span("request") as span:
        trace_id = span.get_span_context().trace_id
        await add(db, tables, "traced")
    await OutboxRelay(db, bus, tables.outbox).relay_once()  # outside the request's span
    seen: list[int] = []

    async with observing(bus) as obs:
        await wait_for(lambda: len(obs.seen) == 1)
        seen.append(int(obs.seen[0].headers.get("traceparent", "00-0-").split("-")[1], 16))
    assert seen == [trace_id]


async def test_first_time_is_false_for_an_already_processed_message(
    db: Database, tables: Tables
) -> None:
    async with db.transaction() as session:
        assert await first_time(session, tables.inbox, "m1") is True
    async with db.transaction() as session:
        assert await first_time(session, tables.inbox, "m1") is False
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            assert await first_time(session, tables.inbox, "m2") is True
            raise RuntimeError("handler failed")
    async with db.transaction() as session:
        assert await first_time(session, tables.inbox, "m2") is True


async def test_two_relays_on_postgresql_never_publish_a_row_twice(
    pg_database_url: str,
    bus: Bus,
) -> None:
    t = Tables()
    setup = Database(pg_database_url)
    async with setup.engine.begin() as conn:
        await conn.run_sync(t.metadata.create_all)
    await add(setup, t, *[str(i) for i in range(60)])

    published: list[str] = []

    class CountingBus:
        """Records every publish the relays attempt, before the server de-dups."""

        async def publish_raw(self, subject: str, payload: bytes, **kw: Any) -> bool:
            published.append(kw["msg_id"])
            await asyncio.sleep(0.002)
            return await bus.publish_raw(subject, payload, **kw)

    dbs = [Database(pg_database_url), Database(pg_database_url)]
    relays = [OutboxRelay(d, CountingBus(), t.outbox, batch=5) for d in dbs]  # type: ignore[arg-type]

    async def drain(relay: OutboxRelay) -> None:
        while await unpublished(setup, t):
            await relay.relay_once()
            await asyncio.sleep(0)

    try:
        await asyncio.wait_for(asyncio.gather(*(drain(r) for r in relays)), 20)
    finally:
        for d in dbs:
            await d.close()
        await setup.close()
    assert published == [f"ev:{i}" for i in range(60)]


def test_migration_helpers_create_and_drop_the_same_tables(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{tmp_path}/m.db")
    with engine.begin() as conn:
        op = Operations(MigrationContext.configure(conn))
        create_outbox_tables(op)
        insp = inspect(conn)
        t = Tables()
        for table in (t.outbox, t.inbox):
            assert {c["name"] for c in insp.get_columns(table.name)} == set(table.c.keys())
            assert {i["name"] for i in insp.get_indexes(table.name)} == {
                i.name for i in table.indexes
            }
        assert [u["name"] for u in insp.get_unique_constraints("outbox")] == ["uq_outbox_msg_id"]
        drop_outbox_tables(op)
        assert not inspect(conn).get_table_names()
        create_bus_table(op, INBOX)  # the inbox alone: a service that only consumes
        assert inspect(conn).get_table_names() == [INBOX]
        drop_bus_table(op, INBOX)
        assert not inspect(conn).get_table_names()
    engine.dispose()
