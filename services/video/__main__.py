"""Wire-up: `python -m services.video`.

Serves VideoService, relays the outbox (jobs.lipsync.<tier>, events.video.*, the
canary), purges the inbox and runs the consumers that ``events`` declares.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from avatarmedia import voices
from avatarmesh.grpc_client import channel
from avatarmesh.outbox import OutboxRelay, run_inbox_purge
from avatarmesh.service import Runtime, Servicer, ServiceSpec, Wiring, run_service
from avatarmesh.storage import Storage
from avatarmesh.v1 import avatar_pb2_grpc, billing_pb2_grpc, pose_pb2_grpc, video_pb2_grpc
from services.video import events
from services.video.canary import Canaries
from services.video.config import VideoSettings
from services.video.reconcile import Videos
from services.video.safety import SafetyFilter
from services.video.server import VideoServicer
from services.video.store import inbox, outbox
from services.video.submit import Submissions
from services.video.uploads import UploadedAudio
from services.video.upstreams import Upstreams


def connect_upstreams(settings: VideoSettings) -> Upstreams:
    return Upstreams(
        avatars=avatar_pb2_grpc.AvatarServiceStub(channel(settings.avatar_addr)),
        poses=pose_pb2_grpc.PoseServiceStub(channel(settings.pose_addr)),
        billing=billing_pb2_grpc.BillingServiceStub(channel(settings.billing_addr)),
    )


def wire(rt: Runtime[VideoSettings], up: Upstreams | None = None) -> Wiring:
    assert rt.db is not None and rt.bus is not None
    db, bus, settings = rt.db, rt.bus, rt.settings
    relay = OutboxRelay(db, bus, outbox)
    upstreams = up or connect_upstreams(settings)
    storage = Storage(settings)
    uploads = UploadedAudio(db, storage)
    safety = (
        SafetyFilter.from_file(settings.video_safety_blocklist_path)
        if settings.video_safety_filter_enabled
        else SafetyFilter.disabled()
    )
    submissions = Submissions(db, relay, upstreams, storage, uploads, settings, safety)
    videos = Videos(db, relay, upstreams, storage, uploads)
    canaries = Canaries(db, relay)
    servicer = VideoServicer(submissions, videos, canaries)
    return Wiring(
        servicers=[
            Servicer(
                "avatarmesh.v1.VideoService",
                lambda s: video_pb2_grpc.add_VideoServiceServicer_to_server(servicer, s),
            )
        ],
        background=[
            # Piper voices load in ~3 s each: before the first estimate, not during it.
            lambda: asyncio.to_thread(voices.warm_up),
            relay.run,
            lambda: run_inbox_purge(db, inbox),
            *events.consumers(bus, videos, canaries),
        ],
    )


SPEC = ServiceSpec(
    name="video",
    settings_class=VideoSettings,
    wire=wire,
    migrations=Path(__file__).parent / "migrations",
)

if __name__ == "__main__":
    run_service(SPEC)
