"""/healthz aggregates every service's gRPC health and waits for the system avatars;
/readyz adds the database; /openapi.json and /docs are served."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from avatarmesh.grpc_server import GrpcServer
from avatarmesh.settings import SERVICES
from avatarmesh.v1 import avatar_pb2, avatar_pb2_grpc
from gateway.app import create_app
from gateway.clients import GrpcClients
from gateway.settings import GatewaySettings
from tests.unit.gateway.support import serving


class SystemAvatars(avatar_pb2_grpc.AvatarServiceServicer):
    """The avatar service's list at the seam: the system avatars in ``statuses``."""

    def __init__(self) -> None:
        self.statuses = [avatar_pb2.AVATAR_STATUS_READY] * 6
        self.calls = 0

    async def ListAvatars(
        self, request: avatar_pb2.ListAvatarsRequest, context: Any
    ) -> avatar_pb2.ListAvatarsResponse:
        self.calls += 1
        assert request.owner_id == "system"
        return avatar_pb2.ListAvatarsResponse(
            avatars=[
                avatar_pb2.Avatar(id=f"av_sys{i}", is_system=True, status=status)
                for i, status in enumerate(self.statuses)
            ]
        )


@pytest.fixture
def system_avatars() -> SystemAvatars:
    return SystemAvatars()


@pytest.fixture
async def services(system_avatars: SystemAvatars) -> AsyncIterator[dict[str, GrpcServer]]:
    servers = {name: GrpcServer(name, port=0) for name in SERVICES}
    servers["avatar"].add(
        "avatarmesh.v1.AvatarService",
        lambda s: avatar_pb2_grpc.add_AvatarServiceServicer_to_server(system_avatars, s),
    )
    for server in servers.values():
        await server.start()
    yield servers
    for server in servers.values():
        await server.stop(0)


def pointed_at(settings: GatewaySettings, servers: dict[str, GrpcServer]) -> GatewaySettings:
    return settings.model_copy(
        update={f"{name}_addr": f"127.0.0.1:{s.bound_port}" for name, s in servers.items()}
    )


async def test_healthz_is_200_when_every_service_serves(
    settings: GatewaySettings, services: dict[str, GrpcServer]
) -> None:
    async with serving(create_app(pointed_at(settings, services))) as client:
        reply = await client.get("/healthz")
        assert reply.status_code == 200
        assert reply.json() == {
            "status": "ok",
            "services": dict.fromkeys(SERVICES, "SERVING"),
            "system_avatars": "ready",
        }
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["database"] == "ok"


async def test_healthz_and_readyz_wait_until_every_system_avatar_is_created(
    settings: GatewaySettings, services: dict[str, GrpcServer], system_avatars: SystemAvatars
) -> None:
    ready, processing = avatar_pb2.AVATAR_STATUS_READY, avatar_pb2.AVATAR_STATUS_PROCESSING
    system_avatars.statuses = [ready, ready, processing, ready, processing, ready]
    async with serving(create_app(pointed_at(settings, services))) as client:
        reply = await client.get("/healthz")
        assert reply.status_code == 503
        assert reply.json()["system_avatars"] == "creating (4 of 6 done)"
        assert (await client.get("/readyz")).status_code == 503

        system_avatars.statuses = [ready] * 5 + [avatar_pb2.AVATAR_STATUS_FAILED]
        assert (await client.get("/healthz")).status_code == 200
        calls = system_avatars.calls
        system_avatars.statuses = [processing]  # never asked again once all were done
        assert (await client.get("/readyz")).status_code == 200
        assert (await client.get("/healthz")).status_code == 200
        assert system_avatars.calls == calls


async def test_healthz_is_503_while_no_system_avatar_is_seeded_yet(
    settings: GatewaySettings, services: dict[str, GrpcServer], system_avatars: SystemAvatars
) -> None:
    system_avatars.statuses = []
    async with serving(create_app(pointed_at(settings, services))) as client:
        reply = await client.get("/healthz")
        assert reply.status_code == 503
        assert reply.json()["system_avatars"] == "creating (0 of 0 done)"


async def test_healthz_is_503_naming_the_service_that_is_down(
    settings: GatewaySettings, services: dict[str, GrpcServer]
) -> None:
    up = {name: s for name, s in services.items() if name != "video"}
    async with serving(create_app(pointed_at(settings, up))) as client:
        reply = await client.get("/healthz")
        assert reply.status_code == 503
        body = reply.json()
        assert body["services"]["video"] == "UNAVAILABLE"
        assert all(body["services"][n] == "SERVING" for n in SERVICES if n != "video")
        assert (await client.get("/readyz")).status_code == 503


async def test_healthz_is_503_when_nothing_listens(settings: GatewaySettings) -> None:
    async with serving(create_app(settings)) as client:
        reply = await client.get("/healthz")
        assert reply.status_code == 503
        assert reply.json()["services"] == dict.fromkeys(SERVICES, "UNAVAILABLE")


async def test_openapi_and_docs_are_served(settings: GatewaySettings) -> None:
    async with serving(create_app(settings)) as client:
        spec = (await client.get("/openapi.json")).json()
        assert {"/healthz", "/readyz", "/admin/v1/api-keys"} <= set(spec["paths"])
        assert '{"error": {"code"' in spec["info"]["description"]
        assert "ErrorBody" in spec["components"]["schemas"]
        docs = await client.get("/docs")
        assert docs.status_code == 200 and "swagger" in docs.text.lower()


class CountingHealth:
    """A service's health stub at the seam, counting the checks that reach it."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.calls = inner, 0

    async def Check(self, request: Any, timeout: float) -> Any:
        self.calls += 1
        await asyncio.sleep(0.05)  # a round stays in flight while the burst arrives
        return await self.inner.Check(request, timeout=timeout)


async def test_a_burst_of_health_probes_checks_each_service_once(
    settings: GatewaySettings, services: dict[str, GrpcServer]
) -> None:
    clients = GrpcClients.connect(pointed_at(settings, services))
    counted = {name: CountingHealth(clients.health(name)) for name in SERVICES}
    clients._health.update(counted)
    try:
        answers = await asyncio.gather(*(clients.check_all(1.5, max_age_s=0) for _ in range(50)))
        assert all(a == dict.fromkeys(SERVICES, "SERVING") for a in answers)
        assert {c.calls for c in counted.values()} == {1}  # shared while in flight

        await clients.check_all(1.5, max_age_s=60)  # a fresh round is reused
        assert {c.calls for c in counted.values()} == {1}
        await clients.check_all(1.5, max_age_s=0)  # an old one is not
        assert {c.calls for c in counted.values()} == {2}
    finally:
        await clients.close()


async def test_healthz_sees_a_service_go_down_once_its_cached_round_expires(
    settings: GatewaySettings, services: dict[str, GrpcServer]
) -> None:
    app = create_app(pointed_at(settings, services).model_copy(update={"health_cache_s": 0.3}))
    async with serving(app) as client:
        assert (await client.get("/healthz")).status_code == 200
        await services["video"].stop(0)
        await asyncio.sleep(0.35)
        reply = await client.get("/healthz")
        assert reply.status_code == 503
        assert reply.json()["services"]["video"] == "UNAVAILABLE"
