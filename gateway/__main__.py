"""``python -m gateway``: serve the REST API with uvicorn (one worker, graceful
shutdown on SIGTERM). ``python -m gateway keys ...`` is the operators' CLI."""

from __future__ import annotations

import signal
import sys
from types import FrameType

import uvicorn

from avatarmesh.logs import configure_logging
from avatarmesh.settings import load_settings
from avatarmesh.telemetry import setup_tracing
from gateway.app import create_app
from gateway.settings import GatewaySettings


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def serve() -> None:
    # uvicorn drains in-flight requests on SIGTERM, then re-raises the signal to the
    # handler found at start: exiting cleanly lets the finally below flush the spans.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    settings = load_settings(GatewaySettings)
    configure_logging("gateway", settings.log_level, settings.log_json)
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
