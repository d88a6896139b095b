"""What the video service consumes and publishes on the bus.

Consumed (one durable per subject, so each handler gets its own message type and a
backlog of progress never delays a completion):

| durable | subject | policy |
|---|---|---|
| ``video-canary`` | ``events.canary.>`` | standard |
| ``video-render-progress`` | ``events.render.progress`` | latest-wins |
| ``video-render-completed`` | ``events.render.completed`` | settlement |
| ``video-render-failed`` | ``events.render.failed`` | settlement |
| ``video-avatar-deleted`` | ``events.avatar.deleted`` | standard |

Published through the outbox: ``jobs.lipsync.<tier>`` (a render), ``jobs.studio.<tier>``
(a studio render), ``jobs.canary`` and ``events.video.<status>`` (a settled video, for
the webhook service).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from avatarmesh.bus import Bus, Delivery, event_meta
from avatarmesh.outbox import add_to_outbox
from avatarmesh.storage import video_prefix
from avatarmesh.subscriptions import (
    LATEST_WINS,
    SETTLEMENT,
    STANDARD,
    Background,
    Subscription,
)
from avatarmesh.tiers import TIER_TO_PB
from avatarmesh.v1 import events_pb2, jobs_pb2
from services.video.logic import Video
from services.video.store import outbox

if TYPE_CHECKING:
    from services.video.canary import Canaries
    from services.video.reconcile import Videos

# -- consumed ----------------------------------------------------------------------

CANARY_COMPLETED = Subscription(
    "video-canary", "events.canary.>", events_pb2.CanaryCompleted, STANDARD
)
RENDER_PROGRESS = Subscription(
    "video-render-progress", "events.render.progress", events_pb2.RenderProgress, LATEST_WINS
)
RENDER_COMPLETED = Subscription(
    "video-render-completed", "events.render.completed", events_pb2.RenderCompleted, SETTLEMENT
)
RENDER_FAILED = Subscription(
    "video-render-failed", "events.render.failed", events_pb2.RenderFailed, SETTLEMENT
)
AVATAR_DELETED = Subscription(
    "video-avatar-deleted", "events.avatar.deleted", events_pb2.AvatarDeleted, STANDARD
)


def consumers(bus: Bus, videos: Videos, canaries: Canaries) -> list[Background]:
    """The service's subscriptions bound to its handlers (messages unpacked here)."""

    async def canary(d: Delivery[events_pb2.CanaryCompleted]) -> None:
        event = d.message
        await canaries.completed(event.meta.event_id, event.canary_id, event.worker)

    async def progress(d: Delivery[events_pb2.RenderProgress]) -> None:
        await videos.progress(d.message.video_id, d.message.progress)

    async def completed(d: Delivery[events_pb2.RenderCompleted]) -> None:
        event = d.message
        await videos.completed(
            event.video_id,
            event.video_key,
            event.poster_key,
            event.actual_seconds,
            event.result_json,
        )

    async def failed(d: Delivery[events_pb2.RenderFailed]) -> None:
        await videos.failed(d.message.video_id, d.message.error)

    async def avatar_deleted(d: Delivery[events_pb2.AvatarDeleted]) -> None:
        await videos.avatar_deleted(d.message.owner_id, d.message.avatar_id)

    return [
        CANARY_COMPLETED.consumer(bus, canary),
        RENDER_PROGRESS.consumer(bus, progress),
        RENDER_COMPLETED.consumer(bus, completed),
        RENDER_FAILED.consumer(bus, failed),
        AVATAR_DELETED.consumer(bus, avatar_deleted),
    ]


# -- published ---------------------------------------------------------------------

CANARY_SUBJECT = "jobs.canary"


async def queue_render(
    session: AsyncSession,
    video: Video,
    *,
    portrait_key: str,
    tts_voice_id: str,
    voice_profile_json: str,
    watermark: bool = False,
) -> None:
    """``jobs.lipsync.<tier>`` for the new video, in the caller's transaction."""
    job = jobs_pb2.LipsyncJob(
        video_id=video.id,
        owner_id=video.owner_id,
        avatar_id=video.avatar_id,
        portrait_key=portrait_key,
        tts_voice_id=tts_voice_id,
        voice_profile_json=voice_profile_json,
        language=video.language,
        text=video.text,
        tier=TIER_TO_PB[video.tier],
        resolution=video.resolution,
        fps=video.fps,
        video_prompt=video.video_prompt,
        output_prefix=video_prefix(video.owner_id, video.id),
        watermark=watermark,
    )
    if video.audio_key:
        job.audio.storage_key = video.audio_key
    await add_to_outbox(
        session, outbox, f"jobs.lipsync.{video.tier}", job, msg_id=f"{video.id}:job"
    )


async def queue_studio(
    session: AsyncSession, video: Video, spec_json: str, *, watermark: bool = False
) -> None:
    """``jobs.studio.<tier>`` for the new studio video, in the caller's transaction
    (``watermark``: the render carries the operator's mark, see ``logic.watermarked``)."""
    job = jobs_pb2.StudioJob(
        video_id=video.id,
        owner_id=video.owner_id,
        tier=TIER_TO_PB[video.tier],
        spec_json=spec_json,
        output_prefix=video_prefix(video.owner_id, video.id),
        watermark=watermark,
    )
    await add_to_outbox(session, outbox, f"jobs.studio.{video.tier}", job, msg_id=f"{video.id}:job")


async def queue_settled(session: AsyncSession, video: Video) -> None:
    """``events.video.<status>`` for a video that just settled (completed, failed or
    cancelled), in the caller's transaction."""
    status = video.status.value
    await add_to_outbox(
        session,
        outbox,
        f"events.video.{status}",
        settled_event(video),
        msg_id=f"{video.id}:video:{status}",
    )


def settled_event(video: Video) -> events_pb2.VideoSettled:
    event = events_pb2.VideoSettled(
        meta=event_meta(),
        video_id=video.id,
        owner_id=video.owner_id,
        status=video.status.value,
        webhook_url=video.webhook_url,
        video_key=video.video_key,
        duration_seconds=video.actual_seconds or 0.0,
        tier=TIER_TO_PB[video.tier],
        error=video.error,
        output_temporary=video.output_temporary,
        poster_key=video.poster_key,
    )
    if video.actual_cost_micros is not None:
        event.actual_cost_micros = video.actual_cost_micros
    return event


async def queue_canary(session: AsyncSession, canary_id: str) -> None:
    await add_to_outbox(
        session,
        outbox,
        CANARY_SUBJECT,
        jobs_pb2.CanaryJob(canary_id=canary_id),
        msg_id=f"{canary_id}:job",
    )
