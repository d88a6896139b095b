"""``python -m gateway``: serve the REST API with uvicorn (graceful shutdown on
SIGTERM). ``python -m gateway keys ...`` is the operators' CLI.

``AVATARMESH_GATEWAY_WORKERS`` > 1 runs uvicorn's own worker processes behind one
listening socket: uvicorn restarts a worker that dies, and whoever supervises the
gateway (``make up``'s runner, Kubernetes) still sees one process, the parent; the
workers die with it. Every worker shares the rate limit through NATS KV and keeps
its own short-lived caches (API keys, presigned URLs)."""

from __future__ import annotations

import atexit
import ctypes
import signal
import sys
from types import FrameType

import uvicorn
from fastapi import FastAPI

from avatarmesh.logs import configure_logging
from avatarmesh.settings import load_settings
from avatarmesh.telemetry import setup_tracing
from gateway.app import create_app
from gateway.settings import GatewaySettings


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def _die_with_parent() -> None:
    """In a worker: SIGTERM when the parent dies, even by SIGKILL (Linux), so no
    orphan keeps the port and a restarted gateway can bind it again."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def worker_app() -> FastAPI:
    """The app of one uvicorn worker process (a fresh interpreter): logging and
    tracing are per process, so each worker sets up its own."""
    _die_with_parent()
    settings = load_settings(GatewaySettings)
    configure_logging("gateway", settings.log_level, settings.log_json)
    provider = setup_tracing("gateway", settings)
    atexit.register(provider.shutdown)
    return create_app(settings)


def _serve_workers(settings: GatewaySettings) -> None:
    uvicorn.run(
        "gateway.__main__:worker_app",
        factory=True,
        host=settings.http_host,
        port=settings.http_port,
        workers=settings.gateway_workers,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=int(settings.shutdown_grace_s),
    )


def serve() -> None:
    # uvicorn drains in-flight requests on SIGTERM, then re-raises the signal to the
    # handler found at start: exiting cleanly lets the finally below flush the spans.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    settings = load_settings(GatewaySettings)
    configure_logging("gateway", settings.log_level, settings.log_json)
    if settings.gateway_workers > 1:
        _serve_workers(settings)
        return
    provider = setup_tracing("gateway", settings)
    try:
        uvicorn.run(
            create_app(settings),
            host=settings.http_host,
            port=settings.http_port,
            workers=1,
            log_config=None,
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=int(settings.shutdown_grace_s),
        )
    finally:
        provider.shutdown()


def main(argv: list[str]) -> int:
    if argv and argv[0] != "serve":
        from gateway.cli import main as cli_main

        return cli_main(argv)
    serve()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
