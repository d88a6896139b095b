"""Audio-video offset of a talking-head clip, estimated from the speaker's own mouth.

Talking-head data sets (LRS, VoxCeleb, HDTF) are cleaned with SyncNet: for every
candidate offset within +-0.5 s it scores how well the mouth and the sound agree,
picks the best offset and calls ``median score - best score`` the confidence; clips
with a low confidence are not corrected (or are dropped). No learned model is available
here, so the agreement is three hand-made cues, each a Pearson correlation between a
mouth series and an audio series at every candidate offset (whole frames, the peak
refined to a sub-frame offset by a parabola through it and its two neighbours):

* **level**: the inner-lip gap against the formant-band opening of ``mouth_audio``
  (the jaw lets F1 into 500-2500 Hz), both band-passed (difference of Gaussians,
  sigma 1 and 5 frames: syllable rate, 2-10 Hz, where audio-visual speech correlates
  best, and slow drifts such as a smile out). Weighted to frames where the audio
  speaks (and two frames either side): in pauses people breathe through an open mouth,
  which says nothing about the offset;
* **motion vs onsets**: how fast the 40 lip points move (IOD per frame) against the
  positive spectral flux (sound onsets in 24 log bands, 100-6000 Hz);
* **motion vs articulation**: the same lip speed against the change of the formant-
  band opening. Mouths move when the sound changes, whether or not the mouth is open.

The three curves are averaged: each cue alone picks a wrong peak on one fixture clip
(an open mouth in pauses, a mouth that moves without changing its gap), together they
agree with what the frames show (see docs/video.md, "A/V offset").

Sign: ``offset_s`` > 0 means the audio trails the video (the sound of a mouth movement
comes that much later); ``align_audio`` moves the audio earlier by it. A real speaker's
natural lead (lips shape a sound some tens of ms before it is heard) is part of what
the estimate removes, as with SyncNet.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt
from scipy.ndimage import binary_dilation, gaussian_filter1d

from avatarmedia.audio import resample, to_mono
from avatarmedia.mouth_audio import audio_mouth_track
from avatarmedia.reenact import MouthObservation

MAX_OFFSET_S = 0.5
# Below this an estimate is reported but not applied. Unrelated mouth/audio pairs (12
# made-up pairs, and the fixture clips' mouths against each other's audio and reversed in
# time: 12 more) reach 0.05-0.27; a clip's own mouth with a visible offset 0.35.
MIN_CONFIDENCE = 0.3
MIN_FRAMES = 25  # fewer frames with a mouth on both sides: no estimate
SPEECH_OPENING = 0.05  # formant-band opening above which a frame counts as speech
SPEECH_MARGIN_FRAMES = 2
BAND_SIGMAS = (1.0, 5.0)  # frames: the band-pass of the level cue
MOTION_SIGMA = 1.5  # frames: smoothing of the motion cues
FLUX_SR = 16000
FLUX_HOP = 160  # 10 ms
FLUX_WIN = 400  # 25 ms
FLUX_BANDS = 24
FLUX_RANGE_HZ = (100.0, 6000.0)
FLUX_FLOOR_DB = 60.0

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class AVOffset:
    """The estimated offset, its SyncNet-style confidence and the score per offset."""

    offset_s: float  # > 0: the audio trails the video by this much
    confidence: float  # best score minus the median score over all offsets
    score: float  # the best (averaged) correlation
    offsets_s: FloatArray  # candidate offsets, same sign convention
    scores: FloatArray  # averaged correlation per candidate

    @property
    def reliable(self) -> bool:
        return math.isfinite(self.confidence) and self.confidence >= MIN_CONFIDENCE

    @property
    def applied_s(self) -> float:
        """The offset to correct by: the estimate when reliable, else none."""
        return self.offset_s if self.reliable else 0.0


# ------------------------------------------------------------------ series


def mouth_series(observations: Sequence[MouthObservation | None]) -> tuple[FloatArray, FloatArray]:
    """Inner-lip gap and lip speed (mean movement of the 40 canonical lip points from
    the previous frame, IOD units) per frame; NaN where there is no mouth."""
    n = len(observations)
    opening = np.full(n, np.nan)
    lips = np.full((n, 40, 2), np.nan)
    for i, o in enumerate(observations):
        if o is not None:
            opening[i] = o.opening
            lips[i] = o.lips
    speed = np.full(n, np.nan)
    if n > 1:
        speed[1:] = np.linalg.norm(np.diff(lips, axis=0), axis=2).mean(axis=1)
    return opening, speed


def spectral_flux(samples: npt.ArrayLike, sample_rate: int, fps: float, n: int) -> FloatArray:
    """Positive spectral flux (sum of level rises over log bands, dB) per video frame."""
    x = resample(to_mono(samples), sample_rate, FLUX_SR).astype(np.float64)
    hops = max(1, x.size // FLUX_HOP)
    pad = np.pad(x, (FLUX_WIN // 2, FLUX_WIN))
    idx = np.arange(FLUX_WIN)[None, :] + FLUX_HOP * np.arange(hops)[:, None]
    power = np.abs(np.fft.rfft(pad[idx] * np.hanning(FLUX_WIN), 512, axis=1)) ** 2
    freqs = np.fft.rfftfreq(512, 1.0 / FLUX_SR)
    edges = np.geomspace(*FLUX_RANGE_HZ, FLUX_BANDS + 1)
    bands = np.stack(
        [power[:, (freqs >= lo) & (freqs < hi)].sum(axis=1) for lo, hi in pairwise(edges)], axis=1
    )
    level = 10.0 * np.log10(bands + 1e-12)
    level = np.maximum(level, level.max() - FLUX_FLOOR_DB)
    rise = np.clip(np.diff(level, axis=0, prepend=level[:1]), 0.0, None).sum(axis=1)
    t = (np.arange(n) + 0.5) / fps * (FLUX_SR / FLUX_HOP)
    out: FloatArray = np.interp(t, np.arange(rise.size), gaussian_filter1d(rise, 2.0))
    return out


def _filled(x: FloatArray) -> FloatArray:
    ok = np.isfinite(x)
    return np.where(ok, x, float(np.median(x[ok])) if ok.any() else 0.0)


def _band(x: FloatArray) -> FloatArray:
    f = _filled(x)
    lo, hi = BAND_SIGMAS
    out: FloatArray = gaussian_filter1d(f, lo) - gaussian_filter1d(f, hi)
    return out


def _smooth(x: FloatArray) -> FloatArray:
    out: FloatArray = gaussian_filter1d(_filled(x), MOTION_SIGMA)
    return out


# ------------------------------------------------------------------ scoring


def _weighted_r(a: FloatArray, b: FloatArray, w: FloatArray) -> float:
    if (w > 0).sum() < MIN_FRAMES or w.sum() <= 0:
        return float("nan")
    da = a - np.average(a, weights=w)
    db = b - np.average(b, weights=w)
    den = math.sqrt(float(np.sum(w * da * da) * np.sum(w * db * db)))
    return float(np.sum(w * da * db) / den) if den > 1e-12 else 0.0


def lag_scores(
    video: FloatArray, audio: FloatArray, weight: FloatArray, max_lag: int
) -> FloatArray:
    """Weighted Pearson r of video(t + lag) with audio(t) for lag in -max_lag..max_lag
    (frames; a positive lag: the video trails the audio). ``weight`` goes with the
    audio (it marks where the audio speaks); NaN video frames weigh nothing."""
    valid = np.isfinite(video).astype(np.float64)
    v = _filled(video)
    out = np.full(2 * max_lag + 1, np.nan)
    n = len(v)
    for k, lag in enumerate(range(-max_lag, max_lag + 1)):
        if lag >= 0:
            vs, ws, a_, w_ = v[lag:], valid[lag:], audio[: n - lag], weight[: n - lag]
        else:
            vs, ws, a_, w_ = v[:lag], valid[:lag], audio[-lag:], weight[-lag:]
        out[k] = _weighted_r(vs, a_, w_ * ws)
    return out


def _peak(scores: FloatArray) -> tuple[int, float]:
    """Index of the best score and its parabolic sub-frame refinement (in frames)."""
    k = int(np.nanargmax(scores))
    if 0 < k < len(scores) - 1 and np.all(np.isfinite(scores[k - 1 : k + 2])):
        y0, y1, y2 = scores[k - 1], scores[k], scores[k + 1]
        den = y0 - 2 * y1 + y2
        if den < 0:
            return k, float(np.clip(0.5 * (y0 - y2) / den, -0.5, 0.5))
    return k, 0.0


def estimate_av_offset(
    opening: FloatArray,
    lip_speed: FloatArray,
    samples: npt.ArrayLike,
    sample_rate: int,
    fps: float,
    max_offset_s: float = MAX_OFFSET_S,
) -> AVOffset:
    """The audio's offset against the mouth (see the module docstring)."""
    n = len(opening)
    max_lag = max(1, round(max_offset_s * fps))
    lags = np.arange(-max_lag, max_lag + 1)
    nan = np.full(len(lags), np.nan)
    if np.isfinite(opening).sum() < MIN_FRAMES:
        return AVOffset(float("nan"), float("nan"), float("nan"), -lags / fps, nan)
    formant = audio_mouth_track(samples, sample_rate, fps, n).opening.astype(np.float64)
    flux = spectral_flux(samples, sample_rate, fps, n)
    speaking = binary_dilation(formant > SPEECH_OPENING, iterations=SPEECH_MARGIN_FRAMES)
    everywhere = np.ones(n)
    articulation = np.abs(np.diff(formant, prepend=formant[:1]))
    gap = np.where(np.isfinite(opening), _band(opening), np.nan)
    speed = np.where(np.isfinite(lip_speed), _smooth(lip_speed), np.nan)
    curves = [
        lag_scores(gap, _band(formant), speaking.astype(np.float64), max_lag),
        lag_scores(speed, _smooth(flux), everywhere, max_lag),
        lag_scores(speed, _smooth(articulation), everywhere, max_lag),
    ]
    scores = np.nanmean(np.vstack(curves), axis=0) if any(np.isfinite(curves[0])) else nan
    offsets = -lags / fps  # video trails the audio by lag  <=>  audio is early
    if not np.isfinite(scores).any():
        return AVOffset(float("nan"), float("nan"), float("nan"), offsets, scores)
    k, frac = _peak(scores)
    best = float(scores[k])
    return AVOffset(
        offset_s=-(lags[k] + frac) / fps,
        confidence=best - float(np.nanmedian(scores)),
        score=best,
        offsets_s=offsets,
        scores=scores,
    )


