"""The one error handler: every failure answers the documented status and
``{"error": {"code", "message"}}`` body."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel, Field

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.grpc_server import GrpcServer
from avatarmesh.v1 import billing_pb2, billing_pb2_grpc
from gateway.app import create_app
from gateway.deps import Clients, Owner
from gateway.settings import GatewaySettings
from tests.unit.gateway.support import issue_key, serving


class Billing(billing_pb2_grpc.BillingServiceServicer):
    async def GetWallet(
        self, request: billing_pb2.GetWalletRequest, context: grpc.aio.ServicerContext
    ) -> billing_pb2.Wallet:
        if request.owner_id == "busy":
            raise DomainError(ErrorCode.QUEUE_FULL, "queue at capacity", retry_after=60)
        if request.owner_id == "boom":
            raise RuntimeError("secret internals")
        return billing_pb2.Wallet(owner_id=request.owner_id, balance_micros=5)


class Echo(BaseModel):
    name: str = Field(min_length=1, max_length=60)
    count: int = 1


probe = APIRouter(prefix="/api/v1")


@probe.post("/echo")
async def echo(body: Echo, owner: Owner) -> dict[str, str]:
    return {"name": body.name, "owner": owner}


@probe.get("/queue-full")
async def queue_full(owner: Owner) -> None:
    raise DomainError(ErrorCode.QUEUE_FULL, "Avatar video queue at capacity", retry_after=60)


@probe.get("/crash")
async def crash(owner: Owner) -> None:
    raise RuntimeError("secret internals")


@probe.get("/wallet/{who}")
async def wallet(who: str, owner: Owner, clients: Clients) -> dict[str, int]:
    reply = await clients.billing.GetWallet(billing_pb2.GetWalletRequest(owner_id=who))
    return {"balance_micros": reply.balance_micros}


@pytest.fixture
async def billing() -> AsyncIterator[GrpcServer]:
    server = GrpcServer("billing", port=0)
    server.add(
        "avatarmesh.v1.BillingService",
        lambda s: billing_pb2_grpc.add_BillingServiceServicer_to_server(Billing(), s),  # type: ignore[no-untyped-call]
    )
    await server.start()
    yield server
    await server.stop(0)


@pytest.fixture
async def api(
    settings: GatewaySettings, billing: GrpcServer
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    settings = settings.model_copy(update={"billing_addr": f"127.0.0.1:{billing.bound_port}"})
    app = create_app(settings)
    app.include_router(probe)
    async with serving(app) as client:
        key = await issue_key(client)
        yield client, {"Authorization": f"Bearer {key}"}


async def test_domain_error_is_its_status_and_body_with_retry_after(
    api: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    client, auth = api
    reply = await client.get("/api/v1/queue-full", headers=auth)
    assert reply.status_code == 429
    assert reply.headers["Retry-After"] == "60"
    assert reply.json() == {
        "error": {"code": "QUEUE_FULL", "message": "Avatar video queue at capacity"}
    }


async def test_domain_error_from_a_service_keeps_code_and_retry_after(
    api: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    client, auth = api
    assert (await client.get("/api/v1/wallet/alice", headers=auth)).json() == {"balance_micros": 5}
    reply = await client.get("/api/v1/wallet/busy", headers=auth)
    assert reply.status_code == 429
    assert reply.headers["Retry-After"] == "60"
    assert reply.json()["error"] == {"code": "QUEUE_FULL", "message": "queue at capacity"}
    crashed = await client.get("/api/v1/wallet/boom", headers=auth)
    assert crashed.status_code == 500
    assert crashed.json()["error"]["code"] == "INTERNAL_ERROR"
    assert "secret" not in crashed.text


async def test_service_down_is_503(settings: GatewaySettings) -> None:
    app = create_app(settings)
    app.include_router(probe)
    async with serving(app) as client:
        key = await issue_key(client)
        reply = await client.get("/api/v1/wallet/alice", headers={"Authorization": f"Bearer {key}"})
        assert reply.status_code == 503
        assert set(reply.json()) == {"error"}


async def test_body_that_is_not_json_is_400_invalid_json(
    api: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    client, auth = api
    for content in (b'{"name": "Aria",', b"not json at all"):
        reply = await client.post(
            "/api/v1/echo",
            content=content,
            headers={**auth, "Content-Type": "application/json"},
        )
        assert reply.status_code == 400
        assert reply.json() == {
            "error": {"code": "INVALID_JSON", "message": "request body is not valid JSON"}
        }


async def test_missing_field_is_400_validation_error_naming_it(
    api: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    client, auth = api
    reply = await client.post("/api/v1/echo", json={"count": 2}, headers=auth)
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert "name" in error["message"]
    too_long = await client.post("/api/v1/echo", json={"name": "x" * 61}, headers=auth)
    assert too_long.status_code == 400 and "name" in too_long.json()["error"]["message"]
    empty = await client.post("/api/v1/echo", headers=auth)
    assert empty.status_code == 400 and empty.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_missing_field_is_400_with_the_field_named(
    api: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    client, auth = api
    reply = await client.post("/api/v1/echo", json={"count": "many"}, headers=auth)
    assert reply.status_code == 400
    message = reply.json()["error"]["message"]
    assert "name: Field required" in message and "count:" in message


async def test_unexpected_exception_is_500_internal_error_without_details(
    api: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    client, auth = api
    reply = await client.get("/api/v1/crash", headers=auth)
    assert reply.status_code == 500
    assert reply.json() == {"error": {"code": "INTERNAL_ERROR", "message": "internal error"}}


async def test_unknown_route_is_404_not_found(
    api: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    client, auth = api
    for method, path in (("GET", "/nowhere"), ("PUT", "/nowhere"), ("GET", "/api/v1/nope")):
        reply = await client.request(method, path, headers=auth)
        assert reply.status_code == 404
        assert reply.json()["error"]["code"] == "NOT_FOUND"


async def test_undeclared_method_is_405_with_every_allowed_method(
    api: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    """Found by the API fuzzer (schemathesis unsupported_method): TRACE or PUT on a
    declared path answered 404; RFC 9110 wants 405 and an Allow header naming all the
    path's methods (here a GET route and a POST route share the path)."""
    client, auth = api
    cases = (
        ("PUT", "/healthz", "GET"),
        ("TRACE", "/api/v1/avatars", "GET, POST"),
        ("PATCH", "/api/v1/avatars/av_" + "a" * 24, "DELETE, GET"),
        ("DELETE", "/admin/v1/api-keys", "GET, POST"),
    )
    for method, path, allow in cases:
        reply = await client.request(method, path, headers=auth)
        assert reply.status_code == 405, (method, path, reply.text)
        assert reply.headers["allow"] == allow
        assert reply.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
        assert allow in reply.json()["error"]["message"]


async def test_malformed_id_in_the_path_is_404_not_found(
    api: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    """An id of a shape no resource has is NOT_FOUND (as the contract documents for a
    missing avatar), answered without a service call; the OpenAPI pattern says so."""
    client, auth = api
    for path in ("/api/v1/avatars/nope", "/api/v1/avatar-videos/vg_short"):
        reply = await client.get(path, headers=auth)
        assert reply.status_code == 404, reply.text
        assert reply.json()["error"]["code"] == "NOT_FOUND"


async def test_body_over_the_cap_is_413_payload_too_large(
    settings: GatewaySettings,
) -> None:
    app = create_app(settings.model_copy(update={"max_body_bytes": 1000}))
    app.include_router(probe)
    async with serving(app) as client:
        auth = {"Authorization": f"Bearer {await issue_key(client)}"}
        reply = await client.post("/api/v1/echo", json={"name": "x" * 2000}, headers=auth)
        assert reply.status_code == 413
        assert reply.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: streamed
            for _ in range(10):
                yield b" " * 200

        streamed = await client.post("/api/v1/echo", content=chunks(), headers=auth)
        assert streamed.status_code == 413
        assert streamed.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
