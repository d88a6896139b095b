"""The delivery history an owner reads: every attempt, newest first."""

from __future__ import annotations

from avatarmesh.db import Database
from services.webhook import store
from services.webhook.logic import AttemptRecord, require_owner


async def list_attempts(
    db: Database, owner_id: str, subject_id: str = "", limit: int = 100, endpoint_id: str = ""
) -> list[AttemptRecord]:
    """The owner's recorded attempts, newest first (one subject's when given; at most
    ``limit``, 100 by default and 500 at the most)."""
    require_owner(owner_id)
    limit = 100 if limit <= 0 else min(limit, 500)
    async with db.transaction() as session:
        return await store.attempts(session, owner_id, subject_id, limit, endpoint_id)
