"""The worker's subscription table: each job consumer reads its stream with its named
retry policy, and the render consumer takes its deliveries, ack wait and concurrency
from the settings."""

from __future__ import annotations

import asyncio
from typing import Any

from avatarmesh.bus import JOBS_STREAM
from avatarmesh.v1 import avatar_pb2, jobs_pb2
from services.worker import events
from services.worker.config import WorkerSettings


class RecordingBus:
    """Records what each consumer would declare instead of talking to NATS."""

    def __init__(self) -> None:
        self.consumed: dict[str, dict[str, Any]] = {}
        self.published: list[tuple[str, str, Any]] = []

    async def consume(self, **options: Any) -> None:
        self.consumed[options["durable"]] = options

    async def publish(self, subject: str, message: Any, *, msg_id: str) -> None:
        self.published.append((subject, msg_id, message))


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


def test_each_published_message_carries_the_id_that_makes_a_repeat_harmless() -> None:
    bus = RecordingBus()
    render = jobs_pb2.LipsyncJob(video_id="vid_1", owner_id="o")
    creation = jobs_pb2.AvatarCreationJob(avatar_id="av_1", owner_id="o")

    async def run() -> None:
        await events.canary_completed(bus, "can_1", "w")  # type: ignore[arg-type]
        await events.render_progress(bus, "vid_1", 0.3, attempt=2, step=3)  # type: ignore[arg-type]
        await events.render_completed(bus, render, "v.mp4", "p.jpg", 4.5)  # type: ignore[arg-type]
        await events.render_failed(bus, render, "boom")  # type: ignore[arg-type]
        await events.creation_stage(bus, creation, "voice")  # type: ignore[arg-type]
        await events.creation_failed(bus, creation, "no face")  # type: ignore[arg-type]

    asyncio.run(run())
    assert [(subject, msg_id) for subject, msg_id, _ in bus.published] == [
        ("events.canary.completed", "can_1:completed"),
        ("events.render.progress", "vid_1:render:progress:2:3"),
        ("events.render.completed", "vid_1:render:completed"),
        ("events.render.failed", "vid_1:render:failed"),
        ("events.creation.stage", "av_1:stage:voice"),
        ("events.creation.failed", "av_1:failed"),
    ]
    completed, stage = bus.published[2][2], bus.published[4][2]
    assert (completed.video_key, completed.poster_key, completed.actual_seconds) == (
        "v.mp4",
        "p.jpg",
        4.5,
    )
    assert stage.stage == avatar_pb2.AVATAR_STAGE_VOICE
    assert all(message.meta.event_id for _, _, message in bus.published)
