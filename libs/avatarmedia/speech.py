"""Text-to-speech with a word and phoneme timeline, in one pass.

``synthesize(text, voice)`` runs the language front-end (dates, hanzi -> pinyin,
kanji -> kana), the profile's engine (espeak-ng or a Piper neural voice, see
``engines``: samples plus word and phoneme times), the voice profile through WORLD
when it changes the voice, and loudness normalisation to -16 LUFS with peaks
at most -1 dBFS.

Controls: ``speed`` 0.5..1.5 multiplies the speaking rate; ``pitch`` -50..50 shifts
the voice by ``pitch * 0.12`` semitones (±6 semitones at the ends).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from avatarmedia.audio import loudness_normalise
from avatarmedia.engines import TimedUnit, backend
from avatarmedia.errors import MediaInputError
from avatarmedia.text_norm import (
    LANGUAGES,
    MAX_TEXT_CHARS,
    check_language,
    check_text,
    front_end,
)
from avatarmedia.voice import VoiceProfile, default_voice
from avatarmedia.voice_world import render_profile

SPEED_RANGE = (0.5, 1.5)
PITCH_RANGE = (-50.0, 50.0)
SEMITONES_PER_PITCH_STEP = 0.12
TARGET_LUFS = -16.0
PEAK_DBFS = -1.0

__all__ = [
    "LANGUAGES",
    "MAX_TEXT_CHARS",
    "Speech",
    "TimedUnit",
    "check_controls",
    "default_voice",
    "synthesize",
]


@dataclass
class Speech:
    samples: npt.NDArray[np.float32]
    sample_rate: int
    words: list[TimedUnit] = field(default_factory=list)
    phonemes: list[TimedUnit] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return len(self.samples) / float(self.sample_rate)


def check_controls(speed: float, pitch: float) -> None:
    if not (isinstance(speed, int | float) and SPEED_RANGE[0] <= speed <= SPEED_RANGE[1]):
        raise MediaInputError(
            f"speed must be between {SPEED_RANGE[0]} and {SPEED_RANGE[1]}, got {speed!r}"
        )
    if not (isinstance(pitch, int | float) and PITCH_RANGE[0] <= pitch <= PITCH_RANGE[1]):
        raise MediaInputError(
            f"pitch must be between {PITCH_RANGE[0]:.0f} and {PITCH_RANGE[1]:.0f}, got {pitch!r}"
        )


def synthesize(text: str, voice: VoiceProfile, *, speed: float = 1.0, pitch: float = 0.0) -> Speech:
    """Speak ``text`` in ``voice``; returns float32 mono samples and the timeline.

    Raises ``MediaInputError`` for empty or over-long text (``MAX_TEXT_CHARS``) and
    out-of-range controls, ``UnsupportedLanguageError`` for an unknown language.
    """
    language = check_language(voice.language)
    clean = check_text(text)
    check_controls(speed, pitch)
    tokens = front_end(clean, language)
    raw = backend(voice.engine).speak(tokens, voice, speed)
    samples, sr = raw.samples, raw.sample_rate
    if samples.size == 0:
        raise MediaInputError("the text produced no speech")
    shift = float(pitch) * SEMITONES_PER_PITCH_STEP
    if not voice.is_plain or shift != 0.0 or abs(raw.stretch - 1.0) > 1e-3:
        samples = render_profile(samples, sr, voice, pitch_shift_st=shift, stretch=raw.stretch)
    samples = loudness_normalise(samples, sr, TARGET_LUFS, PEAK_DBFS)
    return Speech(samples=samples, sample_rate=sr, words=raw.words, phonemes=raw.phonemes)
