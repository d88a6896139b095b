"""The gRPC bootstrap: health, domain errors across hops, trace context propagation."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.grpc_client import channel
from avatarmesh.grpc_server import GrpcServer
from avatarmesh.v1 import billing_pb2, billing_pb2_grpc


class Billing(billing_pb2_grpc.BillingServiceServicer):
    async def GetWallet(
        self, request: billing_pb2.GetWalletRequest, context: grpc.aio.ServicerContext
    ) -> billing_pb2.Wallet:
        if request.owner_id == "missing":
            raise DomainError(ErrorCode.WALLET_NOT_FOUND, "No billing wallet exists yet")
        if request.owner_id == "busy":
            raise DomainError(ErrorCode.QUEUE_FULL, "queue at capacity", retry_after=60)
        if request.owner_id == "boom":
            raise RuntimeError("secret internals")
        return billing_pb2.Wallet(owner_id=request.owner_id, balance_micros=5)


@pytest.fixture
async def server() -> AsyncIterator[GrpcServer]:
    srv = GrpcServer("billing", port=0)
    srv.add(
        "avatarmesh.v1.BillingService",
        lambda s: billing_pb2_grpc.add_BillingServiceServicer_to_server(Billing(), s),
    )
    await srv.start()
    yield srv
    await srv.stop(0)


async def test_health_reports_serving_for_the_server_and_each_service(server: GrpcServer) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.bound_port}") as ch:
        stub = health_pb2_grpc.HealthStub(ch)
        for name in ("", "avatarmesh.v1.BillingService"):
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=name))
            assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_domain_error_arrives_as_the_same_code_on_the_client(server: GrpcServer) -> None:
    async with channel(f"127.0.0.1:{server.bound_port}") as ch:
        stub = billing_pb2_grpc.BillingServiceStub(ch)
        assert (
            await stub.GetWallet(billing_pb2.GetWalletRequest(owner_id="o"))
        ).balance_micros == 5
        with pytest.raises(DomainError) as err:
            await stub.GetWallet(billing_pb2.GetWalletRequest(owner_id="missing"))
        assert err.value.code is ErrorCode.WALLET_NOT_FOUND
        assert "wallet" in err.value.message
        with pytest.raises(DomainError) as err:
            await stub.GetWallet(billing_pb2.GetWalletRequest(owner_id="busy"))
        assert (err.value.code, err.value.retry_after) == (ErrorCode.QUEUE_FULL, 60)


async def test_unexpected_exception_is_internal_without_leaking_details(server: GrpcServer) -> None:
    async with channel(f"127.0.0.1:{server.bound_port}") as ch:
        with pytest.raises(DomainError) as err:
            await billing_pb2_grpc.BillingServiceStub(ch).GetWallet(
                billing_pb2.GetWalletRequest(owner_id="boom")
            )
    assert err.value.code is ErrorCode.INTERNAL_ERROR
    assert "secret" not in err.value.message


async def test_unreachable_service_is_service_unavailable() -> None:
    async with channel("127.0.0.1:1") as ch:
        with pytest.raises(DomainError) as err:
            await billing_pb2_grpc.BillingServiceStub(ch).GetWallet(
                billing_pb2.GetWalletRequest(owner_id="o"), timeout=2
            )
    assert err.value.code is ErrorCode.SERVICE_UNAVAILABLE


def test_every_error_code_keeps_its_own_name_and_statuses() -> None:
    assert ErrorCode.VALIDATION_ERROR.name == "VALIDATION_ERROR"
    assert ErrorCode.DAILY_CAP_REACHED.http_status == 429
    assert ErrorCode.WALLET_NOT_FOUND.grpc_status is grpc.StatusCode.NOT_FOUND
    # one name per code, the name is the public value (no count: helpers add codes)
    assert len({code.name for code in ErrorCode}) == len(list(ErrorCode)) >= 24
    assert all(code.name == code.value for code in ErrorCode)


async def test_a_second_server_cannot_bind_a_port_already_in_use(server: GrpcServer) -> None:
    other = GrpcServer("billing", port=server.bound_port)
    with pytest.raises(RuntimeError):
        await other.start()
