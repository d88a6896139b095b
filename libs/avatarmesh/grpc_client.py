"""gRPC channels to other services: trace context out, domain errors back in.

A call that fails with a documented code raises ``DomainError`` with that code, so
an error travels unchanged through any number of hops to the gateway.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from opentelemetry import trace

from avatarmesh import telemetry
from avatarmesh.errors import ERROR_CODE_KEY, RETRY_AFTER_KEY, DomainError, code_for_grpc
from avatarmesh.mediatypes import MAX_GRPC_MESSAGE_BYTES

_tracer = telemetry.tracer("avatarmesh.grpc")  # once, not per call


def domain_error_from(exc: grpc.aio.AioRpcError) -> DomainError:
    trailers = {k: v for k, v in (exc.trailing_metadata() or ()) if isinstance(v, str)}
    code = code_for_grpc(exc.code(), trailers.get(ERROR_CODE_KEY))
    retry_after = trailers.get(RETRY_AFTER_KEY)
    message = exc.details() or code.name
    if (
        exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
        and not trailers
    ):
        message = f"upstream service unavailable: {message}"
    return DomainError(code, message, retry_after=int(retry_after) if retry_after else None)


class _ClientInterceptor(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    async def intercept_unary_unary(
        self,
        continuation: Callable[
            [grpc.aio.ClientCallDetails, Any], Awaitable[grpc.aio.UnaryUnaryCall]
        ],
        client_call_details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        method = client_call_details.method
        name = method.decode() if isinstance(method, bytes) else str(method)
        with _tracer.start_as_current_span(name, kind=trace.SpanKind.CLIENT):
            carrier = telemetry.inject({})
            metadata = list(client_call_details.metadata or ()) + list(carrier.items())
            details = grpc.aio.ClientCallDetails(
                method=client_call_details.method,
                timeout=client_call_details.timeout,
                metadata=grpc.aio.Metadata(*metadata),
                credentials=client_call_details.credentials,
                wait_for_ready=client_call_details.wait_for_ready,
            )
            call = await continuation(details, request)
            try:
                await call
            except grpc.aio.AioRpcError as exc:
                raise domain_error_from(exc) from None
            return call


def channel(address: str) -> grpc.aio.Channel:
    """An insecure channel (the mesh runs inside one trust boundary) with our interceptor."""
    return grpc.aio.insecure_channel(
        address,
        interceptors=[_ClientInterceptor()],
        options=[
            ("grpc.max_receive_message_length", MAX_GRPC_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_GRPC_MESSAGE_BYTES),
        ],
    )
