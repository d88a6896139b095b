"""The worker's subscription table: each job consumer reads its stream with its named
retry policy, and the render consumer takes its deliveries, ack wait and concurrency
from the settings."""

from __future__ import annotations

import asyncio
from typing import Any

from avatarmesh.bus import JOBS_STREAM
from services.worker import events
from services.worker.config import WorkerSettings


class RecordingBus:
    """Records what each consumer would declare instead of talking to NATS."""

    def __init__(self) -> None:
        self.consumed: dict[str, dict[str, Any]] = {}

    async def consume(self, **options: Any) -> None:
        self.consumed[options["durable"]] = options


class Handler:
    async def __call__(self, delivery: Any) -> None:
        return None

    async def on_dead_letter(self, delivery: Any, error: Exception) -> None:
        return None


def _declared(lipsync: Handler | None, creation: Handler | None) -> dict[str, dict[str, Any]]:
    bus = RecordingBus()
    settings = WorkerSettings(
        worker_lipsync_ack_wait_seconds=45.0,
        worker_lipsync_max_deliver=4,
        worker_lipsync_concurrency=2,
    )
    background = events.consumers(bus, settings, Handler(), lipsync, creation)  # type: ignore[arg-type]

    async def run() -> None:
        await asyncio.gather(*(task() for task in background))

    asyncio.run(run())
    return bus.consumed


def test_render_consumer_takes_its_limits_from_settings_and_fails_the_video_when_dead() -> None:
    lipsync = Handler()
    render = _declared(lipsync, None)["worker-lipsync"]
    assert render["stream"] == JOBS_STREAM
    assert render["filter_subject"] == "jobs.lipsync.>"
    assert render["max_deliver"] == 4
    assert render["ack_wait"] == 45.0
    assert render["concurrency"] == 2
    assert render["backoff"] == (2.0, 10.0, 30.0)
    assert render["on_dead_letter"] == lipsync.on_dead_letter


def test_creation_and_canary_consumers_use_the_render_and_probe_policies() -> None:
    creation = Handler()
    declared = _declared(None, creation)
    assert set(declared) == {"worker-canary", "worker-avatar"}
    canary, avatar = declared["worker-canary"], declared["worker-avatar"]
    assert (canary["filter_subject"], canary["max_deliver"], canary["ack_wait"]) == (
        "jobs.canary",
        3,
        10.0,
    )
    assert canary["backoff"] == (1.0, 5.0, 15.0)
    assert canary["on_dead_letter"] is None
    assert (avatar["filter_subject"], avatar["max_deliver"], avatar["ack_wait"]) == (
        "jobs.avatar.>",
        3,
        30.0,
    )
    assert avatar["backoff"] == (2.0, 10.0, 30.0)
    assert avatar["concurrency"] == 1
    assert avatar["on_dead_letter"] == creation.on_dead_letter
