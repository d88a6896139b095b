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
