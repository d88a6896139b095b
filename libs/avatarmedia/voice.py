"""Voice profiles: which voice speaks (espeak-ng or Piper), and how WORLD reshapes it.

A ``VoiceProfile`` is small and serialisable (``to_json``); the platform stores it as
the avatar's ``tts_voice_id``. ``default_voice`` picks the best installed voice for a
language, gender and accent (a Piper neural voice where one fits, see ``voices``);
``clone_voice`` estimates a profile from a speech recording, starting from that voice:
pitch median and spread, formant scale against the base voice, a long-term spectrum EQ
and the speaking rate. ``render_profile`` applies a profile to the audio through the
WORLD vocoder (F0 shift and range, spectral-envelope warp, EQ, time stretch).
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import signal

from avatarmedia.audio import frame_rms_db, resample, to_mono
from avatarmedia.engines import ENGINES, ESPEAK, PIPER, backend
from avatarmedia.errors import MediaInputError
from avatarmedia.text_norm import LANGUAGES, check_language, check_text, espeak_text

FloatArray = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

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
CLONE_PITCH_RANGE = (0.5, 2.0)
TONAL_LANGUAGES = ("zh", "vi")
TONAL_MAX_PITCH_RANGE = 1.4
# Cloning searches a narrower warp than profiles allow, with a prior toward 1: the
# long-term spectrum of a recording is coloured by its microphone and room as much as
# by the speaker's vocal tract, so large warps overfit.
CLONE_FORMANT_RANGE = (0.875, 1.15)
FORMANT_PRIOR = 400.0
FRAME_PERIOD_MS = 5.0

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


def _gender(gender: str | None) -> str:
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
    g = _gender(gender)
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


# ---------------------------------------------------------------- WORLD rendering


def _eq_curve_db(eq: list[float], freqs: F64) -> F64:
    logf = np.log(np.maximum(freqs, 1.0))
    return np.interp(logf, np.log(np.array(EQ_BANDS_HZ)), np.array(eq, dtype=np.float64))


def _warp_envelope(sp: F64, scale: float) -> F64:
    """Move formants by ``scale`` along frequency (interpolated in log power)."""
    if scale == 1.0:
        return sp
    k = sp.shape[1]
    pos = np.clip(np.arange(k) / scale, 0, k - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, k - 1)
    w = pos - lo
    logsp = np.log(np.maximum(sp, 1e-16))
    return np.asarray(np.exp(logsp[:, lo] * (1 - w) + logsp[:, hi] * w), dtype=np.float64)


def _stretch_frames(arr: F64, m: int, nearest: bool = False) -> F64:
    n = arr.shape[0]
    idx = np.linspace(0, n - 1, m)
    if nearest:
        return np.ascontiguousarray(arr[np.round(idx).astype(int)])
    lo = np.floor(idx).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    w = (idx - lo)[:, None]
    return np.ascontiguousarray(arr[lo] * (1 - w) + arr[hi] * w)


@dataclass(frozen=True)
class WorldFeatures:
    """WORLD parameters of one utterance (5 ms frames)."""

    f0: F64
    sp: F64
    ap: F64
    sr: int
    n_samples: int
    # Median F0 over the frames YIN confirms (0: none): the pitch a listener and our
    # measurements hear. DIO also voices creaky, irregular frames (joe's, low), and a
    # median over those would set a cloned voice's pitch up to a semitone too high.
    median_hz: float = 0.0


def _octave_checked_f0(x: F64, sr: int, dio_f0: F64) -> tuple[F64, F64]:
    """DIO's F0 with its octave errors corrected by YIN.

    DIO is right on espeak-ng's clean pulses but reads a neural voice (Piper's joe,
    ~90 Hz by YIN, cepstrum and harmonic spacing) at ~155 Hz in many frames, so a
    pitch shift or a cloned median would land an octave off. Where YIN finds a pitch
    it wins; DIO-only voiced frames are folded by octaves to within a factor sqrt(2)
    of the utterance's YIN median (DIO's voicing is kept: fewer voiced frames would
    make WORLD whisper). Returns the corrected F0 and YIN's F0 on the same frames
    (0 where YIN finds no pitch).
    """
    hop = round(FRAME_PERIOD_MS / 1000.0 * sr)
    fmin = 60.0
    yin = estimate_f0(x, sr, hop_s=hop / sr, fmin=fmin, fmax=700.0)
    out = dio_f0.copy()
    if not (yin > 0).any():
        return out, np.zeros_like(out)
    centre = math.ceil(sr / fmin)  # YIN frame i spans [i*hop, i*hop + 2*centre)
    idx = np.round((np.arange(out.size) * hop - centre) / hop).astype(int)
    inside = (idx >= 0) & (idx < yin.size)
    y = np.zeros_like(out)
    y[inside] = yin[idx[inside]]
    both = (out > 0) & (y > 0)
    out[both] = y[both]
    median = float(np.median(yin[yin > 0]))
    only = (out > 0) & ~both
    ratio = np.log2(np.where(only, out, median) / median)
    out[only] = out[only] / 2.0 ** np.round(ratio[only])
    return out, y


def world_analyse(samples: npt.ArrayLike, sr: int) -> WorldFeatures:
    """DIO (octave-checked by YIN) + StoneMask F0, CheapTrick envelope and D4C
    aperiodicity (clean TTS input)."""
    import pyworld as pw

    x = np.ascontiguousarray(samples, dtype=np.float64)
    f0, t = pw.dio(x, sr, f0_floor=60.0, f0_ceil=700.0, frame_period=FRAME_PERIOD_MS)
    checked, yin = _octave_checked_f0(x, sr, f0)
    f0 = pw.stonemask(x, checked, t, sr)
    confirmed = (f0 > 0) & (yin > 0)
    median_hz = float(np.median(f0[confirmed])) if confirmed.sum() >= 10 else 0.0
    return WorldFeatures(
        f0=f0,
        sp=pw.cheaptrick(x, f0, t, sr),
        ap=pw.d4c(x, f0, t, sr),
        sr=sr,
        n_samples=x.size,
        median_hz=median_hz,
    )


def world_render(
    feat: WorldFeatures, profile: VoiceProfile, *, pitch_shift_st: float = 0.0, stretch: float = 1.0
) -> FloatArray:
    """Apply ``profile`` (F0 median and range, envelope warp, EQ) plus a pitch shift
    and time stretch to WORLD parameters and synthesise."""
    import pyworld as pw

    f0, sp, ap, sr = feat.f0, feat.sp, feat.ap, feat.sr
    voiced = f0 > 0
    if voiced.any():
        st = 12 * np.log2(np.where(voiced, f0, 1.0) / 440.0)
        src = (
            float(np.median(st[voiced]))
            if feat.median_hz <= 0
            else 12 * math.log2(feat.median_hz / 440.0)
        )
        tgt = (
            src if profile.pitch_median_hz <= 0 else 12 * math.log2(profile.pitch_median_hz / 440.0)
        )
        new = tgt + (st - src) * profile.pitch_range + pitch_shift_st
        f0 = np.where(voiced, 440.0 * 2 ** (new / 12), 0.0)
    sp = _warp_envelope(sp, profile.formant_scale)
    if any(profile.spectral_eq):
        freqs = np.linspace(0, sr / 2, sp.shape[1])
        sp = sp * 10 ** (_eq_curve_db(profile.spectral_eq, freqs) / 10.0)[None, :]
    if abs(stretch - 1.0) > 1e-3:
        m = max(2, round(len(f0) * stretch))
        f0 = _stretch_frames(f0[:, None], m, nearest=True)[:, 0]
        sp = _stretch_frames(sp, m)
        ap = _stretch_frames(ap, m)
    y = pw.synthesize(
        np.ascontiguousarray(f0, dtype=np.float64),
        np.ascontiguousarray(sp, dtype=np.float64),
        np.ascontiguousarray(ap, dtype=np.float64),
        sr,
        FRAME_PERIOD_MS,
    )
    n_out = round(feat.n_samples * stretch)
    y = y[:n_out] if y.size >= n_out else np.pad(y, (0, n_out - y.size))
    return np.asarray(np.clip(y, -1.0, 1.0), dtype=np.float32)


def render_profile(
    samples: npt.ArrayLike,
    sr: int,
    profile: VoiceProfile,
    *,
    pitch_shift_st: float = 0.0,
    stretch: float = 1.0,
) -> FloatArray:
    """Re-render speech through WORLD in ``profile``: F0 to the profile's median and
    range plus ``pitch_shift_st`` semitones, envelope warp, EQ, time ``stretch``."""
    x = np.asarray(samples, dtype=np.float64)
    if x.size < sr // 20:
        return x.astype(np.float32)
    return world_render(
        world_analyse(x, sr), profile, pitch_shift_st=pitch_shift_st, stretch=stretch
    )


def espeak_input(text: str, language: str) -> str:
    """What espeak-ng reads for ``text``: the same language front-end synthesis uses
    (hanzi -> pinyin, kanji -> kana, dates, counters). Raw CJK text would be misread
    (kanji as "Chinese letter"), so cloning must not fit or measure on it."""
    return espeak_text(text, language)


def _raw_voice(text: str, profile: VoiceProfile) -> tuple[FloatArray, int]:
    """The profile's engine speaking ``text`` at the profile's rate: no WORLD, no
    loudness normalisation (samples, sample rate)."""
    from avatarmedia.text_norm import front_end

    tokens = front_end(check_text(text), profile.language)
    raw = backend(profile.engine).speak(tokens, profile, 1.0)
    return raw.samples, raw.sample_rate


def _base_profile(language: str, engine: str, voice: str) -> VoiceProfile:
    base, _, variant = voice.partition("+")
    return VoiceProfile(language=language, base_voice=base, variant=variant, engine=engine)


@functools.lru_cache(maxsize=64)
def _reference_speech(language: str, engine: str, voice: str) -> tuple[FloatArray, int]:
    """A base voice (``voice``: espeak name with variant, or Piper voice name) reading
    the language's reference passage at its own rate; read only, shared by the
    conversion features and the voice statistics."""
    samples, sr = _raw_voice(REFERENCE_TEXT[language], _base_profile(language, engine, voice))
    samples.setflags(write=False)
    return samples, sr


@functools.lru_cache(maxsize=32)
def _reference_features(language: str, engine: str, voice: str) -> WorldFeatures:
    return world_analyse(*_reference_speech(language, engine, voice))


# ---------------------------------------------------------------- analysis and cloning

ANALYSIS_SR = 16000
MAX_ANALYSIS_S = 20.0
MIN_VOICED_S = 0.5
EQ_PASSES = 2
_HIGHPASS = signal.butter(4, 70.0, "highpass", fs=ANALYSIS_SR, output="sos")
# Bands (Hz edges) on which long-term spectra are compared.
LTAS_EDGES_HZ: F64 = np.geomspace(100.0, 7000.0, 25)


@dataclass(frozen=True)
class SpeechStats:
    """What cloning measures in a recording (or in rendered speech)."""

    f0_median_hz: float
    f0_span_st: float  # 10th..90th percentile of F0, semitones
    ltas_db: tuple[float, ...]  # long-term spectrum per LTAS band, mean removed
    envelope_log: tuple[float, ...]  # fine average log envelope (for formant search)
    syllable_rate: float  # loudness peaks per second of active speech
    voiced_s: float


def _active_excerpt(x: FloatArray, sr: int, max_s: float) -> FloatArray:
    """Drop leading/trailing silence and keep at most ``max_s`` seconds."""
    db = frame_rms_db(x, sr)
    if db.size == 0:
        return x
    floor = max(float(np.percentile(db, 95)) - 40.0, -70.0)
    active = np.flatnonzero(db > floor)
    if active.size == 0:
        return x[:0]
    start = int(active[0] * 0.01 * sr)
    end = min(x.size, int((active[-1] + 1) * 0.01 * sr), start + int(max_s * sr))
    return x[start:end]


def estimate_f0(
    samples: npt.ArrayLike,
    sr: int,
    *,
    hop_s: float = 0.01,
    fmin: float = 70.0,
    fmax: float = 600.0,
    threshold: float = 0.1,
    voicing: float = 0.2,
) -> F64:
    """F0 per hop (0 = unvoiced) by YIN (cumulative mean normalised difference).

    Robust to the octave errors DIO makes on noisy, band-limited recordings and
    faster than Harvest; used for every measurement of recordings and renders.
    """
    x = np.asarray(samples, dtype=np.float64)
    hop = max(1, round(hop_s * sr))
    half = math.ceil(sr / fmin)
    win = 2 * half
    if x.size < win:
        return np.zeros(0)
    n = 1 + (x.size - win) // hop
    frames = x[np.arange(win)[None, :] + hop * np.arange(n)[:, None]]
    frames = frames - frames.mean(axis=1, keepdims=True)
    nfft = 1 << math.ceil(math.log2(2 * win))
    head = np.zeros_like(frames)
    head[:, :half] = frames[:, :half]
    corr = np.fft.irfft(
        np.fft.rfft(frames, nfft, axis=1) * np.conj(np.fft.rfft(head, nfft, axis=1)), nfft, axis=1
    )[:, : half + 1]
    energy = np.cumsum(np.pad(frames * frames, ((0, 0), (1, 0))), axis=1)
    taus = np.arange(half + 1)
    diff = energy[:, half][:, None] + energy[:, taus + half] - energy[:, taus] - 2 * corr
    diff[:, 0] = 0.0
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] * taus[1:] / np.maximum(np.cumsum(diff[:, 1:], axis=1), 1e-12)
    lo, hi = int(sr / fmax), half
    sub = cmnd[:, lo : hi + 1]
    below = sub < threshold
    first = np.where(below.any(axis=1), below.argmax(axis=1), sub.argmin(axis=1))
    f0 = np.zeros(n)
    for i in range(n):
        j = int(first[i])
        while j + 1 < sub.shape[1] and sub[i, j + 1] < sub[i, j]:
            j += 1
        if sub[i, j] >= voicing:
            continue
        off = 0.0
        if 0 < j < sub.shape[1] - 1:
            a, b, c = sub[i, j - 1], sub[i, j], sub[i, j + 1]
            den = a - 2 * b + c
            off = 0.5 * (a - c) / den if den > 0 else 0.0
        f0[i] = sr / (lo + j + off)
    return f0


def syllable_rate(x: FloatArray, sr: int) -> float:
    """Loudness peaks (syllable nuclei) per second of active speech."""
    from scipy.ndimage import uniform_filter1d
    from scipy.signal import find_peaks

    db = frame_rms_db(x, sr, hop_s=0.01, win_s=0.04)
    if db.size < 10:
        return 0.0
    db = uniform_filter1d(db, 5)
    top = float(np.percentile(db, 95))
    active = db > top - 30.0
    peaks, _ = find_peaks(db, prominence=4.0, distance=9, height=top - 25.0)
    active_s = float(active.sum()) * 0.01
    return float(len(peaks)) / active_s if active_s > 0.3 else 0.0


def analyse_speech(
    samples: npt.ArrayLike, sample_rate: int, *, max_seconds: float = MAX_ANALYSIS_S
) -> SpeechStats:
    """F0 statistics, long-term spectrum and syllable rate of a speech recording."""
    import pyworld as pw

    x = to_mono(samples)
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise MediaInputError("the recording is empty or not finite")
    x = resample(x, sample_rate, ANALYSIS_SR)
    x = _active_excerpt(x, ANALYSIS_SR, max_seconds)
    if x.size < int(0.5 * ANALYSIS_SR) or float(np.max(np.abs(x))) < 1e-3:
        raise MediaInputError(
            "the recording is silent or shorter than half a second of "
            "speech; give at least a few seconds of clear speech"
        )
    xd = x.astype(np.float64) / max(float(np.max(np.abs(x))), 1e-6) * 0.5
    xd = np.ascontiguousarray(signal.sosfiltfilt(_HIGHPASS, xd))
    f0 = estimate_f0(xd, ANALYSIS_SR)
    hop = int(0.01 * ANALYSIS_SR)
    # frame i of estimate_f0 covers samples [i*hop, i*hop + win): centre it for WORLD
    t = (np.arange(len(f0)) * hop + math.ceil(ANALYSIS_SR / 70.0)) / ANALYSIS_SR
    frame_db = frame_rms_db(xd, ANALYSIS_SR, hop_s=0.01, win_s=0.03)
    db = np.interp(t, np.arange(frame_db.size) * 0.01, frame_db)
    loud = db > float(np.percentile(db, 95)) - 30.0
    voiced = (f0 > 0) & loud
    voiced_s = float(voiced.sum()) * 0.01
    if voiced_s < MIN_VOICED_S:
        raise MediaInputError(
            f"the recording has only {voiced_s:.1f} s of voiced speech; "
            f"cloning needs at least {MIN_VOICED_S:.1f} s"
        )
    st = 12 * np.log2(f0[voiced] / 440.0)
    med_st = float(np.median(st))
    span = float(np.percentile(st, 90) - np.percentile(st, 10))
    sp = pw.cheaptrick(xd, np.ascontiguousarray(f0), np.ascontiguousarray(t), ANALYSIS_SR)
    env = np.log(np.mean(sp[voiced], axis=0) + 1e-16)  # long-term average envelope
    freqs = np.linspace(0, ANALYSIS_SR / 2, sp.shape[1])
    return SpeechStats(
        f0_median_hz=440.0 * 2 ** (med_st / 12),
        f0_span_st=span,
        ltas_db=tuple(float(v) for v in _band_db(env, freqs)),
        envelope_log=tuple(float(v) for v in env),
        syllable_rate=syllable_rate(x, ANALYSIS_SR),
        voiced_s=voiced_s,
    )


def _band_db(log_env: F64, freqs: F64) -> F64:
    """Natural-log power envelope -> dB per LTAS band, mean removed."""
    power = np.exp(log_env)
    out = np.empty(len(LTAS_EDGES_HZ) - 1)
    for i, (lo, hi) in enumerate(itertools.pairwise(LTAS_EDGES_HZ)):
        sel = (freqs >= lo) & (freqs < hi)
        if not sel.any():
            sel = np.argmin(np.abs(freqs - (lo + hi) / 2)) == np.arange(len(freqs))
        out[i] = 10 * np.log10(power[sel].mean() + 1e-16)
    return np.asarray(out - out.mean(), dtype=np.float64)


def f0_distance_st(a: SpeechStats, b: SpeechStats) -> float:
    """|difference of median F0| in semitones."""
    return abs(12 * math.log2(a.f0_median_hz / b.f0_median_hz))


def envelope_distance_db(a: SpeechStats, b: SpeechStats) -> float:
    """RMS difference (dB) of the level-normalised long-term spectra, 100 Hz-7 kHz."""
    return float(np.sqrt(np.mean((np.array(a.ltas_db) - np.array(b.ltas_db)) ** 2)))


def _detilt(v: F64, x: F64) -> F64:
    coef = np.polyfit(x, v, 1)
    return np.asarray(v - np.polyval(coef, x), dtype=np.float64)


def _formant_scale(base: SpeechStats, rec: SpeechStats) -> float:
    """Warp factor that best maps the base voice's envelope onto the recording's."""
    env = np.array(base.envelope_log)
    freqs = np.linspace(0, ANALYSIS_SR / 2, env.size)
    centres = np.sqrt(LTAS_EDGES_HZ[:-1] * LTAS_EDGES_HZ[1:])
    logc = np.log(centres)
    target = _detilt(np.array(rec.ltas_db), logc)
    best, best_cost = 1.0, float("inf")
    for scale in np.round(
        np.arange(CLONE_FORMANT_RANGE[0], CLONE_FORMANT_RANGE[1] + 1e-9, 0.025), 3
    ):
        warped = _warp_envelope(np.exp(env)[None, :], float(scale))[0]
        cand = _detilt(_band_db(np.log(warped), freqs), logc)
        cost = float(np.mean((cand - target) ** 2)) + FORMANT_PRIOR * math.log(scale) ** 2
        if cost < best_cost:
            best, best_cost = float(scale), cost
    return best


@functools.lru_cache(maxsize=64)
def base_voice_stats(language: str, engine: str, voice: str) -> SpeechStats:
    """Statistics of a base voice reading the language's reference passage."""
    return analyse_speech(*_reference_speech(language, engine, voice))


