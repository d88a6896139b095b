"""How every service process starts and stops, in one place.

A service's ``__main__`` builds a ``ServiceSpec`` (its name, migrations, servicers,
background tasks) and calls ``run_service``. The runtime loads settings, configures
logging and tracing, migrates the database, connects the bus (declaring streams
and consumers), starts the gRPC server with health and reflection, runs the
background tasks, and on SIGTERM/SIGINT stops everything in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import grpc
import uvloop

from avatarmesh.db import Database
from avatarmesh.grpc_server import GrpcServer, wait_for_shutdown_signal
from avatarmesh.logs import configure_logging
from avatarmesh.settings import Settings, load_settings
from avatarmesh.telemetry import setup_tracing

if TYPE_CHECKING:
    from avatarmesh.bus import Bus

log = logging.getLogger(__name__)

S = TypeVar("S", bound=Settings)


@dataclass
class Runtime(Generic[S]):
    """What a running service holds; passed to its wiring functions."""

    name: str
    settings: S
    db: Database | None
    bus: Bus | None
    server: GrpcServer
    # The running background tasks (consumers, relays, sweepers).
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


@dataclass
class Servicer:
    full_name: str  # e.g. "avatarmesh.v1.BillingService"
    register: Callable[[grpc.aio.Server], None]


@dataclass
class Wiring:
    """What a service contributes once its runtime exists."""

    servicers: Sequence[Servicer]
    # Long-running coroutine factories (consumers, relays, sweepers), started after
    # the gRPC server and cancelled at shutdown.
    background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = ()


@dataclass
class ServiceSpec(Generic[S]):
    """A service's wire-up. Example::

    SPEC = ServiceSpec(name="billing", settings_class=BillingSettings,
                       wire=lambda rt: Wiring(servicers=[...], background=[sweeper.run]),
                       migrations=Path(__file__).parent / "migrations", uses_bus=False)
    """

    name: str
    settings_class: type[S]
    wire: Callable[[Runtime[S]], Wiring]
    migrations: Path | None = None
    uses_bus: bool = True


@asynccontextmanager
async def running(
    spec: ServiceSpec[S], settings: S, *, port: int | None = None
) -> AsyncIterator[Runtime[S]]:
    """A started service for the block's duration (tests run services in-process with it).

    ``port=0`` binds a free port (``runtime.server.bound_port`` tells which)."""
    runtime = await _start(spec, settings, port)
    try:
        yield runtime
    finally:
        await _stop(runtime)


async def _start(spec: ServiceSpec[S], settings: S, port: int | None) -> Runtime[S]:
    db = None
    if spec.migrations is not None:
        db = Database(settings.database_url_for(spec.name))
        await db.migrate(spec.migrations)
    bus = None
    if spec.uses_bus:
        from avatarmesh.bus import Bus

        bus = Bus(settings, spec.name)
        await bus.connect()
    server = GrpcServer(
        spec.name, settings.grpc_port(spec.name) if port is None else port, settings.grpc_host
    )
    runtime = Runtime(spec.name, settings, db, bus, server)
    wiring = spec.wire(runtime)
    for servicer in wiring.servicers:
        server.add(servicer.full_name, servicer.register)
    await server.start()
    runtime.tasks = [asyncio.create_task(start()) for start in wiring.background]
    return runtime


async def _stop(runtime: Runtime[S]) -> None:
    await runtime.server.stop()
    for task in runtime.tasks:
        task.cancel()
    for task in runtime.tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    if runtime.bus is not None:
        await runtime.bus.close()
    if runtime.db is not None:
        await runtime.db.close()


async def serve_until_stopped(runtime: Runtime[S]) -> int:
    """Serve until SIGTERM/SIGINT (exit status 0) or until a background task fails (1).

    A consumer or relay that died would leave a process that answers health checks but
    never works its queue; exiting instead lets the supervisor (the local runner,
    Kubernetes) see it and restart it. A task that returns has finished its one-shot
    work (seeding, say) and is simply no longer watched.
    """
    signalled = asyncio.create_task(wait_for_shutdown_signal())
    watched = set(runtime.tasks)
    while True:
        done, _ = await asyncio.wait([signalled, *watched], return_when=asyncio.FIRST_COMPLETED)
        if signalled in done:
            return 0
        failed = [t for t in done if t.cancelled() or t.exception() is not None]
        if failed:
            break
        watched -= done
    signalled.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await signalled
    task = failed[0]
    error = None if task.cancelled() else task.exception()
    log.error(
        "service %s: background task %s failed (%r); exiting",
        runtime.name,
        task.get_coro(),
        error,
        exc_info=error,
    )
    return 1


async def _serve(spec: ServiceSpec[S], settings: S) -> int:
    async with running(spec, settings) as runtime:
        log.info("service %s ready", spec.name)
        status = await serve_until_stopped(runtime)
        log.info("service %s stopping", spec.name)
    return status


def run_service(spec: ServiceSpec[S]) -> None:
    settings = load_settings(spec.settings_class)
    configure_logging(spec.name, settings.log_level, settings.log_json)
    provider = setup_tracing(spec.name, settings)
    try:
        # uvloop (as the gateway's uvicorn uses): a cheaper event loop under gRPC.
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            status = runner.run(_serve(spec, settings))
    finally:
        provider.shutdown()
    if status:
        sys.exit(status)
