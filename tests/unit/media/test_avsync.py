"""Audio-video offset estimation: a made-up speaker with a known offset, and a real
clip whose audio is shifted by a known amount on top of whatever offset it has."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from avatarmedia import avsync, reenact

REPO = Path(__file__).resolve().parents[3]
CLIPS = REPO.parent / "shared" / "fixtures" / "clips"
FPS = 25.0
SR = 16000


def syllables(n: int, seed: int) -> np.ndarray:
    """Mouth opening per frame: syllables of 3-8 frames, some pauses between words."""
    rng = np.random.default_rng(seed)
    out = np.zeros(n)
    i = 2
    while i < n - 8:
        length = int(rng.integers(3, 9))
        out[i : i + length] = rng.uniform(0.1, 0.35) * np.sin(np.linspace(0, np.pi, length))
        i += length + (int(rng.integers(6, 14)) if rng.random() < 0.2 else 0)
    return out


def voice(opening: np.ndarray, delay_s: float, seed: int) -> np.ndarray:
    """A voiced sound whose loudness and first formant follow the opening, heard
    ``delay_s`` after the frames show it."""
    rng = np.random.default_rng(seed)
    n = round(len(opening) / FPS * SR)
    t = np.arange(n) / SR
    frame_t = np.arange(len(opening)) / FPS + 0.5 / FPS + delay_s
    amp = np.interp(t, frame_t, opening, left=0.0, right=0.0)
    f1 = 300.0 + 1800.0 * amp  # an open jaw raises the first formant
    phase = 2 * np.pi * np.cumsum(130.0 * (1 + 0.05 * np.sin(2 * np.pi * 3 * t))) / SR
    harmonics = sum(
        np.sin(k * phase) * np.exp(-(((k * 130.0 - f1) / 300.0) ** 2)) for k in range(1, 30)
    )
    x = amp * harmonics + 0.002 * rng.standard_normal(n)
    return np.asarray(x / np.abs(x).max() * 0.5, np.float32)


def lips_of(opening: np.ndarray) -> np.ndarray:
    """Lip speed of a mouth whose lower lip (half the points) follows the opening."""
    lower = np.zeros((len(opening), 40))
    lower[:, :20] = opening[:, None]
    speed = np.full(len(opening), np.nan)
    speed[1:] = np.abs(np.diff(lower, axis=0)).mean(axis=1)
    return speed


@pytest.mark.parametrize("delay_s", [0.0, 0.12, 0.28, -0.2, 0.37])
def test_a_made_up_speaker_gives_back_the_offset_it_was_made_with(delay_s: float) -> None:
    opening = syllables(200, seed=7)
    audio = voice(opening, delay_s, seed=1)
    est = avsync.estimate_av_offset(opening, lips_of(opening), audio, SR, FPS)
    assert est.offset_s == pytest.approx(delay_s, abs=1 / FPS)
    assert est.reliable and est.applied_s == est.offset_s


@pytest.mark.parametrize("seed", range(4))
def test_a_mouth_unrelated_to_the_sound_is_not_reliable(seed: int) -> None:
    audio = voice(syllables(200, seed=seed), 0.0, seed=1)
    other = syllables(200, seed=100 + seed)
    est = avsync.estimate_av_offset(other, lips_of(other), audio, SR, FPS)
    assert not est.reliable and est.applied_s == 0.0


def test_align_audio_moves_the_sound_and_keeps_the_length() -> None:
    x = np.arange(10, dtype=np.float32) + 1
    early = avsync.align_audio(x, 10, 0.3)
    late = avsync.align_audio(x, 10, -0.3)
    assert early.tolist() == [4, 5, 6, 7, 8, 9, 10, 0, 0, 0]
    assert late.tolist() == [0, 0, 0, 1, 2, 3, 4, 5, 6, 7]


@pytest.fixture(scope="module")
def man_clip() -> tuple[reenact.Clip, list[reenact.MouthObservation | None]]:
    clip = reenact.load_clip(CLIPS / "man_talking_7s.mp4")
    return clip, reenact.observe_mouths(clip.frames)


@pytest.mark.parametrize("added_s", [0.12, -0.13])
def test_a_shift_added_to_a_real_clip_is_recovered_within_a_frame(
    man_clip: tuple[reenact.Clip, list[reenact.MouthObservation | None]], added_s: float
) -> None:
    clip, real = man_clip
    base = avsync.estimate_from_observations(real, clip.samples, clip.sample_rate, clip.fps)
    later = avsync.align_audio(clip.samples, clip.sample_rate, -added_s)  # delay the audio
    moved = avsync.estimate_from_observations(real, later, clip.sample_rate, clip.fps)
    assert base.reliable  # its audio trails its video visibly (docs/video.md)
    assert moved.offset_s - base.offset_s == pytest.approx(added_s, abs=1 / clip.fps)
