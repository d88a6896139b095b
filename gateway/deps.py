"""Dependency aliases, so a route reads like prose::

    @router.get("/avatars/{avatar_id}")
    async def get_avatar(avatar_id: str, owner: Owner, clients: Clients) -> AvatarOut:
        reply = await clients.avatar.GetAvatar(...)

Every ``/api/v1`` route is already behind the feature flag, the API key and the
rate limit (``gateway.middleware``); ``Owner`` hands the route the caller's owner id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from avatarmesh.errors import DomainError, ErrorCode
from gateway.auth import bearer_token, secrets_match
from gateway.clients import GrpcClients
from gateway.middleware import CALLER_KEY, RATE_CHECKED_KEY, authenticate, check_rate_limit
from gateway.settings import GatewaySettings
from gateway.state import GatewayState, gateway_state
from gateway.store import Caller

# Every dependency is ``async def``: FastAPI runs a plain ``def`` one in a worker
# thread, a hand-off that cost more than the rest of a request.


async def get_state(request: Request) -> GatewayState:
    return gateway_state(request.app.state)


State = Annotated[GatewayState, Depends(get_state)]


async def get_settings(request: Request) -> GatewaySettings:
    settings = request.app.state.settings
    assert isinstance(settings, GatewaySettings)
    return settings


Settings = Annotated[GatewaySettings, Depends(get_settings)]


async def get_clients(state: State) -> GrpcClients:
    return state.clients


Clients = Annotated[GrpcClients, Depends(get_clients)]


_api_key = HTTPBearer(
    auto_error=False, scheme_name="ApiKey", description="Authorization: Bearer <API key>"
)
_admin_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="AdminKey",
    description="Authorization: Bearer <AVATARMESH_ADMIN_KEY> (or the X-Admin-Key header)",
)
_Credentials = HTTPAuthorizationCredentials | None


async def current_caller(
    request: Request,
    state: State,
    _documented: Annotated[_Credentials, Security(_api_key)] = None,
) -> Caller:
    """The API key's caller: set by the middleware on /api/v1, else checked here."""
    caller = getattr(request.state, CALLER_KEY, None)
    if isinstance(caller, Caller):
        return caller
    caller = await authenticate(state, request.headers.get("authorization"))
    setattr(request.state, CALLER_KEY, caller)
    return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]


async def current_owner(caller: CurrentCaller) -> str:
    return caller.owner_id


Owner = Annotated[str, Depends(current_owner)]


async def rate_limit(request: Request, state: State, caller: CurrentCaller) -> None:
    """The per-key limit, once per request (/api/v1 routes already had it)."""
    if getattr(request.state, RATE_CHECKED_KEY, False):
        return
    setattr(request.state, RATE_CHECKED_KEY, True)
    await check_rate_limit(state, caller)


RateLimited = Annotated[None, Depends(rate_limit)]


async def require_admin(
    settings: Settings,
    _documented: Annotated[_Credentials, Security(_admin_bearer)] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    x_admin_key: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> None:
    """``Authorization: Bearer <AVATARMESH_ADMIN_KEY>`` or ``X-Admin-Key``; a user API
    key never passes. With no admin key configured the admin API is off (503)."""
    if not settings.admin_key:
        raise DomainError(
            ErrorCode.FEATURE_DISABLED,
            "the admin API is disabled: set AVATARMESH_ADMIN_KEY to enable it",
        )
    given = x_admin_key or bearer_token(authorization)
    if not given or not secrets_match(given, settings.admin_key):
        raise DomainError(ErrorCode.UNAUTHORIZED, "missing or invalid admin key")


AdminCaller = Annotated[None, Depends(require_admin)]
