"""Speech duration from text, without synthesising (prices a video at submit time).

The text goes through the same front-end as synthesis and espeak-ng's
text-to-phoneme step (no audio is made, well under a millisecond per clause). The
estimate is a per-language linear model over vowel phonemes, consonant phonemes
and clauses (a clause ends in a pause), divided by ``rate * speed``:

    seconds = (a * vowels + b * consonants + c * clauses) / (voice.rate * speed)

The coefficients were fitted (least squares, shrunk toward the pooled fit) on seven
sentences per language synthesised by the default voices; on a separate test corpus
every language is within 15 % (see docs/speech.md for the measured errors).
"""

from __future__ import annotations

from avatarmedia import espeak
from avatarmedia.errors import MediaInputError
from avatarmedia.speech import check_controls
from avatarmedia.text_norm import check_language, espeak_text
from avatarmedia.voice import VoiceProfile, default_voice

# language -> seconds per (vowel, consonant, clause) at speed 1.0
COEFFICIENTS: dict[str, tuple[float, float, float]] = {
    "en": (0.0655, 0.0861, 0.1978), "vi": (0.0804, 0.0692, 0.2166),
    "zh": (0.1102, 0.1063, 0.1509), "ja": (0.0868, 0.0651, 0.2042),
    "ko": (0.0692, 0.0943, 0.1575), "es": (0.0663, 0.0619, 0.2169),
    "fr": (0.0601, 0.0687, 0.2056), "de": (0.063, 0.0811, 0.0984),
    "pt": (0.0665, 0.075, 0.212), "ar": (0.0923, 0.0806, 0.1389),
}
_VOWEL_CHARS = set("aeiouyæɑɐɒɔəɘɛɜɞɤɨɪʊʌʏɯɵøœɶʉɚ")


def phoneme_counts(text: str, language: str, voice: VoiceProfile | None = None) -> tuple[
        int, int, int]:
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


def estimate_seconds(text: str, language: str, *, speed: float = 1.0,
                     voice: VoiceProfile | None = None) -> float:
    """Seconds ``synthesize(text, voice, speed=speed)`` will last (within ~15 %)."""
    check_controls(speed, 0.0)
    lang = check_language(language)
    if voice is not None and voice.language != lang:
        raise MediaInputError(f"the voice speaks {voice.language} but the text is {lang}")
    a, b, c = COEFFICIENTS[lang]
    vowels, consonants, clauses = phoneme_counts(text, lang, voice)
    rate = voice.rate if voice is not None else 1.0
    return (a * vowels + b * consonants + c * clauses) / (rate * speed)
