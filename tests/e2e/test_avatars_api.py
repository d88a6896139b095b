"""Avatars through the REST gateway against a running mesh (``tests/e2e/conftest.py``):
the three creation modes end to end, the documented fields and statuses, system
avatars, isolation, deletion, /tts, and every documented avatar error code."""

from __future__ import annotations

import base64
import io
import time
import wave
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import FIXTURES, Mesh, wait_for

pytestmark = pytest.mark.e2e

OWNER = "own_e2e_avatars"
OTHER = "own_e2e_other"
TIMESTAMP = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"
FIELDS = {
    "id",
    "name",
    "description",
    "language",
    "nationality",
    "gender",
    "accent",
    "image_url",
    "status",
    "stage",
    "is_system",
    "is_public",
    "motion",
    "motion_reason",
    "cost_usd",
    "error",
    "created_at",
    "updated_at",
    "labels",
    "metadata",
    "review_status",
}


def data_url(path: str, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode((FIXTURES / path).read_bytes()).decode()


GENERATED = {
    "name": "Aria",
    "description": "Professional female presenter, confident and warm expression",
    "language": "en",
    "nationality": "American",
    "gender": "female",
    "accent": "Neutral",
}


def is_settled(body: dict[str, Any]) -> bool:
    return body["status"] in ("ready", "failed")


def watch(
    client: httpx.Client, avatar_id: str, timeout: float = 150.0
) -> tuple[dict[str, Any], list[tuple[str, str | None]]]:
    """Poll until settled; returns the last body and every (status, stage) seen."""
    seen: list[tuple[str, str | None]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/avatars/{avatar_id}").json()
        seen.append((body["status"], body["stage"]))
        if is_settled(body):
            return body, seen
        time.sleep(0.1)
    raise AssertionError(f"{avatar_id} not settled: {seen[-3:]}")


@pytest.fixture(scope="module")
def created(mesh: Mesh) -> dict[str, Any]:
    """A generated, a photo and a video-source avatar, created concurrently."""
    client = mesh.api(OWNER)
    mesh.fund(OWNER, 20)
    bodies = {
        "generated": GENERATED,
        "photo": {
            **GENERATED,
            "name": "Barack",
            "gender": "male",
            "ref_image_data_url": data_url("faces/man_black_frontal_obama.jpg", "image/jpeg"),
        },
        "video": {
            "name": "Clip",
            "language": "en",
            "nationality": "American",
            "source": "video",
            "source_video_url": data_url("clips/man_talking_7s.mp4", "video/mp4"),
        },
    }
    replies = {kind: client.post("/api/v1/avatars", json=body) for kind, body in bodies.items()}
    for reply in replies.values():
        assert reply.status_code == 202, reply.text
    ids = {kind: reply.json()["id"] for kind, reply in replies.items()}
    with ThreadPoolExecutor(3) as pool:
        watched = dict(zip(ids, pool.map(lambda i: watch(client, i), ids.values()), strict=True))
    return {"replies": replies, "ids": ids, "watched": watched}


def test_create_answers_202_with_id_status_cost_and_poll_url(created: dict[str, Any]) -> None:
    for reply in created["replies"].values():
        body = reply.json()
        assert set(body) == {"id", "status", "estimated_cost_usd", "poll_url"}
        assert body["id"].startswith("av_")
        assert body["status"] == "pending"
        assert body["estimated_cost_usd"] == 1.0
        assert body["poll_url"] == f"/api/v1/avatars/{body['id']}"


def test_every_mode_reaches_ready_through_processing_stages(created: dict[str, Any]) -> None:
    stages_seen: set[str] = set()
    for kind, (body, seen) in created["watched"].items():
        assert body["status"] == "ready", (kind, body)
        assert body["stage"] is None and body["error"] is None
        for status, stage in seen:
            assert status in ("pending", "processing", "ready")
            if status == "processing":
                assert stage in ("portrait", "demo", "voice", "poses")
                stages_seen.add(stage)
            else:
                assert stage is None
    assert stages_seen, "polling never showed a processing stage"


def test_ready_avatar_has_documented_fields_voice_and_presigned_urls(
    mesh: Mesh, created: dict[str, Any]
) -> None:
    client = mesh.api(OWNER)
    for kind, avatar_id in created["ids"].items():
        body = client.get(f"/api/v1/avatars/{avatar_id}").json()
        assert FIELDS | {"tts_voice_id"} <= set(body)
        assert body["tts_voice_id"], kind
        assert body["is_system"] is False and body["is_public"] is False
        assert body["cost_usd"] == 1.0
        assert "X-Amz-Expires=3600" in body["image_url"]
        for field in ("created_at", "updated_at"):
            assert __import__("re").match(TIMESTAMP, body[field]), body[field]
        portrait = httpx.get(body["image_url"], timeout=30)
        assert portrait.status_code == 200 and portrait.content[:3] == b"\xff\xd8\xff", kind
        demo = httpx.get(body["demo_video_url"], timeout=30)
        assert demo.status_code == 200 and b"ftyp" in demo.content[:64], kind
    generated = client.get(f"/api/v1/avatars/{created['ids']['generated']}").json()
    assert generated["description"] == GENERATED["description"]
    assert (generated["gender"], generated["accent"]) == ("female", "Neutral")


def test_video_source_keeps_the_clip_as_demo(mesh: Mesh, created: dict[str, Any]) -> None:
    body = mesh.api(OWNER).get(f"/api/v1/avatars/{created['ids']['video']}").json()
    demo = httpx.get(body["demo_video_url"], timeout=30).content
    assert demo == (FIXTURES / "clips/man_talking_7s.mp4").read_bytes()
    assert body["description"]  # auto-defaulted


def test_ready_avatars_are_charged_one_dollar_each(mesh: Mesh, created: dict[str, Any]) -> None:
    balance = mesh.api(OWNER).get("/api/v1/billing/balance").json()
    assert balance["balance_usd"] == pytest.approx(17.0)
    assert balance["held_usd"] == 0.0


def test_tts_speaks_in_the_avatars_voice(mesh: Mesh, created: dict[str, Any]) -> None:
    client = mesh.api(OWNER)
    voice = client.get(f"/api/v1/avatars/{created['ids']['video']}").json()["tts_voice_id"]
    reply = client.post("/api/v1/tts", json={"text": "Hello there.", "tts_voice_id": voice})
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(reply.content)) as wav:
        assert wav.getnframes() / wav.getframerate() > 0.3
    other = mesh.api(OTHER).post(
        "/api/v1/tts", json={"text": "Hello there.", "tts_voice_id": voice}
    )
    assert other.status_code == 404 and other.json()["error"]["code"] == "NOT_FOUND"
    bad = client.post("/api/v1/tts", json={"text": "", "tts_voice_id": voice})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "VALIDATION_ERROR"


def _thumbs(path: Any, limit: int | None = None) -> Any:
    import cv2
    import numpy as np

    from avatarmedia.encode import read_video

    frames, _ = read_video(path, max_frames=limit, max_side=256)
    return np.stack(
        [cv2.resize(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), (32, 32)).astype(float) for f in frames]
    )


