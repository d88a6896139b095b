"""WORLD rendering of a voice profile, and the YIN pitch tracker it relies on.

``world_analyse`` takes an utterance apart (DIO F0 octave-checked by YIN, StoneMask,
CheapTrick envelope, D4C aperiodicity); ``world_render`` puts it back together in a
``VoiceProfile`` (F0 to the profile's median and range plus a pitch shift, envelope
warp along frequency, EQ, time stretch). ``render_profile`` does both on samples;
``render_text`` speaks text with the profile's engine and then renders it.
``estimate_f0`` (YIN) measures every recording and render.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from avatarmedia.engines import backend
from avatarmedia.text_norm import check_text
from avatarmedia.voice import EQ_BANDS_HZ, VoiceProfile

FloatArray = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

FRAME_PERIOD_MS = 5.0


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


def _eq_curve_db(eq: list[float], freqs: F64) -> F64:
    logf = np.log(np.maximum(freqs, 1.0))
    return np.interp(logf, np.log(np.array(EQ_BANDS_HZ)), np.array(eq, dtype=np.float64))


def warp_envelope(sp: F64, scale: float) -> F64:
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
    sp = warp_envelope(sp, profile.formant_scale)
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


def raw_voice(text: str, profile: VoiceProfile) -> tuple[FloatArray, int]:
    """The profile's engine speaking ``text`` at the profile's rate: no WORLD, no
    loudness normalisation (samples, sample rate)."""
    from avatarmedia.text_norm import front_end

    tokens = front_end(check_text(text), profile.language)
    raw = backend(profile.engine).speak(tokens, profile, 1.0)
    return raw.samples, raw.sample_rate


def render_text(text: str, profile: VoiceProfile) -> tuple[FloatArray, int]:
    """Language front-end + the profile's engine + WORLD in ``profile``, without
    loudness normalisation (level does not matter to the distances it is used for);
    (samples, sample rate)."""
    samples, sr = raw_voice(text, profile)
    if profile.is_plain:
        return samples, sr
    return render_profile(samples, sr, profile), sr
