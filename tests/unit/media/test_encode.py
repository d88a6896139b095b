"""MP4 encoding: codecs, faststart, duration equal to the audio within one frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from avatarmedia import encode


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
