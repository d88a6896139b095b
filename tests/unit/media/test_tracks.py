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


def test_the_jaw_is_set_part_open_while_speaking_and_closes_in_pauses() -> None:
    from avatarmedia.animate import SPEAKING_SET, speaking_set

    opening = np.zeros(100)
    syllables = np.tile([0.1, 0.6, 0.9, 0.6, 0.1, 0.0], 6)  # a closure every 6th frame
    opening[10:46] = syllables
    opening[70:76] = syllables[:6]
    out = speaking_set(opening, FPS)
    assert np.all(out[14:44] >= 0.9 * SPEAKING_SET)  # mid-phrase closures stay part-open
    assert out[:5].max() == 0.0 and out[55:62].max() == 0.0 and out[85:].max() == 0.0
    assert out[12] == np.float64(SPEAKING_SET + (1 - SPEAKING_SET) * 0.9)  # peaks keep range
    assert out.max() <= 1.0
