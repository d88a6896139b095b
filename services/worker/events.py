"""What a worker consumes and publishes on the bus.

Consumed, from the JOBS stream (work-queue retention: one worker takes each job):

| durable | subject | policy | ack wait |
|---|---|---|---|
| ``worker-canary`` | ``jobs.canary`` | probe | 10 s |
| ``worker-lipsync`` | ``jobs.lipsync.>`` | render (deliveries from settings) | from settings |
| ``worker-studio`` | ``jobs.studio.>`` | render (as lipsync) | from settings |
| ``worker-avatar`` | ``jobs.avatar.>`` | render | 30 s |

``AVATARMESH_WORKER_SUBJECTS`` decides which of the job consumers a process runs (the
canary always runs: it proves the process consumes and publishes). A render or
creation job that exhausts its deliveries is dead-lettered and its handler's
``on_dead_letter`` reports it failed, so the hold is released either way.

Published directly on the bus (a worker has no database, so no outbox; each message
carries a ``Nats-Msg-Id`` that makes a repeat harmless): ``events.canary.completed``;
``events.render.progress|completed|failed`` (the video service settles the video);
``events.creation.stage|succeeded|failed`` (the avatar service settles the avatar).
One function per message builds it and publishes it under its message id
(``<video>:render:completed``, ``<avatar>:stage:<stage>``, ...): the handlers call
those and never spell a subject.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from avatarmesh.bus import JOBS_STREAM, Bus, event_meta
from avatarmesh.subscriptions import PROBE, RENDER, Background, Subscription
from avatarmesh.v1 import avatar_pb2, events_pb2, jobs_pb2
from services.worker.config import WorkerSettings

if TYPE_CHECKING:
    from services.worker.creation import CreationHandler
    from services.worker.jobs import CanaryHandler
    from services.worker.lipsync import LipsyncHandler
    from services.worker.studio import StudioHandler


class VideoJobRef(Protocol):
    """What the render events need of a job (a lip-sync or a studio job)."""

    @property
    def video_id(self) -> str: ...

    @property
    def owner_id(self) -> str: ...


# -- consumed ----------------------------------------------------------------------

CANARY = Subscription(
    "worker-canary", "jobs.canary", jobs_pb2.CanaryJob, PROBE, stream=JOBS_STREAM, ack_wait=10.0
)
LIPSYNC = Subscription(
    "worker-lipsync", "jobs.lipsync.>", jobs_pb2.LipsyncJob, RENDER, stream=JOBS_STREAM
)
STUDIO = Subscription(
    "worker-studio", "jobs.studio.>", jobs_pb2.StudioJob, RENDER, stream=JOBS_STREAM
)
CREATION = Subscription(
    "worker-avatar", "jobs.avatar.>", jobs_pb2.AvatarCreationJob, RENDER, stream=JOBS_STREAM
)


def consumers(
    bus: Bus,
    settings: WorkerSettings,
    canary: CanaryHandler,
    lipsync: LipsyncHandler | None,
    creation: CreationHandler | None,
    studio: StudioHandler | None = None,
) -> list[Background]:
    """The worker's subscriptions bound to its handlers (None: this process does not
    take those jobs)."""
    background = [CANARY.consumer(bus, canary)]
    if lipsync is not None:
        renders = LIPSYNC.tuned(
            ack_wait=settings.worker_lipsync_ack_wait_seconds,
            concurrency=settings.worker_lipsync_concurrency,
        )
        policy = RENDER.with_max_deliver(settings.worker_lipsync_max_deliver)
        background.append(
            renders.consumer(bus, lipsync, policy=policy, on_dead_letter=lipsync.on_dead_letter)
        )
    if studio is not None:
        renders = STUDIO.tuned(
            ack_wait=settings.worker_lipsync_ack_wait_seconds,
            concurrency=settings.worker_lipsync_concurrency,
        )
        policy = RENDER.with_max_deliver(settings.worker_lipsync_max_deliver)
        background.append(
            renders.consumer(bus, studio, policy=policy, on_dead_letter=studio.on_dead_letter)
        )
    if creation is not None:
        background.append(CREATION.consumer(bus, creation, on_dead_letter=creation.on_dead_letter))
    return background


# -- published ---------------------------------------------------------------------

CANARY_COMPLETED = "events.canary.completed"
RENDER_PROGRESS = "events.render.progress"
RENDER_COMPLETED = "events.render.completed"
RENDER_FAILED = "events.render.failed"
CREATION_STAGE = "events.creation.stage"
CREATION_SUCCEEDED = "events.creation.succeeded"
CREATION_FAILED = "events.creation.failed"

STAGES = {
    "video_validating": avatar_pb2.AVATAR_STAGE_VIDEO_VALIDATING,
    "portrait": avatar_pb2.AVATAR_STAGE_PORTRAIT,
    "demo": avatar_pb2.AVATAR_STAGE_DEMO,
    "voice": avatar_pb2.AVATAR_STAGE_VOICE,
    "poses": avatar_pb2.AVATAR_STAGE_POSES,
}


async def canary_completed(bus: Bus, canary_id: str, worker: str) -> None:
    event = events_pb2.CanaryCompleted(meta=event_meta(), canary_id=canary_id, worker=worker)
    await bus.publish(CANARY_COMPLETED, event, msg_id=f"{canary_id}:completed")


async def render_progress(
    bus: Bus, video_id: str, progress: float, *, attempt: int, step: int
) -> None:
    """One step of a render's progress (a new message id per attempt and step)."""
    event = events_pb2.RenderProgress(meta=event_meta(), video_id=video_id, progress=progress)
    await bus.publish(RENDER_PROGRESS, event, msg_id=f"{video_id}:render:progress:{attempt}:{step}")


