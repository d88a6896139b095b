"""The video path on PostgreSQL, which (unlike SQLite) enforces column lengths."""

from __future__ import annotations

from pathlib import Path

import pytest

from avatarmesh.db import Database
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import MAX_OWNER_ID_LENGTH
from avatarmesh.settings import REPO_ROOT
from avatarmesh.v1 import video_pb2
from gateway import store as keys
from tests.integration.video.support import seed_avatar, video_mesh

pytestmark = pytest.mark.integration

# The longest owner id the gateway issues keys for (once 200 there, 64 in video).
LONG_OWNER = "own_" + "x" * (MAX_OWNER_ID_LENGTH - 4)


async def test_the_longest_owner_id_gets_a_key_a_wallet_and_its_first_video(
    nats_server: str,
    s3_server: str,
    bus_namespace: str,
    tmp_path: Path,
    pg_service_database_url: str,
) -> None:
    gateway_db = Database(pg_service_database_url.format(service="gateway"))
    try:
        await gateway_db.migrate(REPO_ROOT / "gateway" / "migrations")
        issued = await keys.create_key(gateway_db, LONG_OWNER)
        assert (await keys.caller_for_secret(gateway_db, issued.secret)).owner_id == LONG_OWNER
    finally:
        await gateway_db.close()
    async with video_mesh(
        nats_server, s3_server, bus_namespace, tmp_path, database_url=pg_service_database_url
    ) as mesh:
        await mesh.fund(LONG_OWNER, 10_000_000)
        avatar = await seed_avatar(mesh.storage, mesh.avatars, LONG_OWNER)
        queued = await mesh.videos.CreateVideo(
            video_pb2.CreateVideoRequest(
                owner_id=LONG_OWNER, avatar_id=avatar.id, text="Hello there.", resolution=512
            )
        )
        done = await mesh.wait(LONG_OWNER, queued.id)
    assert done.status == video_pb2.VIDEO_STATUS_COMPLETED, done.error
    assert done.owner_id == LONG_OWNER and done.actual_cost_micros > 0


async def test_an_owner_id_past_the_limit_gets_no_key(pg_service_database_url: str) -> None:
    db = Database(pg_service_database_url.format(service="gateway"))
    try:
        await db.migrate(REPO_ROOT / "gateway" / "migrations")
        with pytest.raises(DomainError) as info:
            await keys.create_key(db, LONG_OWNER + "y")
        assert info.value.code is ErrorCode.VALIDATION_ERROR
    finally:
        await db.close()
