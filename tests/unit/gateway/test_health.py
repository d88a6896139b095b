"""/healthz aggregates every service's gRPC health; /readyz adds the database;
/openapi.json and /docs are served."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from avatarmesh.grpc_server import GrpcServer
from avatarmesh.settings import SERVICES
from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.unit.gateway.support import serving


@pytest.fixture
async def services() -> AsyncIterator[dict[str, GrpcServer]]:
    servers = {name: GrpcServer(name, port=0) for name in SERVICES}
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
        assert reply.json() == {"status": "ok", "services": dict.fromkeys(SERVICES, "SERVING")}
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["database"] == "ok"


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