def _nearest_clip_frame(video: Any, clip: Any) -> float:
    """Mean over the video's frames of the smallest grey difference to any clip frame."""
    d = abs(video[:, None] - clip[None, :]).mean(axis=(2, 3))
    return float(d.min(axis=1).mean())


def test_a_video_avatar_speaks_with_its_own_footage_in_every_pose(
    mesh: Mesh, created: dict[str, Any], tmp_path: Any
) -> None:
    client = mesh.api(OWNER)
    bodies = {k: client.get(f"/api/v1/avatars/{i}").json() for k, i in created["ids"].items()}
    assert bodies["video"]["motion"] == "footage", bodies["video"]
    assert bodies["generated"]["motion"] == "still" and bodies["generated"]["motion_reason"]
    assert bodies["photo"]["motion"] == "still"
    avatar_id = created["ids"]["video"]
    pose = client.post(f"/api/v1/avatars/{avatar_id}/poses", json={"prompt": "mirrored"})
    assert pose.status_code == 201, pose.text
    clip = _thumbs(FIXTURES / "clips/man_talking_7s.mp4")
    for pose_id in (None, pose.json()["id"]):
        reply = client.post(
            "/api/v1/avatar-videos",
            json={
                "avatar_id": avatar_id,
                "text": "Good morning, and welcome.",
                "resolution": 512,
                **({"pose_id": pose_id} if pose_id else {}),
            },
        )
        assert reply.status_code == 202, reply.text
        body = wait_for(
            client,
            reply.json()["poll_url"],
            lambda b: b["status"] in ("completed", "failed"),
            timeout=150,
        )
        assert body["status"] == "completed", body
        path = tmp_path / f"{body['id']}.mp4"
        path.write_bytes(httpx.get(body["video_url"], timeout=30).content)
        video = _thumbs(path)
        straight = _nearest_clip_frame(video, clip)
        flipped = _nearest_clip_frame(video, clip[:, :, ::-1])
        # Every frame is one of the clip's own (up to the mouth and the encoding): far
        # closer to some clip frame than a re-framed still portrait would be; the
        # mirrored pose mirrors every frame.
        if pose_id is None:
            assert straight < 6.0 and straight < flipped / 2, (straight, flipped)
        else:
            assert flipped < 6.0 and flipped < straight / 2, (straight, flipped)


