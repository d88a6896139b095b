"""The Python SDK and the ``avatarmesh`` CLI against the real mesh: the README quick
start (avatar, pose, video to a file, TTS) through the sync client, the async client
and the command line, and errors carrying the API's code."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from avatarmesh_sdk import (
    AsyncClient,
    Client,
    NotFoundError,
    ValidationError,
    WebhookVerificationError,
    construct_event,
)
from tests.e2e.conftest import ADMIN_KEY, FIXTURES, Mesh
from tests.e2e.receiver import Receiver
from tests.e2e.test_studio_api import tone_wav

AVATAR = "av_" + "a" * 24

pytestmark = pytest.mark.e2e

ARIA = {
    "name": "Aria",
    "description": "Professional female presenter, confident and warm, business attire",
    "language": "en",
    "nationality": "American",
    "gender": "female",
}


def sdk_client(mesh: Mesh, owner: str, dollars: float = 20) -> Client:
    api = mesh.api(owner)
    mesh.fund(owner, dollars)
    key = api.headers["Authorization"].removeprefix("Bearer ")
    return Client(api_key=key, base_url=mesh.base_url, admin_key=ADMIN_KEY)


def is_mp4(path: Path) -> bool:
    return path.read_bytes()[4:8] == b"ftyp"


def test_quick_start_through_the_sync_client(mesh: Mesh, tmp_path: Path) -> None:
    client = sdk_client(mesh, "own_sdk_py")
    stages: list[str] = []
    avatar = client.avatars.create(**ARIA, wait=True, on_progress=lambda a: stages.append(a.status))
    assert avatar.status == "ready" and avatar.tts_voice_id and stages[-1] == "ready"
    pose = client.avatars.create_pose(avatar.id, prompt="side profile, arms crossed")
    assert [p.is_base for p in client.avatars.list_poses(avatar.id).data] == [True, False]
    progress: list[float] = []
    video = client.videos.generate(
        avatar_id=avatar.id,
        pose_id=pose.id,
        text="Hello! Welcome to the demo.",
        resolution=512,
        on_progress=lambda v: progress.append(v.progress),
    )
    assert video.status == "completed" and progress[-1] == 1.0
    saved = client.videos.download(video, tmp_path / "video.mp4")
    assert is_mp4(saved)
    wav = client.tts.synthesize(voice=avatar.tts_voice_id, text="Hello there.")
    assert wav[:4] == b"RIFF"
    assert video.id in {v.id for v in client.videos.iter(limit=1)}
    assert sum(1 for _ in client.avatars.iter(limit=2)) >= 7  # six system avatars + Aria
    kinds = {e.kind for e in client.billing.iter_ledger(limit=2)}
    assert {"top_up", "capture"} <= kinds
    client.avatars.delete(avatar.id)
    with pytest.raises(NotFoundError) as caught:
        client.avatars.get(avatar.id)
    assert caught.value.code == "NOT_FOUND"


def test_quick_start_through_the_async_client(mesh: Mesh, tmp_path: Path) -> None:
    key = mesh.api("own_sdk_aio").headers["Authorization"].removeprefix("Bearer ")
    mesh.fund("own_sdk_aio", 20)

    async def run() -> None:
        async with AsyncClient(api_key=key, base_url=mesh.base_url) as client:
            avatar = await client.avatars.create(**ARIA, wait=True)
            video = await client.videos.generate(
                avatar_id=avatar.id, text="Hello from asyncio.", resolution=512
            )
            assert is_mp4(await client.videos.download(video, tmp_path / "async.mp4"))
            assert (await client.tts.synthesize(voice=avatar.tts_voice_id, text="Hi."))[
                :4
            ] == b"RIFF"
            with pytest.raises(ValidationError) as caught:
                await client.videos.create(avatar_id=avatar.id, text="")
            assert caught.value.code == "VALIDATION_ERROR"

    asyncio.run(run())


def cli(mesh: Mesh, key: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name("avatarmesh")), "--no-progress", *args]
    env = {
        **os.environ,
        "AVATARMESH_API_KEY": key,
        "AVATARMESH_BASE_URL": mesh.base_url,
        "AVATARMESH_CONFIG": "/nonexistent",
    }
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def test_quick_start_through_the_cli(mesh: Mesh, tmp_path: Path) -> None:
    key = mesh.api("own_sdk_cli").headers["Authorization"].removeprefix("Bearer ")
    mesh.fund("own_sdk_cli", 20)
    made = cli(
        mesh,
        key,
        "--json",
        "avatars",
        "create",
        "--name",
        "Aria",
        "--describe",
        ARIA["description"],
        "--wait",
    )
    assert made.returncode == 0, made.stderr
    avatar = json.loads(made.stdout)
    assert avatar["status"] == "ready"
    pose = cli(mesh, key, "--json", "poses", "create", avatar["id"], "--prompt", "smiling")
    assert pose.returncode == 0, pose.stderr
    out = tmp_path / "video.mp4"
    video = cli(
        mesh,
        key,
        "videos",
        "create",
        "--avatar",
        avatar["id"],
        "--text",
        "Hello from the command line.",
        "--resolution",
        "512",
        "--out",
        str(out),
    )
    assert video.returncode == 0, video.stderr
    assert is_mp4(out)
    wav = tmp_path / "a.wav"
    spoken = cli(mesh, key, "tts", "--voice", avatar["id"], "--text", "Hello.", "--out", str(wav))
    assert spoken.returncode == 0 and wav.read_bytes()[:4] == b"RIFF", spoken.stderr
    balance = cli(mesh, key, "--json", "balance")
    assert json.loads(balance.stdout)["currency"] == "USD"
    # exit codes say what failed
    assert cli(mesh, key, "avatars", "get", "av_" + "a" * 24).returncode == 4
    assert (
        cli(mesh, key, "videos", "create", "--avatar", avatar["id"], "--text", " ").returncode == 5
    )
    assert cli(mesh, "sk_wrong", "balance").returncode == 3


def test_studio_videos_and_files_through_the_cli(mesh: Mesh, tmp_path: Path) -> None:
    """Files (upload, list, get, archive) and studio videos (from a scenes file to an
    MP4; from flags with a local background uploaded first, wait, get, download; list),
    and the exit codes of cancelling a finished video, a bad scene, an archived file
    and no scene at all."""
    key = mesh.api("own_sdk_cli_studio").headers["Authorization"].removeprefix("Bearer ")
    mesh.fund("own_sdk_cli_studio", 5)
    wav = tmp_path / "tone.wav"
    wav.write_bytes(tone_wav(1.0))
    uploaded = cli(mesh, key, "--json", "files", "upload", str(wav))
    assert uploaded.returncode == 0, uploaded.stderr
    sound = json.loads(uploaded.stdout)
    assert sound["kind"] == "audio" and sound["status"] == "ready"
    listed = cli(mesh, key, "--json", "files", "list", "--kind", "audio")
    assert sound["id"] in {f["id"] for f in json.loads(listed.stdout)}
    assert sound["id"] in cli(mesh, key, "files", "get", sound["id"]).stdout

    scenes = tmp_path / "scenes.json"
    scene = {"voice": {"type": "audio", "audio_asset_id": sound["id"]}}
    scenes.write_text(json.dumps([{**scene, "background": {"value": "#204060"}}]))
    out = tmp_path / "studio.mp4"
    size = ["--size", "320x180"]
    made = cli(mesh, key, "--json", "studio", "create", "--scenes", str(scenes), *size,
               "--title", "from the CLI", "--out", str(out))  # fmt: skip
    assert made.returncode == 0, made.stderr
    video = json.loads(made.stdout)
    assert video["status"] == "completed" and video["title"] == "from the CLI" and is_mp4(out)
    assert video["dimension"] == {"width": 320, "height": 180}

    background = str(FIXTURES / "noface" / "object_coffee_cup.png")  # uploaded first
    flagged = cli(mesh, key, "--json", "studio", "create", "--silence", "2",
                  "--background", background, *size)  # fmt: skip
    assert flagged.returncode == 0, flagged.stderr
    second = json.loads(flagged.stdout)["id"]
    waited = cli(mesh, key, "--json", "studio", "wait", second)
    assert json.loads(waited.stdout)["status"] == "completed", waited.stderr
    got = json.loads(cli(mesh, key, "--json", "studio", "get", second).stdout)
    assert got["scenes"][0]["background"] == "image" and got["duration"] == 2.0
    saved = tmp_path / "second.mp4"
    assert cli(mesh, key, "studio", "download", second, "--out", str(saved)).returncode == 0
    assert is_mp4(saved)
    rows = cli(mesh, key, "studio", "list").stdout
    assert video["id"] in rows and second in rows
    # a finished video cannot be cancelled: 409 CONFLICT, exit 7
    finished = cli(mesh, key, "studio", "cancel", second)
    assert finished.returncode == 7 and "CONFLICT" in finished.stderr, finished.stderr

    archived = cli(mesh, key, "--json", "files", "archive", sound["id"])
    assert json.loads(archived.stdout)["status"] == "archived"
    again = cli(mesh, key, "studio", "create", "--scenes", str(scenes))
    assert again.returncode == 7 and "FILE_ARCHIVED" in again.stderr
    too_big = ["--size", "3840x2160"]  # 4K is an avatar_pro size
    refused = cli(mesh, key, "studio", "create", "--avatar", AVATAR, "--text", "Hi", *too_big)
    assert refused.returncode == 5 and "dimension.width" in refused.stderr
    assert cli(mesh, key, "studio", "create", "--size", "320x180").returncode == 2


def test_webhook_endpoint_test_event_verifies_with_the_sdk_helper(
    mesh: Mesh, receiver: Callable[..., Receiver]
) -> None:
    """An endpoint made through the SDK receives a signed webhook.test event that
    ``construct_event`` accepts with the endpoint's secret (and refuses with another)."""
    client = sdk_client(mesh, "own_sdk_hooks", dollars=1)
    hook = receiver()
    endpoint = client.webhooks.create_endpoint(hook.url, ["video.completed"], "sdk test")
    assert endpoint.secret and endpoint.id in {e.id for e in client.webhooks.list_endpoints().data}
    sent = client.webhooks.send_test_event(endpoint.id)
    (delivery,) = hook.wait_for(lambda received: len(received) >= 1)
    event = construct_event(delivery.body, delivery.headers, endpoint.secret)
    assert event["event"] == "webhook.test" and delivery.headers["webhook-id"] == sent.event_id
    with pytest.raises(WebhookVerificationError):
        construct_event(delivery.body, delivery.headers, "whsec_not_it")
    client.webhooks.delete_endpoint(endpoint.id)
    with pytest.raises(NotFoundError):
        client.webhooks.get_endpoint(endpoint.id)
