"""Wire-up: `python -m services.pose`.

Poses are rendered here, synchronously (see ``services.pose.logic``); the service
consumes no events and publishes none (``events``), so it runs without the bus.
"""

from __future__ import annotations

from pathlib import Path

from avatarmesh.grpc_client import channel
from avatarmesh.service import Runtime, Servicer, ServiceSpec, Wiring, run_service
from avatarmesh.settings import Settings
from avatarmesh.storage import Storage
from avatarmesh.v1 import avatar_pb2_grpc, billing_pb2_grpc, pose_pb2_grpc
from services.pose import events
from services.pose.poses import Poses
from services.pose.server import PoseServicer
from services.pose.upstreams import GrpcUpstreams


def build(rt: Runtime[Settings]) -> Poses:
    assert rt.db is not None
    upstreams = GrpcUpstreams(
        avatars=avatar_pb2_grpc.AvatarServiceStub(channel(rt.settings.avatar_addr)),
        billing=billing_pb2_grpc.BillingServiceStub(channel(rt.settings.billing_addr)),
    )
    return Poses(db=rt.db, upstreams=upstreams, storage=Storage(rt.settings))


def wire(rt: Runtime[Settings]) -> Wiring:
    poses = build(rt)
    servicer = PoseServicer(poses)
    return Wiring(
        servicers=[
            Servicer(
                "avatarmesh.v1.PoseService",
                lambda s: pose_pb2_grpc.add_PoseServiceServicer_to_server(servicer, s),
            )
        ],
        background=[*events.consumers(), poses.settle],
    )


SPEC = ServiceSpec(
    name="pose",
    settings_class=Settings,
    wire=wire,
    migrations=Path(__file__).parent / "migrations",
    uses_bus=False,
)

if __name__ == "__main__":
    run_service(SPEC)
