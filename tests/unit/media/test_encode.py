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
