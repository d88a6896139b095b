"""Motion planning: blinks, brow raises, head motion, tiers and motion hints."""

from __future__ import annotations

import numpy as np

from avatarmedia.animate import (
    BROW_RAISE_S,
    BROW_THRESHOLD,
    blink_curve,
    brow_raises,
    motion_style,
    plan_motion,
)
from avatarmedia.tracks import MouthTrack

FPS = 25


def speech_track(seconds: float = 20.0, seed: int = 0) -> MouthTrack:
    """Syllable-like opening at ~4 Hz with random stress, then 2 s of silence."""
    rng = np.random.default_rng(seed)
    n, quiet = int(seconds * FPS), 2 * FPS
    t = np.arange(n) / FPS
    opening = np.clip(np.sin(2 * np.pi * 4 * t), 0, 1) * rng.uniform(0.3, 1, n)
    emphasis = np.clip(np.convolve(rng.uniform(0, 1, n) ** 3, np.ones(5) / 5, "same") * 2, 0, 1)
    opening[-quiet:] = 0
    emphasis[-quiet:] = 0
    f32 = np.float32
    return MouthTrack(
        fps=FPS,
        opening=opening.astype(f32),
        width=np.full(n, 0.5, f32),
        rounding=np.zeros(n, f32),
        emphasis=emphasis.astype(f32),
    )


def runs(x: np.ndarray) -> list[tuple[int, int]]:
    """(start, length) of every run of non-zero values."""
    edges = np.diff(np.concatenate([[0], (x > 0).astype(int), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(int(s), int(e - s)) for s, e in zip(starts, ends, strict=True)]


def test_blinks_are_brief_and_at_a_natural_rate() -> None:
    n = 60 * FPS
    blinks = runs(blink_curve(n, FPS, 16.0, np.random.default_rng(1)))
    assert 8 <= len(blinks) <= 30
    assert all(3 <= length <= round(0.25 * FPS) + 1 for _, length in blinks)
    assert blinks[0][0] >= 0.5 * FPS


def test_brows_rise_briefly_on_stressed_syllables_only() -> None:
    emphasis = np.zeros(10 * FPS)
    emphasis[[40, 45, 120, 200]] = [0.9, 0.8, 0.3, 0.7]  # 45 is too close to 40; 120 is weak
    raises = runs(brow_raises(emphasis, FPS))
    assert [start + length // 2 for start, length in raises] == [40, 200]
    assert all(length <= BROW_RAISE_S * FPS + 1 for _, length in raises)
    assert brow_raises(np.full(100, BROW_THRESHOLD * 0.9), FPS).max() == 0


def test_silence_keeps_the_mouth_closed_and_the_head_alive() -> None:
    plan = plan_motion(speech_track(), "avatar")
    quiet = slice(-2 * FPS, None)
    assert np.all(plan.opening[quiet] == 0)
    assert np.ptp(plan.dx[quiet]) > 0  # idle motion goes on while listening


def test_avatar_pro_moves_more_than_avatar() -> None:
    track = speech_track()
    fast, pro = plan_motion(track, "avatar"), plan_motion(track, "avatar_pro")
    assert np.std(pro.dx) > np.std(fast.dx) and np.std(pro.roll_deg) > np.std(fast.roll_deg)
    assert pro.brow.max() > fast.brow.max()
    assert pro.smile.mean() > fast.smile.mean()


def test_motion_hint_words_change_the_motion_and_are_recorded() -> None:
    track = speech_track()
    plain = plan_motion(track, "avatar")
    calm = plan_motion(track, "avatar", "calm and relaxed")
    lively = plan_motion(track, "avatar", "energetic, nodding")
    smiling = plan_motion(track, "avatar", "smiling")
    assert np.std(calm.dx) < np.std(plain.dx) < np.std(lively.dx)
    assert lively.dy.max() > plain.dy.max()
    assert smiling.smile.mean() > plain.smile.mean()
    assert motion_style("avatar", "calm, zebra, nodding").applied == ("calm", "nodding")


def test_the_plan_is_deterministic_for_a_seed() -> None:
    track = speech_track()
    a, b = plan_motion(track, "avatar", seed=3), plan_motion(track, "avatar", seed=3)
    c = plan_motion(track, "avatar", seed=4)
    assert np.array_equal(a.dx, b.dx) and np.array_equal(a.blink, b.blink)
    assert not np.array_equal(a.dx, c.dx)
