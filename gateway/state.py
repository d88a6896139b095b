"""What a running gateway holds, built by the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import State

from avatarmesh.db import Database
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.storage import Storage
from gateway.clients import GrpcClients
from gateway.ratelimit import Limiter
from gateway.readcache import CacheFeed, ReadCache
from gateway.settings import GatewaySettings
from gateway.store import CallerCache


@dataclass
class GatewayState:
    settings: GatewaySettings
    db: Database
    clients: GrpcClients
    limiter: Limiter
    # Client uploads (data URLs) and presigned URLs for stored media.
    storage: Storage
    # Authenticated keys, so most requests skip the database.
    callers: CallerCache
    # Whole answers of settled reads, invalidated through NATS (gateway.readcache).
    read_cache: ReadCache
    cache_feed: CacheFeed
    # Set once every system avatar has finished its first creation (health checks).
    system_avatars_ready: bool = False


def gateway_state(app_state: State) -> GatewayState:
    state = getattr(app_state, "gateway", None)
    if not isinstance(state, GatewayState):
        raise DomainError(ErrorCode.SERVICE_UNAVAILABLE, "gateway is starting")
    return state
