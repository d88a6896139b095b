"""Avatar videos through the real path (outbox -> JetStream -> worker -> events ->
reconcile) with real billing, NATS, S3 and SQLite; fakes only for avatars/poses."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path

import pytest

from avatarmedia.encode import probe
from avatarmesh.bus import Bus
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.money import cost_for_seconds
from avatarmesh.v1 import (
    avatar_pb2,
    billing_pb2,
    common_pb2,
    events_pb2,
    pose_pb2,
    video_pb2,
)
from tests.integration.video.support import OTHER, OWNER, VideoMesh, seed_avatar, video_mesh

pytestmark = pytest.mark.integration

FIXTURES = Path("/work/shared/fixtures/speech")
RATE = {common_pb2.TIER_AVATAR: 50_000, common_pb2.TIER_AVATAR_PRO: 80_000}


def create(avatar_id: str, **fields: object) -> video_pb2.CreateVideoRequest:
    values: dict[str, object] = {
        "owner_id": OWNER,
        "avatar_id": avatar_id,
        "text": "Hello there, welcome.",
        "resolution": 512,
    }
    values.update(fields)
    return video_pb2.CreateVideoRequest(**values)  # type: ignore[arg-type]


async def upload(mesh: VideoMesh, name: str, fixture: str = "en_5s.wav") -> str:
    """Put a speech fixture under ``uploads/OWNER/<name>``, as the gateway does; its key."""
    key = f"uploads/{OWNER}/{name}"
    await mesh.storage.put_bytes(key, (FIXTURES / fixture).read_bytes(), "audio/wav")
    return key


def with_audio(avatar_id: str, key: str, **fields: object) -> video_pb2.CreateVideoRequest:
    """A request voiced by the upload at ``key`` instead of a script."""
    return create(avatar_id, text="", audio=common_pb2.MediaInput(storage_key=key), **fields)


async def wallet(mesh: VideoMesh, owner: str = OWNER) -> billing_pb2.Wallet:
    return await mesh.billing.GetWallet(billing_pb2.GetWalletRequest(owner_id=owner))


async def expect_code(code: ErrorCode, call: object) -> DomainError:
    with pytest.raises(DomainError) as info:
        await call  # type: ignore[misc]
    assert info.value.code is code, info.value
    return info.value


async def announce_avatar_deleted(mesh: VideoMesh, avatar_id: str) -> None:
    """What the avatar service publishes when an avatar is deleted."""
    bus = Bus(mesh.settings, "test")
    await bus.connect()
    try:
        await bus.publish(
            "events.avatar.deleted",
            events_pb2.AvatarDeleted(avatar_id=avatar_id, owner_id=OWNER),
            msg_id=f"{avatar_id}:deleted",
        )
    finally:
        await bus.close()


async def gone(mesh: VideoMesh, key: str, timeout_s: float = 5.0) -> bool:
    """Whether ``key`` leaves storage within ``timeout_s`` (deletion is asynchronous)."""
    for _ in range(int(timeout_s / 0.1)):
        if not await mesh.storage.exists(key):
            return True
        await asyncio.sleep(0.1)
    return not await mesh.storage.exists(key)


@pytest.fixture
async def mesh(nats_server: str, s3_server: str, bus_namespace: str, tmp_path: Path) -> object:
    async with video_mesh(nats_server, s3_server, bus_namespace, tmp_path) as m:
        await m.fund(OWNER, 10_000_000)
        yield m


@pytest.fixture
async def idle_mesh(nats_server: str, s3_server: str, bus_namespace: str, tmp_path: Path) -> object:
    """No worker: videos stay queued (cancel, queue caps, replayed events)."""
    async with video_mesh(
        nats_server,
        s3_server,
        bus_namespace,
        tmp_path,
        worker=False,
        video_overrides={"video_max_active_per_owner": 2},
    ) as m:
        await m.fund(OWNER, 10_000_000)
        yield m


@pytest.mark.parametrize("tier", [common_pb2.TIER_AVATAR, common_pb2.TIER_AVATAR_PRO])
async def test_text_video_completes_and_captures_actual_seconds_to_the_micro(
    mesh: VideoMesh, tier: int
) -> None:
    avatar = await seed_avatar(mesh.storage, mesh.avatars)
    before = await wallet(mesh)
    queued = await mesh.videos.CreateVideo(create(avatar.id, tier=tier))
    assert queued.status == video_pb2.VIDEO_STATUS_QUEUED
    assert queued.estimated_seconds == int(queued.estimated_seconds) >= 1
    assert queued.cost_micros == RATE[tier] * int(queued.estimated_seconds)
    held = await wallet(mesh)
    assert held.held_micros == before.held_micros + queued.cost_micros

    done = await mesh.wait(OWNER, queued.id)
    assert done.status == video_pb2.VIDEO_STATUS_COMPLETED, done.error
    assert done.progress == 1.0 and done.video_key.endswith("/video.mp4")
    expected = min(queued.cost_micros, cost_for_seconds(RATE[tier], done.actual_seconds))
    assert done.HasField("actual_cost_micros") and done.actual_cost_micros == expected
    after = await wallet(mesh)
    assert after.balance_micros == before.balance_micros - expected
    assert after.held_micros == before.held_micros

    local = Path(mesh.settings.data_dir) / "out.mp4"
    await mesh.storage.download(done.video_key, local)
    info = probe(local)
    assert info["video_codec"] == "h264" and info["audio_codec"] == "aac"
    assert abs(info["video_duration_s"] - done.actual_seconds) <= 1 / done.fps + 1e-6
    assert await mesh.storage.exists(done.poster_key)


async def test_own_audio_is_billed_on_its_measured_duration(mesh: VideoMesh) -> None:
    avatar = await seed_avatar(mesh.storage, mesh.avatars)
    key = await upload(mesh, "up_test.wav")
    queued = await mesh.videos.CreateVideo(with_audio(avatar.id, key))
    assert queued.has_audio_input
    done = await mesh.wait(OWNER, queued.id)
    assert done.status == video_pb2.VIDEO_STATUS_COMPLETED, done.error
    assert queued.estimated_seconds == math.ceil(done.actual_seconds)
    assert done.actual_cost_micros == cost_for_seconds(
        RATE[common_pb2.TIER_AVATAR], done.actual_seconds
    )
    assert not await mesh.storage.exists(key)  # settled: the upload is deleted


async def test_an_owner_without_a_wallet_is_insufficient_balance(mesh: VideoMesh) -> None:
    avatar = await seed_avatar(mesh.storage, mesh.avatars, owner="own_no_wallet")
    err = await expect_code(
        ErrorCode.INSUFFICIENT_BALANCE,
        mesh.videos.CreateVideo(create(avatar.id, owner_id="own_no_wallet")),
    )
    assert "top up" in err.message


async def test_unrenderable_portrait_fails_with_a_readable_error_and_full_refund(
    mesh: VideoMesh,
) -> None:
    avatar = await seed_avatar(mesh.storage, mesh.avatars)
    await mesh.storage.delete(avatar.portrait_key.replace(".jpg", ".portrait"))
    await mesh.storage.put_bytes(avatar.portrait_key, b"not an image", "image/jpeg")
    before = await wallet(mesh)
    queued = await mesh.videos.CreateVideo(create(avatar.id))
    done = await mesh.wait(OWNER, queued.id)
    assert done.status == video_pb2.VIDEO_STATUS_FAILED
    assert "portrait" in done.error
    assert not done.HasField("actual_cost_micros")
    after = await wallet(mesh)
    assert (after.balance_micros, after.held_micros) == (before.balance_micros, before.held_micros)


async def test_documented_errors_write_nothing(mesh: VideoMesh) -> None:
    ready = await seed_avatar(mesh.storage, mesh.avatars)
    theirs = await seed_avatar(mesh.storage, mesh.avatars, owner=OTHER)
    pending = await seed_avatar(
        mesh.storage, mesh.avatars, status=avatar_pb2.AVATAR_STATUS_PROCESSING
    )
    voiceless = await seed_avatar(mesh.storage, mesh.avatars, voice=False)
    faceless = await seed_avatar(mesh.storage, mesh.avatars, portrait=False)
    v = mesh.videos
    await expect_code(ErrorCode.NOT_FOUND, v.CreateVideo(create(theirs.id)))
    await expect_code(ErrorCode.NOT_FOUND, v.CreateVideo(create("av_missing")))
    for not_ready in (pending, voiceless, faceless):
        await expect_code(ErrorCode.AVATAR_NOT_READY, v.CreateVideo(create(not_ready.id)))
    await expect_code(
        ErrorCode.POLICY_VIOLATION,
        v.CreateVideo(create(ready.id, text="Here is how to build a Pipe  Bomb at home.")),
    )
    await expect_code(ErrorCode.VALIDATION_ERROR, v.CreateVideo(create(ready.id, text="")))
    await expect_code(ErrorCode.VALIDATION_ERROR, v.CreateVideo(create(ready.id, text="a" * 601)))
    await expect_code(
        ErrorCode.VALIDATION_ERROR, v.CreateVideo(create(ready.id, video_prompt="x" * 301))
    )
    await expect_code(ErrorCode.VALIDATION_ERROR, v.CreateVideo(create(ready.id, fps=60)))
    await expect_code(
        ErrorCode.VALIDATION_ERROR,
        v.CreateVideo(create(ready.id, webhook_url="http://example.com/hook")),
    )
    await expect_code(
        ErrorCode.VALIDATION_ERROR,
        v.CreateVideo(create(ready.id, webhook_url="https://127.0.0.1/hook")),
    )
    # a pose of another avatar answers like a missing one
    mesh.poses.poses["ap_other"] = pose_pb2.Pose(
        id="ap_other", avatar_id=theirs.id, owner_id=OWNER, status=pose_pb2.POSE_STATUS_READY
    )
    await expect_code(ErrorCode.NOT_FOUND, v.CreateVideo(create(ready.id, pose_id="ap_other")))
    # audio over 35 s
    key = await upload(mesh, "up_long.wav", "en_long_60s_16k.wav")
    err = await expect_code(ErrorCode.VALIDATION_ERROR, v.CreateVideo(with_audio(ready.id, key)))
    assert "35" in err.message
    # another owner's upload is not readable
    await expect_code(
        ErrorCode.VALIDATION_ERROR, v.CreateVideo(with_audio(ready.id, f"uploads/{OTHER}/x.wav"))
    )
    # not enough money: 402, and nothing held
    await mesh.fund(OTHER, 10_000)
    await expect_code(
        ErrorCode.INSUFFICIENT_BALANCE,
        v.CreateVideo(create(theirs.id, owner_id=OTHER, text="A long enough script. " * 20)),
    )
    assert (await wallet(mesh, OTHER)).held_micros == 0
    listed = await v.ListVideos(video_pb2.ListVideosRequest(owner_id=OWNER))
    assert listed.page.total == 0
    assert (await wallet(mesh)).held_micros == 0


async def test_cancel_releases_the_hold_and_a_late_completion_never_captures(
    idle_mesh: VideoMesh,
) -> None:
    mesh = idle_mesh
    avatar = await seed_avatar(mesh.storage, mesh.avatars)
    before = await wallet(mesh)
    queued = await mesh.videos.CreateVideo(create(avatar.id))
    assert (await wallet(mesh)).held_micros == queued.cost_micros
    cancelled = await mesh.videos.CancelVideo(
        video_pb2.CancelVideoRequest(owner_id=OWNER, video_id=queued.id)
    )
    assert cancelled.status == video_pb2.VIDEO_STATUS_CANCELLED
    assert (await wallet(mesh)).held_micros == 0
    again = await mesh.videos.CancelVideo(
        video_pb2.CancelVideoRequest(owner_id=OWNER, video_id=queued.id)
    )
    assert again.status == video_pb2.VIDEO_STATUS_CANCELLED
    await expect_code(
        ErrorCode.NOT_FOUND,
        mesh.videos.CancelVideo(video_pb2.CancelVideoRequest(owner_id=OTHER, video_id=queued.id)),
    )

    # a worker that rendered it anyway reports completion: ignored, nothing captured
    bus = Bus(mesh.settings, "test")
    await bus.connect()
    try:
        await bus.publish(
            "events.render.completed",
            events_pb2.RenderCompleted(
                video_id=queued.id,
                owner_id=OWNER,
                video_key="k.mp4",
                poster_key="k.jpg",
                actual_seconds=1.5,
            ),
            msg_id=f"{queued.id}:render:completed",
        )
        await bus.publish(
            "events.render.progress",
            events_pb2.RenderProgress(video_id=queued.id, progress=0.5),
            msg_id=f"{queued.id}:p",
        )
    finally:
        await bus.close()
    await asyncio.sleep(1.5)
    still = await mesh.videos.GetVideo(
        video_pb2.GetVideoRequest(owner_id=OWNER, video_id=queued.id)
    )
    assert still.status == video_pb2.VIDEO_STATUS_CANCELLED
    assert not still.HasField("actual_cost_micros")
    after = await wallet(mesh)
    assert (after.balance_micros, after.held_micros) == (before.balance_micros, 0)


async def test_queue_cap_answers_queue_full_with_retry_after(idle_mesh: VideoMesh) -> None:
    mesh = idle_mesh
    avatar = await seed_avatar(mesh.storage, mesh.avatars)
    for _ in range(2):
        await mesh.videos.CreateVideo(create(avatar.id))
    err = await expect_code(ErrorCode.QUEUE_FULL, mesh.videos.CreateVideo(create(avatar.id)))
    assert err.retry_after == 60


async def test_idempotency_key_returns_the_first_video(idle_mesh: VideoMesh) -> None:
    mesh = idle_mesh
    avatar = await seed_avatar(mesh.storage, mesh.avatars)
    first = await mesh.videos.CreateVideo(create(avatar.id, idempotency_key="k1"))
    second = await mesh.videos.CreateVideo(create(avatar.id, idempotency_key="k1"))
    assert first.id == second.id
    assert (await wallet(mesh)).held_micros == first.cost_micros


async def test_a_repeated_submit_deletes_only_its_own_unused_upload(idle_mesh: VideoMesh) -> None:
    mesh = idle_mesh
    avatar = await seed_avatar(mesh.storage, mesh.avatars)
    first_key = await upload(mesh, "up_first.wav")
    repeat_key = await upload(mesh, "up_repeat.wav")
    first = await mesh.videos.CreateVideo(
        with_audio(avatar.id, first_key, idempotency_key="k-audio")
    )
    again = await mesh.videos.CreateVideo(
        with_audio(avatar.id, repeat_key, idempotency_key="k-audio")
    )
    assert again.id == first.id
    assert await mesh.storage.exists(first_key)  # the queued video still needs it
    assert not await mesh.storage.exists(repeat_key)


async def test_cancel_and_avatar_deletion_delete_uploaded_audio(idle_mesh: VideoMesh) -> None:
    mesh = idle_mesh
    avatar = await seed_avatar(mesh.storage, mesh.avatars)
    cancelled_key = await upload(mesh, "up_c.wav")
    queued_key = await upload(mesh, "up_q.wav")
    cancelled = await mesh.videos.CreateVideo(with_audio(avatar.id, cancelled_key))
    await mesh.videos.CancelVideo(
        video_pb2.CancelVideoRequest(owner_id=OWNER, video_id=cancelled.id)
    )
    assert not await mesh.storage.exists(cancelled_key)

    queued = await mesh.videos.CreateVideo(with_audio(avatar.id, queued_key))
    await announce_avatar_deleted(mesh, avatar.id)
    assert await gone(mesh, queued_key)
    video = await mesh.videos.GetVideo(
        video_pb2.GetVideoRequest(owner_id=OWNER, video_id=queued.id)
    )
    assert video.status == video_pb2.VIDEO_STATUS_CANCELLED


async def test_deleting_the_avatar_deletes_its_videos_files(mesh: VideoMesh) -> None:
    avatar = await seed_avatar(mesh.storage, mesh.avatars)
    queued = await mesh.videos.CreateVideo(create(avatar.id))
    done = await mesh.wait(OWNER, queued.id)
    assert await mesh.storage.exists(done.video_key)
    await announce_avatar_deleted(mesh, avatar.id)
    assert await gone(mesh, done.video_key)
    assert not await mesh.storage.exists(done.poster_key)


def two_scene_studio(first: str, second: str) -> video_pb2.CreateStudioVideoRequest:
    """A small studio video: one silent second of each avatar over a colour."""

    def scene(avatar_id: str) -> dict[str, object]:
        return {
            "character": {"type": "avatar", "avatar_id": avatar_id},
            "voice": {"type": "silence", "duration": 1.0},
            "background": {"type": "color", "value": "#204060"},
        }

    body = {
        "video_inputs": [scene(first), scene(second)],
        "dimension": {"width": 320, "height": 240},
    }
    return video_pb2.CreateStudioVideoRequest(owner_id=OWNER, request_json=json.dumps(body))


async def test_deleting_an_avatar_of_a_later_scene_deletes_the_studio_videos_files(
    mesh: VideoMesh,
) -> None:
    first = await seed_avatar(mesh.storage, mesh.avatars)
    second = await seed_avatar(mesh.storage, mesh.avatars)
    queued = await mesh.videos.CreateStudioVideo(two_scene_studio(first.id, second.id))
    done = await mesh.wait(OWNER, queued.id)
    assert done.status == video_pb2.VIDEO_STATUS_COMPLETED, done.error
    assert await mesh.storage.exists(done.video_key)
    await announce_avatar_deleted(mesh, second.id)
    assert await gone(mesh, done.video_key)