def reference_seconds(profile: VoiceProfile, takes: int = 1) -> float:
    """How long the profile's base voice takes to read its language's reference passage
    at its own rate, averaged over ``takes`` readings (the first is the cached one; a
    neural voice's durations vary by a few percent from take to take)."""
    key = _voice_key(profile)
    samples, sr = _reference_speech(*key)
    total = samples.size / sr
    for _ in range(takes - 1):
        more, sr = _raw_voice(REFERENCE_TEXT[profile.language], _base_profile(*key))
        total += more.size / sr
    return total / takes


def _voice_key(profile: VoiceProfile) -> tuple[str, str, str]:
    name = profile.espeak_name if profile.engine == ESPEAK else profile.base_voice
    return profile.language, profile.engine, name


def clone_voice(
    samples: npt.ArrayLike,
    sample_rate: int,
    *,
    language: str,
    gender: str | None = None,
    accent: str | None = None,
) -> VoiceProfile:
    """Estimate a profile from a speech recording (any language, any sample rate).

    Only the first ``MAX_ANALYSIS_S`` seconds of active speech are analysed. Raises
    ``MediaInputError`` for silent or too-short recordings.
    """
    lang = check_language(language)
    if sample_rate <= 0:
        raise MediaInputError("sample_rate must be positive")
    rec = analyse_speech(samples, sample_rate)
    g = _gender(gender) or ("female" if rec.f0_median_hz >= 165.0 else "male")
    base = default_voice(lang, g, accent)
    ref = base_voice_stats(*_voice_key(base))
    scale = _formant_scale(ref, rec)
    pitch_range = rec.f0_span_st / ref.f0_span_st if ref.f0_span_st > 0.5 else 1.0
    if lang in TONAL_LANGUAGES:  # tones carry meaning: do not exaggerate the contours
        pitch_range = min(pitch_range, TONAL_MAX_PITCH_RANGE)
    rate = (
        rec.syllable_rate / ref.syllable_rate
        if ref.syllable_rate > 0 and rec.syllable_rate > 0
        else 1.0
    )
    profile = VoiceProfile(
        language=lang,
        base_voice=base.base_voice,
        variant=base.variant,
        gender=g,
        accent=base.accent,
        engine=base.engine,
        rate=round(float(np.clip(rate, 0.75, 1.35)), 3),
        pitch_median_hz=round(float(np.clip(rec.f0_median_hz, 50.0, 500.0)), 1),
        pitch_range=round(float(np.clip(pitch_range, *CLONE_PITCH_RANGE)), 3),
        formant_scale=round(scale, 3),
        source="cloned",
    )
    # EQ: render the reference passage in the profile and correct what remains between
    # its long-term spectrum and the recording's (WORLD and the F0 shift move it too).
    centres = np.sqrt(LTAS_EDGES_HZ[:-1] * LTAS_EDGES_HZ[1:])
    eq = np.zeros(len(EQ_BANDS_HZ))
    for _ in range(EQ_PASSES):
        feat = _reference_features(*_voice_key(profile))
        rendered = analyse_speech(world_render(feat, profile), feat.sr)
        diff = np.array(rec.ltas_db) - np.array(rendered.ltas_db)
        eq = eq + np.interp(np.log(EQ_BANDS_HZ), np.log(centres), diff)
        eq = np.clip(eq - np.median(eq), -EQ_LIMIT_DB, EQ_LIMIT_DB)
        profile.spectral_eq = [round(float(v), 2) for v in eq]
    return profile


def render_text(text: str, profile: VoiceProfile) -> tuple[FloatArray, int]:
    """Language front-end + the profile's engine + WORLD in ``profile``, without
    loudness normalisation (level does not matter to the distances it is used for);
    (samples, sample rate)."""
    samples, sr = _raw_voice(text, profile)
    if profile.is_plain:
        return samples, sr
    return render_profile(samples, sr, profile), sr


__all__ = [
    "ACCENTS",
    "EQ_BANDS_HZ",
    "LANGUAGES",
    "REFERENCE_TEXT",
    "SpeechStats",
    "VoiceProfile",
    "analyse_speech",
    "clone_voice",
    "default_voice",
    "envelope_distance_db",
    "espeak_input",
    "estimate_f0",
    "f0_distance_st",
    "render_profile",
    "render_text",
]
