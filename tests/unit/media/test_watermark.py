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
    out = watermark.apply(frame, watermark.default_mark())
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
