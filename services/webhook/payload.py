"""The documented webhook bodies, built from a settled video (``logic.SettledVideo``).

``video.completed``::

    {"event": "video.completed", "event_id": "ev_...", "video_gen_id": "vg_...",
     "video_url": "https://...", "duration_sec": 3, "tier": "avatar",
     "actual_cost_usd": 0.15, "timestamp": "2025-01-01T12:00:30.000Z"}

``video.failed``::

    {"event": "video.failed", "event_id": "ev_...", "video_gen_id": "vg_...",
     "error": "...", "timestamp": "2025-01-01T12:00:30.000Z"}

The body is frozen when the event first arrives, except ``video_url``: a presigned GET
URL made at each attempt (valid one hour), so a late retry still carries a working link.
``actual_cost_usd`` is left out when the cost was not reconciled. ``event_id`` is beyond
the contract: receivers de-duplicate on it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from avatarmesh.clock import iso_millis
from avatarmesh.money import to_usd
from services.webhook.logic import SettledVideo

COMPLETED = "video.completed"
FAILED = "video.failed"
# events.video.<status> -> the webhook event it is delivered as
EVENT_FOR_STATUS = {"completed": COMPLETED, "failed": FAILED}
VIDEO_URL = "video_url"


def _duration(seconds: float) -> int | float:
    rounded = round(seconds, 3)
    return int(rounded) if rounded.is_integer() else rounded


def event_name(settled: SettledVideo) -> str | None:
    """The webhook event for a settled video, or None when none is delivered
    (cancelled videos have no webhook event in the contract)."""
    status = settled.status or settled.subject.rsplit(".", 1)[-1]
    return EVENT_FOR_STATUS.get(status)


def build_payload(
    settled: SettledVideo, event: str, event_id: str, occurred_at: datetime
) -> dict[str, Any]:
    """The body without ``video_url`` (added per attempt by ``render_body``)."""
    body: dict[str, Any] = {"event": event, "event_id": event_id, "video_gen_id": settled.video_id}
    if event == COMPLETED:
        body["duration_sec"] = _duration(settled.duration_seconds)
        body["tier"] = settled.tier.value
        if settled.actual_cost_micros is not None:
            body["actual_cost_usd"] = to_usd(settled.actual_cost_micros)
    else:
        body["error"] = settled.error or "video generation failed"
    body["timestamp"] = iso_millis(occurred_at)
    return body


def render_body(payload: dict[str, Any], video_url: str | None) -> bytes:
    """The exact bytes sent: the frozen payload with ``video_url`` in its documented place."""
    ordered: dict[str, Any] = {}
    for key, value in payload.items():
        if key == "duration_sec" and video_url is not None:
            ordered[VIDEO_URL] = video_url
        ordered[key] = value
    if video_url is not None and VIDEO_URL not in ordered:
        ordered[VIDEO_URL] = video_url
    return json.dumps(ordered, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def avatar_payload(
    event: str, event_id: str, avatar_id: str, error: str, occurred_at: datetime
) -> dict[str, Any]:
    """``avatar.ready`` / ``avatar.failed`` / ``avatar.rejected`` (webhook endpoints
    only; a rejection's ``error`` is the reviewer's reason)."""
    body: dict[str, Any] = {"event": event, "event_id": event_id, "avatar_id": avatar_id}
    body["status"] = event.split(".", 1)[1]
    if event == "avatar.failed":
        body["error"] = error or "avatar creation failed"
    elif event == "avatar.rejected":
        body["error"] = error or "rejected in review"
    body["timestamp"] = iso_millis(occurred_at)
    return body


def test_payload(event_id: str, endpoint_id: str, occurred_at: datetime) -> dict[str, Any]:
    """``webhook.test``: sent on request to one endpoint, to check the receiver."""
    return {
        "event": "webhook.test",
        "event_id": event_id,
        "endpoint_id": endpoint_id,
        "timestamp": iso_millis(occurred_at),
    }


def file_archived_payload(
    event_id: str, file_id: str, kind: str, reason: str, occurred_at: datetime
) -> dict[str, Any]:
    """``file.archived`` (webhook endpoints only): ``reason`` is owner or expired."""
    return {
        "event": "file.archived",
        "event_id": event_id,
        "file_id": file_id,
        "kind": kind,
        "reason": reason,
        "timestamp": iso_millis(occurred_at),
    }
