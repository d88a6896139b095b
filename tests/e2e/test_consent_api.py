"""Consent and review through the REST API of the whole mesh (docs/consent.md): a video
avatar with a consent clip passes the worker's stage video_validating, waits at stage
reviewing (not usable, hold open) with the real automatic check shown to the operator,
and the admin key approves one (ready, charged) and rejects the other (rejected with
the reason, refunded, files deleted, avatar.rejected to a subscribed endpoint)."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import FIXTURES, Mesh
from tests.e2e.receiver import Receiver

pytestmark = pytest.mark.e2e

OWNER = "own_consent"
CLIP = "clips/man_talking_7s.mp4"
REASON = "the consent clip shows another person"


def clip_url(path: str) -> str:
    return "data:video/mp4;base64," + base64.b64encode((FIXTURES / path).read_bytes()).decode()


def watch_review(client: httpx.Client, avatar_id: str) -> tuple[dict[str, Any], list[str]]:
    """Poll until the avatar waits for review (or settles); the stages seen."""
    stages: list[str] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/api/v1/avatars/{avatar_id}").json()
        if body["stage"] and body["stage"] not in stages:
            stages.append(body["stage"])
        if body["stage"] == "reviewing" or body["status"] in ("ready", "failed", "rejected"):
            return body, stages
        time.sleep(0.1)
    raise AssertionError(f"{avatar_id} never reached review: {stages}")


@pytest.fixture(scope="module")
def in_review(mesh: Mesh) -> dict[str, Any]:
    """Two consent avatars of one clip, created concurrently, both waiting for review."""
    client = mesh.api(OWNER)
    mesh.fund(OWNER, 5)
    body = {
        "name": "Consenting",
        "language": "en",
        "nationality": "American",
        "source": "video",
        "source_video_url": clip_url(CLIP),
        "consent_video_url": clip_url(CLIP),
    }
    ids = []
    for _ in range(2):
        reply = client.post("/api/v1/avatars", json=body)
        assert reply.status_code == 202, reply.text
        ids.append(reply.json()["id"])
    with ThreadPoolExecutor(2) as pool:
        watched = list(pool.map(lambda i: watch_review(client, i), ids))
    return {"ids": ids, "watched": watched}


def review_of(mesh: Mesh, avatar_id: str) -> dict[str, Any]:
    reply = httpx.get(f"{mesh.base_url}/admin/v1/reviews", headers=mesh.admin, timeout=30)
    assert reply.status_code == 200, reply.text
    (found,) = [r for r in reply.json()["data"] if r["avatar"]["id"] == avatar_id]
    return dict(found)


def test_a_consent_avatar_is_validated_then_waits_for_review_unusable(
    mesh: Mesh, in_review: dict[str, Any]
) -> None:
    client = mesh.api(OWNER)
    for body, stages in in_review["watched"]:
        assert (body["status"], body["stage"], body["review_status"]) == (
            "processing",
            "reviewing",
            "pending",
        ), body
        assert stages[-1] == "reviewing" and "video_validating" in stages[:2], stages
        assert body["image_url"] is None and body["tts_voice_id"] is None
    assert client.get("/api/v1/billing/balance").json()["held_usd"] == 2.0
    avatar_id = in_review["ids"][0]
    refused = client.post(f"/api/v1/avatars/{avatar_id}/poses", json={"prompt": "close-up"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "AVATAR_NOT_READY"
    video = client.post("/api/v1/avatar-videos", json={"avatar_id": avatar_id, "text": "Hi"})
    assert video.status_code == 409 and video.json()["error"]["code"] == "AVATAR_NOT_READY"


def test_the_operator_sees_the_worker_check_and_the_consent_clip(
    mesh: Mesh, in_review: dict[str, Any]
) -> None:
    review = review_of(mesh, in_review["ids"][0])
    assert review["owner_id"] == OWNER
    check = review["consent_check"]
    assert check["ran"] and check["frames"] == 8 and check["frames_one_face"] == 8
    assert check["speech_seconds"] >= 1.0 and check["problems"] == []
    assert check["identity_distance"] is not None and "by eye" in check["notes"][0]
    clip = httpx.get(review["consent_video_url"], timeout=30)
    assert clip.status_code == 200 and clip.content == (FIXTURES / CLIP).read_bytes()
    owner_tries = mesh.api(OWNER).get("/admin/v1/reviews")
    assert owner_tries.status_code == 401


def test_approval_makes_the_avatar_ready_and_usable(mesh: Mesh, in_review: dict[str, Any]) -> None:
    avatar_id = in_review["ids"][0]
    url = f"{mesh.base_url}/admin/v1/avatars/{avatar_id}/approve"
    reply = httpx.post(url, headers=mesh.admin, timeout=30)
    assert reply.status_code == 200 and reply.json()["review_status"] == "approved", reply.text
    client = mesh.api(OWNER)
    body = client.get(f"/api/v1/avatars/{avatar_id}").json()
    assert (body["status"], body["review_status"]) == ("ready", "approved")
    assert body["tts_voice_id"] and body["image_url"] and body["motion"] == "footage"
    pose = client.post(f"/api/v1/avatars/{avatar_id}/poses", json={"prompt": "close-up"})
    assert pose.status_code == 201, pose.text


def test_rejection_refunds_deletes_and_tells_the_owner_and_the_endpoint(
    mesh: Mesh, in_review: dict[str, Any], receiver: Callable[..., Receiver]
) -> None:
    client = mesh.api(OWNER)
    hook = receiver()
    made = client.post(
        "/api/v1/webhooks/endpoints", json={"url": hook.url, "events": ["avatar.rejected"]}
    )
    assert made.status_code == 201, made.text
    avatar_id = in_review["ids"][1]
    held = client.get("/api/v1/billing/balance").json()["held_usd"]
    url = f"{mesh.base_url}/admin/v1/avatars/{avatar_id}/reject"
    reply = httpx.post(url, json={"reason": REASON}, headers=mesh.admin, timeout=30)
    assert reply.status_code == 200, reply.text
    body = client.get(f"/api/v1/avatars/{avatar_id}").json()
    assert (body["status"], body["review_status"]) == ("rejected", "rejected")
    assert body["error"] == f"rejected in review: {REASON}" and body["cost_usd"] == 0.0
    assert client.get("/api/v1/billing/balance").json()["held_usd"] == held - 1.0
    assert mesh.storage_keys(f"avatars/{OWNER}/{avatar_id}/") == []
    (got,) = hook.wait_for(lambda seen: len(seen) >= 1)
    assert got.json["event"] == "avatar.rejected" and got.json["avatar_id"] == avatar_id
    assert got.json["error"] == f"rejected in review: {REASON}"
    again = httpx.post(f"{mesh.base_url}/admin/v1/avatars/{avatar_id}/approve", headers=mesh.admin)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "AVATAR_NOT_IN_REVIEW"
    client.delete(f"/api/v1/webhooks/endpoints/{made.json()['id']}")
