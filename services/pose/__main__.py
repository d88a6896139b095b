"""Wire-up: `python -m services.pose`."""

from __future__ import annotations

from pathlib import Path

from avatarmesh.bus import EVENTS_STREAM
from avatarmesh.outbox import OutboxRelay
from avatarmesh.service import Runtime, Servicer, ServiceSpec, Wiring, run_service
from avatarmesh.settings import Settings
from avatarmesh.v1 import pose_pb2_grpc
from services.pose.server import PoseServicer
from services.pose.store import outbox

# Events this service will consume; declared now so none is lost before it does.
CONSUMER = ("pose-render-events", "events.pose.>")


def wire(rt: Runtime[Settings]) -> Wiring:
    assert rt.db is not None and rt.bus is not None
    bus = rt.bus
    relay = OutboxRelay(rt.db, bus, outbox)
    servicer = PoseServicer()

    async def declare_consumers() -> None:
        await bus.declare_consumer(
            stream=EVENTS_STREAM, durable=CONSUMER[0], filter_subject=CONSUMER[1]
        )

    return Wiring(
        servicers=[
            Servicer(
                "avatarmesh.v1.PoseService",
                lambda s: pose_pb2_grpc.add_PoseServiceServicer_to_server(servicer, s),
            )
        ],
        background=[relay.run, declare_consumers],
    )


SPEC = ServiceSpec(
    name="pose",
    settings_class=Settings,
    wire=wire,
    migrations=Path(__file__).parent / "migrations",
)

if __name__ == "__main__":
    run_service(SPEC)
