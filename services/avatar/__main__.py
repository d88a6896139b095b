"""Wire-up: `python -m services.avatar`."""

from __future__ import annotations

import logging
from pathlib import Path

from avatarmesh.bus import EVENTS_STREAM
from avatarmesh.grpc_client import channel
from avatarmesh.outbox import OutboxRelay, run_inbox_purge
from avatarmesh.service import Runtime, Servicer, ServiceSpec, Wiring, run_service
from avatarmesh.storage import Storage
from avatarmesh.v1 import avatar_pb2_grpc, billing_pb2_grpc, events_pb2, pose_pb2_grpc
from services.avatar.config import AvatarSettings
from services.avatar.logic import Avatars
from services.avatar.server import AvatarServicer
from services.avatar.store import inbox, outbox

log = logging.getLogger(__name__)

# The creation saga's events, one durable per subject (one message type each).
STAGE_CONSUMER = ("avatar-creation-stage", "events.creation.stage")
SUCCEEDED_CONSUMER = ("avatar-creation-succeeded", "events.creation.succeeded")
FAILED_CONSUMER = ("avatar-creation-failed", "events.creation.failed")
EVENT_BACKOFF = (1.0, 5.0, 15.0, 30.0, 60.0)


def build(rt: Runtime[AvatarSettings]) -> tuple[Avatars, OutboxRelay]:
    assert rt.db is not None and rt.bus is not None
    relay = OutboxRelay(rt.db, rt.bus, outbox)
    avatars = Avatars(
        db=rt.db,
        relay=relay,
        billing=billing_pb2_grpc.BillingServiceStub(channel(rt.settings.billing_addr)),
        poses=pose_pb2_grpc.PoseServiceStub(channel(rt.settings.pose_addr)),
        storage=Storage(rt.settings),
        settings=rt.settings,
    )
    return avatars, relay


def wire(rt: Runtime[AvatarSettings]) -> Wiring:
    assert rt.bus is not None
    assert rt.db is not None
    db, bus = rt.db, rt.bus
    avatars, relay = build(rt)
    servicer = AvatarServicer(avatars)
    max_deliver = rt.settings.avatar_event_max_deliver

    async def seed() -> None:
        if rt.settings.avatar_seed_system:
            await avatars.seed_system()

    return Wiring(
        servicers=[
            Servicer(
                "avatarmesh.v1.AvatarService",
                lambda s: avatar_pb2_grpc.add_AvatarServiceServicer_to_server(servicer, s),
            )
        ],
        background=[
            relay.run,
            seed,
            lambda: run_inbox_purge(db, inbox),
            lambda: bus.consume(
                stream=EVENTS_STREAM,
                durable=STAGE_CONSUMER[0],
                filter_subject=STAGE_CONSUMER[1],
                message_type=events_pb2.AvatarStageChanged,
                handler=avatars.on_stage,
                max_deliver=max_deliver,
                backoff=EVENT_BACKOFF,
            ),
            lambda: bus.consume(
                stream=EVENTS_STREAM,
                durable=SUCCEEDED_CONSUMER[0],
                filter_subject=SUCCEEDED_CONSUMER[1],
                message_type=events_pb2.AvatarCreationSucceeded,
                handler=avatars.on_succeeded,
                max_deliver=max_deliver,
                backoff=EVENT_BACKOFF,
            ),
            lambda: bus.consume(
                stream=EVENTS_STREAM,
                durable=FAILED_CONSUMER[0],
                filter_subject=FAILED_CONSUMER[1],
                message_type=events_pb2.AvatarCreationFailed,
                handler=avatars.on_failed,
                max_deliver=max_deliver,
                backoff=EVENT_BACKOFF,
            ),
        ],
    )


SPEC = ServiceSpec(
    name="avatar",
    settings_class=AvatarSettings,
    wire=wire,
    migrations=Path(__file__).parent / "migrations",
)

if __name__ == "__main__":
    run_service(SPEC)
