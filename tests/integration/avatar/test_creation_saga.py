"""The avatar service in-process with real billing, NATS, S3 and SQLite, behind the
real gateway app, and no worker: the bounded queue (QUEUE_FULL), the saga's
settlement from worker events (stage -> processing, succeeded -> ready + capture once,
failed -> released) and its idempotency under redelivered events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from avatarmesh.v1 import avatar_pb2, events_pb2
from tests.integration.avatar.support import OWNER, QUEUE_LIMIT, Harness, avatar_mesh, meta

pytestmark = pytest.mark.integration


@pytest.fixture
async def harness(
    tmp_path: Path, nats_server: str, bus_namespace: str, s3_server: str
) -> AsyncIterator[Harness]:
    async with avatar_mesh(tmp_path, nats_server, bus_namespace, s3_server) as mesh:
        yield mesh


async def test_full_creation_queue_is_429_queue_full_with_retry_after_60(
    harness: Harness,
) -> None:
    for _ in range(QUEUE_LIMIT):
        assert (await harness.create()).status_code == 202
    refused = await harness.create()
    assert refused.status_code == 429, refused.text
    assert refused.headers["Retry-After"] == "60"
    assert refused.json()["error"]["code"] == "QUEUE_FULL"
    assert await harness.balance() == (10.0, float(QUEUE_LIMIT))  # no hold for the refused


async def test_stage_events_show_processing_and_the_stage(harness: Harness) -> None:
    avatar_id = (await harness.create()).json()["id"]
    body = await harness.get(avatar_id)
    assert (body["status"], body["stage"], body["image_url"]) == ("pending", None, None)
    for stage, name in (
        (avatar_pb2.AVATAR_STAGE_PORTRAIT, "portrait"),
        (avatar_pb2.AVATAR_STAGE_DEMO, "demo"),
    ):
        event = events_pb2.AvatarStageChanged(
            meta=meta(f"ev-{name}"), avatar_id=avatar_id, owner_id=OWNER, stage=stage
        )
        await harness.bus.publish(
            "events.creation.stage", event, msg_id=f"{avatar_id}:stage:{name}"
        )
        body = await harness.until(avatar_id, lambda b, n=name: b["stage"] == n)  # type: ignore[misc]
        assert body["status"] == "processing"


async def test_succeeded_event_twice_makes_ready_and_captures_once(harness: Harness) -> None:
    avatar_id = (await harness.create()).json()["id"]
    event = events_pb2.AvatarCreationSucceeded(
        meta=meta("ev-ok"),
        avatar_id=avatar_id,
        owner_id=OWNER,
        portrait_key=f"avatars/{OWNER}/{avatar_id}/portrait.jpg",
        portrait_kind="drawn",
        demo_video_key=f"avatars/{OWNER}/{avatar_id}/demo.mp4",
        voice_profile_json='{"language": "en"}',
    )
    await harness.bus.publish("events.creation.succeeded", event, msg_id=f"{avatar_id}:ok:1")
    await harness.bus.publish("events.creation.succeeded", event, msg_id=f"{avatar_id}:ok:2")
    body = await harness.until(avatar_id, lambda b: b["status"] == "ready")
    assert body["tts_voice_id"] and body["stage"] is None and body["image_url"]
    late = events_pb2.AvatarCreationFailed(
        meta=meta("ev-late"), avatar_id=avatar_id, owner_id=OWNER, error="late"
    )
    await harness.bus.publish("events.creation.failed", late, msg_id=f"{avatar_id}:failed")
    await asyncio.sleep(0.5)
    assert (await harness.get(avatar_id))["status"] == "ready"
    assert await harness.balance() == (9.0, 0.0)


async def test_failed_event_fails_the_avatar_and_releases_the_hold(harness: Harness) -> None:
    avatar_id = (await harness.create()).json()["id"]
    assert await harness.balance() == (10.0, 1.0)
    event = events_pb2.AvatarCreationFailed(
        meta=meta("ev-fail"), avatar_id=avatar_id, owner_id=OWNER, error="no face found"
    )
    await harness.bus.publish("events.creation.failed", event, msg_id=f"{avatar_id}:failed")
    body = await harness.until(avatar_id, lambda b: b["status"] == "failed")
    assert body["error"] == "no face found" and body["cost_usd"] == 0.0
    assert await harness.balance() == (10.0, 0.0)
