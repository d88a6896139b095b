"""A footage avatar's own audio-to-mouth model, learned at creation from its clip.

The engine's audio mouth track (``mouth_audio``: loudness and formant band) is the
same for every speaker; on the fixture clips it correlates only 0.23-0.64 with the
real openings. The clip itself holds both sides of the mapping for this person: its
sound and their tracked mouth. ``fit_mouth_model`` learns, by ridge regression (closed
form), the mouth's shape coordinates (opening, width, aspect: the bank's first three
``FEATURES``) from a context window of the clip's audio features around each frame's
own instant (``CONTEXT_S``: a little before, more ahead, as speakers shape a sound
before it is heard). Features per 10 ms: 8 log band energies (``footage_audio``,
normalised per recording), the loudness, the spectral flux, and the generic track's
opening, width and rounding, so the model can at least keep what the generic track
knows.

Everything the model decides is chosen inside the clip, by time-blocked
cross-validation (``FOLDS`` contiguous blocks, frames within the context's reach of a
block left out of its fit): the regularisation per output, its skill (out-of-fold R^2)
and the weight of the blend with the generic track's linear fit (the weight whose
out-of-fold error is least). A model without skill (out-of-fold R^2 of the opening
<= ``MIN_SKILL``, or a blend weight of 0) is not kept: the avatar then uses the generic track as
before. Stored as a few small arrays in ``footage.npz``; an avatar stored without one
behaves as before.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.ndimage import uniform_filter1d

from avatarmedia.audio import frame_rms_db, resample
from avatarmedia.footage_audio import HOP_S, RATE, band_energies

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]

MODEL_VERSION = 1
# Context around a frame's instant (s): the mouth leads its sound by up to ~0.3 s.
CONTEXT_S = (-0.12, -0.06, 0.0, 0.06, 0.12, 0.18, 0.24, 0.32)
TAP_S = 0.04  # each context tap averages this much sound
BAND_PAIRS = 8  # the 16 band energies averaged in pairs
BASE_COLUMN = BAND_PAIRS + 2  # the generic track's opening (tap 0)
PER_TAP = BAND_PAIRS + 5  # bands, loudness, flux, generic opening / width / rounding
OUTPUTS = 3  # opening, width, aspect (``footage.FEATURES[:3]``)
FOLDS = 5
LAMBDAS = tuple(float(v) for v in np.logspace(-1, 4, 11))
WEIGHTS = tuple(float(v) for v in np.linspace(0.0, 1.0, 11))
MIN_FRAMES = 50  # fewer frames with a mouth and sound: no model
# The least out-of-fold R^2 of the opening that counts as skill: a mouth unrelated to
# the sound reaches 0.01-0.03 by chance (tests/unit/media/test_footage_a2m.py).
MIN_SKILL = 0.1


def _hop_features(samples: npt.ArrayLike, sample_rate: int) -> FloatArray:
    """(m, PER_TAP) features every ``HOP_S``, each tap's window averaged."""
    from avatarmedia.mouth_audio import audio_mouth_track

    x = np.asarray(samples, np.float32).reshape(-1)
    bands = band_energies(x, sample_rate).astype(np.float64)
    m = bands.shape[0]
    pairs = bands[:, : 2 * BAND_PAIRS].reshape(m, BAND_PAIRS, 2).mean(axis=2)
    db = frame_rms_db(resample(x, sample_rate, RATE), RATE, hop_s=HOP_S).astype(np.float64)
    db = np.interp(np.arange(m), np.arange(db.size), db) if db.size else np.zeros(m)
    top, floor = np.percentile(db, 95), np.percentile(db, 10)
    loud = np.clip((db - floor) / max(top - floor, 1.0), -0.5, 1.5)
    flux = np.concatenate([[0.0], np.clip(np.diff(bands, axis=0), 0, None).mean(axis=1)])
    generic = audio_mouth_track(x, sample_rate, 1.0 / HOP_S, m)
    feats = np.column_stack(
        [pairs, loud, flux, generic.opening, generic.width, generic.rounding]
    ).astype(np.float64)
    out: FloatArray = uniform_filter1d(feats, max(1, round(TAP_S / HOP_S)), axis=0, mode="nearest")
    return out


