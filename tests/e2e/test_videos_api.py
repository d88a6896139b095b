"""Avatar videos through the gateway on the real mesh (``make up``'s runner): a script
or the caller's audio becomes an H.264 + AAC MP4, billing is reconciled to the
micro-dollar, cancel refunds, and every documented error answers with its code."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from avatarmedia.encode import probe
from avatarmesh.grpc_client import channel
from avatarmesh.money import cost_for_seconds
from avatarmesh.v1 import avatar_pb2, avatar_pb2_grpc
from services.avatar.system import SYSTEM_AVATARS
from tests.e2e.conftest import FIXTURES, Mesh, wait_for, wav_data_url

pytestmark = pytest.mark.e2e

RATE = {"avatar": 50_000, "avatar_pro": 80_000}  # the mesh's default price book
AVA = next(a for a in SYSTEM_AVATARS if a.language == "en").id
LONG_SCRIPT = (
    "Good morning and welcome to the quarterly update. Revenue grew in every region, "
    "our customers renewed at record rates, and the new studio shipped on time. "
    "Over the next few minutes I will walk you through the numbers, the launches "
    "we have planned, and what all of this means for the teams building the product."
)


def micros(dollars: float | None) -> int:
    assert dollars is not None
    return round(dollars * 1_000_000)


def wait_avatar_ready(mesh: Mesh, avatar_id: str = AVA, timeout: float = 240) -> None:
    """System avatars are made by the creation worker at start; wait for one."""

    async def poll() -> None:
        async with channel(f"127.0.0.1:{mesh.local.ports['avatar']}") as ch:
            stub = avatar_pb2_grpc.AvatarServiceStub(ch)
            deadline = time.monotonic() + timeout
            while True:
                avatar = await stub.GetAvatar(
                    avatar_pb2.GetAvatarRequest(owner_id="own_any", avatar_id=avatar_id)
                )
                if avatar.status == avatar_pb2.AVATAR_STATUS_READY:
                    return
                assert avatar.status != avatar_pb2.AVATAR_STATUS_FAILED, avatar.error
                assert time.monotonic() < deadline, f"{avatar_id} not ready: {avatar}"
                await asyncio.sleep(1.0)

    asyncio.run(poll())


def balance(api: httpx.Client) -> dict[str, Any]:
    reply = api.get("/api/v1/billing/balance")
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def ledger_for(api: httpx.Client, video_id: str) -> list[dict[str, Any]]:
    reply = api.get("/api/v1/billing/ledger", params={"limit": 100})
    assert reply.status_code == 200, reply.text
    return [e for e in reply.json()["data"] if e["reference"] == video_id]


def settled(body: dict[str, Any]) -> bool:
    return body["status"] in ("completed", "failed", "cancelled")


def submit(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    reply = api.post("/api/v1/avatar-videos", json={"avatar_id": AVA, **fields})
    assert reply.status_code == 202, reply.text
    body: dict[str, Any] = reply.json()
    return body


def check_mp4(mesh: Mesh, api: httpx.Client, body: dict[str, Any], tmp_path: Path) -> None:
    assert body["video_url"].startswith("http")
    download = httpx.get(body["video_url"], timeout=30)
    assert download.status_code == 200, (body["video_url"], download.text[:500])
    path = tmp_path / f"{body['id']}.mp4"
    path.write_bytes(download.content)
    info = probe(path)
    assert info["video_codec"] == "h264" and info["audio_codec"] == "aac"
    assert abs(info["video_duration_s"] - body["actual_seconds"]) <= 1 / body["fps"] + 1e-6
    raw = api.get(f"/api/v1/avatar-videos/{body['id']}", params={"output_format": "raw_key"})
    key = raw.json()["video_url"]
    assert key.startswith("avatar-videos/") and key.endswith(f"/{body['id']}/video.mp4")


def check_reconciled(api: httpx.Client, body: dict[str, Any], before: dict[str, Any]) -> None:
    """Captured = min(hold, rate x actual seconds), and the wallet moved by exactly that."""
    rate = RATE[body["tier"]]
    hold = micros(body["cost_usd"])
    expected = min(hold, cost_for_seconds(rate, body["actual_seconds"]))
    assert micros(body["actual_cost_usd"]) == expected
    entries = ledger_for(api, body["id"])
    captures = [e for e in entries if e["kind"] == "capture"]
    assert len(captures) == 1 and micros(-captures[0]["balance_delta_usd"]) == expected
    after = balance(api)
    assert micros(before["balance_usd"]) - micros(after["balance_usd"]) == expected
    assert micros(after["held_usd"]) == micros(before["held_usd"])


@pytest.fixture(scope="module")
def api(mesh: Mesh) -> httpx.Client:
    mesh.fund("own_videos", 50)
    wait_avatar_ready(mesh)
    return mesh.api("own_videos")


@pytest.mark.parametrize(("tier", "resolution"), [("avatar", 720), ("avatar_pro", 512)])
def test_text_becomes_an_h264_aac_mp4_billed_for_its_actual_seconds(
    mesh: Mesh, api: httpx.Client, tier: str, resolution: int, tmp_path: Path
) -> None:
    before = balance(api)
    created = submit(api, text="Hello! Welcome to the demo.", tier=tier, resolution=resolution)
    assert set(created) == {"id", "status", "tier", "estimated_cost_usd", "poll_url"}
    assert created["id"].startswith("vg_") and created["status"] == "queued"
    assert created["tier"] == tier
    assert created["poll_url"] == f"/api/v1/avatar-videos/{created['id']}"
    polled = api.get(created["poll_url"]).json()
    assert polled["seconds"] >= 1 and polled["actual_cost_usd"] is None
    assert micros(created["estimated_cost_usd"]) == RATE[tier] * polled["seconds"]

    body = wait_for(api, created["poll_url"], settled, timeout=120)
    assert body["status"] == "completed", body
    assert body["error"] is None and body["progress"] == 1.0
    assert body["created_at"].endswith("Z") and body["completed_at"].endswith("Z")
    assert body["avatar_id"] == AVA and body["pose_id"] is None
    check_mp4(mesh, api, body, tmp_path)
    check_reconciled(api, body, before)


def test_own_audio_becomes_an_mp4_billed_on_its_duration(
    mesh: Mesh, api: httpx.Client, tmp_path: Path
) -> None:
    wav = (FIXTURES / "speech" / "en_5s.wav").read_bytes()
    before = balance(api)
    created = submit(
        api,
        audio_data_url=wav_data_url(wav),
        resolution=512,
        fps=24,
        is_output_temporary=True,
    )
    body = wait_for(api, created["poll_url"], settled, timeout=120)
    assert body["status"] == "completed", body
    assert body["has_audio_input"] and body["fps"] == 24
    assert 4.5 < body["actual_seconds"] < 5.5
    assert body["seconds"] == -(-body["actual_seconds"] // 1)  # the held estimate: ceil
    check_mp4(mesh, api, body, tmp_path)
    check_reconciled(api, body, before)
    check_output_files(api, body)


def check_output_files(api: httpx.Client, body: dict[str, Any]) -> None:
    """Outputs are files (docs/files.md): the MP4 and the poster, recorded on completion;
    a temporary video's expire 24 h later."""
    assert body["is_output_temporary"] is True
    path = f"/api/v1/files/{body['output_file_id']}"
    deadline = time.monotonic() + 30
    while (reply := api.get(path)).status_code == 404 and time.monotonic() < deadline:
        time.sleep(0.2)  # recorded by the files service on events.video.completed
    assert reply.status_code == 200, reply.text
    video = reply.json()
    assert (video["kind"], video["status"], video["filename"]) == (
        "video",
        "ready",
        f"{body['id']}.mp4",
    )
    assert abs(video["duration_seconds"] - body["actual_seconds"]) < 0.2
    assert (video["width"], video["height"]) == (512, 512) and video["expires_at"]
    assert httpx.get(video["url"], timeout=30).status_code == 200
    poster = api.get(f"/api/v1/files/{body['poster_file_id']}").json()
    assert (poster["kind"], poster["content_type"]) == ("image", "image/jpeg")


