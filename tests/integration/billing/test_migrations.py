"""Billing migrations on SQLite and PostgreSQL: 0002 puts existing wallets on the
"default" tier, and downgrades cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text

from avatarmesh.db import Database
from tests.unit.billing.support import MIGRATIONS

pytestmark = pytest.mark.integration


def _to(connection: Connection, revision: str, down: bool = False) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    (command.downgrade if down else command.upgrade)(cfg, revision)


async def test_wallet_tier_migration_defaults_existing_wallets_and_downgrades(
    database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url.format(data_dir=tmp_path, service="billing"))
    try:
        async with db.engine.connect() as conn:
            await conn.run_sync(_to, "0001")
            await conn.execute(
                text(
                    "INSERT INTO wallets (owner_id, balance_micros, held_micros, created_at, "
                    "updated_at) VALUES ('own_old', 5, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            await conn.commit()
            await conn.run_sync(_to, "head")
            await conn.commit()
            rows = (await conn.execute(text("SELECT owner_id, tier FROM wallets"))).all()
            assert [tuple(r) for r in rows] == [("own_old", "default")]
            await conn.run_sync(_to, "0001", True)
            await conn.commit()
            columns = (await conn.execute(text("SELECT * FROM wallets"))).keys()
            assert "tier" not in columns
            await conn.run_sync(_to, "head")
            await conn.commit()
    finally:
        await db.close()
