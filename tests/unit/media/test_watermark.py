"""The watermark: blended into the bottom-right corner only, by every encoder made
inside ``watermarking`` (and by none outside it); the video service's policy."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from avatarmedia import watermark
from avatarmedia.encode import VideoEncoder
from avatarmesh.errors import DomainError, ErrorCode
from services.video.logic import watermarked


def frames_of(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def encode(path: Path, frame: np.ndarray) -> None:
    enc = VideoEncoder(path, frame.shape[1], frame.shape[0], 25, preset="ultrafast")
    for _ in range(3):
        enc.write(frame)
    enc.close()


def test_the_mark_lands_in_the_corner_only(tmp_path: Path) -> None:
    frame = np.full((360, 640, 3), 90, np.uint8)
    out = watermark.placed(watermark.default_mark(), 640, 360).over(frame)
    changed = np.argwhere((out != frame).any(axis=2))
    assert len(changed) > 1000
    assert changed[:, 0].min() > 360 * 0.8 and changed[:, 1].min() > 640 * 0.7
    assert out[:, : 640 // 2].tolist() == frame[:, : 640 // 2].tolist()


def test_encoders_inside_the_block_mark_every_frame(tmp_path: Path) -> None:
    frame = np.full((240, 320, 3), 90, np.uint8)
    with watermark.watermarking(watermark.default_mark()):
        encode(tmp_path / "marked.mp4", frame)
    encode(tmp_path / "plain.mp4", frame)
    corner = (slice(219, 234), slice(250, 314))  # where the mark lands at 320 x 240
    for marked, plain in zip(
        frames_of(tmp_path / "marked.mp4"), frames_of(tmp_path / "plain.mp4"), strict=True
    ):
        diff = np.abs(marked.astype(int) - plain.astype(int))
        assert diff[corner].mean() > 15
        assert diff[:120, :160].mean() < 2


@pytest.mark.parametrize(
    ("mode", "may_skip", "expected"),
    [
        ("auto", False, True),
        ("auto", True, False),
        ("always", True, True),
        ("none", True, False),
    ],
)
def test_policy(mode: str, may_skip: bool, expected: bool) -> None:
    assert watermarked(mode, may_skip) is expected


def test_none_without_permission_is_403() -> None:
    with pytest.raises(DomainError) as caught:
        watermarked("none", False)
    assert caught.value.code is ErrorCode.WATERMARK_NOT_ALLOWED
    assert caught.value.code.http_status == 403


def test_a_frame_written_in_parts_is_marked_where_its_parts_cross_the_mark(
    tmp_path: Path,
) -> None:
    # A part over the mark's corner and one away from it: the frames equal those of
    # whole frames written with the same mark.
    frames = [np.full((240, 320, 3), 90, np.uint8) for _ in range(3)]
    frames[1][200:240, 240:320] = 30  # under the mark
    frames[2][0:40, 0:80] = 200  # far from it (and the corner back as it was)
    corner, far = (slice(200, 240), slice(240, 320)), (slice(0, 40), slice(0, 80))
    with watermark.watermarking(watermark.default_mark()):
        whole = VideoEncoder(tmp_path / "whole.mp4", 320, 240, 25, preset="ultrafast")
        parts = VideoEncoder(tmp_path / "parts.mp4", 320, 240, 25, preset="ultrafast")
    for frame in frames:
        whole.write(frame)
    parts.write(frames[0])
    parts.write_parts([(frames[1][corner].copy(), (240, 200))])
    parts.write_parts([(frames[2][corner].copy(), (240, 200)), (frames[2][far].copy(), (0, 0))])
    whole.close()
    parts.close()
    a, b = frames_of(tmp_path / "whole.mp4"), frames_of(tmp_path / "parts.mp4")
    assert len(a) == len(b) == 3
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x, y)
    for i in (1, 2):  # the mark is there, over the part's new pixels too
        assert np.abs(b[i][219:234, 250:314].astype(int) - frames[i][219:234, 250:314]).mean() > 15