def test_cancel_releases_the_hold_and_never_captures(mesh: Mesh, api: httpx.Client) -> None:
    before = balance(api)
    created = submit(api, text=LONG_SCRIPT, resolution=512)
    reply = api.post(f"{created['poll_url']}/cancel")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["status"] == "cancelled" and body["error"] == "cancelled by the user"
    assert body["actual_cost_usd"] is None and body["video_url"] is None
    after = balance(api)
    assert (micros(after["balance_usd"]), micros(after["held_usd"])) == (
        micros(before["balance_usd"]),
        micros(before["held_usd"]),
    )
    again = api.post(f"{created['poll_url']}/cancel")
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    kinds = sorted(e["kind"] for e in ledger_for(api, created["id"]))
    assert kinds == ["hold", "release"]
    listed = api.get("/api/v1/avatar-videos", params={"limit": 100}).json()
    assert created["id"] in {v["id"] for v in listed["data"]}


def error(reply: httpx.Response, status: int, code: str) -> str:
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    message: str = body["error"]["message"]
    return message


def test_every_documented_error(mesh: Mesh, api: httpx.Client) -> None:
    post = "/api/v1/avatar-videos"
    base = {"avatar_id": AVA, "text": "Hello there."}
    raw = api.post(post, content=b"{not json", headers={"Content-Type": "application/json"})
    error(raw, 400, "INVALID_JSON")
    for bad in (
        {"avatar_id": AVA},
        {**base, "text": ""},
        {**base, "text": "a" * 601},
        {**base, "tier": "ultra"},
        {**base, "video_prompt": "p" * 301},
        {**base, "output_format": "mp4"},
        {**base, "webhook_url": "http://example.com/hook"},
        {**base, "webhook_url": "https://169.254.169.254/latest"},
        {**base, "fps": 60},
        {**base, "resolution": 4000},
        {**base, "text": "", "audio_data_url": "data:audio/wav;base64,@@@"},
    ):
        error(api.post(post, json=bad), 400, "VALIDATION_ERROR")
    long_wav = (FIXTURES / "speech" / "en_long_60s_16k.wav").read_bytes()
    too_long = {"avatar_id": AVA, "audio_data_url": wav_data_url(long_wav)}
    assert "35" in error(api.post(post, json=too_long), 400, "VALIDATION_ERROR")
    error(
        api.post(post, json={**base, "text": "Build a pipe bomb with me."}), 400, "POLICY_VIOLATION"
    )
    error(api.post(post, json={**base, "avatar_id": "av_doesnotexist"}), 404, "NOT_FOUND")
    error(api.post(post, json={**base, "pose_id": "ap_doesnotexist"}), 404, "NOT_FOUND")
    error(api.get(f"{post}/vg_doesnotexist"), 404, "NOT_FOUND")
    error(api.post(f"{post}/vg_doesnotexist/cancel"), 404, "NOT_FOUND")
    error(api.get(f"{post}/vg_x", params={"output_format": "zip"}), 400, "VALIDATION_ERROR")
    error(httpx.get(f"{mesh.base_url}{post}/vg_x"), 401, "UNAUTHORIZED")

    # another owner's video answers exactly like a missing one
    mine = submit(api, text="Just a moment.", resolution=512)
    stranger = mesh.api("own_stranger")
    error(stranger.get(f"{post}/{mine['id']}"), 404, "NOT_FOUND")
    error(stranger.post(f"{post}/{mine['id']}/cancel"), 404, "NOT_FOUND")

    # a wallet too small for the hold: 402, nothing held
    mesh.fund("own_poor", 0.05)
    poor = mesh.api("own_poor")
    error(poor.post(post, json={**base, "text": LONG_SCRIPT}), 402, "INSUFFICIENT_BALANCE")
    assert balance(poor)["held_usd"] == 0

    # an avatar still being created: 409
    mesh.fund("own_creator", 5)

    async def create_avatar() -> str:
        async with channel(f"127.0.0.1:{mesh.local.ports['avatar']}") as ch:
            reply = await avatar_pb2_grpc.AvatarServiceStub(ch).CreateAvatar(
                avatar_pb2.CreateAvatarRequest(
                    owner_id="own_creator",
                    name="Sam",
                    description="Calm man, short hair",
                    language="en",
                    gender="male",
                    nationality="American",
                    source=avatar_pb2.AVATAR_SOURCE_GENERATED,
                    idempotency_key="e2e-sam",
                )
            )
            return str(reply.avatar.id)

    pending = asyncio.run(create_avatar())
    creator = mesh.api("own_creator")
    error(creator.post(post, json={**base, "avatar_id": pending}), 409, "AVATAR_NOT_READY")
    wait_for(api, mine["poll_url"], settled, timeout=120)


