"""Voice cloning: measure speech, and estimate a ``VoiceProfile`` from a recording.

``analyse_speech`` gives a recording's F0 statistics, long-term spectrum and syllable
rate; ``clone_voice`` starts from the default voice for the language, gender and
accent and fits pitch median and spread, a formant scale against that base voice
reading ``REFERENCE_TEXT``, the speaking rate, and (rendering the reference passage in
the profile through WORLD) an EQ for what remains of the spectral difference.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import signal

from avatarmedia.audio import frame_rms_db, resample, to_mono
from avatarmedia.engines import ESPEAK
from avatarmedia.errors import MediaInputError
from avatarmedia.text_norm import check_language, espeak_text
from avatarmedia.voice import (
    EQ_BANDS_HZ,
    EQ_LIMIT_DB,
    REFERENCE_TEXT,
    VoiceProfile,
    default_voice,
    normal_gender,
)
from avatarmedia.voice_world import (
    F64,
    FloatArray,
    WorldFeatures,
    estimate_f0,
    raw_voice,
    warp_envelope,
    world_analyse,
    world_render,
)

CLONE_PITCH_RANGE = (0.5, 2.0)
TONAL_LANGUAGES = ("zh", "vi")
TONAL_MAX_PITCH_RANGE = 1.4
# Cloning searches a narrower warp than profiles allow, with a prior toward 1: the
# long-term spectrum of a recording is coloured by its microphone and room as much as
# by the speaker's vocal tract, so large warps overfit.
CLONE_FORMANT_RANGE = (0.875, 1.15)
FORMANT_PRIOR = 400.0
ANALYSIS_SR = 16000
MAX_ANALYSIS_S = 20.0
MIN_VOICED_S = 0.5
EQ_PASSES = 2
_HIGHPASS = signal.butter(4, 70.0, "highpass", fs=ANALYSIS_SR, output="sos")
# Bands (Hz edges) on which long-term spectra are compared.
LTAS_EDGES_HZ: F64 = np.geomspace(100.0, 7000.0, 25)


def espeak_input(text: str, language: str) -> str:
    """What espeak-ng reads for ``text``: the same language front-end synthesis uses
    (hanzi -> pinyin, kanji -> kana, dates, counters). Raw CJK text would be misread
    (kanji as "Chinese letter"), so cloning must not fit or measure on it."""
    return espeak_text(text, language)


def _base_profile(language: str, engine: str, voice: str) -> VoiceProfile:
    base, _, variant = voice.partition("+")
    return VoiceProfile(language=language, base_voice=base, variant=variant, engine=engine)


@functools.lru_cache(maxsize=64)
def _reference_speech(language: str, engine: str, voice: str) -> tuple[FloatArray, int]:
    """A base voice (``voice``: espeak name with variant, or Piper voice name) reading
    the language's reference passage at its own rate; read only, shared by the
    conversion features and the voice statistics."""
    samples, sr = raw_voice(REFERENCE_TEXT[language], _base_profile(language, engine, voice))
    samples.setflags(write=False)
    return samples, sr


@functools.lru_cache(maxsize=32)
def _reference_features(language: str, engine: str, voice: str) -> WorldFeatures:
    return world_analyse(*_reference_speech(language, engine, voice))


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
        warped = warp_envelope(np.exp(env)[None, :], float(scale))[0]
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
        more, sr = raw_voice(REFERENCE_TEXT[profile.language], _base_profile(*key))
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
    g = normal_gender(gender) or ("female" if rec.f0_median_hz >= 165.0 else "male")
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
