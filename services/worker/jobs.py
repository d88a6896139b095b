"""Job handlers. Each acks only after its result is stored (the bus acks when the
handler returns), so a killed worker means redelivery, never a lost job."""

from __future__ import annotations

import os
import socket

from avatarmesh.bus import Bus, Delivery
from avatarmesh.v1 import jobs_pb2
from services.worker import events


def worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class CanaryHandler:
    """Answers the video service's canary: proves this worker consumes and publishes."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def __call__(self, delivery: Delivery[jobs_pb2.CanaryJob]) -> None:
        await events.canary_completed(self.bus, delivery.message.canary_id, worker_name())
