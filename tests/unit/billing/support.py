"""Helpers for the billing tests: a migrated SQLite ledger with a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from avatarmesh.db import Database
from services.billing.config import BillingRules
from services.billing.ledger import Ledger

MIGRATIONS = Path(__file__).resolve().parents[3] / "services" / "billing" / "migrations"
RULES = BillingRules(
    hold_ttl_seconds=3600,
    max_hold_ttl_seconds=7 * 24 * 3600,
    daily_pose_caps={"default": 3, "pro": 5},
)


class FakeClock:
    """Now, as the test says; starts at noon UTC."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@asynccontextmanager
async def sqlite_ledger(
    directory: Path, clock: FakeClock, rules: BillingRules = RULES
) -> AsyncIterator[Ledger]:
    db = Database(f"sqlite+aiosqlite:///{directory}/billing.db")
    await db.migrate(MIGRATIONS)
    try:
        yield Ledger(db, rules, clock=clock)
    finally:
        await db.close()
