"""MP4 encoding: codecs, faststart, duration equal to the audio within one frame."""

from __future__ import annotations

from pathlib import Path

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
