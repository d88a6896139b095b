"""Voice profiles: which voice speaks (espeak-ng or Piper), in which accent, and how
WORLD reshapes it.

A ``VoiceProfile`` is small and serialisable (``to_json``); the platform stores it as
the avatar's ``tts_voice_id``. ``default_voice`` picks the best installed voice for a
language, gender and accent (a Piper neural voice where one fits, see ``voices``).

The voice modules, top-down: this one (what a voice is); ``voice_world`` renders a
profile through the WORLD vocoder (F0 shift and range, spectral-envelope warp, EQ,
time stretch) and holds the YIN pitch tracker; ``voice_clone`` measures speech and
estimates a profile from a recording (pitch median and spread, formant scale against
the base voice, a long-term spectrum EQ and the speaking rate).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from avatarmedia.engines import ENGINES, ESPEAK, PIPER
from avatarmedia.errors import MediaInputError
from avatarmedia.text_norm import LANGUAGES, check_language

# 2 added ``engine``; a version-1 profile is an espeak-ng one and still loads.
PROFILE_VERSION = 2
# Centres (Hz) of the EQ bands; gains in between are interpolated on log frequency.
EQ_BANDS_HZ: tuple[float, ...] = (
    100.0,
    200.0,
    400.0,
    700.0,
    1000.0,
    1500.0,
    2200.0,
    3200.0,
    4800.0,
    7000.0,
)
EQ_LIMIT_DB = 12.0
RATE_RANGE = (0.6, 1.6)
FORMANT_RANGE = (0.75, 1.35)
PITCH_RANGE_LIMITS = (0.4, 2.5)

# accent label (lower case, letters only) -> espeak voice, per language. The first
# entry of each language is its default.
ACCENTS: dict[str, dict[str, str]] = {
    "en": {
        "american": "en-us",
        "us": "en-us",
        "usa": "en-us",
        "enus": "en-us",
        "general american": "en-us",
        "neutral": "en-us",
        "british": "en-gb",
        "uk": "en-gb",
        "engb": "en-gb",
        "english": "en-gb",
        "received pronunciation": "en-gb-x-rp",
        "rp": "en-gb-x-rp",
        "scottish": "en-gb-scotland",
        "scotland": "en-gb-scotland",
        "lancaster": "en-gb-x-gbclan",
        "northern english": "en-gb-x-gbclan",
        "west midlands": "en-gb-x-gbcwmd",
        "birmingham": "en-gb-x-gbcwmd",
        "caribbean": "en-029",
        "jamaican": "en-029",
        "new york": "en-us-nyc",
        "nyc": "en-us-nyc",
    },
    "vi": {
        "northern": "vi",
        "hanoi": "vi",
        "north": "vi",
        "neutral": "vi",
        "central": "vi-vn-x-central",
        "hue": "vi-vn-x-central",
        "southern": "vi-vn-x-south",
        "south": "vi-vn-x-south",
        "saigon": "vi-vn-x-south",
        "ho chi minh": "vi-vn-x-south",
    },
    "zh": {
        "mandarin": "cmn-latn-pinyin",
        "standard": "cmn-latn-pinyin",
        "putonghua": "cmn-latn-pinyin",
        "neutral": "cmn-latn-pinyin",
    },
    "ja": {"standard": "ja", "tokyo": "ja", "neutral": "ja"},
    "ko": {"standard": "ko", "seoul": "ko", "neutral": "ko"},
    "es": {
        "spain": "es",
        "castilian": "es",
        "european": "es",
        "eses": "es",
        "neutral": "es",
        "latin american": "es-419",
        "latam": "es-419",
        "mexican": "es-419",
        "mexico": "es-419",
        "esmx": "es-419",
        "es419": "es-419",
    },
    "fr": {
        "france": "fr-fr",
        "parisian": "fr-fr",
        "frfr": "fr-fr",
        "neutral": "fr-fr",
        "belgian": "fr-be",
        "belgium": "fr-be",
        "frbe": "fr-be",
        "swiss": "fr-ch",
        "switzerland": "fr-ch",
        "frch": "fr-ch",
    },
    "de": {"standard": "de", "germany": "de", "dede": "de", "neutral": "de"},
    "pt": {
        "brazilian": "pt-br",
        "brazil": "pt-br",
        "ptbr": "pt-br",
        "neutral": "pt-br",
        "european": "pt",
        "portugal": "pt",
        "ptpt": "pt",
    },
    "ar": {"standard": "ar", "modern standard": "ar", "msa": "ar", "neutral": "ar"},
}
FEMALE_VARIANT = "f2"
MALE_VARIANT = ""  # espeak-ng's base voices are male

# Short passages each language's base voice reads when a recording is cloned (and in
# tests and benchmarks).
REFERENCE_TEXT: dict[str, str] = {
    "en": "The quick brown fox jumps over the lazy dog, and then it runs all the way home.",
    "vi": "Xin chào, hôm nay trời rất đẹp và tôi muốn đi dạo trong công viên.",
    "zh": "你好，今天天气很好，我们一起去公园散步吧。",
    "ja": "こんにちは、今日はいい天気ですね。一緒に公園へ行きましょう。",
    "ko": "안녕하세요, 오늘은 날씨가 정말 좋네요. 같이 공원에 갑시다.",
    "es": "Hola, hoy hace muy buen tiempo y quiero salir a pasear por el parque.",
    "fr": "Bonjour, il fait très beau aujourd'hui et je veux aller me promener au parc.",
    "de": "Guten Tag, heute ist das Wetter sehr schön und ich möchte im Park spazieren gehen.",
    "pt": "Olá, hoje o tempo está muito bom e eu quero passear no parque.",
    "ar": "مرحبا، الطقس جميل جدا اليوم وأريد أن أذهب في نزهة إلى الحديقة.",
}


def _accent_key(accent: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", accent.lower().replace("-", "").replace("_", "")).strip()


def resolve_accent(language: str, accent: str | None) -> tuple[str, str]:
    """(accent label, espeak voice) for ``accent``; unknown accents give the default."""
    table = ACCENTS[language]
    default_label, default_voice_name = next(iter(table.items()))
    if not accent:
        return default_label, default_voice_name
    key = _accent_key(accent)
    compact = key.replace(" ", "")
    for label, name in table.items():
        if key == label or compact == label.replace(" ", ""):
            return label, name
    for label, name in table.items():  # "Southern Vietnamese", "American English" ...
        if len(label) > 3 and label in key:
            return label, name
    return default_label, default_voice_name


def normal_gender(gender: str | None) -> str:
    """ "female", "male" or "" (not given, or not a word we read) from free-form text."""
    g = (gender or "").strip().lower()
    if g in ("f", "female", "woman", "girl"):
        return "female"
    if g in ("m", "male", "man", "boy"):
        return "male"
    return ""


@dataclass
class VoiceProfile:
    """Everything needed to speak in one voice; serialised as the avatar's voice id.

    ``engine`` is ``espeak-ng`` (``base_voice`` an espeak voice, ``variant`` its
    variant) or ``piper`` (``base_voice`` the voice file's stem, no variant).
    ``rate`` multiplies the voice's own speaking rate (espeak: 175 words/min).
    ``pitch_median_hz`` is the target F0 median (0: keep the base voice's own),
    ``pitch_range`` scales the F0 excursion around the median (in semitones),
    ``formant_scale`` warps the spectral envelope
    along frequency (>1 moves formants up), ``spectral_eq`` is a gain in dB per
    ``EQ_BANDS_HZ`` band.
    """

    language: str
    base_voice: str
    variant: str = ""
    gender: str = ""
    accent: str = ""
    rate: float = 1.0
    pitch_median_hz: float = 0.0
    pitch_range: float = 1.0
    formant_scale: float = 1.0
    spectral_eq: list[float] = field(default_factory=lambda: [0.0] * len(EQ_BANDS_HZ))
    source: str = "default"
    engine: str = ESPEAK
    version: int = PROFILE_VERSION

    def __post_init__(self) -> None:
        self.language = check_language(self.language)
        if self.engine not in ENGINES:
            raise MediaInputError(f"voice profile has an unknown engine {self.engine!r}")
        name = r"[a-z0-9-]+" if self.engine == ESPEAK else r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}"
        if not re.fullmatch(name, self.base_voice or ""):
            raise MediaInputError(f"voice profile has a bad base voice {self.base_voice!r}")
        variant = r"[fm][1-8]" if self.engine == ESPEAK else r"$^"
        if self.variant and not re.fullmatch(variant, self.variant):
            raise MediaInputError(f"voice profile has a bad variant {self.variant!r}")
        checks = (
            ("rate", self.rate, RATE_RANGE),
            ("formant_scale", self.formant_scale, FORMANT_RANGE),
            ("pitch_range", self.pitch_range, PITCH_RANGE_LIMITS),
        )
        for name, value, (lo, hi) in checks:
            if not (isinstance(value, int | float) and lo <= value <= hi):
                raise MediaInputError(f"voice profile {name}={value!r} is outside {lo}..{hi}")
        if not (self.pitch_median_hz == 0 or 50.0 <= self.pitch_median_hz <= 500.0):
            raise MediaInputError(
                f"voice profile pitch_median_hz={self.pitch_median_hz} is "
                "outside 50..500 Hz (0 keeps the base voice's pitch)"
            )
        if len(self.spectral_eq) != len(EQ_BANDS_HZ) or any(
            not math.isfinite(g) or abs(g) > 2 * EQ_LIMIT_DB for g in self.spectral_eq
        ):
            raise MediaInputError(
                f"voice profile spectral_eq needs {len(EQ_BANDS_HZ)} gains "
                f"within ±{2 * EQ_LIMIT_DB} dB"
            )
        self.spectral_eq = [float(g) for g in self.spectral_eq]

    @property
    def espeak_name(self) -> str:
        """The espeak-ng voice that speaks (espeak-ng) or phonemises (Piper: its accent's
        voice) this profile; duration estimates count phonemes with it."""
        if self.engine != ESPEAK:
            return resolve_accent(self.language, self.accent)[1]
        return f"{self.base_voice}+{self.variant}" if self.variant else self.base_voice

    @property
    def is_plain(self) -> bool:
        """True when the profile needs no WORLD processing (the espeak voice as is)."""
        return (
            self.pitch_median_hz == 0
            and self.pitch_range == 1.0
            and self.formant_scale == 1.0
            and not any(self.spectral_eq)
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, s: str | bytes) -> VoiceProfile:
        try:
            data: Any = json.loads(s)
        except (TypeError, ValueError) as exc:
            raise MediaInputError(f"voice profile is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise MediaInputError("voice profile JSON must be an object")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise MediaInputError(f"voice profile has unknown fields: {sorted(unknown)}")
        if int(data.get("version", PROFILE_VERSION)) > PROFILE_VERSION:
            raise MediaInputError(
                f"voice profile version {data['version']} is newer than "
                f"this engine ({PROFILE_VERSION})"
            )
        try:
            return cls(**data)
        except TypeError as exc:
            raise MediaInputError(f"voice profile is incomplete: {exc}") from exc


def default_voice(
    language: str,
    gender: str | None = None,
    accent: str | None = None,
    *,
    engine: str | None = None,
) -> VoiceProfile:
    """The best installed voice for a language, gender and accent.

    A Piper voice of that gender (and of that accent, when one is asked for) comes
    first, else espeak-ng's voice of the accent (unknown accents fall back to the
    language default) in the gender's variant. ``engine`` restricts the choice to one
    engine (``espeak-ng`` always exists).
    """
    lang = check_language(language)
    label, name = resolve_accent(lang, accent)
    g = normal_gender(gender)
    if engine not in (None, ESPEAK, PIPER):
        raise MediaInputError(f"unknown voice engine {engine!r}")
    if engine != ESPEAK:
        from avatarmedia.voices import best_piper_voice

        wanted_accent = label if accent and resolve_accent(lang, None)[0] != label else ""
        piper = best_piper_voice(lang, g, wanted_accent)
        if piper is not None:
            return VoiceProfile(
                language=lang,
                base_voice=piper.name,
                gender=piper.gender,
                accent=piper.accent,
                engine=PIPER,
            )
        if engine == PIPER:
            raise MediaInputError(
                f"no Piper voice for {lang} ({g or 'any gender'}, {label}) is installed"
            )
    variant = FEMALE_VARIANT if g == "female" else MALE_VARIANT
    return VoiceProfile(
        language=lang, base_voice=name, variant=variant, gender=g or "male", accent=label
    )


__all__ = [
    "ACCENTS",
    "EQ_BANDS_HZ",
    "LANGUAGES",
    "REFERENCE_TEXT",
    "VoiceProfile",
    "default_voice",
    "normal_gender",
    "resolve_accent",
]
