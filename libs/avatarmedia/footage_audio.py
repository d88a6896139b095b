"""What the speaker's mouth did for each sound: audio features for the mouth bank.

A footage avatar's clip pairs every mouth sample with the sound around it. Indexing the
samples by that sound lets bring-your-own audio pick the mouth this very speaker made
for a similar sound, with their own timing (real speakers open the mouth up to ~0.3 s
before the sound; a context window reaching ahead captures that). Features: log
energies in ``BANDS`` log-spaced bands every 10 ms, normalised per recording (mean and
spread per band), so a different microphone or level compares fairly.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import numpy.typing as npt
from scipy import signal

from avatarmedia.audio import resample

FloatArray = npt.NDArray[np.float32]

RATE = 16000
HOP_S = 0.01
BANDS = 16
# Context around a frame, in seconds: a little before, more ahead (the mouth leads).
CONTEXT_S = (-0.12, -0.06, 0.0, 0.04, 0.08, 0.12, 0.16, 0.2, 0.24, 0.28, 0.32)


def band_energies(samples: npt.ArrayLike, sample_rate: int) -> FloatArray:
    """(n, BANDS) normalised log band energies every ``HOP_S``."""
    x = resample(np.asarray(samples, np.float32).reshape(-1), sample_rate, RATE)
    hop = round(RATE * HOP_S)
    if x.size < 4 * hop:
        x = np.concatenate([x, np.zeros(4 * hop - x.size, np.float32)])
    _f, _t, z = signal.stft(
        x, RATE, nperseg=4 * hop, noverlap=3 * hop, boundary="even", padded=True
    )
    power = np.abs(z) ** 2
    freqs = np.linspace(0, RATE / 2, power.shape[0])
    edges = np.geomspace(90.0, 7000.0, BANDS + 1)
    bands = np.stack(
        [power[(freqs >= lo) & (freqs < hi)].sum(axis=0) for lo, hi in pairwise(edges)], axis=1
    )
    logs = np.log(bands + 1e-9)
    logs -= logs.mean(axis=0)
    logs /= logs.std(axis=0) + 1e-3
    out: FloatArray = logs.astype(np.float32)
    return out


def context(energies: FloatArray, times_s: npt.ArrayLike) -> FloatArray:
    """(len(times), BANDS * len(CONTEXT_S)): the energies around each instant."""
    t = np.asarray(times_s, np.float64)
    idx = np.round((t[:, None] + np.array(CONTEXT_S)[None, :]) / HOP_S).astype(int)
    idx = np.clip(idx, 0, len(energies) - 1)
    out: FloatArray = energies[idx].reshape(len(t), -1)
    return out


# The clip's own audio/video offset ------------------------------------------------

MAX_OFFSET_S = 0.5
MIN_SYNC_R = 0.3
MIN_SYNC_S = 3.0
DETREND_S = 0.5


def _detrend(x: npt.NDArray[np.float64], width: int) -> npt.NDArray[np.float64]:
    """``x`` minus its moving average over ``width`` frames: only syllable-rate motion
    is left (a smile held through a pause or a slow level change would otherwise
    dominate the correlation)."""
    pad = np.pad(x, width, mode="edge")
    mean = np.convolve(pad, np.ones(width) / width, mode="same")[width:-width]
    out: npt.NDArray[np.float64] = x - mean
    return out


def _pearson(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float:
    if len(a) < 10 or a.std() < 1e-9 or b.std() < 1e-9:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def av_offset(
    opening: npt.ArrayLike, loudness_db: npt.ArrayLike, fps: float
) -> tuple[float, float]:
    """How many seconds the clip's audio trails its video (negative: it leads), and the
    correlation found there; ``(0.0, r)`` when the clip does not tell.

    The mouth opening (one value per frame) and the loudness (dB per frame) are both
    detrended (``DETREND_S``) and correlated at every lag within ``MAX_OFFSET_S``; the
    best lag is kept when its r reaches ``MIN_SYNC_R`` on at least ``MIN_SYNC_S`` of
    clip. Phone and screen recordings often carry 100-400 ms of offset (the fixture
    clips ~300 ms); a mouth bank labelled with the sound of the wrong instant teaches
    the avatar to open its mouth at the wrong sound.
    """
    op = np.asarray(opening, np.float64)
    db = np.asarray(loudness_db, np.float64)
    n = min(len(op), len(db))
    if n < MIN_SYNC_S * fps or not np.isfinite(op[:n]).all():
        return 0.0, float("nan")
    width = max(3, round(DETREND_S * fps) | 1)
    o, e = _detrend(op[:n], width), _detrend(db[:n], width)
    best_lag, best_r = 0, -2.0
    span = round(MAX_OFFSET_S * fps)
    for lag in range(-span, span + 1):
        # mouth at t against the sound at t + lag
        r = _pearson(o[: n - lag], e[lag:]) if lag >= 0 else _pearson(o[-lag:], e[:lag])
        if np.isfinite(r) and r > best_r:
            best_lag, best_r = lag, r
    if best_r < MIN_SYNC_R:
        return 0.0, best_r
    return best_lag / fps, best_r