def test_list_shows_owned_and_system_avatars_paginated(mesh: Mesh, created: dict[str, Any]) -> None:
    client = mesh.api(OWNER)
    reply = client.get("/api/v1/avatars", params={"limit": 100})
    assert reply.status_code == 200
    body = reply.json()
    assert (body["page"], body["limit"]) == (1, 100)
    ids = [a["id"] for a in body["data"]]
    assert set(created["ids"].values()) <= set(ids)
    assert all(FIELDS == set(a) for a in body["data"])
    system = [a for a in body["data"] if a["is_system"]]
    assert sorted(a["language"] for a in system) == ["en", "en", "vi", "vi", "vi", "vi"]
    assert all(a["is_public"] for a in system)
    first = client.get("/api/v1/avatars", params={"page": 1, "limit": 2}).json()
    second = client.get("/api/v1/avatars", params={"page": 2, "limit": 2}).json()
    assert len(first["data"]) == 2 and len(second["data"]) == 2
    assert {a["id"] for a in first["data"]}.isdisjoint(a["id"] for a in second["data"])


def test_limit_over_100_is_400_validation_error(mesh: Mesh) -> None:
    for params in ({"limit": 101}, {"limit": 0}, {"page": 0}, {"page": "x"}):
        reply = mesh.api(OWNER).get("/api/v1/avatars", params=params)
        assert reply.status_code == 400, params
        assert reply.json()["error"]["code"] == "VALIDATION_ERROR"


def test_system_avatars_are_ready_fetchable_by_everyone_and_have_distinct_voices(
    mesh: Mesh,
) -> None:
    client = mesh.api(OTHER)
    system = [a for a in client.get("/api/v1/avatars?limit=100").json()["data"] if a["is_system"]]
    assert len(system) == 6
    voices = set()
    accents = set()
    for avatar in system:
        body = wait_for(client, f"/api/v1/avatars/{avatar['id']}", is_settled, timeout=120)
        assert body["status"] == "ready" and body["image_url"]
        voices.add(body["tts_voice_id"])
        accents.add((body["language"], body["accent"], body["gender"]))
    assert len(voices) == 6 and len(accents) == 6


def test_delete_system_avatar_is_403_forbidden(mesh: Mesh) -> None:
    client = mesh.api(OWNER)
    system = next(
        a for a in client.get("/api/v1/avatars?limit=100").json()["data"] if a["is_system"]
    )
    reply = client.delete(f"/api/v1/avatars/{system['id']}")
    assert reply.status_code == 403 and reply.json()["error"]["code"] == "FORBIDDEN"


def test_another_owners_avatar_is_404_on_get_and_403_on_delete(
    mesh: Mesh, created: dict[str, Any]
) -> None:
    other = mesh.api(OTHER)
    avatar_id = created["ids"]["generated"]
    reply = other.get(f"/api/v1/avatars/{avatar_id}")
    missing = other.get("/api/v1/avatars/av_aaaaaaaaaaaaaaaaaaaaaaaa")
    assert reply.status_code == missing.status_code == 404
    assert reply.json() == {
        "error": {"code": "NOT_FOUND", "message": missing.json()["error"]["message"]}
    }
    assert avatar_id not in [a["id"] for a in other.get("/api/v1/avatars?limit=100").json()["data"]]
    deleted = other.delete(f"/api/v1/avatars/{avatar_id}")
    assert deleted.status_code == 403 and deleted.json()["error"]["code"] == "FORBIDDEN"


def test_unknown_avatar_is_404_not_found_on_get_and_delete(mesh: Mesh) -> None:
    client = mesh.api(OWNER)
    for reply in (
        client.get("/api/v1/avatars/av_doesnotexist"),
        client.delete("/api/v1/avatars/av_aaaaaaaaaaaaaaaaaaaaaaaa"),
    ):
        assert reply.status_code == 404 and reply.json()["error"]["code"] == "NOT_FOUND"