def frame_features(
    samples: npt.ArrayLike, sample_rate: int, fps: float, n: int, offset_s: float = 0.0
) -> FloatArray:
    """(n, PER_TAP * len(CONTEXT_S)) the sound around each video frame's instant
    (frame i heard at ``i / fps + offset_s``)."""
    hop = _hop_features(samples, sample_rate)
    t = np.arange(n) / fps + offset_s
    idx = np.round((t[:, None] + np.array(CONTEXT_S)[None, :]) / HOP_S).astype(int)
    idx = np.clip(idx, 0, len(hop) - 1)
    out: FloatArray = hop[idx].reshape(n, -1)
    return out


def _base(x: FloatArray) -> FloatArray:
    """The generic track's opening at each frame's own instant (tap 0)."""
    out: FloatArray = x[:, CONTEXT_S.index(0.0) * PER_TAP + BASE_COLUMN]
    return out


@dataclass
class MouthModel:
    """The ridge model and its blend (see the module docstring)."""

    mean: FloatArray  # (F,) feature means
    scale: FloatArray  # (F,) feature spreads
    coef: FloatArray  # (F, OUTPUTS) on standardised features
    intercept: FloatArray  # (OUTPUTS,)
    base: FloatArray  # (2,) the generic opening's linear fit: a + b * opening
    weight: float  # the model's share of the opening blend (the rest: ``base``)
    skill: FloatArray  # (OUTPUTS,) out-of-fold R^2 of the model
    base_skill: float  # out-of-fold R^2 of the generic opening's linear fit
    lambdas: FloatArray  # (OUTPUTS,) chosen regularisation

    def to_arrays(self) -> dict[str, Any]:
        """The arrays stored in ``footage.npz`` (prefixed ``a2m_``)."""
        f32 = np.float32
        return {
            "a2m_version": np.array(MODEL_VERSION),
            "a2m_mean": self.mean.astype(f32),
            "a2m_scale": self.scale.astype(f32),
            "a2m_coef": self.coef.astype(f32),
            "a2m_intercept": self.intercept.astype(f32),
            "a2m_base": self.base.astype(f32),
            "a2m_blend": np.array([self.weight, self.base_skill], f32),
            "a2m_skill": self.skill.astype(f32),
            "a2m_lambdas": self.lambdas.astype(f32),
        }

    @classmethod
    def from_arrays(cls, z: Any) -> MouthModel | None:
        """The model stored by ``to_arrays`` in ``z`` (an npz), or None when there is
        none or it was made for other features (the avatar then uses the generic track)."""
        if "a2m_version" not in getattr(z, "files", ()):
            return None
        get = z.__getitem__
        if int(get("a2m_version")) != MODEL_VERSION:
            return None
        f64 = np.float64
        blend = get("a2m_blend").astype(f64)
        return cls(
            mean=get("a2m_mean").astype(f64),
            scale=get("a2m_scale").astype(f64),
            coef=get("a2m_coef").astype(f64),
            intercept=get("a2m_intercept").astype(f64),
            base=get("a2m_base").astype(f64),
            weight=float(blend[0]),
            skill=get("a2m_skill").astype(f64),
            base_skill=float(blend[1]),
            lambdas=get("a2m_lambdas").astype(f64),
        )

    def predict(self, x: FloatArray) -> FloatArray:
        """(n, OUTPUTS) the model's shapes for features ``x`` (``frame_features``)."""
        out: FloatArray = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return out

    def opening(self, x: FloatArray) -> FloatArray:
        """The blended opening (inner-lip gap / inter-ocular distance) per frame."""
        base = self.base[0] + self.base[1] * _base(x)
        out: FloatArray = self.weight * self.predict(x)[:, 0] + (1.0 - self.weight) * base
        return out


def _ridge_paths(x: FloatArray, y: FloatArray, xt: FloatArray) -> npt.NDArray[np.float64]:
    """(len(LAMBDAS), len(xt), OUTPUTS): ridge predictions at ``xt`` for every lambda
    (x standardised by the caller; intercept from the means)."""
    xm, ym = x.mean(axis=0), y.mean(axis=0)
    u, s, vt = np.linalg.svd(x - xm, full_matrices=False)
    uy = u.T @ (y - ym)
    xtv = (xt - xm) @ vt.T
    out = np.empty((len(LAMBDAS), len(xt), y.shape[1]))
    for i, lam in enumerate(LAMBDAS):
        out[i] = xtv @ ((s / (s * s + lam * len(x)))[:, None] * uy) + ym
    return out


def _linear_fit(v: FloatArray, y: FloatArray) -> tuple[float, float]:
    """Least-squares a, b of y ~ a + b * v."""
    if np.ptp(v) < 1e-9:
        return float(y.mean()), 0.0
    b, a = np.polyfit(v, y, 1)
    return float(a), float(b)


