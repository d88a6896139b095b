"""Liveness of the mesh: ``/healthz`` (every service's gRPC health) and ``/readyz``
(the gateway's database too). Neither is behind the feature flag or an API key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from gateway import store
from gateway.deps import State

router = APIRouter(tags=["health"])

SERVING = "SERVING"


def _answer(ok: bool, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(status_code=200 if ok else 503, content=body)


@router.get("/healthz", summary="Health of every service")
async def healthz(state: State) -> JSONResponse:
    """200 when every service answers SERVING to a gRPC health check, else 503;
    ``services`` gives each one's status (``UNAVAILABLE`` when it did not answer)."""
    services = await state.clients.check_all(state.settings.health_timeout_s)
    ok = all(status == SERVING for status in services.values())
    return _answer(ok, {"status": "ok" if ok else "degraded", "services": services})


@router.get("/readyz", summary="Ready to serve requests")
async def readyz(state: State) -> JSONResponse:
    """200 when the gateway's database is reachable and every service is healthy."""
    try:
        await store.ping(state.db)
        database = "ok"
    except Exception:
        database = "unavailable"
    services = await state.clients.check_all(state.settings.health_timeout_s)
    ok = database == "ok" and all(status == SERVING for status in services.values())
    return _answer(
        ok,
        {"status": "ready" if ok else "not_ready", "database": database, "services": services},
    )
