"""The browser pages the gateway serves: the web console and the API docs.

Every asset is served from here, never from a CDN, so both work on a private or offline
network: the console is plain ES modules and CSS in ``gateway/console/`` (no build
step, ``docs/console.md`` says why), and ``/docs`` (Swagger UI) and ``/redoc`` load
their scripts from the pinned ``fastapi-offline`` wheel's copies. The console talks to
the public ``/api/v1`` only, with the API key the user types in (kept in the tab's
session storage): it has no route or privilege of its own.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONSOLE_DIR = Path(__file__).parent / "console"
DOCS_ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
CONSOLE_URL = "/console/"
DOCS_ASSETS_URL = "/docs-assets"
# Scripts only from the gateway itself: an injected <script> or inline handler cannot
# run, so the API key in session storage is not readable by anything but the console.
# Media and images may come from the object store's presigned URLs (another origin).
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data: blob: http: https:; media-src 'self' blob: http: https:; "
    "connect-src 'self' http: https:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


class _ConsoleHeaders:
    """Adds the console's security headers to every answer of the static mount."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"content-security-policy", CONSOLE_CSP.encode()))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"no-referrer"))
                # Revalidate each load (ETag): a new gateway version is picked up at once.
                headers.append((b"cache-control", b"no-cache"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI) -> None:
    """Serve ``/`` (-> the console), ``/console/``, ``/docs`` and ``/redoc`` with local
    assets. The app must be built with ``docs_url=None, redoc_url=None``."""
    openapi_url = app.openapi_url or "/openapi.json"
    app.mount(
        CONSOLE_URL.rstrip("/"),
        _ConsoleHeaders(StaticFiles(directory=CONSOLE_DIR, html=True)),
        name="console",
    )
    app.mount(DOCS_ASSETS_URL, StaticFiles(directory=DOCS_ASSETS_DIR), name="docs-assets")

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse(CONSOLE_URL)

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API docs",
            swagger_js_url=f"{DOCS_ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS_URL}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API reference",
            redoc_js_url=f"{DOCS_ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{DOCS_ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
