"""Voice backends: the engines that turn front-end tokens into audio plus a timeline.

Two implementations of one interface (``VoiceBackend.speak``):

* ``espeak-ng`` (formant synthesis, every language, phoneme events from the library);
* ``piper`` (neural VITS voices from ``.onnx`` files; phoneme spans from the model's
  own predicted durations, see ``piper_engine``).

Both return the raw voice (no WORLD conversion, no loudness normalisation) with words
as written by the user and phonemes in IPA, times in ms; ``speech.synthesize`` adds
the profile's conversion and the loudness target on top, the same for both.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from avatarmedia import espeak
from avatarmedia.text_norm import Token, spoken_text

if TYPE_CHECKING:
    from avatarmedia.voice import VoiceProfile

ESPEAK = "espeak-ng"
PIPER = "piper"
ENGINES = (ESPEAK, PIPER)


@dataclass
class TimedUnit:
    """A word (as written) or a phoneme (IPA) with its time span in ms."""

    text: str
    start_ms: float
    end_ms: float


@dataclass
class RawSpeech:
    """A backend's output: samples, timeline, and the WORLD time stretch still owed
    (espeak-ng cannot speak slower than 80 words/min; the rest is stretched)."""

    samples: npt.NDArray[np.float32]
    sample_rate: int
    words: list[TimedUnit] = field(default_factory=list)
    phonemes: list[TimedUnit] = field(default_factory=list)
    stretch: float = 1.0


class VoiceBackend(Protocol):
    engine: str

    def speak(self, tokens: list[Token], voice: VoiceProfile, speed: float) -> RawSpeech:
        """Speak the front-end's ``tokens`` in ``voice`` at ``speed`` × its rate."""
        ...


_PUNCT = "\"'.,!?;:()[]{}«»“”‘’¿¡،؛؟。，、！？：；"


def _written(token: Token) -> str:
    return token.written.strip(_PUNCT) or token.written


class EspeakBackend:
    engine = ESPEAK

    @staticmethod
    def rate(voice: VoiceProfile, speed: float) -> tuple[int, float]:
        """(words per minute for espeak, WORLD time stretch for what espeak cannot reach)."""
        wanted = espeak.DEFAULT_WPM * voice.rate * speed
        wpm = round(min(espeak.MAX_WPM, max(espeak.MIN_WPM, wanted)))
        return wpm, wpm / wanted

    def speak(self, tokens: list[Token], voice: VoiceProfile, speed: float) -> RawSpeech:
        spoken, offsets = spoken_text(tokens)
        wpm, stretch = self.rate(voice, speed)
        res = espeak.synth(spoken, voice.espeak_name, wpm)
        total_ms = 1000.0 * res.samples.size / espeak.SAMPLE_RATE
        words, phonemes = _espeak_timeline(res, offsets, tokens, total_ms, stretch)
        return RawSpeech(res.samples, espeak.SAMPLE_RATE, words, phonemes, stretch)


def _espeak_timeline(
    res: espeak.EspeakResult,
    token_offsets: list[int],
    tokens: list[Token],
    total_ms: float,
    stretch: float,
) -> tuple[list[TimedUnit], list[TimedUnit]]:
    events = sorted(res.phonemes, key=lambda p: p.ms)
    phonemes: list[TimedUnit] = []
    for i, ev in enumerate(events):
        if not ev.ipa:
            continue
        end = next((e.ms for e in events[i + 1 :] if e.ms > ev.ms), total_ms)
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
        words.append(TimedUnit(_written(tokens[tok]), start, max(end, start)))
    return words, phonemes


class PiperBackend:
    engine = PIPER

    def speak(self, tokens: list[Token], voice: VoiceProfile, speed: float) -> RawSpeech:
        from avatarmedia import piper_engine
        from avatarmedia.voices import piper_model_path

        path = piper_model_path(voice.base_voice)
        spoken, _ = spoken_text(tokens)
        res = piper_engine.synth(path, spoken, length_scale=1.0 / (voice.rate * speed))
        phonemes = [TimedUnit(p.ipa, p.start_ms, p.end_ms) for p in res.phonemes]
        counts = [piper_engine.word_count(path, t.spoken) for t in tokens]
        words = _piper_words(tokens, counts, res.words)
        return RawSpeech(res.samples, res.sample_rate, words, phonemes)


def _piper_words(
    tokens: list[Token], counts: list[int], spans: list[tuple[float, float]]
) -> list[TimedUnit]:
    """Written words with the spans of the spoken words they became.

    Each token is phonemised alone to learn how many spoken words it makes ("2024" is
    four); when those counts add up to the utterance's, the mapping is exact. Otherwise
    (context changed a count) spoken words are shared out by the tokens' spoken length.
    """
    if not spans:
        return []
    if sum(counts) != len(spans):
        lengths = np.array([max(1, len(t.spoken)) for t in tokens], dtype=np.float64)
        edges = np.round(np.cumsum(lengths) / lengths.sum() * len(spans)).astype(int)
        counts = np.diff(np.concatenate([[0], edges])).tolist()
    out: list[TimedUnit] = []
    for token, first, n in zip(tokens, itertools.accumulate([0, *counts]), counts, strict=False):
        if n <= 0:
            continue
        out.append(TimedUnit(_written(token), spans[first][0], spans[first + n - 1][1]))
    return out


_BACKENDS: dict[str, VoiceBackend] = {ESPEAK: EspeakBackend(), PIPER: PiperBackend()}


def backend(engine: str) -> VoiceBackend:
    """The backend of ``engine`` (``espeak-ng`` or ``piper``)."""
    return _BACKENDS[engine]
