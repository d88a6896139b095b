"""MP4 encoding: codecs, faststart, duration equal to the audio within one frame."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from avatarmedia import encode
from avatarmedia.errors import MediaInputError


def test_h264_aac_mp4_with_faststart_and_audio_length(tmp_path: Path) -> None:
    sr, fps = 24000, 25
    audio = (0.2 * np.sin(np.arange(int(sr * 1.37)) / 7)).astype(np.float32)
    n = encode.frames_for_audio(len(audio), sr, fps)
    frames = [np.full((64, 96, 3), i * 5 % 255, np.uint8) for i in range(n)]
    out = encode.encode_frames(frames, tmp_path / "a.mp4", fps, audio, sr)
    info = encode.probe(out)
    assert info["video_codec"] == "h264" and info["audio_codec"] == "aac"
    assert info["pix_fmt"] == "yuv420p" and (info["width"], info["height"]) == (96, 64)
    assert abs(info["video_duration_s"] - len(audio) / sr) <= 1 / fps
    head = out.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and head.find(b"moov") < max(head.find(b"mdat"), 4096)


def test_audio_given_up_front_is_encoded_ahead_of_the_frames_with_the_same_length(
    tmp_path: Path,
) -> None:
    sr, fps = 22050, 25
    audio = (0.3 * np.sin(np.arange(int(sr * 1.2)) * 2 * np.pi * 440 / sr)).astype(np.float32)
    n = encode.frames_for_audio(len(audio), sr, fps)
    for background in (True, False):
        path = tmp_path / f"up_front_{background}.mp4"
        enc = encode.VideoEncoder(path, 64, 48, fps, preset="ultrafast", background=background)
        enc.add_audio(sr, audio)
        for i in range(n):
            enc.write(np.full((48, 64, 3), i * 7 % 255, np.uint8))
        enc.close()
        info = encode.probe(path)
        assert info["n_frames"] == n and info["audio_codec"] == "aac"
        assert abs(info["audio_duration_s"] - len(audio) / sr) <= 0.05
        decoded, rate = encode.read_audio(path)
        assert rate == sr and 0.2 < float(np.abs(decoded).max()) < 0.4
        again = encode.VideoEncoder(tmp_path / "twice.mp4", 64, 48, fps, background=background)
        again.add_audio(sr, audio)
        again.write(np.zeros((48, 64, 3), np.uint8))
        with pytest.raises(MediaInputError, match="already"):
            again.close(audio, sr)


def test_frames_become_studio_range_yuv420p_with_each_blocks_mean_colour() -> None:
    # A picture with colour edges (where point-sampled chroma aliases) and flats.
    rng = np.random.default_rng(5)
    rgb = np.repeat(np.repeat(rng.integers(0, 256, (45, 80, 3), np.uint8), 7, 0), 7, 1)
    rgb = np.ascontiguousarray(rgb[:314, :560])
    rgb[:60, :100] = (200, 30, 30)
    rgb[100:, 300:] = (255, 255, 255)
    mine = encode.rgb_to_yuv420p(rgb)
    h, w = rgb.shape[:2]
    assert mine.shape == (h * 3 // 2, w)
    swscale = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
    assert np.abs(mine[:h].astype(int) - swscale.to_ndarray()[:h]).max() <= 1  # luma
    block = rgb.reshape(h // 2, 2, w // 2, 2, 3).mean(axis=(1, 3)) / 255.0
    r, g, b = block[..., 0], block[..., 1], block[..., 2]
    u = 128 + 224 * (-0.168736 * r - 0.331264 * g + 0.5 * b)
    v = 128 + 224 * (0.5 * r - 0.418688 * g - 0.081312 * b)
    planes = mine[h:].reshape(2, h // 2, w // 2).astype(float)
    assert np.abs(planes[0] - u).max() <= 1.5 and np.abs(planes[1] - v).max() <= 1.5
    assert (mine[100:h, 300:] == 235).all()  # white is studio-range white
    back = av.VideoFrame.from_ndarray(mine, format="yuv420p").to_ndarray(format="rgb24")
    assert np.abs(back[8:52, 8:92].astype(int) - (200, 30, 30)).max() <= 3  # red stays red


def test_a_patch_converts_to_exactly_the_planes_of_the_whole_frame() -> None:
    rng = np.random.default_rng(7)
    rgb = rng.integers(0, 256, (120, 160, 3), np.uint8)
    whole = encode.rgb_to_yuv420p(rgb)
    planes = encode.rgb_to_yuv420p(np.zeros_like(rgb))
    encode.yuv420p_patch(planes, rgb[30:90, 42:110], 42, 30)
    h, w = 120, 160
    assert np.array_equal(planes[30:90, 42:110], whole[30:90, 42:110])
    got, want = (p[h:].reshape(2, h // 2, w // 2) for p in (planes, whole))
    assert np.array_equal(got[:, 15:45, 21:55], want[:, 15:45, 21:55])
    assert (planes[:30] == 16).all()  # the rest untouched (black stays black)
    with pytest.raises(MediaInputError, match="2x2 grid"):
        encode.yuv420p_patch(planes, rgb[:4, :4], 3, 0)


def _decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="yuv420p") for f in container.decode(video=0)]


@pytest.mark.parametrize("background", [True, False])
def test_frames_written_as_parts_encode_exactly_as_whole_frames(
    tmp_path: Path, background: bool
) -> None:
    # A moving square over a still picture, and a caption-like band that changes
    # once: the parts are what changed; x264 must see the same frames.
    rng = np.random.default_rng(3)
    still = rng.integers(0, 256, (96, 128, 3), np.uint8)
    wholes, parted = [], []
    for i in range(12):
        frame = still.copy()
        frame[20 + i : 44 + i, 30 + 2 * i : 54 + 2 * i] = (250, 40, 40)
        band = (slice(80, 92), slice(16, 112))
        if i >= 6:
            frame[band] = 200
        wholes.append(frame)
        moving = (20 + i - i % 2, 30 + 2 * i, 44 + i + i % 2 + 2, 54 + 2 * i + 2)
        y0, x0, y1, x1 = moving[0] - 2, moving[1] - 2, moving[2], moving[3]
        parts = [] if i == 0 else [(frame[y0:y1, x0:x1].copy(), (x0, y0))]
        if i == 6:
            parts.insert(0, (frame[80:92, 16:112].copy(), (16, 80)))
        parted.append(parts)
    one, two = tmp_path / "whole.mp4", tmp_path / "parts.mp4"
    for path in (one, two):
        enc = encode.VideoEncoder(path, 128, 96, 25, preset="superfast", background=background)
        for i, frame in enumerate(wholes):
            if path == one or i == 0:
                enc.write(frame)
            else:
                enc.write_parts(parted[i])
        enc.close()
    a, b = _decoded(one), _decoded(two)
    assert len(a) == len(b) == 12
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        assert np.array_equal(x, y), f"frame {i}"


def test_parts_need_a_whole_frame_first_and_the_2x2_grid(tmp_path: Path) -> None:
    enc = encode.VideoEncoder(tmp_path / "p.mp4", 64, 48, 25, preset="ultrafast")
    part = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(MediaInputError, match="whole frame"):
        enc.write_parts([(part, (0, 0))])
    enc.write(np.zeros((48, 64, 3), np.uint8))
    for bad, at in ((part, (1, 0)), (part[:7], (0, 0)), (part, (60, 0))):
        with pytest.raises(MediaInputError):
            enc.write_parts([(bad, at)])
    enc.write_parts([(part, (2, 4))])
    enc.close()
    assert encode.probe(tmp_path / "p.mp4")["n_frames"] == 2
