"""Every service's Alembic migrations apply from empty, twice (idempotent at start),
on SQLite and on PostgreSQL."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from avatarmesh.db import Database
from avatarmesh.ids import MAX_OWNER_ID_LENGTH
from avatarmesh.settings import REPO_ROOT

pytestmark = pytest.mark.integration

MIGRATION_DIRS = {
    p.parent.parent.name: p.parent
    for p in [
        *REPO_ROOT.glob("services/*/migrations/env.py"),
        REPO_ROOT / "gateway/migrations/env.py",
    ]
}

# The gateway is no service folder: its tables are declared in two modules.
GATEWAY_TABLE_MODULES = ["gateway.store", "gateway.idempotency_store"]


async def _migrate_twice_and_list_tables(url: str, migrations: Path) -> set[str]:
    db = Database(url)
    try:
        await db.migrate(migrations)
        await db.migrate(migrations)
        async with db.engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await db.close()


@pytest.mark.parametrize("service", sorted(MIGRATION_DIRS))
async def test_migrations_apply_on_sqlite(service: str, tmp_path: Path) -> None:
    tables = await _migrate_twice_and_list_tables(
        f"sqlite+aiosqlite:///{tmp_path}/{service}.db", MIGRATION_DIRS[service]
    )
    assert "alembic_version" in tables and len(tables) > 1


@pytest.mark.parametrize("service", sorted(MIGRATION_DIRS))
async def test_the_migrations_create_exactly_the_tables_the_store_declares(
    service: str, tmp_path: Path
) -> None:
    """A table a migration creates and the store never declares is dead schema (pose
    kept an outbox and inbox nothing wrote); one declared and never created fails at
    the first query."""
    tables = await _migrate_twice_and_list_tables(
        f"sqlite+aiosqlite:///{tmp_path}/{service}.db", MIGRATION_DIRS[service]
    )
    modules = GATEWAY_TABLE_MODULES if service == "gateway" else [f"services.{service}.store"]
    declared = {t for m in modules for t in importlib.import_module(m).metadata.tables}
    assert tables - {"alembic_version"} == declared


@pytest.mark.parametrize("service", sorted(MIGRATION_DIRS))
async def test_migrations_apply_on_postgresql(service: str, pg_database_url: str) -> None:
    tables = await _migrate_twice_and_list_tables(pg_database_url, MIGRATION_DIRS[service])
    assert "alembic_version" in tables and len(tables) > 1


async def test_every_owner_id_column_takes_the_longest_owner_id_on_postgresql(
    pg_service_database_url: str,
) -> None:
    widths: dict[str, object] = {}
    for service, migrations in MIGRATION_DIRS.items():
        db = Database(pg_service_database_url.format(service=service))
        try:
            await db.migrate(migrations)
            async with db.engine.connect() as conn:
                widths.update(await conn.run_sync(_owner_id_widths, service))
        finally:
            await db.close()
    assert len(widths) >= 12  # every table that stores an owner
    assert {width for width in widths.values()} == {MAX_OWNER_ID_LENGTH}, widths


def _owner_id_widths(conn: Connection, service: str) -> dict[str, object]:
    found = {}
    inspector = inspect(conn)
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            if column["name"] == "owner_id":
                found[f"{service}.{table}"] = getattr(column["type"], "length", None)
    return found