def _r2(pred: FloatArray, y: FloatArray) -> FloatArray:
    sst = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    out: FloatArray = 1.0 - ((pred - y) ** 2).sum(axis=0) / np.maximum(sst, 1e-12)
    return out


@dataclass(frozen=True)
class MouthFit:
    """What ``fit_mouth_model`` found: the model (None when it has no skill) and its
    cross-validated figures (for the avatar's ``info``)."""

    model: MouthModel | None
    skill: tuple[float, ...]  # out-of-fold R^2 per output
    base_skill: float  # out-of-fold R^2 of the generic opening's linear fit
    weight: float  # blend weight with the least out-of-fold error
    frames: int

    def info(self) -> dict[str, object]:
        return {
            "kept": self.model is not None,
            "frames": self.frames,
            "cv_r2": [round(v, 3) for v in self.skill],
            "cv_r2_generic": round(self.base_skill, 3),
            "weight": round(self.weight, 2),
        }


def fit_mouth_model(x: FloatArray, y: FloatArray, guard: int, folds: int = FOLDS) -> MouthFit:
    """The model of shapes ``y`` (m, OUTPUTS) from features ``x`` (m, F) of frames in
    time order (``guard``: frames either side of a held-out block left out of its fit,
    the context's reach). Its model is None when the clip gives too few frames or the
    opening has no out-of-fold skill (R^2 <= ``MIN_SKILL``, or the best blend gives it
    no weight)."""
    m = len(x)
    none = MouthFit(None, (), float("nan"), 0.0, m)
    if m < MIN_FRAMES:
        return none
    mean = x.mean(axis=0)
    scale = np.maximum(x.std(axis=0), 1e-3)
    xs = (x - mean) / scale
    base_v = _base(x)
    oof = np.empty((len(LAMBDAS), m, y.shape[1]))
    base_oof = np.empty(m)
    for block in np.array_split(np.arange(m), folds):
        lo, hi = int(block[0]), int(block[-1])
        train = np.r_[0 : max(0, lo - guard), min(m, hi + 1 + guard) : m]
        if len(train) < MIN_FRAMES // 2:
            return none
        oof[:, block] = _ridge_paths(xs[train], y[train], xs[block])
        a, b = _linear_fit(base_v[train], y[train, 0])
        base_oof[block] = a + b * base_v[block]
    sse = ((oof - y[None]) ** 2).sum(axis=1)  # (lambdas, outputs)
    pick = np.argmin(sse, axis=0)
    best = np.stack([oof[pick[k], :, k] for k in range(y.shape[1])], axis=1)
    skill = _r2(best, y)
    base_skill = float(_r2(base_oof[:, None], y[:, :1])[0])
    blend = [((w * best[:, 0] + (1 - w) * base_oof - y[:, 0]) ** 2).sum() for w in WEIGHTS]
    weight = WEIGHTS[int(np.argmin(blend))]
    log.info(
        "audio-to-mouth model: out-of-fold R2 %s (generic track %.3f), blend weight %.1f",
        np.round(skill, 3).tolist(),
        base_skill,
        weight,
    )
    figures = (tuple(float(v) for v in skill), base_skill, float(weight), m)
    if skill[0] <= MIN_SKILL or weight <= 0.0:
        return MouthFit(None, *figures)
    lambdas = np.array([LAMBDAS[int(i)] for i in pick])
    xm, ym = xs.mean(axis=0), y.mean(axis=0)
    u, s, vt = np.linalg.svd(xs - xm, full_matrices=False)
    uy = u.T @ (y - ym)
    coef = np.stack(
        [vt.T @ ((s / (s * s + lambdas[k] * m)) * uy[:, k]) for k in range(y.shape[1])], axis=1
    )
    a, b = _linear_fit(base_v, y[:, 0])
    model = MouthModel(
        mean=mean,
        scale=scale,
        coef=coef,
        intercept=ym - xm @ coef,
        base=np.array([a, b]),
        weight=float(weight),
        skill=skill,
        base_skill=base_skill,
        lambdas=lambdas,
    )
    return MouthFit(model, *figures)


def guard_frames(fps: float) -> int:
    """Frames either side of a cross-validation block whose context reaches into it."""
    reach = max(abs(c) for c in CONTEXT_S) + TAP_S
    return math.ceil(reach * fps)