def estimate_from_observations(
    observations: Sequence[MouthObservation | None],
    samples: npt.ArrayLike,
    sample_rate: int,
    fps: float,
    max_offset_s: float = MAX_OFFSET_S,
) -> AVOffset:
    """``estimate_av_offset`` from ``reenact.observe_mouths`` output (the real frames)."""
    opening, speed = mouth_series(observations)
    return estimate_av_offset(opening, speed, samples, sample_rate, fps, max_offset_s)


def estimate_clip_offset(
    frames: Sequence[np.ndarray],
    samples: npt.ArrayLike,
    sample_rate: int,
    fps: float,
    max_offset_s: float = MAX_OFFSET_S,
) -> AVOffset:
    """The offset of a clip from its frames and audio (runs the face mesh per frame:
    about 20-40 ms a frame on one CPU core)."""
    from avatarmedia.reenact import observe_mouths

    return estimate_from_observations(
        observe_mouths(frames), samples, sample_rate, fps, max_offset_s
    )


def align_audio(samples: npt.ArrayLike, sample_rate: int, offset_s: float) -> np.ndarray:
    """The audio moved ``offset_s`` earlier (later when negative), same length, the gap
    at the end (start) filled with silence: in sync with the video afterwards."""
    x = np.asarray(samples, np.float32)
    k = round(offset_s * sample_rate)
    if k == 0 or x.shape[0] == 0:
        return x.copy()
    out = np.zeros_like(x)
    if k > 0:
        out[: max(0, x.shape[0] - k)] = x[k:]
    else:
        out[-k:] = x[: x.shape[0] + k]
    return out
