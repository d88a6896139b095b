"""Files through the gateway on the real mesh: multipart and JSON uploads judged by
content, per-kind caps while streaming, list/get/archive, public links on and off, a
file id as a video's own audio, file.archived to a webhook endpoint, and every
documented error; another owner's file answers exactly like a missing one."""

from __future__ import annotations

import base64
from collections.abc import Callable

import httpx
import pytest

from tests.e2e.conftest import FIXTURES, Mesh
from tests.e2e.receiver import Receiver, check_signed
from tests.e2e.test_videos_api import AVA, wait_avatar_ready

pytestmark = pytest.mark.e2e

OWNER = "own_files_e2e"
JPEG = FIXTURES / "faces" / "man_elderly_frontal_smiling.jpg"
WAV = FIXTURES / "speech" / "en_5s.wav"


@pytest.fixture(scope="module")
def api(mesh: Mesh) -> httpx.Client:
    mesh.fund(OWNER, 10)
    return mesh.api(OWNER)


def upload(api: httpx.Client, name: str, data: bytes, **fields: str) -> httpx.Response:
    return api.post(
        "/api/v1/files", files={"file": (name, data, "application/octet-stream")}, data=fields
    )


def error(reply: httpx.Response, status: int, code: str) -> str:
    assert reply.status_code == status, reply.text
    assert reply.json()["error"]["code"] == code, reply.text
    message: str = reply.json()["error"]["message"]
    return message


def test_upload_get_list_public_link_and_archive(
    mesh: Mesh, api: httpx.Client, receiver: Callable[..., Receiver]
) -> None:
    hook = receiver()
    endpoint = api.post(
        "/api/v1/webhooks/endpoints", json={"url": hook.url, "events": ["file.archived"]}
    ).json()
    image = upload(api, "renamed.bin", JPEG.read_bytes())
    assert image.status_code == 201, image.text
    made = image.json()
    assert (made["kind"], made["content_type"], made["width"], made["height"]) == (
        "image",
        "image/jpeg",
        1200,
        1200,
    )
    assert made["size_bytes"] == len(JPEG.read_bytes()) and made["duration_seconds"] is None
    assert httpx.get(made["url"], timeout=30).content == JPEG.read_bytes()
    audio = upload(api, "voice.wav", WAV.read_bytes(), kind="audio").json()
    assert audio["kind"] == "audio" and audio["duration_seconds"] == pytest.approx(5.24, abs=0.05)
    data_url = "data:image/jpeg;base64," + base64.b64encode(JPEG.read_bytes()).decode()
    from_json = api.post("/api/v1/files", json={"url": data_url, "filename": "me.jpg"})
    assert from_json.status_code == 201 and from_json.json()["filename"] == "me.jpg"

    only_audio = api.get("/api/v1/files", params={"kind": "audio"}).json()
    assert [f["id"] for f in only_audio["data"]] == [audio["id"]]
    first = api.get("/api/v1/files", params={"limit": 1}).json()
    assert (
        first["total"] == 3
        and len(first["data"]) == 1
        and first["data"][0]["id"] == from_json.json()["id"]
    )
    assert api.get(f"/api/v1/files/{made['id']}").json()["id"] == made["id"]

    linked = api.post(f"/api/v1/files/{made['id']}/public-link", json={"enabled": True}).json()
    public = httpx.get(linked["public_url"], follow_redirects=True, timeout=30)
    assert public.status_code == 200 and public.content == JPEG.read_bytes()
    api.post(f"/api/v1/files/{made['id']}/public-link", json={"enabled": False})
    error(httpx.get(linked["public_url"], timeout=30), 404, "NOT_FOUND")

    archived = api.post(f"/api/v1/files/{made['id']}/archive").json()
    assert archived["status"] == "archived" and archived["url"] is None
    assert made["id"] not in [f["id"] for f in api.get("/api/v1/files").json()["data"]]
    (note,) = hook.wait_for(lambda got: len(got) >= 1)
    assert note.json["event"] == "file.archived" and note.json["file_id"] == made["id"]
    check_signed(note, endpoint["secret"])


