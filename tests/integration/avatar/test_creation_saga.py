"""The avatar service in-process with real billing, NATS, S3 and SQLite, behind the
real gateway app, and no worker: the bounded queue (QUEUE_FULL), the saga's
settlement from worker events (stage -> processing, succeeded -> ready + capture once,
failed -> released) and its idempotency under redelivered events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from avatarmesh.bus import Bus
from avatarmesh.service import running
from avatarmesh.settings import Settings
from avatarmesh.v1 import avatar_pb2, events_pb2
from gateway.app import create_app
from gateway.settings import GatewaySettings
from services.avatar.__main__ import SPEC
from services.avatar.config import AvatarSettings
from tests.integration.billing.support import billing_service, billing_settings
from tests.support.s3 import s3_settings
from tests.unit.gateway.support import ADMIN_KEY, admin_headers, issue_key, serving

pytestmark = pytest.mark.integration

OWNER = "own_saga"
QUEUE_LIMIT = 2
BODY = {
    "name": "Aria",
    "description": "Friendly presenter",
    "language": "en",
    "nationality": "American",
}


@dataclass
class Harness:
    client: httpx.AsyncClient
    auth: dict[str, str]
    bus: Bus

    async def create(self) -> httpx.Response:
        return await self.client.post("/api/v1/avatars", json=BODY, headers=self.auth)

    async def get(self, avatar_id: str) -> dict[str, Any]:
        reply = await self.client.get(f"/api/v1/avatars/{avatar_id}", headers=self.auth)
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()
        return body

    async def balance(self) -> tuple[float, float]:
        body = (await self.client.get("/api/v1/billing/balance", headers=self.auth)).json()
        return body["balance_usd"], body["held_usd"]

    async def until(self, avatar_id: str, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        for _ in range(100):
            body = await self.get(avatar_id)
            if done(body):
                return body
            await asyncio.sleep(0.05)
        raise AssertionError(f"{avatar_id} never got there: {body}")


@pytest.fixture
async def harness(
    tmp_path: Path,
    nats_server: str,
    bus_namespace: str,
    s3_server: str,
) -> AsyncIterator[Harness]:
    s3 = s3_settings(s3_server)
    common: dict[str, Any] = {
        "nats_url": nats_server,
        "bus_namespace": bus_namespace,
        "s3_endpoint": s3.s3_endpoint,
        "s3_bucket": s3.s3_bucket,
    }
    async with billing_service(
        billing_settings("sqlite+aiosqlite:///{data_dir}/{service}.db", tmp_path / "billing")
    ) as (_billing, billing_port):
        settings = AvatarSettings().model_copy(
            update={
                **common,
                "data_dir": tmp_path / "avatar",
                "database_url": "sqlite+aiosqlite:///{data_dir}/{service}.db",
                "billing_addr": f"127.0.0.1:{billing_port}",
                "avatar_queue_limit": QUEUE_LIMIT,
                "avatar_seed_system": False,
            }
        )
        async with running(SPEC, settings, port=0) as runtime:
            gateway = GatewaySettings().model_copy(
                update={
                    **common,
                    "database_url": f"sqlite+aiosqlite:///{tmp_path}/gateway.db",
                    "data_dir": tmp_path,
                    "avatars_api_enabled": True,
                    "admin_key": ADMIN_KEY,
                    "dev_api_key": None,
                    "rate_limit_per_minute": 0,
                    "avatar_addr": f"127.0.0.1:{runtime.server.bound_port}",
                    "billing_addr": f"127.0.0.1:{billing_port}",
                }
            )
            app = create_app(gateway)
            bus = Bus(Settings().model_copy(update=common), "saga-test")
            await bus.connect()
            try:
                async with serving(app) as client:
                    key = await issue_key(client, OWNER)
                    reply = await client.post(
                        f"/admin/v1/wallets/{OWNER}/top-ups",
                        json={"amount_usd": 10},
                        headers=admin_headers(),
                    )
                    assert reply.status_code == 201, reply.text
                    yield Harness(client, {"Authorization": f"Bearer {key}"}, bus)
            finally:
                await bus.close()


def meta(event_id: str) -> events_pb2.EventMeta:
    return events_pb2.EventMeta(event_id=event_id)


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
