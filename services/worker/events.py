"""What a worker consumes and publishes on the bus.

Consumed, from the JOBS stream (work-queue retention: one worker takes each job):

| durable | subject | policy | ack wait |
|---|---|---|---|
| ``worker-canary`` | ``jobs.canary`` | probe | 10 s |
| ``worker-lipsync`` | ``jobs.lipsync.>`` | render (deliveries from settings) | from settings |
| ``worker-avatar`` | ``jobs.avatar.>`` | render | 30 s |

``AVATARMESH_WORKER_SUBJECTS`` decides which of the job consumers a process runs (the
canary always runs: it proves the process consumes and publishes). A render or
creation job that exhausts its deliveries is dead-lettered and its handler's
``on_dead_letter`` reports it failed, so the hold is released either way.

Published directly on the bus (a worker has no database, so no outbox; each message
carries a ``Nats-Msg-Id`` that makes a repeat harmless): ``events.canary.completed``;
``events.render.progress|completed|failed`` (the video service settles the video);
``events.creation.stage|succeeded|failed`` (the avatar service settles the avatar).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from avatarmesh.bus import JOBS_STREAM, Bus
from avatarmesh.subscriptions import PROBE, RENDER, Background, Subscription
from avatarmesh.v1 import jobs_pb2
from services.worker.config import WorkerSettings

if TYPE_CHECKING:
    from services.worker.creation import CreationHandler
    from services.worker.jobs import CanaryHandler
    from services.worker.lipsync import LipsyncHandler

# -- consumed ----------------------------------------------------------------------

CANARY = Subscription(
    "worker-canary", "jobs.canary", jobs_pb2.CanaryJob, PROBE, stream=JOBS_STREAM, ack_wait=10.0
)
LIPSYNC = Subscription(
    "worker-lipsync", "jobs.lipsync.>", jobs_pb2.LipsyncJob, RENDER, stream=JOBS_STREAM
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
