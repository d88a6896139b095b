"""Consent review (docs/consent.md) with the avatar service, billing, NATS, S3 and
SQLite behind the gateway app; the worker's success event is published by the test.

An avatar with a consent clip waits at stage ``reviewing`` with its hold open; only
the admin key approves (capture, ready, ``events.avatar.ready``) or rejects (release,
``rejected`` with the reason, files deleted, ``events.avatar.rejected``); automatic
mode rejects at once on strong findings only."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from avatarmesh.settings import REPO_ROOT
from avatarmesh.v1 import avatar_pb2, events_pb2
from services.avatar.logic import ReviewMode
from tests.integration.avatar.support import OWNER, Harness, avatar_mesh, meta
from tests.unit.gateway.support import admin_headers

pytestmark = pytest.mark.integration

CLIP = REPO_ROOT.parent / "shared" / "fixtures" / "clips" / "man_talking_7s.mp4"
CLIP_URL = "data:video/mp4;base64," + base64.b64encode(CLIP.read_bytes()).decode()
CONSENTED = {"source": "video", "source_video_url": CLIP_URL, "consent_video_url": CLIP_URL}
WEAK_NOTE = "face geometry differs from the source's (distance 0.143, threshold 0.080)"


@pytest.fixture
async def harness(
    tmp_path: Path, nats_server: str, bus_namespace: str, s3_server: str
) -> AsyncIterator[Harness]:
    async with avatar_mesh(tmp_path, nats_server, bus_namespace, s3_server) as mesh:
        yield mesh


@pytest.fixture
async def automatic(
    tmp_path: Path, nats_server: str, bus_namespace: str, s3_server: str
) -> AsyncIterator[Harness]:
    async with avatar_mesh(
        tmp_path, nats_server, bus_namespace, s3_server, avatar_review_mode=ReviewMode.AUTOMATIC
    ) as mesh:
        yield mesh


async def created_in_review(h: Harness, problems: tuple[str, ...] = ()) -> str:
    """A consent avatar whose creation the worker finished (files stored)."""
    reply = await h.create(**CONSENTED)
    assert reply.status_code == 202, reply.text
    avatar_id: str = reply.json()["id"]
    prefix = f"avatars/{OWNER}/{avatar_id}/"
    await h.storage.ensure_bucket()
    for name in ("portrait.jpg", "demo.mp4", "consent.mp4"):
        await h.storage.put_bytes(prefix + name, b"made", "application/octet-stream")
    check = avatar_pb2.ConsentCheck(
        ran=True,
        frames=8,
        frames_one_face=8,
        frames_frontal=8,
        speech_seconds=3.7,
        identity_compared=True,
        identity_distance=0.143,
        identity_threshold=0.08,
        problems=list(problems),
        notes=[WEAK_NOTE],
    )
    event = events_pb2.AvatarCreationSucceeded(
        meta=meta(f"ev-{avatar_id}"),
        avatar_id=avatar_id,
        owner_id=OWNER,
        portrait_key=prefix + "portrait.jpg",
        portrait_kind="photo",
        demo_video_key=prefix + "demo.mp4",
        voice_profile_json='{"language": "en"}',
        consent_video_key=prefix + "consent.mp4",
        consent_check=check,
    )
    await h.bus.publish("events.creation.succeeded", event, msg_id=f"{avatar_id}:succeeded")
    return avatar_id


async def decide(h: Harness, avatar_id: str, action: str, **body: Any) -> Any:
    return await h.client.post(
        f"/admin/v1/avatars/{avatar_id}/{action}", json=body or None, headers=admin_headers()
    )


async def last_event(h: Harness, subject: str) -> events_pb2.AvatarSettled:
    msg = await h.bus.js.get_last_msg(h.bus.stream("EVENTS"), h.bus.subject(subject))
    event: events_pb2.AvatarSettled = events_pb2.AvatarSettled.FromString(msg.data)
    return event


async def test_consent_avatar_waits_in_review_with_its_hold_open(harness: Harness) -> None:
    avatar_id = await created_in_review(harness)
    body = await harness.until(avatar_id, lambda b: b["stage"] == "reviewing")
    assert (body["status"], body["review_status"]) == ("processing", "pending")
    assert body["image_url"] is None and body["tts_voice_id"] is None
    assert await harness.balance() == (10.0, 1.0)
    reviews = await harness.client.get("/admin/v1/reviews", headers=admin_headers())
    assert reviews.status_code == 200, reviews.text
    [review] = reviews.json()["data"]
    assert review["avatar"]["id"] == avatar_id and review["owner_id"] == OWNER
    assert review["consent_check"]["identity_distance"] == pytest.approx(0.143)
    assert review["consent_check"]["notes"] == [WEAK_NOTE]
    assert review["consent_video_url"] and review["demo_video_url"]


async def test_only_the_admin_key_can_review(harness: Harness) -> None:
    avatar_id = await created_in_review(harness)
    await harness.until(avatar_id, lambda b: b["stage"] == "reviewing")
    for path in ("/admin/v1/reviews", f"/admin/v1/avatars/{avatar_id}/approve"):
        method = harness.client.get if path.endswith("reviews") else harness.client.post
        refused = await method(path, headers=harness.auth)
        assert refused.status_code == 401, refused.text
    assert (await harness.get(avatar_id))["review_status"] == "pending"


async def test_approval_captures_once_and_makes_the_avatar_ready(harness: Harness) -> None:
    avatar_id = await created_in_review(harness)
    await harness.until(avatar_id, lambda b: b["stage"] == "reviewing")
    first = await decide(harness, avatar_id, "approve")
    again = await decide(harness, avatar_id, "approve")  # a retry answers the same
    assert first.status_code == again.status_code == 200, (first.text, again.text)
    assert again.json()["review_status"] == "approved"
    body = await harness.get(avatar_id)
    assert (body["status"], body["stage"], body["review_status"]) == ("ready", None, "approved")
    assert body["tts_voice_id"] and body["image_url"]
    assert await harness.balance() == (9.0, 0.0)
    event = await last_event(harness, "events.avatar.ready")
    assert event.avatar_id == avatar_id
    refused = await decide(harness, avatar_id, "reject", reason="changed my mind")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "AVATAR_NOT_IN_REVIEW"


async def test_rejection_releases_the_hold_deletes_the_files_and_shows_the_reason(
    harness: Harness,
) -> None:
    avatar_id = await created_in_review(harness)
    await harness.until(avatar_id, lambda b: b["stage"] == "reviewing")
    reason = "the consent clip shows another person"
    reply = await decide(harness, avatar_id, "reject", reason=reason)
    assert reply.status_code == 200, reply.text
    body = await harness.get(avatar_id)
    assert (body["status"], body["review_status"]) == ("rejected", "rejected")
    assert body["error"] == f"rejected in review: {reason}" and body["cost_usd"] == 0.0
    assert await harness.balance() == (10.0, 0.0)
    assert await harness.storage.list_keys(f"avatars/{OWNER}/{avatar_id}/") == []
    event = await last_event(harness, "events.avatar.rejected")
    assert (event.avatar_id, event.status) == (avatar_id, avatar_pb2.AVATAR_STATUS_REJECTED)
    late = await decide(harness, avatar_id, "approve")
    assert late.status_code == 409 and late.json()["error"]["code"] == "AVATAR_NOT_IN_REVIEW"


async def test_decisions_on_an_avatar_not_in_review_are_409_or_404(harness: Harness) -> None:
    plain = (await harness.create()).json()["id"]  # no consent clip
    refused = await decide(harness, plain, "approve")
    assert refused.status_code == 409 and "no consent review" in refused.json()["error"]["message"]
    creating = (await harness.create(**CONSENTED)).json()["id"]  # the worker has not finished
    early = await decide(harness, creating, "approve")
    assert early.status_code == 409 and "still being created" in early.json()["error"]["message"]
    missing = await decide(harness, "av_" + "a" * 24, "approve")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"
    blank = await decide(harness, creating, "reject", reason="   ")
    assert blank.status_code == 400 and blank.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_avatars_in_review_do_not_fill_the_creation_queue(harness: Harness) -> None:
    waiting = [await created_in_review(harness) for _ in range(2)]  # QUEUE_LIMIT
    for avatar_id in waiting:
        await harness.until(avatar_id, lambda b: b["stage"] == "reviewing")
    assert (await harness.create()).status_code == 202


async def test_automatic_mode_rejects_at_once_on_strong_findings_only(automatic: Harness) -> None:
    problem = "no speech is heard in the consent clip (0.0 s of voice; at least 1 s is needed)"
    silent = await created_in_review(automatic, problems=(problem,))
    body = await automatic.until(silent, lambda b: b["status"] == "rejected")
    assert body["error"] == f"consent check: {problem}"
    # A face-geometry mismatch alone is weak evidence: a human still decides.
    doubtful = await created_in_review(automatic)
    body = await automatic.until(doubtful, lambda b: b["stage"] == "reviewing")
    assert body["review_status"] == "pending"
    await asyncio.sleep(0.2)
    assert await automatic.balance() == (10.0, 1.0)  # the rejected one's hold released


async def race(h: Harness) -> None:
    """Approve and reject one avatar in review at once: one 200, one 409, and the money
    moved the winner's way only."""
    avatar_id = await created_in_review(h)
    await h.until(avatar_id, lambda b: b["stage"] == "reviewing")
    balance, held = await h.balance()
    approve, reject = await asyncio.gather(
        decide(h, avatar_id, "approve"), decide(h, avatar_id, "reject", reason="no")
    )
    assert sorted([approve.status_code, reject.status_code]) == [200, 409]
    body = await h.get(avatar_id)
    charged = 1.0 if approve.status_code == 200 else 0.0
    assert body["status"] == ("ready" if charged else "rejected")
    assert await h.balance() == (balance - charged, held - 1.0)


async def test_racing_approve_and_reject_settle_one_way_with_matching_money(
    harness: Harness,
) -> None:
    await race(harness)


async def test_racing_decisions_on_postgresql_settle_one_way(
    tmp_path: Path,
    nats_server: str,
    bus_namespace: str,
    s3_server: str,
    pg_service_database_url: str,
) -> None:
    """PostgreSQL runs the two decisions' transactions at once (SQLite serialises
    them): the conditional claim lets only one through."""
    async with avatar_mesh(
        tmp_path, nats_server, bus_namespace, s3_server, database_url=pg_service_database_url
    ) as mesh:
        for _ in range(3):
            await race(mesh)
