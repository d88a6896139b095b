"""Fixtures: a throwaway PostgreSQL database per test on 127.0.0.1:5432.

``pg_admin_url`` (session) checks that the server answers (user ``postgres``, trust
auth). When nothing listens there the test is skipped with the reason (``make test``
prints skip reasons); a server that answers but refuses us is a failure, not a skip.
``pg_database_url`` creates a database with a unique name, yields its SQLAlchemy URL
(``postgresql+asyncpg://postgres@127.0.0.1:5432/<name>``) and drops it afterwards.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"


async def _admin_execute(sql: str) -> None:
    import asyncpg

    conn: Any = await asyncpg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres", timeout=3
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """URL of the ``postgres`` admin database; skips the test if nothing answers."""
    try:
        # In a thread: this may be set up from inside a running event loop.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, _admin_execute("SELECT 1")).result()
    except (OSError, TimeoutError) as exc:  # nothing listens: no server to test on
        pytest.skip(f"no PostgreSQL answers on {PG_HOST}:{PG_PORT}: {exc!r}")
    return f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres"


@pytest.fixture
async def pg_database_url(pg_admin_url: str) -> AsyncIterator[str]:
    """A fresh, empty database for one test; dropped (connections and all) after it."""
    name = "am_test_" + secrets.token_hex(6)
    await _admin_execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# The services that keep a database (each its own, as in production).
DATABASE_SERVICES = ("gateway", "billing", "avatar", "pose", "video", "webhook", "files")


@pytest.fixture
async def pg_service_database_url(pg_admin_url: str) -> AsyncIterator[str]:
    """A ``database_url`` template with ``{service}`` (as ``AVATARMESH_DATABASE_URL``
    takes it): one fresh database per service, dropped after the test."""
    prefix = "am_test_" + secrets.token_hex(6)
    names = [f"{prefix}_{service}" for service in DATABASE_SERVICES]
    for name in names:
        await _admin_execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_admin_url.rsplit("/", 1)[0] + f"/{prefix}_{{service}}"
    finally:
        for name in names:
            await _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
