"""Text-to-speech with a word and phoneme timeline, in one pass.

``synthesize(text, voice)`` runs the language front-end (dates, hanzi -> pinyin,
kanji -> kana), espeak-ng (samples plus phoneme events), the voice profile through
WORLD when it changes the voice, and loudness normalisation to -16 LUFS with peaks
at most -1 dBFS.

Controls: ``speed`` 0.5..1.5 multiplies the speaking rate; ``pitch`` -50..50 shifts
the voice by ``pitch * 0.12`` semitones (±6 semitones at the ends).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from avatarmedia import espeak
from avatarmedia.audio import loudness_normalise
from avatarmedia.errors import MediaInputError
from avatarmedia.text_norm import (
    LANGUAGES,
    MAX_TEXT_CHARS,
    check_language,
    check_text,
    front_end,
    spoken_text,
)
from avatarmedia.voice import VoiceProfile, default_voice, render_profile

SPEED_RANGE = (0.5, 1.5)
PITCH_RANGE = (-50.0, 50.0)
SEMITONES_PER_PITCH_STEP = 0.12
TARGET_LUFS = -16.0
PEAK_DBFS = -1.0

__all__ = ["LANGUAGES", "MAX_TEXT_CHARS", "Speech", "TimedUnit", "check_controls",
           "default_voice", "synthesize"]


@dataclass
class TimedUnit:
    """A word (as written) or a phoneme (IPA) with its time span in ms."""

    text: str
    start_ms: float
    end_ms: float


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
        raise MediaInputError(f"speed must be between {SPEED_RANGE[0]} and {SPEED_RANGE[1]}, "
                              f"got {speed!r}")
    if not (isinstance(pitch, int | float) and PITCH_RANGE[0] <= pitch <= PITCH_RANGE[1]):
        raise MediaInputError(f"pitch must be between {PITCH_RANGE[0]:.0f} and "
                              f"{PITCH_RANGE[1]:.0f}, got {pitch!r}")


def espeak_rate(voice: VoiceProfile, speed: float) -> tuple[int, float]:
    """(words per minute for espeak, WORLD time stretch for what espeak cannot reach)."""
    wanted = espeak.DEFAULT_WPM * voice.rate * speed
    wpm = round(min(espeak.MAX_WPM, max(espeak.MIN_WPM, wanted)))
    return wpm, wpm / wanted


_PUNCT = "\"'.,!?;:()[]{}«»“”‘’¿¡،؛؟。，、！？：；"


def _timeline(res: espeak.EspeakResult, token_offsets: list[int], written: list[str],
              total_ms: float, stretch: float) -> tuple[list[TimedUnit], list[TimedUnit]]:
    events = sorted(res.phonemes, key=lambda p: p.ms)
    phonemes: list[TimedUnit] = []
    for i, ev in enumerate(events):
        if not ev.ipa:
            continue
        end = next((e.ms for e in events[i + 1:] if e.ms > ev.ms), total_ms)
        phonemes.append(TimedUnit(ev.ipa, ev.ms * stretch, min(end, total_ms) * stretch))
    # words: consecutive word events on the same token are one written word
    groups: list[tuple[int, float]] = []
    for w in sorted(res.words, key=lambda w: w.ms):
        if w.char_index < 0:  # espeak-ng emits a stray position-0 event at clause starts
            continue
        tok = max(0, bisect.bisect_right(token_offsets, w.char_index) - 1)
        if groups and groups[-1][0] == tok:
            continue
        groups.append((tok, w.ms * stretch))
    words: list[TimedUnit] = []
    for gi, (tok, start) in enumerate(groups):
        nxt = groups[gi + 1][1] if gi + 1 < len(groups) else total_ms * stretch
        inside = [p.end_ms for p in phonemes if start - 1e-6 <= p.start_ms < nxt]
        end = max(inside) if inside else nxt
        text = written[tok].strip(_PUNCT) or written[tok]
        words.append(TimedUnit(text, start, max(end, start)))
    return words, phonemes


def synthesize(text: str, voice: VoiceProfile, *, speed: float = 1.0,
               pitch: float = 0.0) -> Speech:
    """Speak ``text`` in ``voice``; returns float32 mono samples and the timeline.

    Raises ``MediaInputError`` for empty or over-long text (``MAX_TEXT_CHARS``) and
    out-of-range controls, ``UnsupportedLanguageError`` for an unknown language.
    """
    language = check_language(voice.language)
    clean = check_text(text)
    check_controls(speed, pitch)
    tokens = front_end(clean, language)
    spoken, offsets = spoken_text(tokens)
    wpm, stretch = espeak_rate(voice, speed)
    res = espeak.synth(spoken, voice.espeak_name, wpm)
    sr = espeak.SAMPLE_RATE
    samples = res.samples
    if samples.size == 0:
        raise MediaInputError("the text produced no speech")
    total_ms = 1000.0 * samples.size / sr
    words, phonemes = _timeline(res, offsets, [t.written for t in tokens], total_ms, stretch)
    shift = float(pitch) * SEMITONES_PER_PITCH_STEP
    if not voice.is_plain or shift != 0.0 or abs(stretch - 1.0) > 1e-3:
        samples = render_profile(samples, sr, voice, pitch_shift_st=shift, stretch=stretch)
    samples = loudness_normalise(samples, sr, TARGET_LUFS, PEAK_DBFS)
    return Speech(samples=samples, sample_rate=sr, words=words, phonemes=phonemes)
