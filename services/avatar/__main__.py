"""Wire-up: `python -m services.avatar`: serves AvatarService, relays the outbox, seeds
the system avatars, purges the inbox and runs the consumers that ``events`` declares."""

from __future__ import annotations

import asyncio
from pathlib import Path

from avatarmesh.grpc_client import channel
from avatarmesh.outbox import OutboxRelay, run_inbox_purge
from avatarmesh.service import Runtime, Servicer, ServiceSpec, Wiring, run_service
from avatarmesh.storage import Storage
from avatarmesh.v1 import avatar_pb2_grpc, billing_pb2_grpc, pose_pb2_grpc
from services.avatar import events
from services.avatar.avatars import Avatars
from services.avatar.config import AvatarSettings
from services.avatar.saga import CreationSaga
from services.avatar.server import AvatarServicer
from services.avatar.store import inbox, outbox
from services.avatar.upstreams import Upstreams
from services.avatar.voices import warm_catalogue


def wire(rt: Runtime[AvatarSettings]) -> Wiring:
    assert rt.db is not None and rt.bus is not None
    db, bus, settings = rt.db, rt.bus, rt.settings
    relay = OutboxRelay(db, bus, outbox)
    upstreams = Upstreams(
        billing=billing_pb2_grpc.BillingServiceStub(channel(settings.billing_addr)),
        poses=pose_pb2_grpc.PoseServiceStub(channel(settings.pose_addr)),
    )
    storage = Storage(settings)
    avatars = Avatars(db, relay, upstreams, storage, settings)
    saga = CreationSaga(db, relay, upstreams, storage, settings.avatar_review_mode)
    servicer = AvatarServicer(avatars, saga)

    async def seed() -> None:
        if settings.avatar_seed_system:
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
            # The voice catalogue (Piper voices' gender is measured once): built now,
            # so the first GET /voices does not wait for it.
            lambda: asyncio.to_thread(warm_catalogue),
            *events.consumers(bus, saga, settings.avatar_event_max_deliver),
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
