"""gRPC bootstrap shared by every service: aio server, health, reflection,
tracing and the one interceptor that maps domain errors to a gRPC status.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from grpc_reflection.v1alpha import reflection
from opentelemetry import trace

from avatarmesh import telemetry
from avatarmesh.errors import ERROR_CODE_KEY, RETRY_AFTER_KEY, DomainError, ErrorCode
from avatarmesh.mediatypes import MAX_GRPC_MESSAGE_BYTES

log = logging.getLogger(__name__)
# Looked up once (a proxy until tracing is set up): get_tracer per call was ~4% of a
# service's CPU per request.
_tracer = telemetry.tracer("avatarmesh.grpc")

Handler = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]


class DomainErrorInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Turns DomainError into its gRPC status and a trailer carrying the code;
    anything unexpected becomes INTERNAL with a generic message (and is logged)."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        method = handler_call_details.method
        inner: Handler = handler.unary_unary

        async def guarded(request: Any, context: grpc.aio.ServicerContext) -> Any:
            metadata = {
                k: v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)
            }
            with _tracer.start_as_current_span(
                method, context=telemetry.extract(metadata), kind=trace.SpanKind.SERVER
            ) as span:
                try:
                    return await inner(request, context)
                except DomainError as exc:
                    span.set_attribute("avatarmesh.error_code", exc.code.name)
                    await _abort(context, exc)
                except asyncio.CancelledError:
                    raise
                except NotImplementedError:
                    # Generated base servicers raise this for RPCs not built yet.
                    await _abort(
                        context,
                        DomainError(ErrorCode.NOT_IMPLEMENTED, f"{method} is not implemented yet"),
                    )
                except Exception as exc:
                    if isinstance(exc, grpc.aio.AbortError):
                        raise
                    log.exception("unhandled error in %s", method)
                    span.record_exception(exc)
                    await _abort(context, DomainError(ErrorCode.INTERNAL_ERROR, "internal error"))

        return grpc.unary_unary_rpc_method_handler(
            guarded,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


async def _abort(context: grpc.aio.ServicerContext, exc: DomainError) -> None:
    trailers: list[tuple[str, str]] = [(ERROR_CODE_KEY, exc.code.name)]
    if exc.retry_after is not None:
        trailers.append((RETRY_AFTER_KEY, str(exc.retry_after)))
    context.set_trailing_metadata(tuple(trailers))
    await context.abort(exc.code.grpc_status, exc.message)


class GrpcServer:
    """One service's server: register servicers, then ``run()`` until SIGTERM/SIGINT."""

    def __init__(self, name: str, port: int, host: str = "127.0.0.1") -> None:
        self.name = name
        self.address = f"{host}:{port}"
        self.server = grpc.aio.server(
            interceptors=[DomainErrorInterceptor()],
            options=[
                ("grpc.max_receive_message_length", MAX_GRPC_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_GRPC_MESSAGE_BYTES),
                # Never share a port with another process (gRPC enables SO_REUSEPORT
                # by default, so a second mesh could silently bind the same ports).
                ("grpc.so_reuseport", 0),
            ],
        )
        self.health = health_aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self._service_names: list[str] = [
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name
        ]
        self.bound_port = 0

    def add(self, full_name: str, register: Callable[[grpc.aio.Server], None]) -> None:
        """Register a servicer; ``full_name`` is e.g. ``avatarmesh.v1.BillingService``."""
        register(self.server)
        self._service_names.append(full_name)

    async def start(self) -> None:
        reflection.enable_server_reflection(
            [*self._service_names, reflection.SERVICE_NAME], self.server
        )
        self.bound_port = self.server.add_insecure_port(self.address)
        await self.server.start()
        for name in ("", *self._service_names):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("gRPC %s listening on %s", self.name, self.address)

    async def stop(self, grace: float = 5.0) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)


async def wait_for_shutdown_signal() -> None:
    """Block until SIGTERM or SIGINT: the graceful-shutdown trigger of every process."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
