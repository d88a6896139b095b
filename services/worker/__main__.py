"""Wire-up: `python -m services.worker`.

A worker has no database: its inputs come from jobs, its outputs go to storage and
events. It serves gRPC health so orchestrators can probe it like any service.
``AVATARMESH_WORKER_SUBJECTS`` decides which job consumers this process runs.

The worker, top-down: this module wires it; ``events`` says what it consumes (the
subscription table) and publishes; one module per job kind does the work:
``lipsync`` (a video render), ``studio`` (a studio video's scenes), ``creation``
(an avatar's portrait, demo and voice), ``jobs`` (the canary); ``config`` holds its
settings.
"""

from __future__ import annotations

import asyncio
import logging

from avatarmedia import voices
from avatarmesh.service import Runtime, ServiceSpec, Wiring, run_service
from avatarmesh.storage import Storage
from services.worker import events
from services.worker.config import WorkerSettings
from services.worker.creation import CreationHandler
from services.worker.jobs import CanaryHandler
from services.worker.lipsync import LipsyncHandler
from services.worker.studio import StudioHandler

log = logging.getLogger(__name__)


def wire(rt: Runtime[WorkerSettings]) -> Wiring:
    assert rt.bus is not None
    bus = rt.bus
    settings = rt.settings
    storage = Storage(settings)
    lipsync = (
        LipsyncHandler(bus, storage, settings) if settings.takes(events.LIPSYNC.subject) else None
    )
    studio = (
        StudioHandler(bus, storage, settings) if settings.takes(events.STUDIO.subject) else None
    )
    creation = (
        CreationHandler(bus, storage, events.CREATION.ack_wait)
        if settings.takes(events.CREATION.subject)
        else None
    )
    background = [
        # Piper voices load in ~3 s each: before the first job, not during it.
        lambda: asyncio.to_thread(voices.warm_up),
        *events.consumers(bus, settings, CanaryHandler(bus), lipsync, creation, studio),
    ]
    log.info("worker on %s takes %s", settings.worker_device, settings.worker_subjects)
    return Wiring(servicers=[], background=background)


SPEC = ServiceSpec(name="worker", settings_class=WorkerSettings, wire=wire)

if __name__ == "__main__":
    run_service(SPEC)
