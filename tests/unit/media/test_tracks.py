"""Mouth tracks move like a person's: shapes lead the sound, closures stay closed."""

from __future__ import annotations

import numpy as np

from avatarmedia.tracks import ARTICULATION_LEAD_S, MouthTrack, anticipated

FPS = 25


def _track(opening: np.ndarray) -> MouthTrack:
    n = len(opening)
    f32 = np.float32
    return MouthTrack(
        fps=FPS,
        opening=opening.astype(f32),
        width=np.full(n, 0.5, f32),
        rounding=np.zeros(n, f32),
        emphasis=np.zeros(n, f32),
    )


def test_mouth_starts_opening_before_speech_that_follows_silence() -> None:
    opening = np.zeros(60)
    opening[30:45] = 0.8  # the voice starts at frame 30 (1.2 s)
    out = anticipated(_track(opening)).opening
    lead = round(ARTICULATION_LEAD_S * FPS)
    assert out[30 - lead] >= 0.79  # the shape itself arrives a little early
    assert out[30 - lead - 1] > 0.3 and out[30 - lead - 3] > 0.05  # the lips part first
    assert out[:20].max() == 0.0  # rest well before the onset is untouched


def test_lip_closure_before_a_plosive_stays_closed() -> None:
    """Inside running speech nothing is opened early: a bilabial closure between two
    vowels keeps its closed frames (moved earlier with the rest of the shapes)."""
    opening = np.full(40, 0.7)
    opening[20:23] = 0.0  # /b/ closure, three frames
    out = anticipated(_track(opening)).opening
    assert (out[18:22] < 0.05).sum() >= 2
    assert out[17] > 0.5 and out[24] > 0.5
