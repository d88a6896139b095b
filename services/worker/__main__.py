"""Wire-up: `python -m services.worker`.

A worker has no database: its inputs come from jobs, its outputs go to storage and
events. It serves gRPC health so orchestrators can probe it like any service.
``AVATARMESH_WORKER_SUBJECTS`` decides which job consumers this process runs.
"""

from __future__ import annotations

import asyncio
import logging

from avatarmedia import voices
from avatarmesh.bus import JOBS_STREAM
from avatarmesh.service import Runtime, ServiceSpec, Wiring, run_service
from avatarmesh.storage import Storage
from avatarmesh.v1 import jobs_pb2
from services.worker.config import WorkerSettings
from services.worker.creation import CREATION_DURABLE, CREATION_FILTER, CreationHandler
from services.worker.jobs import CanaryHandler
from services.worker.lipsync import LIPSYNC_DURABLE, LIPSYNC_FILTER, LipsyncHandler

log = logging.getLogger(__name__)


def wire(rt: Runtime[WorkerSettings]) -> Wiring:
    assert rt.bus is not None
    bus = rt.bus
    settings = rt.settings
    storage = Storage(settings)
    canary = CanaryHandler(bus)
    background = [
        # Piper voices load in ~3 s each: before the first job, not during it.
        lambda: asyncio.to_thread(voices.warm_up),
        lambda: bus.consume(
            stream=JOBS_STREAM,
            durable="worker-canary",
            filter_subject="jobs.canary",
            message_type=jobs_pb2.CanaryJob,
            handler=canary,
            max_deliver=3,
            ack_wait=10,
        ),
    ]
    if settings.takes(LIPSYNC_FILTER):
        lipsync = LipsyncHandler(bus, storage, settings)
        background.append(
            lambda: bus.consume(
                stream=JOBS_STREAM,
                durable=LIPSYNC_DURABLE,
                filter_subject=LIPSYNC_FILTER,
                message_type=jobs_pb2.LipsyncJob,
                handler=lipsync,
                max_deliver=settings.worker_lipsync_max_deliver,
                ack_wait=settings.worker_lipsync_ack_wait_seconds,
                backoff=(2, 10, 30),
                concurrency=settings.worker_lipsync_concurrency,
                on_dead_letter=lipsync.on_dead_letter,
            )
        )
    if settings.takes(CREATION_FILTER):
        creation = CreationHandler(bus, storage)
        background.append(
            lambda: bus.consume(
                stream=JOBS_STREAM,
                durable=CREATION_DURABLE,
                filter_subject=CREATION_FILTER,
                message_type=jobs_pb2.AvatarCreationJob,
                handler=creation,
                max_deliver=3,
                ack_wait=30,
                backoff=(2, 10, 30),
                on_dead_letter=creation.on_dead_letter,
            )
        )
    log.info("worker on %s takes %s", settings.worker_device, settings.worker_subjects)
    return Wiring(servicers=[], background=background)


SPEC = ServiceSpec(name="worker", settings_class=WorkerSettings, wire=wire)

if __name__ == "__main__":
    run_service(SPEC)
