"""Every router the gateway serves; ``gateway.app`` includes each one in this order.

To add a public route module: create ``gateway/routes/<name>.py`` with
``router = APIRouter(prefix="/api/v1", tags=["<name>"], responses=ERROR_RESPONSES)``
(``ERROR_RESPONSES`` from ``gateway.errors``), take ``Owner`` / ``Clients`` from
``gateway.deps``, raise ``DomainError`` for failures (never ``HTTPException``), and
append ``<name>.router`` to ``ROUTERS`` below. Everything under ``/api/v1`` is already
behind the feature flag, the API key and the rate limit.
"""

from __future__ import annotations

from fastapi import APIRouter

from gateway.routes import (
    admin,
    avatars,
    billing,
    canary,
    files,
    health,
    poses,
    reviews,
    studio,
    tts,
    videos,
    voices,
    webhooks,
)

ROUTERS: list[APIRouter] = [
    health.router,
    admin.router,
    reviews.router,
    billing.router,
    canary.router,
    videos.router,
    studio.router,
    webhooks.router,
    avatars.router,
    poses.router,
    tts.router,
    voices.router,
    files.router,
    files.public_router,
]
