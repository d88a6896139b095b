"""Wire-up: `python -m services.video`."""

from __future__ import annotations

from pathlib import Path

from avatarmesh.bus import EVENTS_STREAM
from avatarmesh.outbox import OutboxRelay
from avatarmesh.service import Runtime, Servicer, ServiceSpec, Wiring, run_service
from avatarmesh.settings import Settings
from avatarmesh.v1 import events_pb2, video_pb2_grpc
from services.video.canary import Canaries
from services.video.server import VideoServicer
from services.video.store import outbox


def wire(rt: Runtime[Settings]) -> Wiring:
    assert rt.db is not None and rt.bus is not None
    bus = rt.bus
    relay = OutboxRelay(rt.db, bus, outbox)
    canaries = Canaries(rt.db, relay)
    servicer = VideoServicer(canaries)
    return Wiring(
        servicers=[
            Servicer(
                "avatarmesh.v1.VideoService",
                lambda s: video_pb2_grpc.add_VideoServiceServicer_to_server(servicer, s),
            )
        ],
        background=[
            relay.run,
            lambda: bus.consume(
                stream=EVENTS_STREAM,
                durable="video-canary",
                filter_subject="events.canary.>",
                message_type=events_pb2.CanaryCompleted,
                handler=canaries.on_completed,
            ),
        ],
    )


SPEC = ServiceSpec(
    name="video",
    settings_class=Settings,
    wire=wire,
    migrations=Path(__file__).parent / "migrations",
)

if __name__ == "__main__":
    run_service(SPEC)
