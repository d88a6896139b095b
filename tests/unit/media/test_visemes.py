"""Phoneme -> viseme mouth track: documented set, co-articulation, alignment with audio."""

from __future__ import annotations

import numpy as np
import pytest

from avatarmedia.audio import frame_rms_db
from avatarmedia.errors import MediaInputError
from avatarmedia.speech import Speech, TimedUnit, synthesize
from avatarmedia.visemes import (
    MIN_SHAPE_MS,
    SHAPES,
    VISEMES,
    phoneme_mouth_track,
    phoneme_opening,
    viseme_of,
)
from avatarmedia.voice import default_voice

FPS = 25.0


def _silent_speech(phonemes: list[tuple[str, float, float]], seconds: float) -> Speech:
    sr = 16000
    return Speech(
        samples=np.zeros(int(seconds * sr), np.float32),
        sample_rate=sr,
        words=[],
        phonemes=[TimedUnit(p, s, e) for p, s, e in phonemes],
    )


def test_viseme_set_is_preston_blair_plus_rest() -> None:
    assert set(VISEMES) == set(SHAPES)
    assert {"rest", "MBP", "AI", "E", "O", "U", "WQ", "FV", "L", "etc"} <= set(VISEMES)
    assert [
        viseme_of(p) for p in ("m", "b", "p", "f", "v", "w", "l", "θ", "ˈa", "iː", "oʊ", "u", "t")
    ] == ["MBP", "MBP", "MBP", "FV", "FV", "WQ", "L", "TH", "AI", "E", "O", "U", "etc"]


def test_lips_close_before_a_plosive_and_stay_closed_long_enough() -> None:
    # "a ... b a": the closure shows before the b's own start time
    speech = _silent_speech([("a", 0, 300), ("b", 300, 340), ("a", 340, 700)], 0.8)
    track = phoneme_mouth_track(speech, 100.0)
    closed = np.flatnonzero(np.array(track.visemes) == "MBP")
    assert closed.size * 10 >= 60  # minimum shape duration
    assert closed[0] * 10 < 300  # anticipation: the lips close before the plosive starts
    assert track.opening[closed].max() <= 0.05 + 1e-6


def test_short_consonant_gets_no_shape_of_its_own_and_undershoots() -> None:
    # a 30 ms "t" between two "a": no "etc" frame, the jaw barely rises
    short = _silent_speech([("a", 0, 300), ("t", 300, 330), ("a", 330, 700)], 0.8)
    track = phoneme_mouth_track(short, 100.0)
    assert "etc" not in track.visemes
    assert phoneme_opening(short, 100.0)[31] > 0.5
    # the same "t" held for 120 ms (over MIN_SHAPE_MS) gets its own shape and closes
    assert 120 > MIN_SHAPE_MS > 30
    long = _silent_speech([("a", 0, 300), ("t", 300, 420), ("a", 420, 800)], 0.9)
    track = phoneme_mouth_track(long, 100.0)
    assert track.visemes.count("etc") >= 10
    assert phoneme_opening(long, 100.0)[36] < 0.35


def test_phoneme_opening_follows_phonetics() -> None:
    """Open vowels widest, mid and close vowels narrower, sibilants nearly closed,
    bilabials closed; h takes the shape of the vowel after it."""
    units = [
        ("a", 0, 200),
        ("e", 200, 400),
        ("i", 400, 600),
        ("s", 600, 800),
        ("m", 800, 1000),
        ("h", 1000, 1200),
        ("a", 1200, 1400),
    ]
    opening = phoneme_opening(_silent_speech(units, 1.5), 100.0)
    at = {name: float(opening[(s + e) // 20]) for name, s, e in units[:5]}
    assert at["a"] > at["e"] > at["i"] > at["s"] > at["m"]
    assert at["a"] > 0.9 and at["m"] <= 0.05 and at["s"] < 0.15
    assert opening[110] > 0.6  # the h before "a" is open already


def test_short_pause_holds_long_pause_relaxes_to_rest() -> None:
    short = _silent_speech([("a", 0, 300), ("a", 450, 700)], 0.8)
    track = phoneme_mouth_track(short, 100.0)
    assert "rest" not in track.visemes[30:45]
    long = _silent_speech([("a", 0, 300), ("a", 1300, 1600)], 1.7)
    track = phoneme_mouth_track(long, 100.0)
    assert all(v == "rest" for v in track.visemes[60:120])
    assert track.opening[60:120].max() < 0.02


def test_silence_at_the_end_is_a_closed_mouth_at_rest() -> None:
    speech = _silent_speech([("a", 0, 300)], 1.5)
    track = phoneme_mouth_track(speech, FPS, n_frames=40)
    assert track.n_frames == 40 and len(track.visemes) == 40
    assert track.visemes[-1] == "rest" and track.opening[-5:].max() < 0.01


def test_rounded_vowel_rounds_the_consonant_before_it() -> None:
    speech = _silent_speech([("a", 0, 200), ("t", 200, 300), ("u", 300, 500)], 0.6)
    track = phoneme_mouth_track(speech, 100.0)
    assert track.rounding[25] > 0.3 and track.rounding[10] < 0.2


@pytest.mark.parametrize("language", ["en", "zh", "ar"])
def test_opening_follows_the_audio_loudness(language: str) -> None:
    text = {
        "en": "Good morning everybody, thank you for joining us today.",
        "zh": "大家早上好，谢谢你们今天来参加。",
        "ar": "صباح الخير جميعا، شكرا لانضمامكم إلينا اليوم.",
    }[language]
    speech = synthesize(text, default_voice(language, "female"))
    track = phoneme_mouth_track(speech, FPS)
    assert track.n_frames == int(np.ceil(speech.duration_s * FPS))
    for arr in (track.opening, track.width, track.rounding, track.emphasis):
        assert arr.dtype == np.float32 and arr.min() >= 0 and arr.max() <= 1
    db = frame_rms_db(speech.samples, speech.sample_rate, hop_s=1 / FPS, win_s=2 / FPS)
    loud = np.clip(db - (db.max() - 40.0), 0, None)[: track.n_frames]
    r = float(np.corrcoef(track.opening, loud)[0, 1])
    assert r >= 0.5
    assert track.emphasis.max() > 0.5  # stressed syllables are marked


def test_bad_fps_is_rejected() -> None:
    with pytest.raises(MediaInputError):
        phoneme_mouth_track(_silent_speech([("a", 0, 100)], 0.2), 0)
