"""A webhook receiver for end-to-end tests: a real HTTP server on 127.0.0.1 (a free
port, its own thread) that records every request and answers from a script.

It can also be taken down and brought back on the same port (``go_down`` refuses
connections the way a stopped server does; ``fail_with(503)`` answers every request
with that status; ``come_back`` serves normally again), for outage tests.

``verify_signature`` is written from docs/webhooks.md (not imported from the webhook
service), so the tests check the documented scheme, not the implementation against
itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


@dataclass(frozen=True)
class Received:
    """One request as it arrived: lower-cased headers and the raw body bytes."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    status: int = 200  # what the receiver answered

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300

    @property
    def json(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.body)
        return value


class Receiver:
    """Answers the i-th request with ``statuses[i]`` (then 200 for ever after), unless
    ``fail_with`` says otherwise; ``go_down`` / ``come_back`` stop and restart it."""

    def __init__(self, statuses: Iterable[int] = ()) -> None:
        self._statuses = list(statuses)
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._failing: int | None = None
        self._placeholder: socket.socket | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status = receiver._record(
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output quiet

        self._handler = Handler
        self._serve(0)
        host, port = self._server.server_address[:2]
        self._address = (str(host), int(port))

    def _serve(self, port: int) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._address
        return f"http://{host!s}:{port}/hook"

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            index = len(self._received)
            if self._failing is not None:
                status = self._failing
            else:
                status = self._statuses[index] if index < len(self._statuses) else 200
            self._received.append(Received(path, headers, body, time.time(), status))
        return status

    def fail_with(self, status: int | None) -> None:
        """Answer every request with ``status`` from now on (None: back to the script)."""
        with self._lock:
            self._failing = status

    def go_down(self) -> None:
        """Stop serving: connections to the port are refused (it stays bound, not
        listening, so nothing else can take it before ``come_back``)."""
        if self._placeholder is not None:
            return
        self._stop_server()
        placeholder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        placeholder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        placeholder.bind(self._address)
        self._placeholder = placeholder

    def come_back(self) -> None:
        """Serve again on the same port (answering as ``fail_with`` last said)."""
        if self._placeholder is None:
            return
        self._placeholder.close()
        self._placeholder = None
        self._serve(self._address[1])

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def wait_for(
        self, done: Callable[[list[Received]], bool], timeout: float = 60.0
    ) -> list[Received]:
        """Poll until ``done(received)``; fail with what arrived so far."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            received = self.received
            if done(received):
                return received
            time.sleep(0.1)
        raise AssertionError(f"receiver: not done after {timeout:.0f} s: {self.received}")

    def _stop_server(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def close(self) -> None:
        if self._placeholder is not None:
            self._placeholder.close()
            self._placeholder = None
        else:
            self._stop_server()


def verify_signature(
    secret: str, timestamp: str, body: bytes, signature: str, tolerance: float = 300
) -> bool:
    """docs/webhooks.md: ``v1=`` + hex HMAC-SHA256(secret, "<timestamp>.<raw body>``),
    any of the space-separated entries may match; old timestamps are refused."""
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return any(
        scheme == "v1" and hmac.compare_digest(value, expected)
        for scheme, _, value in (entry.partition("=") for entry in signature.split())
    )


def check_signed(request: Received, secret: str) -> None:
    """The documented headers are there and the signature verifies with ``secret``."""
    headers = request.headers
    assert headers["content-type"] == "application/json", headers
    assert headers["user-agent"] == "avatarmesh-webhooks/1", headers
    assert headers["webhook-id"] == request.json["event_id"], headers
    assert verify_signature(
        secret, headers["webhook-timestamp"], request.body, headers["webhook-signature"]
    ), headers
    # a different secret must not verify (the check is not vacuous)
    assert not verify_signature(
        secret + "x", headers["webhook-timestamp"], request.body, headers["webhook-signature"]
    )


def secret_of(api: httpx.Client) -> str:
    """The owner's webhook signing secret, from ``GET /api/v1/webhooks/secret``."""
    reply = api.get("/api/v1/webhooks/secret")
    assert reply.status_code == 200, reply.text
    secret: str = reply.json()["secret"]
    assert secret.startswith("whsec_")
    return secret


def deliveries(api: httpx.Client, video_id: str) -> list[dict[str, Any]]:
    """The webhook service's recorded delivery attempts for ``video_id``."""
    reply = api.get("/api/v1/webhooks/deliveries", params={"video_id": video_id})
    assert reply.status_code == 200, reply.text
    data: list[dict[str, Any]] = reply.json()["data"]
    return data
