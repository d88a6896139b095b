"""The REST gateway: the public JSON API of ``avatars-api.md`` over the mesh's gRPC.

``create_app`` builds the FastAPI app; its lifespan opens one gRPC channel per
service and the gateway's own database (migrated to head). Logging and tracing are
set up by ``python -m gateway``, not here, so tests can build apps repeatedly.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from avatarmesh.db import Database
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.settings import load_settings
from avatarmesh.storage import Storage
from gateway import pages, store
from gateway.clients import GrpcClients
from gateway.errors import ERROR_RESPONSES, ERROR_SHAPE_DOC, install_error_handlers
from gateway.idempotency import IdempotencyMiddleware, document_header
from gateway.middleware import GatewayMiddleware
from gateway.ratelimit import Limiter, RateLimiter, SharedBuckets, SharedRateLimiter
from gateway.readcache import CacheFeed, ReadCache
from gateway.routes import ROUTERS
from gateway.routes.billing import amount_pattern
from gateway.schema import ADMIN_CODES, API_CODES, document_idempotency, merge_errors
from gateway.settings import GatewaySettings
from gateway.state import GatewayState

log = logging.getLogger(__name__)

DESCRIPTION = f"""\
Create reusable AI presenters (portrait + cloned voice) and generate lip-synced
talking videos.

Authenticate with `Authorization: Bearer <API key>`. Every `/api/v1` route answers
503 `FEATURE_DISABLED` unless the gateway runs with `AVATARS_API_ENABLED=true`.

{ERROR_SHAPE_DOC}"""


async def _ensure_dev_key(db: Database, owner_id: str, secret: str) -> None:
    """Create the dev key once; a revoked one stays revoked (an operator's decision)."""
    try:
        await store.create_key(db, owner_id, name="dev", secret=secret)
    except DomainError as exc:
        if exc.code is not ErrorCode.CONFLICT:
            raise
        log.warning(
            "AVATARMESH_DEV_API_KEY was revoked or belongs to another owner; it stays "
            "unusable. Set a new AVATARMESH_DEV_API_KEY to get a working dev key."
        )


def _limiter(settings: GatewaySettings) -> tuple[Limiter, SharedBuckets | None]:
    """The shared (NATS KV) limiter, or this process's own when sharing is off."""
    per_minute = settings.rate_limit_per_minute
    if not settings.rate_limit_shared or per_minute <= 0:
        return RateLimiter(per_minute), None
    buckets = SharedBuckets(settings)
    buckets.start()
    return SharedRateLimiter(per_minute, buckets.kv), buckets


def _openapi(app: FastAPI, settings: GatewaySettings) -> dict[str, Any]:
    """FastAPI's document plus what only this deployment's settings know: the plan tier
    names and the top-up ceiling (the billing service enforces both)."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = FastAPI.openapi(app)  # builds and caches app.openapi_schema
    for path, item in schema.get("paths", {}).items():
        for operation in item.values():
            if path.startswith("/api/v1/"):
                merge_errors(operation, API_CODES)
            elif path.startswith("/admin/"):
                merge_errors(operation, ADMIN_CODES)
        if path.startswith("/api/v1/") and "post" in item:
            document_idempotency(item["post"])
    components = schema.get("components", {}).get("schemas", {})
    if "WalletTier" in components:
        tiers = sorted({*settings.billing_daily_pose_caps, "default"})
        components["WalletTier"]["properties"]["tier"]["enum"] = tiers
        components["WalletTier"]["examples"] = [{"tier": tiers[-1]}]
    if "TopUp" in components:
        number, text = components["TopUp"]["properties"]["amount_usd"]["anyOf"]
        number["maximum"] = float(settings.billing_max_top_up_usd)
        text["pattern"] = amount_pattern(settings.billing_max_top_up_usd)
    return schema


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings if settings is not None else load_settings(GatewaySettings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database_url_for("gateway"))
        await db.migrate(store.MIGRATIONS)
        if settings.dev_api_key:
            await _ensure_dev_key(db, settings.dev_owner_id, settings.dev_api_key)
        clients = GrpcClients.connect(settings)
        limiter, buckets = _limiter(settings)
        read_cache = ReadCache(settings.read_cache_s)
        cache_feed = CacheFeed(settings, read_cache)
        cache_feed.start()
        app.state.gateway = GatewayState(
            settings=settings,
            db=db,
            clients=clients,
            limiter=limiter,
            storage=Storage(settings),
            callers=store.CallerCache(settings.api_key_cache_s),
            read_cache=read_cache,
            cache_feed=cache_feed,
        )
        # Everything built so far lives as long as the process: out of the collector's
        # sight, so a full collection under load walks only per-request objects.
        gc.collect()
        gc.freeze()
        log.info("gateway ready")
        try:
            yield
        finally:
            app.state.gateway = None
            await cache_feed.close()
            if buckets is not None:
                await buckets.close()
            await clients.close()
            await db.close()

    app = FastAPI(
        title="avatarmesh",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
        strict_content_type=False,
        # One SERVER span per request, from gateway.middleware (FastAPI's own would be a
        # second, separate one).
        telemetry={"tracing": False},
        # Served by gateway.pages with local assets (no CDN).
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.openapi = lambda: _openapi(app, settings)  # type: ignore[method-assign]
    app.state.gateway = None
    install_error_handlers(app)
    # Added first, so it runs inside GatewayMiddleware (after auth, within the body cap).
    app.add_middleware(IdempotencyMiddleware, settings=settings)
    app.add_middleware(GatewayMiddleware, settings=settings)
    for router in ROUTERS:
        app.include_router(router)
    pages.install(app)
    plain_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_header(plain_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
