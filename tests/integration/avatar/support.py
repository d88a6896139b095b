"""The avatar service in-process with real billing, NATS, S3 and SQLite, behind the
real gateway app, and no worker: events the worker would publish are published by the
tests (shared by the saga and the consent-review tests)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from avatarmesh.bus import Bus
from avatarmesh.service import running
from avatarmesh.settings import Settings
from avatarmesh.storage import Storage
from avatarmesh.v1 import events_pb2
from gateway.app import create_app
from gateway.settings import GatewaySettings
from services.avatar.__main__ import SPEC
from services.avatar.config import AvatarSettings
from tests.integration.billing.support import billing_service, billing_settings
from tests.support.s3 import s3_settings
from tests.unit.gateway.support import ADMIN_KEY, admin_headers, issue_key, serving

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
    storage: Storage

    async def create(self, **fields: Any) -> httpx.Response:
        body = {**BODY, **fields}
        return await self.client.post("/api/v1/avatars", json=body, headers=self.auth)

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


@asynccontextmanager
async def avatar_mesh(
    tmp_path: Path, nats_server: str, bus_namespace: str, s3_server: str, **avatar: Any
) -> AsyncIterator[Harness]:
    """Billing and the avatar service (``avatar``: settings to change) behind the
    gateway app, a funded owner ($10) and a bus client for the tests' events."""
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
                **avatar,
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
                    yield Harness(client, {"Authorization": f"Bearer {key}"}, bus, Storage(s3))
            finally:
                await bus.close()


def meta(event_id: str) -> events_pb2.EventMeta:
    return events_pb2.EventMeta(event_id=event_id)
