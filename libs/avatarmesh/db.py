"""SQLAlchemy 2 async databases: one per service, migrated by Alembic at start.

SQLite (the embedded default) runs every transaction as ``BEGIN IMMEDIATE`` so
writers serialise instead of failing; PostgreSQL uses row locks in each service's
queries. ``Database.read()`` is the transaction for reads only: a plain (deferred)
``BEGIN`` on SQLite, so hot reads neither queue behind writers for the write lock nor
make writers wait for them (WAL readers see the last committed state). On a SQLite
file, reads also run on their own connections in the event loop's thread: a small
indexed read takes microseconds, while aiosqlite's hand-off to its thread and back
(several per query) cost most of a service's CPU per request. Writes keep the
thread: they may wait for the write lock. A service's
migrations live in ``services/<name>/migrations``; their ``env.py`` is one call to
``run_migrations_in_env``.

"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite
from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, Dialect, MetaData, String, TypeDecorator, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on PostgreSQL and SQLite alike: SQLite keeps no
    offset, so values are stored as naive UTC there and come back aware; a naive
    datetime given to the column is a bug and refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def insert_ignoring_conflict(
    session: AsyncSession, table: Any, values: Mapping[str, Any]
) -> bool:
    """``INSERT ... ON CONFLICT DO NOTHING`` on PostgreSQL and SQLite; True when the row
    was inserted, False when one with the same key existed (or, on PostgreSQL, a
    concurrent transaction inserted it and committed first)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = await session.execute(insert(table).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


class Base(DeclarativeBase):
    """Declarative base for one service's tables (subclass once per service)."""

    __abstract__ = True


def service_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


class Database:
    """An async engine plus a session factory, owned by one service."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            if self.url.database and self.url.database != ":memory:":
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            _use_immediate_transactions(self.engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._read_engine = self._make_read_engine(echo)
        self._read_sessions = async_sessionmaker(self._read_engine, expire_on_commit=False)

    def _make_read_engine(self, echo: bool) -> AsyncEngine:
        """The engine of ``read()``: its own in-thread connections on a SQLite file,
        else the main engine (its pool) with the read-only option."""
        database = self.url.database
        self._read_engine_owned = False
        if not self.is_sqlite or not database or database == ":memory:" or self.url.query:
            return self.engine.execution_options(**{_READ_ONLY: True})
        self._read_engine_owned = True
        connector = partial(
            sqlite3.connect, database, timeout=READ_BUSY_TIMEOUT_S, check_same_thread=False
        )
        engine = create_async_engine(
            self.url, echo=echo, async_creator=partial(_InlineSqlite.open, connector)
        )
        _use_immediate_transactions(engine, read_only=True)
        return engine

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on exit, rolled back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only (never write in it): on SQLite it takes no write
        lock, so many readers and one writer proceed at once."""
        async with self._read_sessions() as session, session.begin():
            yield session

    async def migrate(self, migrations_dir: Path) -> None:
        """Apply the service's Alembic migrations up to head."""
        async with self.engine.connect() as conn:
            await conn.run_sync(_upgrade, migrations_dir)
            await conn.commit()

    async def close(self) -> None:
        if self._read_engine_owned:
            await self._read_engine.dispose()
        await self.engine.dispose()


_READ_ONLY = "avatarmesh_read_only"  # execution option of Database.read() sessions
# A WAL reader waits for a lock only in rare moments (recovery); never hold the loop long.
READ_BUSY_TIMEOUT_S = 1.0


class _RunNow:
    """Stands in for aiosqlite's queue to its thread (SQLAlchemy's driver also puts
    work there directly): runs each ``(future, function)`` at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:
            if future is not None:
                future.set_exception(exc)
            return
        if future is not None:
            future.set_result(result)


class _InlineSqlite(aiosqlite.Connection):
    """aiosqlite's interface (what SQLAlchemy's driver expects), every call run at once
    in the caller's thread instead of being queued to a worker thread (never started)."""

    @classmethod
    async def open(cls, connector: Callable[[], sqlite3.Connection]) -> _InlineSqlite:
        connection = cls(connector, iter_chunk_size=64)
        connection._tx = _RunNow()  # type: ignore[assignment]
        connection._connection = connector()
        return connection

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        self.stop()


def _use_immediate_transactions(engine: AsyncEngine, read_only: bool = False) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        busy_ms = int(READ_BUSY_TIMEOUT_S * 1000) if read_only else 30_000
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        reads = read_only or conn.get_execution_options().get(_READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if reads else "BEGIN IMMEDIATE")


def _upgrade(connection: Connection, migrations_dir: Path) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


def run_migrations_in_env(target_metadata: MetaData) -> None:
    """The body of every service's ``migrations/env.py``."""
    from alembic import context

    connection = context.config.attributes.get("connection")
    if connection is None:  # `alembic` CLI without a connection: offline SQL output
        context.configure(
            url="sqlite://",
            target_metadata=target_metadata,
            literal_binds=True,
            render_as_batch=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def widen_string_columns(columns: Iterable[tuple[str, str]], old: int, new: int) -> None:
    """Alembic step: ``VARCHAR(old)`` -> ``VARCHAR(new)`` for each ``(table, column)``.

    Only PostgreSQL enforces the length; SQLite ignores it, and the batch rebuild that
    SQLite would need drops triggers (billing's append-only ledger has some), so nothing
    is done there. Migrations pass literal lengths: they describe one point in time.
    """
    from alembic import op

    if op.get_bind().dialect.name == "sqlite":
        return
    for table, column in columns:
        op.alter_column(
            table, column, type_=String(new), existing_type=String(old), existing_nullable=False
        )


def run_sync(coro: Any) -> Any:
    """Run a coroutine from synchronous code (CLI commands)."""
    return asyncio.run(coro)