async def render_completed(
    bus: Bus,
    job: VideoJobRef,
    video_key: str,
    poster_key: str,
    seconds: float,
    result_json: str = "",
) -> None:
    """``result_json``: a studio render's scene seconds and caption keys."""
    event = events_pb2.RenderCompleted(
        meta=event_meta(),
        video_id=job.video_id,
        owner_id=job.owner_id,
        video_key=video_key,
        poster_key=poster_key,
        actual_seconds=seconds,
        result_json=result_json,
    )
    await bus.publish(RENDER_COMPLETED, event, msg_id=f"{job.video_id}:render:completed")


async def render_failed(bus: Bus, job: VideoJobRef, error: str) -> None:
    event = events_pb2.RenderFailed(
        meta=event_meta(), video_id=job.video_id, owner_id=job.owner_id, error=error
    )
    await bus.publish(RENDER_FAILED, event, msg_id=f"{job.video_id}:render:failed")


async def creation_stage(bus: Bus, job: jobs_pb2.AvatarCreationJob, stage: str) -> None:
    """``stage`` (one of ``STAGES``) begins."""
    event = events_pb2.AvatarStageChanged(
        meta=event_meta(), avatar_id=job.avatar_id, owner_id=job.owner_id, stage=STAGES[stage]
    )
    await bus.publish(CREATION_STAGE, event, msg_id=f"{job.avatar_id}:stage:{stage}")


async def creation_succeeded(
    bus: Bus,
    job: jobs_pb2.AvatarCreationJob,
    *,
    portrait_key: str,
    portrait_kind: str,
    demo_video_key: str,
    voice_profile_json: str,
    motion: str,
    motion_reason: str,
    consent_video_key: str = "",
    consent_check: avatar_pb2.ConsentCheck | None = None,
) -> None:
    event = events_pb2.AvatarCreationSucceeded(
        meta=event_meta(),
        avatar_id=job.avatar_id,
        owner_id=job.owner_id,
        portrait_key=portrait_key,
        portrait_kind=portrait_kind,
        demo_video_key=demo_video_key,
        voice_profile_json=voice_profile_json,
        motion=motion,
        motion_reason=motion_reason,
        consent_video_key=consent_video_key,
        consent_check=consent_check,
    )
    await bus.publish(CREATION_SUCCEEDED, event, msg_id=f"{job.avatar_id}:succeeded")


async def creation_failed(bus: Bus, job: jobs_pb2.AvatarCreationJob, error: str) -> None:
    event = events_pb2.AvatarCreationFailed(
        meta=event_meta(), avatar_id=job.avatar_id, owner_id=job.owner_id, error=error
    )
    await bus.publish(CREATION_FAILED, event, msg_id=f"{job.avatar_id}:failed")
