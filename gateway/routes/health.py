"""Liveness of the mesh: ``/healthz`` (every service's gRPC health, and the system
avatars created) and ``/readyz`` (the gateway's database too). Neither is behind the
feature flag or an API key."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from avatarmesh.v1 import avatar_pb2, common_pb2
from gateway import store
from gateway.deps import State
from gateway.state import GatewayState

router = APIRouter(tags=["health"])

SERVING = "SERVING"
# The avatar service's owner of the system avatars (services/avatar/system.py).
SYSTEM_OWNER = "system"
_FINISHED = (avatar_pb2.AVATAR_STATUS_READY, avatar_pb2.AVATAR_STATUS_FAILED)


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    services: dict[str, str] = Field(description="Each service's gRPC health status")
    system_avatars: str = Field(description='"ready", "creating (n of m done)", ...')


class Ready(BaseModel):
    status: Literal["ready", "not_ready"]
    database: Literal["ok", "unavailable"]
    services: dict[str, str]
    system_avatars: str


def _documented(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"model": model, "description": "Healthy"},
        503: {"model": model, "description": "Not healthy: the body says what is not"},
    }


def _answer(ok: bool, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(status_code=200 if ok else 503, content=body)


@router.get("/healthz", summary="Health of every service", responses=_documented(Health))
async def healthz(state: State) -> JSONResponse:
    """200 when every service answers SERVING to a gRPC health check, else 503;
    ``services`` gives each one's status (``UNAVAILABLE`` when it did not answer)."""
    services = await _services(state)
    ok = all(status == SERVING for status in services.values())
    system = await _system_avatars(state) if ok else "unknown"
    ok = ok and system == "ready"
    body = {"status": "ok" if ok else "degraded", "services": services, "system_avatars": system}
    return _answer(ok, body)


async def _services(state: GatewayState) -> dict[str, str]:
    settings = state.settings
    return await state.clients.check_all(settings.health_timeout_s, settings.health_cache_s)


async def _system_avatars(state: GatewayState) -> str:
    """``ready`` once every system avatar has finished its first creation. A fresh data
    dir renders them at start, and the mesh is not usable as documented (list, videos
    of a system avatar) before; once ready this is remembered (no call per check)."""
    if state.system_avatars_ready:
        return "ready"
    request = avatar_pb2.ListAvatarsRequest(
        owner_id=SYSTEM_OWNER, page=common_pb2.PageRequest(page=1, limit=100)
    )
    try:
        reply = await state.clients.avatar.ListAvatars(
            request, timeout=state.settings.health_timeout_s
        )
    except Exception:
        return "unavailable"
    system = [a for a in reply.avatars if a.is_system]
    done = sum(a.status in _FINISHED for a in system)
    state.system_avatars_ready = bool(system) and done == len(system)
    return "ready" if state.system_avatars_ready else f"creating ({done} of {len(system)} done)"


@router.get("/readyz", summary="Ready to serve requests", responses=_documented(Ready))
async def readyz(state: State) -> JSONResponse:
    """200 when the gateway's database is reachable and every service is healthy."""
    try:
        await store.ping(state.db)
        database = "ok"
    except Exception:
        database = "unavailable"
    services = await _services(state)
    ok = database == "ok" and all(status == SERVING for status in services.values())
    system = await _system_avatars(state) if ok else "unknown"
    ok = ok and system == "ready"
    return _answer(
        ok,
        {
            "status": "ready" if ok else "not_ready",
            "database": database,
            "services": services,
            "system_avatars": system,
        },
    )
