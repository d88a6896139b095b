"""Mouth track from audio alone (bring-your-own-audio), for speech in any language.

Per 10 ms, the opening comes from where the energy is, not just how much there is:

* the level in the first/second-formant region (500-2500 Hz) above the recording's
  own loudest frames: an open jaw raises F1 into this band and lets it through, while
  nasals (energy in a murmur below ~400 Hz, antiformants above), voiced closures (a
  voice bar below 400 Hz) and fricatives (noise above ~3.5 kHz) stay weak in it, so
  they read as nearly closed even when they are loud;
* a first-formant proxy (the power-weighted centroid of 200-1200 Hz): F1 rises with
  jaw opening (about 300 Hz in "ee"/"oo", 700+ Hz in "ah"), so at equal level an
  open vowel opens the mouth further (half the opening depends on it);
* the broadband loudness above the noise floor gates it: silence -> closed mouth.

The spectral shape of voiced sound also drives width and rounding (a high spectral
centroid means spread lips as in "ee", energy packed below ~1 kHz with a low
centroid means rounded lips as in "oo"); loudness peaks
above the local average drive emphasis. Every feature is normalised against the
recording's own percentiles, so level, microphone and language do not matter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.ndimage import gaussian_filter1d, uniform_filter1d

from avatarmedia.audio import frame_rms_db, resample, to_mono
from avatarmedia.errors import MediaInputError
from avatarmedia.tracks import MouthTrack

ANALYSIS_SR = 16000
HOP_S = 0.01
SILENCE_DBFS = -55.0  # below this a frame is silence whatever the floor
GATE_DB = 8.0  # a frame must be this far above the noise floor to open the mouth
FORMANT_BAND_HZ = (500.0, 2500.0)  # F1/F2 region: open vowels are strong here
F1_BAND_HZ = (200.0, 1200.0)  # where the centroid follows the first formant
LEVEL_SPAN_DB = 35.0  # formant-band level below the loudest frames that maps to 0..1
F1_SHARE = 0.5  # share of the opening that depends on the F1 proxy


def _rescale(v: npt.NDArray[np.float64], lo: float, hi: float) -> npt.NDArray[np.float64]:
    return np.asarray(np.clip((v - lo) / max(hi - lo, 1e-6), 0.0, 1.0), dtype=np.float64)


@dataclass(frozen=True)
class _Spectral:
    centroid: npt.NDArray[np.float64]  # Hz, 150-5000 Hz
    low_share: npt.NDArray[np.float64]  # 250-900 Hz share of 250-4000 Hz
    formant_db: npt.NDArray[np.float64]  # level in FORMANT_BAND_HZ
    f1_hz: npt.NDArray[np.float64]  # centroid of F1_BAND_HZ (first-formant proxy)


def _spectral_features(x: npt.NDArray[np.float32], n: int) -> _Spectral:
    """Per-hop spectral features from one short-time power spectrum (25 ms Hann)."""
    hop, win, nfft = int(HOP_S * ANALYSIS_SR), 400, 512
    pad = np.pad(x.astype(np.float64), (win // 2, win))
    idx = np.arange(win)[None, :] + hop * np.arange(n)[:, None]
    window = np.hanning(win)
    frames = pad[np.minimum(idx, pad.size - 1)] * window[None, :]
    power = np.abs(np.fft.rfft(frames, nfft, axis=1)) ** 2
    freqs = np.fft.rfftfreq(nfft, 1.0 / ANALYSIS_SR)

    def sel(lo: float, hi: float) -> npt.NDArray[np.bool_]:
        return np.asarray((freqs >= lo) & (freqs < hi))

    band = sel(150, 5001)
    pb = power[:, band] + 1e-12
    centroid = (pb * freqs[band]).sum(axis=1) / pb.sum(axis=1)
    low = power[:, sel(250, 900)].sum(axis=1)
    mid = power[:, sel(250, 4000)].sum(axis=1) + 1e-12
    # same scale as frame_rms_db: mean power of the band's share of the frame
    formant = power[:, sel(*FORMANT_BAND_HZ)].sum(axis=1) * 2.0 / (win * float((window**2).sum()))
    f1_band = sel(*F1_BAND_HZ)
    f1 = power[:, f1_band] + 1e-12
    f1_hz = (f1 * freqs[f1_band]).sum(axis=1) / f1.sum(axis=1)
    return _Spectral(
        centroid=centroid,
        low_share=low / mid,
        formant_db=10 * np.log10(formant + 1e-10),
        f1_hz=f1_hz,
    )


def _opening(db: npt.NDArray[np.float64], gate: float, spec: _Spectral) -> npt.NDArray[np.float64]:
    """Formant-band level times (half) the F1 proxy, zero below the loudness gate."""
    level = gaussian_filter1d(spec.formant_db, 1.5)
    top = float(np.percentile(level, 97))
    opening = _rescale(level, top - LEVEL_SPAN_DB, top)
    sounding = (db >= gate) & (opening > 0.05)
    if sounding.sum() >= 5:
        lo, hi = np.percentile(spec.f1_hz[sounding], [10, 90])
        f1 = gaussian_filter1d(_rescale(spec.f1_hz, float(lo), float(hi)), 2.0)
        opening = opening * (1.0 - F1_SHARE + F1_SHARE * f1)
    opening[db < gate] = 0.0
    return opening


def _to_frames(grid: npt.NDArray[np.float64], fps: float, n_frames: int) -> npt.NDArray[np.float32]:
    edges = np.arange(n_frames + 1) / fps / HOP_S
    csum = np.concatenate([[0.0], np.cumsum(grid)])
    pos = np.arange(csum.size)
    lo = np.clip(edges[:-1], 0, grid.size)
    hi = np.clip(edges[1:], 0, grid.size)
    width = hi - lo
    val = np.where(
        width > 1e-6,
        (np.interp(hi, pos, csum) - np.interp(lo, pos, csum)) / np.maximum(width, 1e-6),
        0.0,
    )
    return np.asarray(np.clip(val, 0.0, 1.0), dtype=np.float32)


def audio_mouth_track(
    samples: npt.ArrayLike, sample_rate: int, fps: float, n_frames: int | None = None
) -> MouthTrack:
    """Mouth opening, width, rounding and emphasis per video frame from any speech."""
    if not fps or fps <= 0 or not math.isfinite(fps):
        raise MediaInputError(f"fps must be positive, got {fps!r}")
    if sample_rate <= 0:
        raise MediaInputError("sample_rate must be positive")
    x = to_mono(samples)
    if not np.all(np.isfinite(x)):
        raise MediaInputError("audio contains non-finite samples")
    duration = x.size / float(sample_rate)
    if n_frames is None:
        n_frames = max(1, math.ceil(duration * fps))
    x = resample(x, sample_rate, ANALYSIS_SR)
    db = frame_rms_db(x, ANALYSIS_SR, hop_s=HOP_S, win_s=0.03).astype(np.float64)
    n = db.size
    if n == 0:
        zeros = np.zeros(n_frames, np.float32)
        return MouthTrack(
            fps=float(fps),
            opening=zeros,
            width=zeros + 0.5,
            rounding=zeros.copy(),
            emphasis=zeros.copy(),
        )
    db = gaussian_filter1d(db, 1.5)
    top = float(np.percentile(db, 97))
    floor = max(float(np.percentile(db, 10)), top - 50.0)
    gate = floor + GATE_DB if top - floor > 2 * GATE_DB else top - GATE_DB
    gate = max(gate, SILENCE_DBFS)
    spec = _spectral_features(x, n)
    opening = _opening(db, gate, spec)
    voiced = _rescale(db, gate, top) > 0.05  # implies db > gate
    centroid, low_share = spec.centroid, spec.low_share
    if voiced.sum() >= 5:
        c_lo, c_hi = np.percentile(centroid[voiced], [10, 90])
        # Rounding is a departure from the speaker's usual shape: from the median
        # voiced frame up (ranked from the 10th percentile, half of all speech rounded
        # the lips and "ee" read 0.37 against "oo" 0.70).
        l_lo, l_hi = np.percentile(low_share[voiced], [50, 90])
    else:
        c_lo, c_hi, l_lo, l_hi = 500.0, 2500.0, 0.3, 0.9
    spread = _rescale(np.log(centroid), math.log(c_lo), math.log(c_hi))
    packed = _rescale(low_share, l_lo, l_hi)
    width = np.where(voiced, 0.25 + 0.6 * spread, 0.5)
    rounding = np.where(voiced, np.clip(packed * (1.0 - spread) * 1.6, 0, 1), 0.0)
    local = uniform_filter1d(db, 100)  # 1 s running mean
    emphasis = np.where(voiced, _rescale(db - local, 2.0, 10.0), 0.0)
    opening = gaussian_filter1d(opening, 2.0)
    width = gaussian_filter1d(width, 3.0)
    rounding = gaussian_filter1d(rounding, 3.0)
    emphasis = gaussian_filter1d(emphasis, 4.0)
    return MouthTrack(
        fps=float(fps),
        opening=_to_frames(opening, fps, n_frames),
        width=_to_frames(width, fps, n_frames),
        rounding=_to_frames(rounding, fps, n_frames),
        emphasis=_to_frames(emphasis, fps, n_frames),
    )
