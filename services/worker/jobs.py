"""Job handlers. Each acks only after its result is stored (the bus acks when the
handler returns), so a killed worker means redelivery, never a lost job."""

from __future__ import annotations

import os
import socket

from avatarmesh.bus import Bus, Delivery, event_meta
from avatarmesh.v1 import events_pb2, jobs_pb2
from services.worker import events


def worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class CanaryHandler:
    """Answers the video service's canary: proves this worker consumes and publishes."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def __call__(self, delivery: Delivery[jobs_pb2.CanaryJob]) -> None:
        canary_id = delivery.message.canary_id
        event = events_pb2.CanaryCompleted(
            meta=event_meta(),
            canary_id=canary_id,
            worker=worker_name(),
        )
        await self.bus.publish(events.CANARY_COMPLETED, event, msg_id=f"{canary_id}:completed")
