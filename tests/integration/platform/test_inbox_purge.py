"""Every service that keeps an inbox purges it: ids older than the retention go, recent
ones stay (the avatar and video inboxes once grew forever)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, func, select

from avatarmesh.db import Database
from avatarmesh.outbox import INBOX_RETENTION
from avatarmesh.service import ServiceSpec, running
from avatarmesh.settings import Settings
from services.avatar.__main__ import SPEC as AVATAR
from services.avatar.store import inbox as avatar_inbox
from services.video.__main__ import SPEC as VIDEO
from services.video.store import inbox as video_inbox
from services.webhook.__main__ import SPEC as WEBHOOK
from services.webhook.store import inbox as webhook_inbox

pytestmark = pytest.mark.integration

SERVICES: dict[str, tuple[ServiceSpec[Any], Table]] = {
    "avatar": (AVATAR, avatar_inbox),
    "video": (VIDEO, video_inbox),
    "webhook": (WEBHOOK, webhook_inbox),
}


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_a_running_service_purges_inbox_ids_past_the_retention(
    service: str, nats_server: str, s3_server: str, bus_namespace: str, tmp_path: Path
) -> None:
    spec, inbox = SERVICES[service]
    settings: Settings = spec.settings_class().model_copy(
        update={
            "database_url": "sqlite+aiosqlite:///{data_dir}/{service}.db",
            "data_dir": tmp_path,
            "nats_url": nats_server,
            "bus_namespace": bus_namespace,
            "s3_endpoint": s3_server,
            "s3_bucket": f"test-{bus_namespace}",
            "log_json": False,
            **({"avatar_seed_system": False} if service == "avatar" else {}),
        }
    )
    db = Database(settings.database_url_for(spec.name))
    now = datetime.now(UTC)
    try:
        await db.migrate(spec.migrations)  # type: ignore[arg-type]
        async with db.transaction() as session:
            await session.execute(
                inbox.insert(),
                [
                    {"msg_id": "old", "processed_at": now - INBOX_RETENTION - timedelta(hours=1)},
                    {"msg_id": "recent", "processed_at": now - timedelta(days=1)},
                ],
            )
        async with running(spec, settings, port=0):
            for _ in range(100):
                async with db.transaction() as session:
                    left = set((await session.scalars(select(inbox.c.msg_id))).all())
                if "old" not in left:
                    break
                await asyncio.sleep(0.05)
        assert left == {"recent"}
        async with db.transaction() as session:
            assert await session.scalar(select(func.count()).select_from(inbox)) == 1
    finally:
        await db.close()
