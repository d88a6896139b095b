"""A studio job's ``watermark`` flag (watermark_mode, decided by the video service)
puts the operator's mark in the bottom-right corner of every frame of the MP4, and
only when set."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from avatarmedia.encode import read_video
from avatarmedia.studio_spec import BackgroundSpec, SceneSpec, StudioSpec, VoiceSpec
from services.worker.studio import marked_render

SPEC = StudioSpec(
    width=320,
    height=180,
    fps=25,
    tier="avatar",
    scenes=(
        SceneSpec(
            voice=VoiceSpec(type="silence", duration=0.4),
            background=BackgroundSpec(type="color", value="#204060"),
        ),
    ),
)


def frames(tmp_path: Path, watermark: bool) -> list[np.ndarray]:
    out = tmp_path / ("marked" if watermark else "plain")
    out.mkdir()
    result = marked_render(SPEC, {}, out, lambda _p: None, None, watermark)
    video, _fps = read_video(result.video_path)
    return [np.asarray(f, dtype=np.int32) for f in video]


def test_the_watermark_flag_marks_every_frame_in_the_corner_only(tmp_path: Path) -> None:
    marked, plain = frames(tmp_path, True), frames(tmp_path, False)
    assert len(marked) == len(plain) == 10
    h, w = SPEC.height, SPEC.width
    box_h, box_w, margin = int(w * 0.2 * 96 / 400), int(w * 0.2), int(w * 0.02)
    for m, p in zip(marked, plain, strict=True):
        diff = np.abs(m - p).mean(axis=2)
        corner = diff[h - margin - box_h : h - margin, w - margin - box_w : w - margin]
        mirror = diff[h - margin - box_h : h - margin, margin : margin + box_w]
        assert corner.mean() > 10 and mirror.mean() < 2, (corner.mean(), mirror.mean())
