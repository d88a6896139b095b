"""What every request passes through before any route, in this order:

1. a SERVER span (continuing a caller's ``traceparent``), so the gRPC client
   interceptor links gateway -> service spans into one trace; an unexpected
   exception becomes 500 ``INTERNAL_ERROR`` (logged) here;
2. the request-size cap: a declared ``Content-Length`` over the cap is 413
   ``PAYLOAD_TOO_LARGE`` before the body is read; a streamed body is counted as it
   is read and stopped the same way once over the cap;
3. for every ``/api/v1`` path, known or not: the ``AVATARS_API_ENABLED`` flag (503
   ``FEATURE_DISABLED``), then the Bearer API key (401 ``UNAUTHORIZED``), then the
   per-key rate limit (429 ``RATE_LIMITED`` with ``Retry-After``);
4. the read cache (``gateway.readcache``): an authenticated GET answered from it when
   it holds the owner's answer, else the route's answer stored when the route marked
   it cacheable; any other write (POST, PUT, DELETE...) invalidates the caller's
   entries in every gateway worker before its answer leaves.

The authenticated caller is left in ``request.state.caller`` for ``deps.Owner``.
"""

from __future__ import annotations

import logging

from fastapi import HTTPException
from opentelemetry import trace
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from avatarmesh import telemetry
from avatarmesh.errors import DomainError, ErrorCode
from gateway import store
from gateway.auth import bearer_token
from gateway.errors import error_response, internal_error_response
from gateway.readcache import CACHEABLE_KEY, EVERYONE, CachedAnswer
from gateway.settings import GatewaySettings
from gateway.state import GatewayState, gateway_state

log = logging.getLogger(__name__)

API_V1 = "/api/v1"
FILES_PATH = "/api/v1/files"
CALLER_KEY = "caller"  # request.state attribute set for authenticated /api/v1 requests
RATE_CHECKED_KEY = "rate_limit_checked"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CACHE_HEADER = (b"x-avatarmesh-cache", b"hit")
MAX_CACHED_BODY = 256 * 1024  # a page of 100 avatars is ~100 KB


def too_large_message(cap: int) -> str:
    return f"request body is larger than {cap} bytes"


def is_api_v1(path: str) -> bool:
    return path == API_V1 or path.startswith(API_V1 + "/")


async def authenticate(state: GatewayState, authorization: str | None) -> store.Caller:
    """The caller behind an ``Authorization: Bearer`` header, or 401 UNAUTHORIZED."""
    token = bearer_token(authorization)
    if token is None:
        raise DomainError(
            ErrorCode.UNAUTHORIZED, "missing API key: send Authorization: Bearer <key>"
        )
    if state.settings.admin_key and token == state.settings.admin_key:
        raise DomainError(ErrorCode.UNAUTHORIZED, "the admin key is not an API key")
    caller = await store.cached_caller(state.db, state.callers, token)
    if caller is None:
        raise DomainError(ErrorCode.UNAUTHORIZED, "invalid or revoked API key")
    return caller


async def check_rate_limit(state: GatewayState, caller: store.Caller) -> None:
    wait = await state.limiter.acquire(caller.key_id)
    if wait is not None:
        raise DomainError(
            ErrorCode.RATE_LIMITED, "rate limit exceeded, retry later", retry_after=wait
        )


