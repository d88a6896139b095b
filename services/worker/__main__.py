"""Wire-up: `python -m services.worker`.

A worker has no database: its inputs come from jobs, its outputs go to storage and
events. It serves gRPC health so orchestrators can probe it like any service.
"""

from __future__ import annotations

from avatarmesh.bus import JOBS_STREAM
from avatarmesh.service import Runtime, ServiceSpec, Wiring, run_service
from avatarmesh.settings import Settings
from avatarmesh.v1 import jobs_pb2
from services.worker.jobs import CanaryHandler


def wire(rt: Runtime[Settings]) -> Wiring:
    assert rt.bus is not None
    bus = rt.bus
    canary = CanaryHandler(bus)
    return Wiring(
        servicers=[],
        background=[
            lambda: bus.consume(
                stream=JOBS_STREAM,
                durable="worker-canary",
                filter_subject="jobs.canary",
                message_type=jobs_pb2.CanaryJob,
                handler=canary,
                max_deliver=3,
                ack_wait=10,
            ),
        ],
    )


SPEC = ServiceSpec(name="worker", settings_class=Settings, wire=wire)

if __name__ == "__main__":
    run_service(SPEC)
