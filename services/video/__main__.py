"""Wire-up: `python -m services.video`.

Serves VideoService, relays the outbox (jobs.lipsync.<tier>, events.video.*, the
canary) and follows the workers' events: one durable per render event subject
(``video-render-progress``, ``video-render-completed``, ``video-render-failed``), so
each handler gets its own message type and a backlog of progress never delays a
completion.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from avatarmesh.bus import EVENTS_STREAM
from avatarmesh.grpc_client import channel
from avatarmesh.outbox import OutboxRelay, run_inbox_purge
from avatarmesh.service import Runtime, Servicer, ServiceSpec, Wiring, run_service
from avatarmesh.storage import Storage
from avatarmesh.v1 import (
    avatar_pb2_grpc,
    billing_pb2_grpc,
    events_pb2,
    pose_pb2_grpc,
    video_pb2_grpc,
)
from services.video.canary import Canaries
from services.video.config import VideoSettings
from services.video.logic import Upstreams, Videos
from services.video.safety import SafetyFilter
from services.video.server import VideoServicer
from services.video.store import inbox, outbox


def upstreams(settings: VideoSettings) -> Upstreams:
    return Upstreams(
        avatars=avatar_pb2_grpc.AvatarServiceStub(channel(settings.avatar_addr)),
        poses=pose_pb2_grpc.PoseServiceStub(channel(settings.pose_addr)),
        billing=billing_pb2_grpc.BillingServiceStub(channel(settings.billing_addr)),
    )


def wire(rt: Runtime[VideoSettings], up: Upstreams | None = None) -> Wiring:
    assert rt.db is not None and rt.bus is not None
    db, bus, settings = rt.db, rt.bus, rt.settings
    relay = OutboxRelay(rt.db, bus, outbox)
    canaries = Canaries(rt.db, relay)
    safety = (
        SafetyFilter.from_file(settings.video_safety_blocklist_path)
        if settings.video_safety_filter_enabled
        else SafetyFilter.disabled()
    )
    videos = Videos(rt.db, relay, up or upstreams(settings), Storage(settings), settings, safety)
    servicer = VideoServicer(canaries, videos)
    background: list[Callable[[], Coroutine[Any, Any, None]]] = [
        relay.run,
        lambda: run_inbox_purge(db, inbox),
        lambda: bus.consume(
            stream=EVENTS_STREAM,
            durable="video-canary",
            filter_subject="events.canary.>",
            message_type=events_pb2.CanaryCompleted,
            handler=canaries.on_completed,
        ),
        lambda: bus.consume(
            stream=EVENTS_STREAM,
            durable="video-render-progress",
            filter_subject="events.render.progress",
            message_type=events_pb2.RenderProgress,
            handler=videos.on_render_progress,
            max_deliver=2,
        ),
        lambda: bus.consume(
            stream=EVENTS_STREAM,
            durable="video-render-completed",
            filter_subject="events.render.completed",
            message_type=events_pb2.RenderCompleted,
            handler=videos.on_render_completed,
            max_deliver=20,
            backoff=(1, 5, 15, 60),
        ),
        lambda: bus.consume(
            stream=EVENTS_STREAM,
            durable="video-render-failed",
            filter_subject="events.render.failed",
            message_type=events_pb2.RenderFailed,
            handler=videos.on_render_failed,
            max_deliver=20,
            backoff=(1, 5, 15, 60),
        ),
        lambda: bus.consume(
            stream=EVENTS_STREAM,
            durable="video-avatar-deleted",
            filter_subject="events.avatar.deleted",
            message_type=events_pb2.AvatarDeleted,
            handler=videos.on_avatar_deleted,
        ),
    ]
    return Wiring(
        servicers=[
            Servicer(
                "avatarmesh.v1.VideoService",
                lambda s: video_pb2_grpc.add_VideoServiceServicer_to_server(servicer, s),
            )
        ],
        background=background,
    )


SPEC = ServiceSpec(
    name="video",
    settings_class=VideoSettings,
    wire=wire,
    migrations=Path(__file__).parent / "migrations",
)

if __name__ == "__main__":
    run_service(SPEC)