def test_a_file_id_is_a_videos_own_audio(mesh: Mesh, api: httpx.Client) -> None:
    wait_avatar_ready(mesh)
    audio = upload(api, "voice.wav", WAV.read_bytes()).json()
    image = upload(api, "face.jpg", JPEG.read_bytes()).json()
    body = {"avatar_id": AVA, "audio_url": audio["id"], "resolution": 512}
    created = api.post("/api/v1/avatar-videos", json=body)
    assert created.status_code == 202, created.text
    video = api.get(created.json()["poll_url"]).json()
    assert video["has_audio_input"] is True
    api.post(f"{created.json()['poll_url']}/cancel")
    assert api.get(f"/api/v1/files/{audio['id']}").json()["status"] == "ready"  # kept
    assert "expected audio or video" in error(
        api.post("/api/v1/avatar-videos", json={**body, "audio_url": image["id"]}),
        400,
        "FILE_KIND_MISMATCH",
    )
    api.post(f"/api/v1/files/{audio['id']}/archive")
    error(api.post("/api/v1/avatar-videos", json=body), 409, "FILE_ARCHIVED")


def test_every_documented_error(mesh: Mesh, api: httpx.Client, tmp_path: object) -> None:
    error(upload(api, "notes.png", b"just some text\n" * 20), 400, "UNSUPPORTED_MEDIA_TYPE")
    error(upload(api, "voice.wav", WAV.read_bytes(), kind="image"), 400, "FILE_KIND_MISMATCH")
    fake = b"\x89PNG\r\n\x1a\n" + b"garbage" * 1000
    assert "not a valid image" in error(upload(api, "fake.png", fake), 400, "VALIDATION_ERROR")
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (10 * 1024 * 1024 + 1)
    error(upload(api, "big.png", big), 413, "PAYLOAD_TOO_LARGE")
    assert "non-public" in error(
        api.post("/api/v1/files", json={"url": "https://169.254.169.254/x.png"}),
        400,
        "VALIDATION_ERROR",
    )
    error(
        api.post("/api/v1/files", content=b"{", headers={"Content-Type": "application/json"}),
        400,
        "INVALID_JSON",
    )
    error(
        api.post("/api/v1/files", content=b"x", headers={"Content-Type": "text/plain"}),
        400,
        "VALIDATION_ERROR",
    )
    error(api.get("/api/v1/files", params={"kind": "pdf"}), 400, "VALIDATION_ERROR")
    mine = upload(api, "voice.wav", WAV.read_bytes()).json()
    stranger = mesh.api("own_files_stranger")
    missing = "file_aaaaaaaaaaaaaaaaaaaaaaaa"
    for path in ("", "/archive", "/public-link"):
        method = stranger.get if not path else stranger.post
        kwargs = {"json": {"enabled": True}} if path == "/public-link" else {}
        theirs = method(f"/api/v1/files/{mine['id']}{path}", **kwargs)
        none = method(f"/api/v1/files/{missing}{path}", **kwargs)
        assert theirs.status_code == none.status_code == 404, (path, theirs.text)
        assert (
            theirs.json()["error"]["message"].replace(mine["id"], missing)
            == (none.json()["error"]["message"])
        )
    wait_avatar_ready(mesh)
    body = {"avatar_id": AVA, "audio_url": mine["id"], "resolution": 512}
    error(stranger.post("/api/v1/avatar-videos", json=body), 404, "NOT_FOUND")
    avatar = {"name": "Files", "language": "en", "nationality": "British"}
    generated = {**avatar, "description": "A presenter", "ref_image_data_url": mine["id"]}
    assert "expected image" in error(
        api.post("/api/v1/avatars", json=generated), 400, "FILE_KIND_MISMATCH"
    )
    from_video = {**avatar, "source": "video", "source_video_url": mine["id"]}
    assert "expected video" in error(
        api.post("/api/v1/avatars", json=from_video), 400, "FILE_KIND_MISMATCH"
    )
