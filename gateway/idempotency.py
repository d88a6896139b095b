"""``Idempotency-Key`` on every ``POST /api/v1/...``: a retry returns the first answer.

- Same key, same body (and path): the first request's status and body, replayed with
  ``Idempotent-Replayed: true``; the route does not run again, so nothing is charged
  twice.
- Same key, another body or path: 409 ``IDEMPOTENCY_KEY_REUSED``.
- A retry while the first request is still running waits for it (up to
  ``idempotency_wait_s``) and then replays its answer; past that, 409
  ``IDEMPOTENCY_KEY_IN_PROGRESS`` with ``Retry-After``.
- Only successful (2xx) answers are remembered: a request that failed left nothing
  behind, so the key is freed and a retry runs anew.
- Keys are per owner and kept ``idempotency_ttl_s`` (24 h).

State lives in the gateway's database (``idempotency_store``), never in process
memory, so it holds across gateway workers and replicas. Only POSTs that carry the
header pay for this: every other request passes straight through. The body is
spooled to a temporary file (in memory up to 1 MB) while it is hashed, so a large
upload is never held in memory whole.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import IO, Any

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from avatarmesh.errors import DomainError, ErrorCode
from gateway import idempotency_store as keys
from gateway.errors import error_response
from gateway.middleware import CALLER_KEY, is_api_v1
from gateway.settings import GatewaySettings
from gateway.state import gateway_state
from gateway.store import Caller

log = logging.getLogger(__name__)

HEADER = "idempotency-key"
REPLAYED_HEADER = "Idempotent-Replayed"
CHUNK = 64 * 1024
SPOOL_IN_MEMORY = 1024 * 1024
# Answers larger than this are sent but not remembered (the key is freed).
MAX_STORED_BODY = 8 * 1024 * 1024
# Response headers worth replaying besides the content type.
_KEPT_HEADERS = ("location", "x-audio-duration-seconds")
_POLL_S = 0.1
_PURGE_EVERY_S = 300.0


class IdempotencyMiddleware:
    """Sits inside ``GatewayMiddleware`` (the caller is authenticated by then)."""

    def __init__(self, app: ASGIApp, settings: GatewaySettings) -> None:
        self.app = app
        self.settings = settings
        self.lease = timedelta(seconds=settings.idempotency_lease_s)
        self.retention = timedelta(seconds=settings.idempotency_ttl_s)
        self._next_purge = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        key = Headers(scope=scope).get(HEADER)
        caller = scope.get("state", {}).get(CALLER_KEY)
        if key is None or not is_api_v1(path) or not isinstance(caller, Caller):
            await self.app(scope, receive, send)
            return
        try:
            _check_key(key)
            with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
                digest = await _spool(receive, spool, scope)
                await self._keyed(scope, send, caller.owner_id, key, digest, spool)
        except DomainError as exc:
            await error_response(exc)(scope, receive, send)
        except HTTPException as exc:  # the body cap, while spooling
            code = ErrorCode.PAYLOAD_TOO_LARGE if exc.status_code == 413 else ErrorCode.INVALID_JSON
            await error_response(DomainError(code, str(exc.detail)))(scope, receive, send)

    async def _keyed(
        self, scope: Scope, send: Send, owner: str, key: str, digest: str, spool: IO[bytes]
    ) -> None:
        db = gateway_state(scope["app"].state).db
        await self._maybe_purge(db)
        token = secrets.token_hex(16)
        deadline = time.monotonic() + self.settings.idempotency_wait_s
        path = str(scope["path"])
        while True:
            got = await keys.claim(
                db,
                owner,
                key,
                digest,
                "POST",
                path,
                token=token,
                lease=self.lease,
                retention=self.retention,
            )
            if got.kind == "reused":
                raise DomainError(
                    ErrorCode.IDEMPOTENCY_KEY_REUSED,
                    "this Idempotency-Key was already used with another request body or "
                    "path; use a new key for a new request",
                )
            if got.kind == "replay":
                assert got.stored is not None
                await _replay(got.stored, send)
                return
            if got.kind == "run":
                break
            if time.monotonic() >= deadline:
                raise DomainError(
                    ErrorCode.IDEMPOTENCY_KEY_IN_PROGRESS,
                    "a request with this Idempotency-Key is still running; retry later",
                    retry_after=1,
                )
            await asyncio.sleep(_POLL_S)
        await self._run(scope, send, db, owner, key, token, spool)

    async def _run(
        self,
        scope: Scope,
        send: Send,
        db: Any,
        owner: str,
        key: str,
        token: str,
        spool: IO[bytes],
    ) -> None:
        freed = False

        async def free_key() -> None:
            nonlocal freed
            if not freed:
                freed = True
                await asyncio.shield(keys.forget(db, owner, key, token))

        # A failed answer frees the key before the client sees it, so a corrected
        # retry sent the moment the error arrives runs anew instead of meeting a 409.
        captured = _Capture(send, on_failure=free_key)
        try:
            await self.app(scope, _replaying(spool), captured.send)
        except BaseException:
            await free_key()
            raise
        stored = captured.stored()
        if stored is None:
            await free_key()
        else:
            await keys.finish(db, owner, key, token, stored)

    async def _maybe_purge(self, db: Any) -> None:
        now = time.monotonic()
        if now < self._next_purge:
            return
        self._next_purge = now + _PURGE_EVERY_S
        try:
            await keys.purge(db, self.retention)
        except Exception:
            log.exception("purging expired idempotency keys failed")


def _check_key(key: str) -> None:
    if not 1 <= len(key) <= keys.MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"Idempotency-Key: 1 to {keys.MAX_KEY_LENGTH} printable ASCII characters",
        )


async def _spool(receive: Receive, spool: IO[bytes], scope: Scope) -> str:
    """Read the whole body into ``spool``; the request's fingerprint (path + body, with a
    multipart boundary taken out so a client's re-encoded retry matches)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise DomainError(ErrorCode.VALIDATION_ERROR, "client disconnected")
        spool.write(message.get("body", b""))
        if not message.get("more_body", False):
            break
    spool.seek(0)
    boundary = _boundary(Headers(scope=scope).get("content-type", ""))
    digest = hashlib.sha256()
    digest.update(str(scope["path"]).encode() + b"\0" + scope.get("query_string", b"") + b"\0")
    _hash_body(spool, digest, boundary)
    spool.seek(0)
    return digest.hexdigest()