def test_queue_full_answers_429_with_retry_after_60(mesh: Mesh) -> None:
    mesh.fund("own_busy", 100)
    busy = mesh.api("own_busy")
    accepted: list[str] = []
    reply = None
    for _ in range(30):
        reply = busy.post(
            "/api/v1/avatar-videos", json={"avatar_id": AVA, "text": LONG_SCRIPT, "resolution": 512}
        )
        if reply.status_code != 202:
            break
        accepted.append(reply.json()["id"])
    assert reply is not None
    error(reply, 429, "QUEUE_FULL")
    assert reply.headers["Retry-After"] == "60"
    assert len(accepted) >= 1
    for video_id in accepted:
        busy.post(f"/api/v1/avatar-videos/{video_id}/cancel")
    assert balance(busy)["held_usd"] == 0


def test_an_owner_without_a_wallet_is_402_and_its_upload_is_not_kept(mesh: Mesh) -> None:
    """Billing says WALLET_NOT_FOUND to a hold before any top-up; the contract answers
    INSUFFICIENT_BALANCE for videos (as for avatars). Nothing is written or kept."""
    wait_avatar_ready(mesh)
    never_paid = mesh.api("own_never_topped_up")
    post = "/api/v1/avatar-videos"
    error(
        never_paid.post(post, json={"avatar_id": AVA, "text": "Hello there."}),
        402,
        "INSUFFICIENT_BALANCE",
    )
    wav = (FIXTURES / "speech" / "en_5s.wav").read_bytes()
    with_audio = {"avatar_id": AVA, "audio_data_url": wav_data_url(wav)}
    error(never_paid.post(post, json=with_audio), 402, "INSUFFICIENT_BALANCE")
    assert never_paid.get(post).json()["total"] == 0
    assert mesh.storage_keys("uploads/own_never_topped_up/") == []


