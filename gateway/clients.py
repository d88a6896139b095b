"""gRPC stubs for every service, on channels opened once per gateway process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from avatarmesh.grpc_client import channel
from avatarmesh.settings import SERVICES, Settings
from avatarmesh.v1.avatar_pb2_grpc import AvatarServiceStub
from avatarmesh.v1.billing_pb2_grpc import BillingServiceStub
from avatarmesh.v1.files_pb2_grpc import FileServiceStub
from avatarmesh.v1.pose_pb2_grpc import PoseServiceStub
from avatarmesh.v1.video_pb2_grpc import VideoServiceStub
from avatarmesh.v1.webhook_pb2_grpc import WebhookServiceStub

UNAVAILABLE = "UNAVAILABLE"


class GrpcClients:
    """One channel per service; ``.avatar``, ``.pose``, ``.video``, ``.billing``,
    ``.webhook``, ``.files`` are the service stubs, ``.health(name)`` any service's health stub.
    A failed call raises ``DomainError`` with the upstream's code (the channel's
    interceptor), which the gateway's error handler renders."""

    def __init__(self, channels: Mapping[str, grpc.aio.Channel]) -> None:
        self.channels = dict(channels)
        self.avatar = AvatarServiceStub(self.channels["avatar"])
        self.pose = PoseServiceStub(self.channels["pose"])
        self.video = VideoServiceStub(self.channels["video"])
        self.billing = BillingServiceStub(self.channels["billing"])
        self.webhook = WebhookServiceStub(self.channels["webhook"])
        self.files = FileServiceStub(self.channels["files"])
        self._health = {name: health_pb2_grpc.HealthStub(ch) for name, ch in self.channels.items()}
        self._checked: tuple[float, dict[str, str]] | None = None  # (monotonic time, statuses)
        self._round: asyncio.Future[dict[str, str]] | None = None

    @classmethod
    def connect(cls, settings: Settings) -> GrpcClients:
        return cls({name: channel(settings.grpc_addr(name)) for name in SERVICES})

    def health(self, name: str) -> health_pb2_grpc.HealthStub:
        return self._health[name]

    async def check(self, name: str, deadline_s: float) -> str:
        """A service's overall serving status name, or ``UNAVAILABLE``."""
        try:
            reply = await self._health[name].Check(
                health_pb2.HealthCheckRequest(service=""), timeout=deadline_s
            )
        except Exception:
            return UNAVAILABLE
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))

    async def check_all(self, deadline_s: float, max_age_s: float = 0.0) -> dict[str, str]:
        """Every service's status. Callers arriving while a round of checks is in flight
        share it, and a round younger than ``max_age_s`` is reused: a burst of probes
        (or an unauthenticated flood) costs each service one check, not one per probe."""
        if self._checked is not None and time.monotonic() - self._checked[0] < max_age_s:
            return dict(self._checked[1])
        if self._round is None:
            self._round = asyncio.ensure_future(self._check_round(deadline_s))
        # shield: a caller that goes away does not cancel the round the others wait on
        return dict(await asyncio.shield(self._round))

    async def _check_round(self, deadline_s: float) -> dict[str, str]:
        try:
            names = list(self.channels)
            statuses = await asyncio.gather(*(self.check(name, deadline_s) for name in names))
            result = dict(zip(names, statuses, strict=True))
            self._checked = (time.monotonic(), result)
            return result
        finally:
            self._round = None

    async def close(self) -> None:
        await asyncio.gather(*(ch.close() for ch in self.channels.values()))
