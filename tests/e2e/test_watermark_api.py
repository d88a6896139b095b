"""watermark_mode through the real mesh, for avatar videos and studio videos: an
ordinary account's video carries the watermark in its bottom-right corner (auto), one
the operator allows renders without it (none); none elsewhere is 403
WATERMARK_NOT_ALLOWED, an unknown mode 400."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import pytest

from tests.e2e.conftest import UNMARKED_OWNER, Mesh, wait_for
from tests.e2e.test_videos_api import AVA, settled, wait_avatar_ready

pytestmark = pytest.mark.e2e
BODY = {"avatar_id": AVA, "text": "Watermark check.", "resolution": 512}
STUDIO = {
    "dimension": {"width": 640, "height": 360},
    "video_inputs": [
        {
            "voice": {"type": "silence", "duration": 1.0},
            "background": {"type": "color", "value": "#204060"},
        }
    ],
}


def first_frame(url: str, path: Path) -> np.ndarray:
    path.write_bytes(httpx.get(url, timeout=60).content)
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        return np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.int32)


def render(
    api: httpx.Client, tmp_path: Path, route: str = "/api/v1/avatar-videos", **extra: Any
) -> np.ndarray:
    body = STUDIO if route == "/api/v1/videos" else BODY
    reply = api.post(route, json={**body, **extra})
    assert reply.status_code == 202, reply.text
    video = wait_for(api, reply.json()["poll_url"], settled, timeout=180)
    assert video["status"] == "completed", video
    return first_frame(video["video_url"], tmp_path / f"{video['id']}.mp4")


def assert_marked_corner(marked: np.ndarray, plain: np.ndarray) -> None:
    h, w = marked.shape[:2]
    diff = np.abs(marked - plain).mean(axis=2)
    # the mark: a fifth of the width, 2 % from the bottom-right edges
    box_h, box_w = int(w * 0.2 * 96 / 400), int(w * 0.2)
    margin = int(w * 0.02)
    corner = diff[h - margin - box_h : h - margin, w - margin - box_w : w - margin]
    mirror = diff[h - margin - box_h : h - margin, margin : margin + box_w]
    assert corner.mean() > 10 and corner.mean() > 4 * mirror.mean(), (
        corner.mean(),
        mirror.mean(),
    )


def test_auto_marks_ordinary_accounts_and_none_needs_permission(mesh: Mesh, tmp_path: Path) -> None:
    wait_avatar_ready(mesh)
    mesh.fund("own_marked", 5)
    mesh.fund(UNMARKED_OWNER, 5)
    marked_api, unmarked_api = mesh.api("own_marked"), mesh.api(UNMARKED_OWNER)

    refused = marked_api.post("/api/v1/avatar-videos", json={**BODY, "watermark_mode": "none"})
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "WATERMARK_NOT_ALLOWED"
    bad = marked_api.post("/api/v1/avatar-videos", json={**BODY, "watermark_mode": "sometimes"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "VALIDATION_ERROR"

    marked = render(marked_api, tmp_path)
    plain = render(unmarked_api, tmp_path, watermark_mode="none")
    assert_marked_corner(marked, plain)


def test_studio_videos_take_watermark_mode_as_avatar_videos_do(mesh: Mesh, tmp_path: Path) -> None:
    mesh.fund("own_marked", 5)
    mesh.fund(UNMARKED_OWNER, 5)
    marked_api, unmarked_api = mesh.api("own_marked"), mesh.api(UNMARKED_OWNER)
    studio = "/api/v1/videos"
    refused = marked_api.post(studio, json={**STUDIO, "watermark_mode": "none"})
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "WATERMARK_NOT_ALLOWED"
    bad = marked_api.post(studio, json={**STUDIO, "watermark_mode": "sometimes"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "VALIDATION_ERROR"
    marked = render(marked_api, tmp_path, studio)
    plain = render(unmarked_api, tmp_path, studio, watermark_mode="none")
    assert_marked_corner(marked, plain)