def _boundary(content_type: str) -> bytes | None:
    if not content_type.lower().startswith("multipart/"):
        return None
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "boundary" and value:
            return value.strip('"').encode("latin-1")
    return None


def _hash_body(spool: IO[bytes], digest: Any, boundary: bytes | None) -> None:
    """Hash the body, every occurrence of ``boundary`` left out (chunk edges included)."""
    if not boundary:
        while chunk := spool.read(CHUNK):
            digest.update(chunk)
        return
    carry = b""
    keep = len(boundary) - 1
    while chunk := spool.read(CHUNK):
        data = (carry + chunk).replace(boundary, b"")
        carry, data = data[-keep:], data[:-keep]
        digest.update(data)
    digest.update(carry)


def _replaying(spool: IO[bytes]) -> Receive:
    """A ``receive`` that hands the app the spooled body, then waits forever (a real
    disconnect is the server's to notice: the response is still sent)."""
    done = False

    async def receive() -> Message:
        nonlocal done
        if done:
            await asyncio.Event().wait()
        chunk = spool.read(CHUNK)
        more = len(chunk) == CHUNK
        done = not more
        return {"type": "http.request", "body": chunk, "more_body": more}

    return receive


class _Capture:
    """Passes the answer through to the client and keeps a copy to store."""

    def __init__(self, send: Send, on_failure: Callable[[], Awaitable[None]]) -> None:
        self._send = send
        self._on_failure = on_failure
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = bytearray()
        self.too_big = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            self.headers = list(message.get("headers", []))
            if not 200 <= self.status < 300:
                await self._on_failure()
        elif message["type"] == "http.response.body" and not self.too_big:
            self.body += message.get("body", b"")
            if len(self.body) > MAX_STORED_BODY:
                self.too_big = True
                self.body = bytearray()
        await self._send(message)

    def stored(self) -> keys.Stored | None:
        if not 200 <= self.status < 300 or self.too_big:
            return None
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in self.headers}
        kept = {name: headers[name] for name in _KEPT_HEADERS if name in headers}
        return keys.Stored(
            status_code=self.status,
            content_type=headers.get("content-type"),
            headers=json.dumps(kept) if kept else None,
            body=bytes(self.body),
        )


async def _replay(stored: keys.Stored, send: Send) -> None:
    headers = [(b"content-length", str(len(stored.body)).encode())]
    if stored.content_type:
        headers.append((b"content-type", stored.content_type.encode("latin-1")))
    for name, value in json.loads(stored.headers or "{}").items():
        headers.append((name.encode("latin-1"), str(value).encode("latin-1")))
    headers.append((REPLAYED_HEADER.lower().encode(), b"true"))
    await send({"type": "http.response.start", "status": stored.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body})


HEADER_DOC = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": keys.MAX_KEY_LENGTH},
    "description": "Retry safely: the same key and body returns the first answer "
    "(Idempotent-Replayed: true) and is charged once; another body is 409 "
    "IDEMPOTENCY_KEY_REUSED; kept 24 h (docs/idempotency.md)",
}


def document_header(schema: dict[str, Any]) -> dict[str, Any]:
    """Every ``POST /api/v1/...`` in the OpenAPI schema lists the header (the
    middleware, not the routes, handles it, so FastAPI cannot see it)."""
    for path, operations in schema.get("paths", {}).items():
        post = operations.get("post") if is_api_v1(path) else None
        if post is None:
            continue
        parameters = post.setdefault("parameters", [])
        if not any(p.get("name", "").lower() == HEADER for p in parameters):
            parameters.append(dict(HEADER_DOC))
    return schema
