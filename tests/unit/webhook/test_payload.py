"""Bodies exactly as the contract documents them, plus event_id."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from avatarmesh.clock import iso_millis
from avatarmesh.v1 import common_pb2, events_pb2
from services.webhook.events import settled_video
from services.webhook.logic import SettledVideo
from services.webhook.payload import build_payload, event_name, render_body

AT = datetime(2025, 1, 1, 12, 0, 30, 123456, tzinfo=UTC)


def _settled(subject: str = "events.video.completed", **fields: object) -> SettledVideo:
    """A VideoSettled message as the intake reads it."""
    base: dict[str, object] = {
        "video_id": "vg_abc123def456",
        "owner_id": "own_alice",
        "status": "completed",
        "duration_seconds": 3.0,
        "tier": common_pb2.TIER_AVATAR_PRO,
    }
    base.update(fields)
    return settled_video(events_pb2.VideoSettled(**base), subject, None)  # type: ignore[arg-type]


def test_completed_body_has_the_documented_fields_in_order() -> None:
    event = _settled(actual_cost_micros=150_000)
    body = json.loads(render_body(build_payload(event, "video.completed", "ev_1", AT), "https://u"))
    assert body == {
        "event": "video.completed",
        "event_id": "ev_1",
        "video_gen_id": "vg_abc123def456",
        "video_url": "https://u",
        "duration_sec": 3,
        "tier": "avatar_pro",
        "actual_cost_usd": 0.15,
        "timestamp": "2025-01-01T12:00:30.123Z",
    }
    assert list(body) == [
        "event",
        "event_id",
        "video_gen_id",
        "video_url",
        "duration_sec",
        "tier",
        "actual_cost_usd",
        "timestamp",
    ]


def test_completed_body_omits_actual_cost_until_reconciled() -> None:
    payload = build_payload(_settled(duration_seconds=2.5), "video.completed", "ev_1", AT)
    body = json.loads(render_body(payload, "https://u"))
    assert "actual_cost_usd" not in body
    assert body["duration_sec"] == 2.5


def test_failed_body_has_the_documented_fields() -> None:
    event = _settled(status="failed", error="wavespeed API returned 502")
    body = json.loads(render_body(build_payload(event, "video.failed", "ev_2", AT), None))
    assert body == {
        "event": "video.failed",
        "event_id": "ev_2",
        "video_gen_id": "vg_abc123def456",
        "error": "wavespeed API returned 502",
        "timestamp": "2025-01-01T12:00:30.123Z",
    }


def test_only_completed_and_failed_videos_have_webhook_events() -> None:
    assert event_name(_settled("events.video.completed", status="completed")) == "video.completed"
    assert event_name(_settled("events.video.failed", status="failed")) == "video.failed"
    assert event_name(_settled("events.video.failed", status="")) == "video.failed"
    assert event_name(_settled("events.video.cancelled", status="cancelled")) is None


def test_timestamps_are_utc_with_milliseconds() -> None:
    assert iso_millis(datetime(2025, 1, 1, 12, 0, 30, tzinfo=UTC)) == "2025-01-01T12:00:30.000Z"