def test_uploaded_audio_is_deleted_after_completion_and_after_a_rejected_submit(
    mesh: Mesh,
) -> None:
    owner = "own_uploads"
    mesh.fund(owner, 10)
    wait_avatar_ready(mesh)
    uploader = mesh.api(owner)
    uploads = f"uploads/{owner}/"
    post = "/api/v1/avatar-videos"

    def data_url(name: str) -> str:
        return wav_data_url((FIXTURES / "speech" / name).read_bytes())

    # rejected by the video service after the gateway stored the upload
    too_long = {"avatar_id": AVA, "audio_data_url": data_url("en_long_60s_16k.wav")}
    error(uploader.post(post, json=too_long), 400, "VALIDATION_ERROR")
    assert mesh.storage_keys(uploads) == []
    missing = {"avatar_id": "av_doesnotexist", "audio_data_url": data_url("en_5s.wav")}
    error(uploader.post(post, json=missing), 404, "NOT_FOUND")
    assert mesh.storage_keys(uploads) == []

    # accepted: the upload lives while the video renders, and is gone once it completed
    created = submit(uploader, audio_data_url=data_url("en_5s.wav"), resolution=512)
    present = mesh.storage_keys(uploads)
    if present:
        assert len(present) == 1 and present[0].startswith(uploads)
    else:  # only once the video settled (a fast render)
        assert settled(uploader.get(created["poll_url"]).json())
    body = wait_for(uploader, created["poll_url"], settled, timeout=120)
    assert body["status"] == "completed", body
    assert mesh.storage_keys(uploads) == []
    assert mesh.storage_keys(f"avatar-videos/{owner}/{body['id']}/")  # the output stays


def test_another_owners_avatar_or_pose_is_404_exactly_like_a_missing_one(mesh: Mesh) -> None:
    wait_avatar_ready(mesh)
    owner, stranger = "own_iso_owner", "own_iso_stranger"
    mesh.fund(owner, 10)
    mesh.fund(stranger, 10)
    mine, theirs = mesh.api(owner), mesh.api(stranger)
    created = mine.post(
        "/api/v1/avatars",
        json={
            "name": "Iso",
            "description": "Calm woman, long dark hair",
            "language": "en",
            "nationality": "American",
            "gender": "female",
        },
    )
    assert created.status_code == 202, created.text
    avatar_id = created.json()["id"]
    pose = mine.post(f"/api/v1/avatars/{AVA}/poses", json={"prompt": "arms crossed"})
    assert pose.status_code == 201, pose.text
    pose_id = pose.json()["id"]
    try:
        post = "/api/v1/avatar-videos"
        text = {"text": "Hello there."}
        # well-formed ids that exist nowhere (another shape is 404 at the gateway)
        missing_avatar = theirs.post(post, json={**text, "avatar_id": "av_" + "a" * 24})
        missing_pose = theirs.post(
            post, json={**text, "avatar_id": AVA, "pose_id": "ap_" + "a" * 24}
        )
        error(missing_avatar, 404, "NOT_FOUND")
        error(missing_pose, 404, "NOT_FOUND")
        for body, like in (
            ({**text, "avatar_id": avatar_id}, missing_avatar),
            ({**text, "avatar_id": avatar_id, "pose_id": pose_id}, missing_avatar),
            ({**text, "avatar_id": AVA, "pose_id": pose_id}, missing_pose),
        ):
            reply = theirs.post(post, json=body)
            assert (reply.status_code, reply.json()) == (like.status_code, like.json()), body
        # nothing was held or written for the stranger
        assert balance(theirs)["held_usd"] == 0
        assert theirs.get(post).json()["total"] == 0
        # while the owner may use the pose (not a blanket refusal)
        ok = mine.post(post, json={**text, "avatar_id": AVA, "pose_id": pose_id, "resolution": 512})
        assert ok.status_code == 202, ok.text
        mine.post(f"{ok.json()['poll_url']}/cancel")
    finally:
        mine.delete(f"/api/v1/avatars/{avatar_id}")  # stop its creation: spare the CPU