def test_delete_removes_every_stored_object_and_the_avatar(
    mesh: Mesh, created: dict[str, Any]
) -> None:
    client = mesh.api(OWNER)
    avatar_id = created["ids"]["photo"]
    pose = client.post(f"/api/v1/avatars/{avatar_id}/poses", json={"prompt": "close-up"})
    assert pose.status_code == 201, pose.text
    prefix = f"avatars/{OWNER}/{avatar_id}/"
    assert len(mesh.storage_keys(prefix)) >= 5
    reply = client.delete(f"/api/v1/avatars/{avatar_id}")
    assert reply.status_code == 204 and reply.content == b""
    assert mesh.storage_keys(prefix) == []
    assert mesh.storage_keys(f"uploads/{OWNER}/") == []
    assert client.get(f"/api/v1/avatars/{avatar_id}").status_code == 404
    assert client.get(f"/api/v1/avatars/{avatar_id}/poses").status_code == 404
    again = client.delete(f"/api/v1/avatars/{avatar_id}")
    assert again.status_code == 404


def test_a_photo_without_a_face_fails_with_a_readable_error_and_is_refunded(mesh: Mesh) -> None:
    owner = "own_e2e_noface"
    client = mesh.api(owner)
    mesh.fund(owner, 5)
    reply = client.post(
        "/api/v1/avatars",
        json={
            **GENERATED,
            "ref_image_data_url": data_url("noface/object_coffee_cup.png", "image/png"),
        },
    )
    assert reply.status_code == 202, reply.text
    body = wait_for(client, reply.json()["poll_url"], is_settled, timeout=120)
    assert body["status"] == "failed"
    assert "face" in body["error"]
    assert body["image_url"] is None and body["tts_voice_id"] is None
    balance = client.get("/api/v1/billing/balance").json()
    assert (balance["balance_usd"], balance["held_usd"]) == (5.0, 0.0)


def test_create_without_money_is_402_insufficient_balance_and_writes_nothing(mesh: Mesh) -> None:
    owner = "own_e2e_broke"
    client = mesh.api(owner)
    reply = client.post("/api/v1/avatars", json=GENERATED)
    assert reply.status_code == 402, reply.text
    assert reply.json()["error"]["code"] == "INSUFFICIENT_BALANCE"
    mesh.fund(owner, 0.5)
    again = client.post(
        "/api/v1/avatars",
        json={
            **GENERATED,
            "ref_image_data_url": data_url("faces/woman_lowres_226px_smiling.png", "image/png"),
        },
    )
    assert again.status_code == 402 and again.json()["error"]["code"] == "INSUFFICIENT_BALANCE"
    owned = [
        a for a in client.get("/api/v1/avatars?limit=100").json()["data"] if not a["is_system"]
    ]
    assert owned == []
    assert mesh.storage_keys(f"uploads/{owner}/") == []


def test_invalid_json_is_400_invalid_json(mesh: Mesh) -> None:
    reply = mesh.api(OWNER).post(
        "/api/v1/avatars", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "INVALID_JSON"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 61}, "name"),
        ({"name": None}, "name"),
        ({"description": None}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"language": "xx"}, "language"),
        ({"nationality": ""}, "nationality"),
        ({"nationality": "x" * 61}, "nationality"),
        ({"gender": "other"}, "gender"),
        ({"accent": "x" * 41}, "accent"),
        ({"source": "photo"}, "source"),
        ({"source": "video"}, "source_video_url"),
        ({"ref_image_data_url": "data:text/plain;base64,aGVsbG8="}, "ref_image_data_url"),
        ({"ref_image_data_url": "data:image/png;base64,!!!"}, "ref_image_data_url"),
        ({"ref_image_data_url": "http://example.com/a.jpg"}, "ref_image_data_url"),
        ({"ref_image_data_url": "https://127.0.0.1/a.jpg"}, "ref_image_data_url"),
        ({"ref_image_data_url": "https://169.254.169.254/latest"}, "ref_image_data_url"),
        ({"ref_image_data_url": "https://10.0.0.1/a.jpg"}, "ref_image_data_url"),
        (
            {"source": "video", "source_video_url": "data:video/x-msvideo;base64,AAAA"},
            "source_video_url",
        ),
    ],
)
def test_invalid_field_is_400_validation_error_naming_it(
    mesh: Mesh, change: dict[str, Any], field: str
) -> None:
    body = {k: v for k, v in {**GENERATED, **change}.items() if v is not None}
    reply = mesh.api(OWNER).post("/api/v1/avatars", json=body)
    assert reply.status_code == 400, reply.text
    error = reply.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in error["message"], error


def test_image_over_4_mb_is_400_validation_error(mesh: Mesh) -> None:
    big = "data:image/png;base64," + base64.b64encode(b"\0" * (4 * 1024 * 1024 + 1)).decode()
    reply = mesh.api(OWNER).post("/api/v1/avatars", json={**GENERATED, "ref_image_data_url": big})
    assert reply.status_code == 400
    assert "4 MB" in reply.json()["error"]["message"]
