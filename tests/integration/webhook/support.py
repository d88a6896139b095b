"""The webhook service in-process, a publisher of settled videos, and a local receiver."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from avatarmesh.bus import Bus
from avatarmesh.grpc_client import channel
from avatarmesh.ids import IdPrefix, new_id
from avatarmesh.service import running
from avatarmesh.settings import Settings
from avatarmesh.v1 import common_pb2, events_pb2, webhook_pb2, webhook_pb2_grpc
from services.webhook.__main__ import SPEC
from services.webhook.config import WebhookSettings
from services.webhook.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature


def webhook_settings(
    tmp_path: Path, nats_url: str, namespace: str, s3_endpoint: str, **overrides: Any
) -> WebhookSettings:
    values: dict[str, Any] = {
        "database_url": "sqlite+aiosqlite:///{data_dir}/{service}.db",
        "data_dir": tmp_path,
        "nats_url": nats_url,
        "bus_namespace": namespace,
        "s3_endpoint": s3_endpoint,
        "s3_secure": False,
        "s3_bucket": "webhook-test",
        "allow_insecure_loopback": True,
        "webhook_retry_schedule_seconds": (0.1,),
        "webhook_retry_jitter": 0.0,
        "webhook_poll_interval_seconds": 0.05,
        "webhook_timeout_seconds": 2.0,
        "webhook_lease_seconds": 5.0,
        **overrides,
    }
    # model_copy, so the test's environment cannot leak in
    return WebhookSettings().model_copy(update=values)


@dataclass
class Service:
    stub: webhook_pb2_grpc.WebhookServiceStub
    port: int

    async def secret(self, owner_id: str) -> str:
        reply = await self.stub.GetSigningSecret(
            webhook_pb2.GetSigningSecretRequest(owner_id=owner_id)
        )
        return str(reply.secret)

    async def attempts(
        self, owner_id: str, video_id: str = ""
    ) -> list[webhook_pb2.DeliveryAttempt]:
        reply = await self.stub.ListDeliveries(
            webhook_pb2.ListDeliveriesRequest(owner_id=owner_id, subject_id=video_id)
        )
        return list(reply.attempts)


@asynccontextmanager
async def webhook_service(settings: WebhookSettings) -> AsyncIterator[Service]:
    async with running(SPEC, settings, port=0) as runtime:
        port = runtime.server.bound_port
        async with channel(f"127.0.0.1:{port}") as ch:
            yield Service(webhook_pb2_grpc.WebhookServiceStub(ch), port)


@asynccontextmanager
async def publisher(settings: Settings) -> AsyncIterator[Bus]:
    bus = Bus(settings, "video-test")
    await bus.connect()
    try:
        yield bus
    finally:
        await bus.close()


def settled(
    url: str,
    *,
    status: str = "completed",
    owner_id: str = "own_alice",
    video_id: str | None = None,
    event_id: str | None = None,
    cost_micros: int | None = 150_000,
) -> events_pb2.VideoSettled:
    video_id = video_id or new_id(IdPrefix.VIDEO)
    event = events_pb2.VideoSettled(
        video_id=video_id,
        owner_id=owner_id,
        status=status,
        webhook_url=url,
        video_key=f"owners/{owner_id}/videos/{video_id}/video.mp4",
        duration_seconds=3.0,
        tier=common_pb2.TIER_AVATAR,
        error="renderer crashed" if status == "failed" else "",
    )
    event.meta.event_id = event_id or new_id(IdPrefix.EVENT)
    event.meta.occurred_at.FromDatetime(datetime(2025, 1, 1, 12, 0, 30, tzinfo=UTC))
    if cost_micros is not None:
        event.actual_cost_micros = cost_micros
    return event


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    answered: int


@dataclass
class Receiver:
    """Answers each POST with the next status of ``script`` (then ``then``)."""

    script: list[int] = field(default_factory=list)
    then: int = 200
    requests: list[Received] = field(default_factory=list)
    url: str = ""

    def answer(self) -> int:
        return self.script.pop(0) if self.script else self.then

    @property
    def successes(self) -> list[Received]:
        return [r for r in self.requests if 200 <= r.answered < 300]

    def verified(self, secret: str, request: Received) -> bool:
        return verify_signature(
            secret,
            request.headers[TIMESTAMP_HEADER.lower()],
            request.body,
            request.headers[SIGNATURE_HEADER.lower()],
        )


@contextmanager
def receiver(script: list[int] | None = None, then: int = 200) -> Iterator[Receiver]:
    state = Receiver(script=list(script or []), then=then)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                status = state.answer()
                headers = {k.lower(): v for k, v in self.headers.items()}
                state.requests.append(Received(self.path, headers, body, status))
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/avatarmesh"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


async def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)