class GatewayMiddleware:
    def __init__(self, app: ASGIApp, settings: GatewaySettings) -> None:
        self.app = app
        self.settings = settings
        self.tracer = telemetry.tracer("avatarmesh.gateway")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        method = str(scope.get("method", "GET"))
        path = str(scope.get("path", "/"))
        parent = telemetry.extract({k: v for k, v in headers.items()})
        with self.tracer.start_as_current_span(
            f"{method} {path}", context=parent, kind=trace.SpanKind.SERVER
        ) as span:
            span.set_attribute("http.request.method", method)
            span.set_attribute("url.path", path)
            started = False

            async def send_traced(message: Message) -> None:
                nonlocal started
                if message["type"] == "http.response.start":
                    started = True
                    span.set_attribute("http.response.status_code", int(message["status"]))
                await send(message)

            try:
                refusal = await self._guard(scope, headers, path)
                if refusal is not None:
                    span.set_attribute("avatarmesh.error_code", refusal.code.name)
                    await error_response(refusal)(scope, receive, send_traced)
                    return
                capped = self._capped(receive, self._cap(path))
                await self._route(scope, headers, capped, send_traced, span)
            except Exception as exc:
                log.error("unhandled error in %s %s", method, path, exc_info=exc)
                span.record_exception(exc)
                span.set_status(trace.StatusCode.ERROR)
                if started:
                    raise
                await internal_error_response()(scope, receive, send_traced)
            finally:
                route = scope.get("route")
                route_path = getattr(route, "path", None)
                if isinstance(route_path, str):
                    span.update_name(f"{method} {route_path}")
                    span.set_attribute("http.route", route_path)

    async def _route(
        self, scope: Scope, headers: Headers, receive: Receive, send: Send, span: trace.Span
    ) -> None:
        """The app, through the read cache where it applies."""
        state = getattr(scope["app"].state, "gateway", None)
        if not isinstance(state, GatewayState):
            await self.app(scope, receive, send)
            return
        caller = scope.get("state", {}).get(CALLER_KEY)
        method = scope["method"]
        if method not in SAFE_METHODS:
            owner = caller.owner_id if isinstance(caller, store.Caller) else EVERYONE
            await _write(self.app, state, owner, scope, receive, send)
            return
        if (
            method != "GET"
            or not isinstance(caller, store.Caller)
            or not state.read_cache.live
            or "no-cache" in headers.get("cache-control", "")
        ):
            await self.app(scope, receive, send)
            return
        path, query = scope["path"], scope.get("query_string", b"")
        answer = state.read_cache.get(caller.owner_id, path, query)
        if answer is not None:
            span.set_attribute("avatarmesh.read_cache", "hit")
            await send(
                {
                    "type": "http.response.start",
                    "status": answer.status,
                    "headers": [*answer.headers, CACHE_HEADER],
                }
            )
            await send({"type": "http.response.body", "body": answer.body})
            return
        ticket = state.read_cache.ticket(caller.owner_id)
        start: Message = {}
        streamed = False  # a body in several messages (a stream) is never kept
        kept = False

        async def send_storing(message: Message) -> None:
            nonlocal start, streamed, kept
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body" and ticket is not None:
                body = message.get("body", b"")
                if message.get("more_body", False):
                    streamed = True
                elif (
                    not streamed
                    and start.get("status") == 200
                    and len(body) <= MAX_CACHED_BODY
                    and scope.get("state", {}).get(CACHEABLE_KEY)
                ):
                    headers = tuple((bytes(k), bytes(v)) for k, v in start.get("headers", ()))
                    answer = CachedAnswer(200, headers, body)
                    kept = state.read_cache.put(ticket, path, query, answer)
            await send(message)

        try:
            await self.app(scope, receive, send_storing)
        finally:
            if not kept:  # an expired entry this read was to replace goes too
                state.read_cache.discard(caller.owner_id, path, query)

    def _cap(self, path: str) -> int:
        """The body cap: uploads to /api/v1/files may be larger (their per-kind caps are
        enforced while streaming, gateway.routes.files)."""
        if path == FILES_PATH:
            return max(self.settings.max_body_bytes, self.settings.max_upload_bytes)
        return self.settings.max_body_bytes

    def _capped(self, receive: Receive, cap: int) -> Receive:
        seen = 0

        async def receive_capped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    # FastAPI re-raises an HTTPException met while reading the body;
                    # gateway.errors renders 413 as PAYLOAD_TOO_LARGE.
                    raise HTTPException(status_code=413, detail=too_large_message(cap))
            return message

        return receive_capped

    async def _guard(self, scope: Scope, headers: Headers, path: str) -> DomainError | None:
        length = headers.get("content-length")
        cap = self._cap(path)
        if length is not None and length.isdigit() and int(length) > cap:
            return DomainError(ErrorCode.PAYLOAD_TOO_LARGE, too_large_message(cap))
        if not is_api_v1(path):
            return None
        if not self.settings.avatars_api_enabled:
            return DomainError(
                ErrorCode.FEATURE_DISABLED,
                "the Avatars API is disabled (AVATARS_API_ENABLED is not set)",
            )
        app = scope["app"]
        try:
            state = gateway_state(app.state)
            caller = await authenticate(state, headers.get("authorization"))
            await check_rate_limit(state, caller)
        except DomainError as exc:
            return exc
        request_state = scope.setdefault("state", {})
        request_state[CALLER_KEY] = caller
        request_state[RATE_CHECKED_KEY] = True
        return None


async def _write(
    app: ASGIApp, state: GatewayState, owner: str, scope: Scope, receive: Receive, send: Send
) -> None:
    """A write: ``owner``'s cached reads are invalidated in every gateway worker just
    before its answer starts (the change has happened upstream by then, or failed), or
    after the app when it raised instead of answering."""
    told = False

    async def send_invalidating(message: Message) -> None:
        nonlocal told
        if message["type"] == "http.response.start" and not told:
            told = True
            await state.cache_feed.wrote(owner)
        await send(message)

    try:
        await app(scope, receive, send_invalidating)
    finally:
        if not told:
            await state.cache_feed.wrote(owner)
