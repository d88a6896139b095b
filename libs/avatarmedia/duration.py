"""Speech duration from text, without synthesising (prices a video at submit time).

The text goes through the same front-end as synthesis and espeak-ng's
text-to-phoneme step (no audio is made, well under a millisecond per clause). The
estimate is a per-language linear model over vowel phonemes, consonant phonemes
and clauses (a clause ends in a pause), divided by ``rate * speed``:

    seconds = (a * vowels + b * consonants + c * clauses) / (voice.rate * speed)

The coefficients were fitted (least squares, shrunk toward the pooled fit) on seven
sentences per language synthesised by the espeak-ng voices; on a separate test corpus
every language is within 15 % (see docs/speech.md for the measured errors).

A Piper voice speaks at its own pace: its estimate is the same model times the voice's
``pace``, the ratio of its real duration reading the language's reference passage to
the model's estimate of that passage (three readings, once per voice and process; the
first is the one cloning and the gender check already synthesise).
"""

from __future__ import annotations

import functools

from avatarmedia import espeak
from avatarmedia.engines import ESPEAK
from avatarmedia.errors import MediaInputError
from avatarmedia.speech import check_controls, synthesize
from avatarmedia.text_norm import check_language, espeak_text
from avatarmedia.voice import REFERENCE_TEXT, VoiceProfile, default_voice
from avatarmedia.voice_clone import reference_seconds

# language -> seconds per (vowel, consonant, clause) at speed 1.0
COEFFICIENTS: dict[str, tuple[float, float, float]] = {
    "en": (0.0655, 0.0861, 0.1978),
    "vi": (0.0804, 0.0692, 0.2166),
    "zh": (0.1102, 0.1063, 0.1509),
    "ja": (0.0868, 0.0651, 0.2042),
    "ko": (0.0692, 0.0943, 0.1575),
    "es": (0.0663, 0.0619, 0.2169),
    "fr": (0.0601, 0.0687, 0.2056),
    "de": (0.063, 0.0811, 0.0984),
    "pt": (0.0665, 0.075, 0.212),
    "ar": (0.0923, 0.0806, 0.1389),
}
# Readings of the reference passage a Piper voice's pace is averaged over: its
# stochastic duration predictor makes one short sentence vary by about 4 %.
PACE_TAKES = 3
# The second speed a Piper voice's pace is measured at (the fastest allowed).
FAST = 1.5
_VOWEL_CHARS = set("aeiouyæɑɐɒɔəɘɛɜɞɤɨɪʊʌʏɯɵøœɶʉɚ")


def phoneme_counts(
    text: str, language: str, voice: VoiceProfile | None = None
) -> tuple[int, int, int]:
    """(vowel phonemes, consonant phonemes, clauses) that espeak-ng would speak."""
    lang = check_language(language)
    spoken = espeak_text(text, lang)
    name = (voice or default_voice(lang)).espeak_name
    vowels = consonants = 0
    clauses = espeak.clauses_ipa(spoken, name)
    for clause in clauses:
        for ph in clause.replace(" ", "_").split("_"):
            if not ph:
                continue
            if any(ch in _VOWEL_CHARS for ch in ph):
                vowels += 1
            else:
                consonants += 1
    return vowels, consonants, max(1, len(clauses))


def _model_seconds(text: str, language: str, voice: VoiceProfile) -> float:
    a, b, c = COEFFICIENTS[language]
    vowels, consonants, clauses = phoneme_counts(text, language, voice)
    return a * vowels + b * consonants + c * clauses


@functools.lru_cache(maxsize=32)
def _piper_pace(language: str, name: str, accent: str) -> float:
    voice = VoiceProfile(language=language, base_voice=name, accent=accent, engine="piper")
    seconds = reference_seconds(voice, takes=PACE_TAKES)
    return seconds / _model_seconds(REFERENCE_TEXT[language], language, voice)


@functools.lru_cache(maxsize=32)
def _piper_fast_pace(language: str, name: str, accent: str) -> float:
    voice = VoiceProfile(language=language, base_voice=name, accent=accent, engine="piper")
    text = REFERENCE_TEXT[language]
    seconds = sum(synthesize(text, voice, speed=FAST).duration_s for _ in range(PACE_TAKES))
    return seconds / PACE_TAKES / _model_seconds(text, language, voice)


def pace(voice: VoiceProfile, speed: float = 1.0) -> float:
    """How much longer than an espeak-ng voice at ``rate * speed`` ``voice`` takes for the
    same text (1 for espeak-ng; measured once per process for a Piper voice).

    A Piper voice's length scale stretches its predicted phoneme durations, but not
    every part of the audio follows (frame rounding, sentence edges): read at 1.5x it
    lasts about 1.34x less, not 1.5x. So its pace is measured at two speeds and taken
    as linear in the length scale, ``fixed + stretch * length_scale`` (per unit of the
    plain ``1 / (rate * speed)`` the espeak model divides by)."""
    if voice.engine == ESPEAK:
        return 1.0
    key = (voice.language, voice.base_voice, voice.accent)
    normal = _piper_pace(*key)
    scale = 1.0 / (voice.rate * speed)
    if abs(scale - 1.0) < 1e-6:
        return normal
    fast = _piper_fast_pace(*key)  # seconds per model second at length scale 1 / FAST
    stretch = (normal - fast) / (1.0 - 1.0 / FAST)
    fixed = normal - stretch
    return (fixed + stretch * scale) / scale


def estimate_seconds(
    text: str, language: str, *, speed: float = 1.0, voice: VoiceProfile | None = None
) -> float:
    """Seconds ``synthesize(text, voice, speed=speed)`` will last (within ~15 %); no
    voice means the language's default voice."""
    check_controls(speed, 0.0)
    lang = check_language(language)
    if voice is not None and voice.language != lang:
        raise MediaInputError(f"the voice speaks {voice.language} but the text is {lang}")
    voice = voice if voice is not None else default_voice(lang)
    return _model_seconds(text, lang, voice) * pace(voice, speed) / (voice.rate * speed)
