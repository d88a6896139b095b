"""Studio videos through the gateway on the real mesh: three scenes (an avatar
matted over a colour speaking text, a talking photo over an image in silence, the
caller's audio over a video), captions, billing reconciled to the rendered seconds,
and bad input refused with the field named and nothing held."""

from __future__ import annotations

import io
import threading
import wave
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from avatarmedia.encode import encode_frames, probe
from avatarmesh.money import cost_for_seconds
from tests.e2e.conftest import FIXTURES, Mesh, wait_for
from tests.e2e.test_videos_api import AVA, RATE, balance, micros, settled, wait_avatar_ready

pytestmark = pytest.mark.e2e


def tone_wav(seconds: float, rate: int = 16000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    voiced = 0.3 * np.sin(2 * np.pi * 180 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((voiced * 32767).astype(np.int16).tobytes())
    return buf.getvalue()


def small_video(tmp: Path) -> bytes:
    frames = []
    for i in range(12):
        img = np.zeros((90, 160, 3), np.uint8)
        img[:, :, 2] = 120 + 10 * i
        img[:, (i * 10) % 160 :, 1] = 200
        frames.append(img)
    path = tmp / "bg.mp4"
    encode_frames(frames, path, fps=12)
    return path.read_bytes()


class Files:
    """A tiny HTTP server on 127.0.0.1 serving fixed bytes by path (the mesh allows
    loopback URLs in development, as for webhooks)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        served = files

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = served.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Files]:
    tmp = tmp_path_factory.mktemp("studio-files")
    served = Files(
        {
            "/photo.png": (FIXTURES / "faces" / "woman_lowres_226px_smiling.png").read_bytes(),
            "/bg.png": (FIXTURES / "noface" / "object_coffee_cup.png").read_bytes(),
            "/voice.wav": tone_wav(1.2),
            "/bg.mp4": small_video(tmp),
            "/not-an-image.png": b"hello, I am text",
        }
    )
    yield served
    served.close()


@pytest.fixture(scope="module")
def api(mesh: Mesh) -> httpx.Client:
    mesh.fund("own_studio", 20)
    wait_avatar_ready(mesh)
    return mesh.api("own_studio")


def upload(api: httpx.Client, name: str, data: bytes) -> str:
    """A file id (``POST /api/v1/files``) for ``data``."""
    reply = api.post("/api/v1/files", files={"file": (name, data, "application/octet-stream")})
    assert reply.status_code == 201, reply.text
    file_id: str = reply.json()["id"]
    return file_id


def three_scenes(files: Files) -> dict[str, Any]:
    return {
        "title": "e2e studio",
        "callback_id": "cb-1",
        "caption": True,
        "dimension": {"width": 640, "height": 360},
        "video_inputs": [
            {
                "character": {"type": "avatar", "avatar_id": AVA, "matting": True},
                "voice": {"type": "text", "input_text": "Hello there. Welcome!", "speed": 1.2},
                "background": {"type": "color", "value": "#204060"},
            },
            {
                "character": {
                    "type": "talking_photo",
                    "talking_photo_url": files.url("/photo.png"),
                    "talking_photo_style": "circle",
                    "scale": 0.8,
                },
                "voice": {"type": "silence", "duration": 1.0},
                "background": {"type": "image", "url": files.url("/bg.png"), "fit": "cover"},
            },
            {
                "character": {"type": "avatar", "avatar_id": AVA, "avatar_style": "circle"},
                "voice": {"type": "audio", "audio_url": files.url("/voice.wav")},
                "background": {"type": "video", "url": files.url("/bg.mp4"), "play_style": "loop"},
            },
        ],
    }


def test_three_scenes_render_with_captions_and_are_billed_for_their_seconds(
    mesh: Mesh, api: httpx.Client, files: Files, tmp_path: Path
) -> None:
    before = balance(api)
    request = three_scenes(files)
    # the image background by file id (the peer's image_asset_id), the rest by URL
    background = request["video_inputs"][1]["background"]
    cup = (FIXTURES / "noface" / "object_coffee_cup.png").read_bytes()
    background["image_asset_id"] = upload(api, "cup.png", cup)
    del background["url"]
    reply = api.post("/api/v1/videos", json=request)
    assert reply.status_code == 202, reply.text
    created = reply.json()
    assert created["video_id"].startswith("vg_") and created["status"] == "queued"
    body = wait_for(api, created["poll_url"], settled, timeout=180)
    assert body["status"] == "completed", body
    assert body["title"] == "e2e studio" and body["callback_id"] == "cb-1"
    durations = [s["duration"] for s in body["scenes"]]
    assert durations[1] == 1.0 and abs(durations[2] - 1.2) < 0.05
    assert [s["captions"] for s in body["scenes"]] == [True, False, False]
    assert body["scenes"][2]["captions_note"]
    assert abs(body["duration"] - sum(durations)) <= 1 / 25 + 1e-6

    path = tmp_path / "studio.mp4"
    path.write_bytes(httpx.get(body["video_url"], timeout=30).content)
    info = probe(path)
    assert (info["width"], info["height"]) == (640, 360)
    assert info["video_codec"] == "h264" and info["audio_codec"] == "aac"
    assert abs(info["video_duration_s"] - body["duration"]) <= 1 / 25 + 1e-6
    srt = httpx.get(body["caption_urls"]["srt"], timeout=30).text
    vtt = httpx.get(body["caption_urls"]["vtt"], timeout=30).text
    assert srt.startswith("1\n00:00:00,") and "Hello" in srt
    assert vtt.startswith("WEBVTT\n\n") and "Welcome!" in vtt
    assert httpx.get(body["thumbnail_url"], timeout=30).content[:2] == b"\xff\xd8"

    hold = micros(body["cost_usd"])
    expected = min(hold, cost_for_seconds(RATE["avatar"], body["duration"]))
    assert micros(body["actual_cost_usd"]) == expected
    after = balance(api)
    assert micros(before["balance_usd"]) - micros(after["balance_usd"]) == expected
    listed = api.get("/api/v1/videos").json()
    assert body["id"] in [v["id"] for v in listed["data"]]
    assert api.get(f"/api/v1/avatar-videos/{body['id']}").status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b, f: b["video_inputs"][0]["voice"].update(speed=2.0), "voice.speed"),
        (
            lambda b, f: b["video_inputs"][1]["background"].update(url=f.url("/not-an-image.png")),
            "background.url",
        ),
        (
            lambda b, f: b["video_inputs"][1]["background"].update(url=f.url("/missing.png")),
            "background.url",
        ),
        (lambda b, f: b.update(video_inputs=b["video_inputs"] * 17), "video_inputs"),
        (lambda b, f: b.update(dimension={"width": 3840, "height": 2160}), "dimension.width"),
        (
            lambda b, f: b["video_inputs"][1]["background"].update(url="file-key:files/x/y.png"),
            "video_inputs[1].background.url",
        ),
    ],
)
def test_bad_input_is_400_naming_the_field_and_holds_nothing(
    mesh: Mesh, api: httpx.Client, files: Files, change: Any, field: str
) -> None:
    before = balance(api)
    body = three_scenes(files)
    change(body, files)
    reply = api.post("/api/v1/videos", json=body)
    assert reply.status_code == 400, reply.text
    error = reply.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and field in error["message"], error
    after = balance(api)
    assert after["held_usd"] == before["held_usd"]
    assert after["balance_usd"] == before["balance_usd"]


MISSING = "a" * 24


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            lambda b: b["video_inputs"][0]["character"].update(avatar_id="av_" + MISSING),
            "video_inputs[0].character.avatar_id",
        ),
        (
            lambda b: b["video_inputs"][0]["character"].update(pose_id="ap_" + MISSING),
            "video_inputs[0].character.pose_id",
        ),
        (
            lambda b: b["video_inputs"][0]["voice"].update(voice_id="voice_" + MISSING),
            "video_inputs[0].voice.voice_id",
        ),
        (
            lambda b: b["video_inputs"][0]["voice"].update(voice_id="bv_piper.no-such-voice"),
            "video_inputs[0].voice.voice_id",
        ),
        (lambda b: b["video_inputs"][0]["character"].update(avatar_id="av_nope"), "avatar_id"),
    ],
)
def test_an_avatar_pose_or_voice_that_names_nothing_is_404_naming_the_field(
    api: httpx.Client, files: Files, change: Any, field: str
) -> None:
    before = balance(api)
    body = three_scenes(files)
    change(body)
    reply = api.post("/api/v1/videos", json=body)
    assert reply.status_code == 404, reply.text
    error = reply.json()["error"]
    assert error["code"] == "NOT_FOUND" and field in error["message"], error
    assert balance(api)["held_usd"] == before["held_usd"]


def test_a_file_of_the_wrong_kind_or_anothers_file_is_refused(
    mesh: Mesh, api: httpx.Client, files: Files
) -> None:
    sound = upload(api, "voice.wav", tone_wav(1.0))
    body = three_scenes(files)
    body["video_inputs"][1]["background"]["url"] = sound
    reply = api.post("/api/v1/videos", json=body)
    assert reply.status_code == 400, reply.text
    error = reply.json()["error"]
    assert error["code"] == "FILE_KIND_MISMATCH" and "background.url" in error["message"]
    mesh.fund("own_studio_other", 5)
    other = mesh.api("own_studio_other")
    body["video_inputs"][1]["background"]["url"] = upload(
        api,
        "cup.png",
        (FIXTURES / "noface" / "object_coffee_cup.png").read_bytes(),
    )
    reply = other.post("/api/v1/videos", json=body)
    assert reply.status_code == 404, reply.text
