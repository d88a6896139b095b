"""The mouth of a footage avatar: pick a real sample per frame, place it, blend it.

``select_samples`` turns the speech's mouth track into target shapes in the clip's own
range (a closed mouth is the clip's most closed, a wide one its widest) and runs a
Viterbi pass over the nearest samples of each frame: the cost is the shape mismatch
plus a switch cost, and continuing along the clip's own consecutive frames is free, so
the mouth moves as the person's mouth really moved and does not flicker.

``MouthCompositor`` warps the chosen sample onto the frame's face along the mesh (an
affine fit on the landmarks that do not move with the jaw, shifted so the two lower
noses coincide, then a thin-plate bend that puts every anchor landmark -- the stable
ones, the lower nose's outline, the jaw's rear -- exactly on the frame's), matches its
colour and light to the frame over the blend ring (mean and spread per channel,
smoothed over time), sharpens it to the frame's own fine detail there (the sample has
been resampled twice and JPEG-coded: it is softer than the skin around it) and blends
it through a mask feathered inside the cheeks and below the chin and held off the
nose: no pixel of the sample lands on the frame's nostrils, where a sample a pixel off
ghosts as a doubled, greyed band.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np
import numpy.typing as npt

from avatarmedia import face as fm
from avatarmedia.footage import Footage, interocular
from avatarmedia.footage_a2m import frame_features
from avatarmedia.footage_audio import band_energies, context
from avatarmedia.tracks import MouthTrack

FloatArray = npt.NDArray[np.float32]
ImageArray = npt.NDArray[np.uint8]

CANDIDATES = 14
SHAPE_WEIGHT_WITH_SOUND = 0.5
SPEECH_OPENING = 0.04
QUANTILE_LOW, QUANTILE_HIGH = 0.05, 0.98
SWITCH_COST = 0.35
HOLD_COST = 0.08
BEND_GRID = 32  # the thin-plate bend is evaluated on this many points a side
# The nose guard: 0 up to this share of the way from the lower nose to the mouth, 1
# from the second share on, smooth in between.
GUARD_FROM, GUARD_TO = 0.15, 0.6
# The jaw warp's reach: none up to this share of the way from the lower nose and upper
# lip to the jaw line, all of it from the second share on.
JAW_REACH_FROM, JAW_REACH_TO = 0.2, 0.5
SHARPEN_CAP = 1.5  # the most unsharp-mask amount a sample gets
SHARPEN_SIGMA = 1.0  # px: the fine detail measured and restored
# The frame's fine detail the jaw warp's bilinear resampling is taken to keep at least
# (amplitude share), and the mask over which its restoration fades in from nothing.
KEPT_FLOOR, FRAME_KEPT_FADE = 0.6, 0.05
# Viseme -> extra wishes: (teeth share target or None, thickness quantile or None).
_VISEME_WISH: dict[str, tuple[float | None, float | None]] = {
    "MBP": (0.0, 0.15),
    "FV": (0.6, None),
    "TH": (0.4, None),
    "E": (0.4, None),
    "AI": (0.3, None),
    "rest": (0.0, None),
    "sil": (0.0, None),
}


@dataclass
class Targets:
    """Target features per output frame and per-feature weights (n, F)."""

    values: FloatArray
    weights: FloatArray
    silent: npt.NDArray[np.bool_]


def bank_scales(features: FloatArray) -> FloatArray:
    """Spread of each feature over the bank (for comparing in common units)."""
    spread = np.percentile(features, 90, axis=0) - np.percentile(features, 10, axis=0)
    out: FloatArray = np.maximum(spread, 1e-3).astype(np.float32)
    return out


def targets_for(
    track: MouthTrack,
    features: FloatArray,
    speaking_gaps: FloatArray | None = None,
    smile: float = 0.0,
    mouth_gain: float = 1.0,
) -> Targets:
    """Map a mouth track (values in [0, 1]) into the clip's own feature range
    (``smile``: the hint's extra width, 0..1; ``mouth_gain`` scales the track)."""
    q = {p: np.percentile(features, p, axis=0) for p in (3, 15, 50, 95, 97)}
    n = track.n_frames
    opening = np.clip(np.asarray(track.opening, np.float64) * mouth_gain, 0, 1)
    width = np.clip(np.asarray(track.width, np.float64), 0, 1)
    rounding = np.clip(np.asarray(track.rounding, np.float64), 0, 1)
    values = np.zeros((n, features.shape[1]), np.float64)
    weights = np.zeros_like(values)
    values[:, 0] = opening_targets(opening, features[:, 0], speaking_gaps)
    weights[:, 0] = 1.0
    wide = width >= 0.5
    values[:, 1] = np.where(
        wide,
        q[50][1] + (width - 0.5) * 2 * (q[95][1] - q[50][1]),
        q[50][1] + (width - 0.5) * 2 * (q[50][1] - q[3][1]),
    )
    values[:, 1] -= rounding * 0.5 * (q[50][1] - q[3][1])
    values[:, 1] += smile * (q[97][1] - q[50][1])
    weights[:, 1] = 0.5
    values[:, 2] = q[50][2] + rounding * (q[95][2] - q[50][2])
    weights[:, 2] = 0.25
    visemes = track.visemes or []
    silent = opening < SPEECH_OPENING
    for t in range(n):
        wish = _VISEME_WISH.get(visemes[t]) if visemes else None
        if wish is None:
            continue
        teeth, thick = wish
        if teeth is not None:
            values[t, 3], weights[t, 3] = teeth, 0.3
        if thick is not None:
            values[t, 4], weights[t, 4] = np.percentile(features[:, 4], 100 * thick), 0.5
        if visemes[t] in ("rest", "sil"):
            silent[t] = True
    return Targets(values.astype(np.float32), weights.astype(np.float32), silent)


def sound_cost(
    footage: Footage, audio: tuple[npt.ArrayLike, int], n: int, out_fps: float
) -> npt.NDArray[np.float64] | None:
    """(n, bank) how unlike each sample's sound (with its context) the drive audio is
    around each output frame, each row scaled by its median; None without clip audio."""
    if footage.clip_audio.shape[0] == 0:
        return None
    drive = band_energies(*audio)
    q = context(drive, np.arange(n) / out_fps).astype(np.float64)
    # Each sample is labelled with the sound of its own instant: recorded offset later.
    heard = footage.bank_source / footage.fps + float(footage.info.get("av_offset_s", 0.0))
    b = context(footage.clip_audio, heard).astype(np.float64)
    d = ((q * q).sum(axis=1)[:, None] + (b * b).sum(axis=1)[None, :] - 2 * q @ b.T) / q.shape[1]
    d = np.maximum(d, 0.0)
    out: npt.NDArray[np.float64] = d / (np.median(d, axis=1, keepdims=True) + 1e-6)
    return out


def opening_targets(
    opening: npt.NDArray[np.float64], gaps: FloatArray, speaking_gaps: FloatArray | None = None
) -> npt.NDArray[np.float64]:
    """Target inner-lip gap per frame, in this person's own distribution.

    Silence is the clip's closed mouth. In speech the track's openings are ranked and
    given the gaps this person showed while speaking (``speaking_gaps``, the bank's
    samples the clip's audio heard as speech; all samples when too few) at the same
    ranks: quantile mapping, so the avatar opens as often and as wide as the person did
    (a track's absolute scale says nothing about this speaker's jaw: the same track
    asks 0.07 of one face and 0.3 of another).
    """
    out = np.full(len(opening), float(np.percentile(gaps, 3)))
    speech = opening >= SPEECH_OPENING
    pool = speaking_gaps if speaking_gaps is not None and len(speaking_gaps) >= 12 else gaps
    if speech.sum() >= 5:
        rank = (np.argsort(np.argsort(opening[speech])) + 0.5) / speech.sum()
        out[speech] = np.quantile(pool, QUANTILE_LOW + (QUANTILE_HIGH - QUANTILE_LOW) * rank)
    return out


@dataclass
class LearnedShapes:
    """The avatar's own model's mouth for drive audio (``footage_a2m``)."""

    opening: FloatArray  # the track's opening (0..1) with the model's in speech
    shapes: FloatArray  # (n, 3) the model's opening, width, aspect (bank units)
    skill: FloatArray  # (3,) out-of-fold R^2 of each


def learned_shapes(
    footage: Footage, track: MouthTrack, audio: tuple[npt.ArrayLike, int], out_fps: float
) -> LearnedShapes | None:
    """The mouth the avatar's own audio-to-mouth model gives for the drive ``audio``
    (None without a model). The opening is put on the track's 0..1 scale between the
    clip's closed mouth (3rd percentile of the bank's gaps, what silence shows) and its
    widest speaking one (98th); silence stays where the track has it (no sound, closed
    mouth), and in speech the model's opening replaces the track's."""
    model = footage.mouth_model
    if model is None:
        return None
    n = track.n_frames
    x = frame_features(audio[0], audio[1], out_fps, n)
    shapes = model.predict(x)
    gap = model.opening(x)
    gaps = footage.bank_features[:, 0]
    talking = gaps[footage.bank_speaking] if footage.bank_speaking.sum() >= 12 else gaps
    closed, wide = float(np.percentile(gaps, 3)), float(np.percentile(talking, 98))
    scaled = np.clip((gap - closed) / max(wide - closed, 1e-3), SPEECH_OPENING, 1.0)
    base = np.asarray(track.opening, np.float64)
    opening = np.where(base < SPEECH_OPENING, base, scaled).astype(np.float32)
    return LearnedShapes(opening, shapes.astype(np.float32), model.skill.astype(np.float32))


def select_samples(
    footage: Footage,
    track: MouthTrack,
    out_fps: float,
    audio: tuple[npt.ArrayLike, int] | None = None,
    smile: float = 0.0,
    mouth_gain: float = 1.0,
) -> npt.NDArray[np.int32]:
    """The bank sample shown at each output frame (Viterbi over the nearest samples).

    With the drive ``audio`` and no visemes (bring-your-own audio), samples whose own
    sound matches the drive audio's are preferred as much as the shape match: the
    speaker's own mouth for such a sound, with their own timing; and when the avatar
    has its own audio-to-mouth model (``learned_shapes``), its opening replaces the
    track's in speech and its width and aspect, where it has out-of-fold skill, the
    track's targets.
    """
    feats = footage.bank_features
    scale = bank_scales(feats)
    learned = (
        learned_shapes(footage, track, audio, out_fps) if audio and not track.visemes else None
    )
    if learned is not None:
        track = replace(track, opening=learned.opening)
    tg = targets_for(track, feats, feats[footage.bank_speaking, 0], smile, mouth_gain)
    if learned is not None:
        for k in (1, 2):
            if learned.skill[k] > 0:
                tg.values[:, k] = np.where(tg.silent, tg.values[:, k], learned.shapes[:, k])
        wide = np.percentile(feats[:, 1], 97) - np.percentile(feats[:, 1], 50)
        if learned.skill[1] > 0 and smile:
            tg.values[:, 1] += np.where(tg.silent, 0.0, smile * wide)
    n, nb = track.n_frames, footage.n_bank
    k = min(CANDIDATES, nb)
    d = ((feats[None, :, :] - tg.values[:, None, :]) / scale) ** 2
    unary = (d * tg.weights[:, None, :]).sum(axis=2)
    sound = sound_cost(footage, audio, n, out_fps) if audio and not track.visemes else None
    if sound is not None:
        unary = SHAPE_WEIGHT_WITH_SOUND * unary + sound
    # In silence, samples the clip's audio heard as silence look most at rest.
    unary += np.where(tg.silent[:, None], 0.3 * footage.bank_speaking[None, :], 0.0)
    cand = (
        np.argpartition(unary, k - 1, axis=1)[:, :k] if k < nb else np.tile(np.arange(nb), (n, 1))
    )
    cu = np.take_along_axis(unary, cand, axis=1)
    step = footage.fps / out_fps
    src = footage.bank_source.astype(np.float64)
    stride = max(1.0, float(footage.info.get("mesh_stride", 1)))
    cost = cu[0].copy()
    back = np.zeros((n, k), np.int32)
    for t in range(1, n):
        prev, cur = cand[t - 1], cand[t]
        ds = src[cur][None, :] - src[prev][:, None]
        follow = (ds > 0) & (ds <= max(step, stride) + 1.01)
        shape = (((feats[cur][None, :, :] - feats[prev][:, None, :]) / scale) ** 2).sum(axis=2)
        trans = np.where(follow, 0.0, SWITCH_COST + 0.15 * shape)
        trans = np.where(prev[:, None] == cur[None, :], HOLD_COST, trans)
        total = cost[:, None] + trans
        back[t] = np.argmin(total, axis=0)
        cost = total[back[t], np.arange(k)] + cu[t]
    path = np.zeros(n, np.int32)
    j = int(np.argmin(cost))
    for t in range(n - 1, -1, -1):
        path[t] = cand[t, j]
        j = int(back[t, j])
    return path


def _fit_affine(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares 2x3 affine taking src points onto dst points."""
    a = np.column_stack([src, np.ones(len(src))])
    sol, *_ = np.linalg.lstsq(a, dst, rcond=None)
    out: np.ndarray = sol.T
    return out


def nose_fit(smesh: np.ndarray, mesh: np.ndarray) -> np.ndarray:
    """The affine fit of the sample's stable landmarks onto the frame's, moved so the
    two lower noses' centres coincide (the least-squares fit spreads its error evenly;
    next to the nose an error shows most)."""
    a = _fit_affine(smesh[list(fm.STABLE)], mesh[list(fm.STABLE)])
    nose = list(fm.LOWER_NOSE)
    a[:, 2] += mesh[nose].mean(axis=0) - (smesh[nose] @ a[:, :2].T + a[:, 2]).mean(axis=0)
    return a


def sample_box(
    a: np.ndarray, patch_size: tuple[int, int], frame_size: tuple[int, int]
) -> tuple[int, int, int, int] | None:
    """The frame pixels (x0, y0, x1, y1) a sample placed by the affine ``a`` covers,
    clipped to the frame; None when that leaves too little to place."""
    pw, ph = patch_size
    corners = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float64) @ a[:, :2].T + a[:, 2]
    x0, y0 = np.floor(corners.min(axis=0)).astype(int)
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(frame_size[0], x1), min(frame_size[1], y1)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    return int(x0), int(y0), int(x1), int(y1)


@dataclass
class Bend:
    """A thin-plate spline displacement through given values at control points.

    Exact at the controls (where evaluated on a grid and scaled up, within a pixel:
    ``warp_maps``), smooth and close to affine away from them. Displacements are
    capped at 1.5x the largest asked (a thin plate extrapolates without bound).
    """

    ctrl: np.ndarray  # (k, 2) control points, pixels
    weights: np.ndarray  # (k, 2) kernel weights
    linear: np.ndarray  # (3, 2) affine part: [1, x, y] @ linear
    scale: float  # coordinates are divided by this (conditioning)
    limit: float  # the largest displacement asked at a control (extrapolation cap)

    @classmethod
    def through(cls, ctrl: np.ndarray, values: np.ndarray) -> Bend:
        """The bend taking the value ``values[i]`` at ``ctrl[i]``."""
        c = np.asarray(ctrl, np.float64)
        v = np.asarray(values, np.float64)
        scale = float(max(np.ptp(c, axis=0).max(), 1.0))
        cn = c / scale
        k = len(c)
        a = np.zeros((k + 3, k + 3))
        a[:k, :k] = _tps_kernel(cn, cn) + 1e-6 * np.eye(k)
        a[:k, k] = 1.0
        a[:k, k + 1 :] = cn
        a[k, :k] = 1.0
        a[k + 1 :, :k] = cn.T
        b = np.zeros((k + 3, 2))
        b[:k] = v
        try:
            sol = np.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            sol = np.linalg.lstsq(a, b, rcond=None)[0]
        limit = float(np.abs(v).max()) if k else 0.0
        return cls(c, sol[:k], sol[k:], scale, limit)

    def __call__(self, pts: np.ndarray) -> np.ndarray:
        """The displacement (n, 2) at points (n, 2)."""
        p = np.asarray(pts, np.float64) / self.scale
        out = _tps_kernel(p, self.ctrl / self.scale) @ self.weights
        out += self.linear[0] + p @ self.linear[1:]
        cap = 1.5 * self.limit + 1.0
        clipped: np.ndarray = np.clip(out, -cap, cap)
        return clipped


def _sq_dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared distance between every point of ``a`` and of ``b``."""
    r2 = (a * a).sum(axis=1)[:, None] + (b * b).sum(axis=1)[None, :] - 2.0 * a @ b.T
    out: np.ndarray = np.maximum(r2, 0.0)
    return out


def _tps_kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """r^2 log r between every point of ``a`` and of ``b`` (0 at r = 0)."""
    r2 = _sq_dist(a, b)
    out: np.ndarray = 0.5 * r2 * np.log(np.maximum(r2, 1e-12))
    return out


def fine_detail(gray: np.ndarray) -> np.ndarray:
    """The grey minus its ``SHARPEN_SIGMA`` blur: the detail a resample loses first."""
    out: np.ndarray = gray - cv2.GaussianBlur(gray, (0, 0), SHARPEN_SIGMA)
    return out


def detail_energy(gray: np.ndarray, where: npt.NDArray[np.bool_]) -> float:
    """Mean squared fine detail (``fine_detail``) over ``where``."""
    hf = fine_detail(gray)
    return float((hf[where] ** 2).mean()) if where.any() else 0.0


def sharpen_amount(gray: np.ndarray, where: npt.NDArray[np.bool_], target: float) -> float:
    """Unsharp amount that brings the fine detail of ``gray`` over ``where`` to
    ``target`` (the frame's, as ``detail_energy``).

    An unsharp mask of amount k (with the measure's blur) turns the detail h into
    h + k * fine_detail(h): its energy is a quadratic in k, solved for the target.
    Never softens, and never more than ``SHARPEN_CAP`` (a sample with no detail left
    would only gain noise).
    """
    detail = fine_detail(gray)
    h, hh = detail[where], fine_detail(detail)[where]
    a, b, c = float((hh * hh).mean()), float((h * hh).mean()), float((h * h).mean())
    if target <= c or a <= 1e-9:
        return 0.0
    k = (-b + np.sqrt(max(b * b - a * (c - target), 0.0))) / a
    return float(np.clip(k, 0.0, SHARPEN_CAP))


def keep_detail(
    sample: ImageArray,
    roi: ImageArray,
    mask: FloatArray,
    amount: float = 0.0,
    frame_kept: float = 1.0,
) -> ImageArray:
    """The sample blended into ``roi`` through ``mask``, the sample sharpened by an
    unsharp ``amount`` and the fine detail that mixing two textures averages away put
    back, in one unsharp step on the blend.

    Where sample and frame mix with weights m and 1 - m their (unrelated: correlation
    ~0 measured on the fixture clips) skin textures partly cancel: the detail's energy
    falls to m^2 + (1 - m)^2 of either (half at m = 0.5). Unsharp of the blend with the
    per-pixel amount 1 / sqrt((m / (1 + amount))^2 + (1 - m)^2) - 1 gives the detail
    energy of a sample sharpened by ``amount`` where it shows alone, leaves the frame
    where it shows alone, and keeps the level in between. In floating point, rounded
    once (rounding first added a third more "detail" of rounding noise on a soft face).

    ``frame_kept``: the share of its fine detail (amplitude) the frame kept through the
    jaw warp's bilinear resampling; put back with the rest where the sample shows
    (1 - m becomes (1 - m) * frame_kept), faded in over the mask's first
    ``FRAME_KEPT_FADE`` so nothing is added where the frame shows alone (bilinear
    plus this costs a fifth of a bicubic jaw warp).
    """
    out: ImageArray = np.asarray(cv2.blendLinear(sample, roi, mask, 1.0 - mask), np.uint8)
    # Only where both show (or the sample is sharpened) is there anything to add.
    ys, xs = np.nonzero(mask[::4, ::4] > 0.002)
    if len(ys) == 0:
        return out
    h, w = mask.shape
    y0, y1 = max(0, 4 * ys.min() - 4), min(h, 4 * ys.max() + 5)
    x0, x1 = max(0, 4 * xs.min() - 4), min(w, 4 * xs.max() + 5)
    m = np.ascontiguousarray(mask[y0:y1, x0:x1])
    kept = 1.0 - (1.0 - frame_kept) * np.minimum(m * (1.0 / FRAME_KEPT_FADE), 1.0)
    gain = 1.0 / np.sqrt((m / (1.0 + amount)) ** 2 + ((1.0 - m) * kept) ** 2) - 1.0
    part = np.asarray(
        cv2.blendLinear(
            sample[y0:y1, x0:x1].astype(np.float32),
            roi[y0:y1, x0:x1].astype(np.float32),
            m,
            1.0 - m,
        ),
        np.float32,
    )
    detail = part - cv2.GaussianBlur(part, (0, 0), SHARPEN_SIGMA)
    detail *= gain[:, :, None]
    part += detail
    out[y0:y1, x0:x1] = np.clip(part + 0.5, 0, 255).astype(np.uint8)
    return out


def nose_guard(
    placed: np.ndarray, local: np.ndarray, shape: tuple[int, int], scale: float = 1.0
) -> FloatArray:
    """A factor for the blend mask: 0 over both lower noses (the sample's as placed and
    the frame's), 1 over both mouths, smooth in between (by the share of the way from
    nose to mouth, from the two distance maps). ``shape`` is (h, w) of the map, whose
    pixels are ``scale`` landmark pixels."""
    h, w = shape

    def distance_to(idx: tuple[int, ...]) -> npt.NDArray[np.float32]:
        outside = np.full((h, w), 255, np.uint8)
        for m in (placed, local):
            hull = cv2.convexHull(np.round(m[list(idx)] / scale).astype(np.int32))
            cv2.fillConvexPoly(outside, hull, 0)
        return np.asarray(cv2.distanceTransform(outside, cv2.DIST_L2, 3), np.float32)

    dn, dm = distance_to(fm.LOWER_NOSE), distance_to(fm.LIPS_OUTER)
    share = dn / (dn + dm + 1e-3)
    u = np.clip((share - GUARD_FROM) / (GUARD_TO - GUARD_FROM), 0.0, 1.0)
    out: FloatArray = (u * u * (3.0 - 2.0 * u)).astype(np.float32)
    return out


@dataclass
class MouthCompositor:
    """Places bank samples on frames (see the module docstring). One per video."""

    footage: Footage
    colour_memory: float = 0.6
    _colour: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _amount: float | None = field(default=None, repr=False)  # the last unsharp amount
    # The last placement's blend mask and its top-left corner in the frame (what the
    # seam benchmark measures along).
    last_mask: tuple[int, int, FloatArray] | None = field(default=None, repr=False)

    def place(self, frame: ImageArray, mesh: FloatArray, sample: int) -> ImageArray:
        """``frame`` with sample ``sample``'s lower face blended in (in place)."""
        fp = self.footage
        patch = fp.patch(sample)
        smesh = fp.bank_meshes[sample]
        a = nose_fit(smesh, mesh)
        h, w = frame.shape[:2]
        box = sample_box(a, fp.patch_size, (w, h))
        if box is None:
            return frame
        x0, y0, x1, y1 = box
        shift = a.copy()
        shift[:, 2] -= (x0, y0)
        size = (x1 - x0, y1 - y0)
        local = mesh - np.array([x0, y0], np.float32)
        bend, placed = bend_sample(smesh, local, shift)
        iod = interocular(mesh)
        mask = self._mask(placed, local, size, iod)
        self.last_mask = (x0, y0, mask)
        # Only where the mask reaches is the sample needed.
        ys, xs = np.nonzero(mask[::4, ::4] > 0.0)
        if len(ys) == 0:
            return frame
        bx0, by0 = max(0, 4 * int(xs.min()) - 4), max(0, 4 * int(ys.min()) - 4)
        bx1, by1 = min(size[0], 4 * int(xs.max()) + 5), min(size[1], 4 * int(ys.max()) + 5)
        sub = (slice(by0, by1), slice(bx0, bx1))
        warped = self._warp(patch, shift, bend, (bx0, by0, bx1, by1))
        pad = int(0.4 * iod)
        px0, py0 = max(0, x0 - pad), max(0, y0 - pad)
        px1, py1 = min(w, x1 + pad), min(h, y1 + pad)
        off = np.array([x0 - px0, y0 - py0], np.float32)
        # The frame's own fine detail, before the jaw warp resamples any of it.
        grey = np.asarray(cv2.cvtColor(frame[y0:y1, x0:x1][sub], cv2.COLOR_RGB2GRAY), np.float32)
        frame[py0:py1, px0:px1] = follow_jaw(
            frame[py0:py1, px0:px1], local + off, placed + off, iod
        )
        roi = frame[y0:y1, x0:x1][sub]
        m = np.ascontiguousarray(mask[sub])
        warped = self._match_colour(warped, roi, m)
        amount, kept = self._sharpen_amount(warped, grey, roi, m)
        roi[...] = keep_detail(warped, roi, m, amount, kept)
        return frame

    def _warp(
        self, patch: ImageArray, shift: np.ndarray, bend: Bend, box: tuple[int, int, int, int]
    ) -> ImageArray:
        """The affine warp bent by ``bend`` over ``box`` (x0, y0, x1, y1) of the
        placement region: a pixel p takes the affine-placed sample at p + bend(p), so
        each anchor landmark lands on the frame's own.

        The bend is evaluated on a coarse grid and scaled up: smooth and cheap enough
        for every frame.
        """
        x0, y0, x1, y1 = box
        mx, my = warp_maps(shift, bend, (x1 - x0, y1 - y0), (x0, y0))
        out: ImageArray = np.asarray(
            cv2.remap(patch, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE), np.uint8
        )
        return out

    def _mask(
        self, placed: np.ndarray, local: np.ndarray, size: tuple[int, int], iod: float
    ) -> FloatArray:
        """Feathered blend mask: mouth and chin, inside the cheeks, under the nose, held
        off both lower noses (``nose_guard``).

        Drawn and blurred at half size (the feather is wide; the blur is the costly
        part), then scaled up.
        """
        centre = placed[list(fm.LIPS_OUTER)].mean(axis=0)
        sides = centre + (placed[list(fm.JAW_LINE)] - centre) * 0.74
        under = centre + (placed[list(fm.UNDER_NOSE)] - centre) * 0.8
        chin = placed[list(fm.CHIN_OUTLINE)] + np.array([0.0, 0.05 * iod])
        pts = np.concatenate([sides, under, chin, placed[list(fm.LIPS_OUTER)]]) / 2
        w, h = size
        small = np.zeros(((h + 1) // 2, (w + 1) // 2), np.float32)
        cv2.fillConvexPoly(small, cv2.convexHull(np.round(pts).astype(np.int32)), 1.0)
        blurred = cv2.GaussianBlur(small, (0, 0), max(1.0, 0.045 * iod))
        # The core is wholly the sample's; the feather falls at the hull's edge.
        core = np.clip(blurred * 1.6 - 0.3, 0, 1) * nose_guard(placed, local, small.shape, 2.0)
        out: FloatArray = np.asarray(
            cv2.resize(core, size, interpolation=cv2.INTER_LINEAR), np.float32
        )
        return out

    def _sharpen_amount(
        self, warped: ImageArray, grey: FloatArray, roi: ImageArray, mask: FloatArray
    ) -> tuple[float, float]:
        """The unsharp amount bringing the sample to the frame's fine detail over the
        blend ring (``sharpen_amount``, from the frame's ``grey`` before the jaw warp),
        smoothed over time like the colour; and the share of that detail (amplitude)
        the jaw warp's bilinear resampling left in the frame's ``roi`` there."""
        ring = (mask > 0.05) & (mask < 0.7)
        if ring.sum() < 30:
            return self._amount or 0.0, 1.0
        target = detail_energy(grey, ring)
        ours = np.asarray(cv2.cvtColor(warped, cv2.COLOR_RGB2GRAY), np.float32)
        amount = sharpen_amount(ours, ring, target)
        if self._amount is not None:
            amount = self.colour_memory * self._amount + (1 - self.colour_memory) * amount
        self._amount = amount
        now = np.asarray(cv2.cvtColor(roi, cv2.COLOR_RGB2GRAY), np.float32)
        kept = np.sqrt(detail_energy(now, ring) / target) if target > 1e-6 else 1.0
        return amount, float(np.clip(kept, KEPT_FLOOR, 1.0))

    def _match_colour(self, warped: ImageArray, roi: ImageArray, mask: FloatArray) -> ImageArray:
        """Mean and spread of the sample matched to the frame over the blend ring.

        Per RGB channel (a gain and an offset, one ``cv2.transform``: Lab gave the same
        pictures here at three colour conversions a frame), from every other pixel of
        the ring, smoothed over time so the light does not flicker when the sample
        changes.
        """
        ring = (mask[::2, ::2] > 0.05) & (mask[::2, ::2] < 0.7)
        if ring.sum() < 30:
            return warped
        sw = warped[::2, ::2][ring].astype(np.float32)
        sf = roi[::2, ::2][ring].astype(np.float32)
        ratio = np.clip((sf.std(axis=0) + 1.0) / (sw.std(axis=0) + 1.0), 0.75, 1.33)
        shift = sf.mean(axis=0) - sw.mean(axis=0) * ratio
        if self._colour is not None:
            k = self.colour_memory
            ratio = k * self._colour[0] + (1 - k) * ratio
            shift = k * self._colour[1] + (1 - k) * shift
        self._colour = (ratio, shift)
        gain = np.zeros((3, 4), np.float32)
        gain[:, :3] = np.diag(ratio)
        gain[:, 3] = shift
        out: ImageArray = np.asarray(cv2.transform(warped, gain), np.uint8)
        return out


def warp_maps(
    shift: np.ndarray, bend: Bend, size: tuple[int, int], origin: tuple[int, int] = (0, 0)
) -> tuple[FloatArray, FloatArray]:
    """Where each pixel of a ``size`` region at ``origin`` finds the sample: the inverse
    of the affine ``shift`` at p + bend(p) (the bend evaluated on a coarse grid)."""
    w, h = size
    corr = bend(coarse_grid(w, h, BEND_GRID) + np.array(origin, np.float64))
    inv = cv2.invertAffineTransform(shift)
    mx, my = dense_map(size, BEND_GRID, corr @ inv[:, :2].T, cv2.INTER_CUBIC)
    # The affine part by rows and columns (broadcast: no per-pixel coordinate grid).
    xs = np.arange(origin[0], origin[0] + w, dtype=np.float32)[None, :]
    ys = np.arange(origin[1], origin[1] + h, dtype=np.float32)[:, None]
    mx += np.float32(inv[0, 0]) * xs
    mx += np.float32(inv[0, 1]) * ys + np.float32(inv[0, 2])
    my += np.float32(inv[1, 0]) * xs
    my += np.float32(inv[1, 1]) * ys + np.float32(inv[1, 2])
    return mx, my


def bend_sample(
    smesh: np.ndarray, local: np.ndarray, shift: np.ndarray
) -> tuple[Bend, npt.NDArray[np.float32]]:
    """The bend putting each of the sample's anchor landmarks (``fm.BEND_ANCHORS``) on
    the frame's (``local``), after the affine ``shift``, and where every sample
    landmark lands with it (anchors exactly on the frame's).

    A frame pixel p shows the affine-placed sample at p + bend(p). The lips move as
    one piece, by the bend's value at the mouth: bent with the rest, a head turned
    otherwise than the frame's stretched and sheared the sample's mouth (held-out lip
    distance 2.85 -> 3.13 %IOD and SSIM 0.778 -> 0.768 on the child's clip). Other
    landmarks, placed at q by the affine, land at the p solving p + bend(p) = q (three
    fixed-point steps: the bend is smooth).
    """
    anchors = list(fm.BEND_ANCHORS)
    lips = list(fm.LIPS_OUTER)
    fit = smesh @ shift[:, :2].T + shift[:, 2]
    first = Bend.through(local[anchors], fit[anchors] - local[anchors])
    centre = fit[lips].mean(axis=0, keepdims=True)
    d0 = first(centre - first(centre))[0]
    ctrl = np.concatenate([local[anchors], fit[lips] - d0])
    values = np.concatenate([fit[anchors] - local[anchors], np.tile(d0, (len(lips), 1))])
    bend = Bend.through(ctrl, values)
    placed = fit.copy()
    for _ in range(3):
        placed = fit - bend(placed)
    placed[anchors] = local[anchors]
    placed[lips] = fit[lips] - d0
    return bend, placed.astype(np.float32)


def follow_jaw(roi: ImageArray, local: np.ndarray, placed: np.ndarray, iod: float) -> ImageArray:
    """The frame's lower face warped so its jaw and chin line lie where the sample's do.

    Without it the frame's own (talking) jaw shows as a second chin beside the
    sample's. Displacements are set at the jaw landmarks, zero at the stable landmarks,
    the lower nose, the upper lip (neither moves with the jaw: moved, the frame's
    nostrils would ghost beside themselves) and along the region's border, and spread
    by normalised Gaussian weights over a coarse grid, faded to nothing at the region's
    edge (a smooth warp, continuous with the untouched frame).
    """
    h, w = roi.shape[:2]
    jaw = list(fm.JAW_LINE)
    d = placed[jaw] - local[jaw]
    if float(np.abs(d).max()) < 0.5:
        return roi.copy()
    bx = np.linspace(0, w - 1, 7)
    by = np.linspace(0, h - 1, 7)
    border = np.concatenate(
        [
            np.stack([bx, np.zeros(7)], 1),
            np.stack([bx, np.full(7, h - 1)], 1),
            np.stack([np.zeros(7), by], 1),
            np.stack([np.full(7, w - 1), by], 1),
        ]
    )
    # The neck and collar a little below the chin stay put.
    below = local[list(fm.CHIN_OUTLINE)] + np.array([0.0, 0.6 * iod])
    still = local[list(dict.fromkeys(fm.STABLE + fm.LOWER_NOSE + fm.UPPER_LIP))]
    ctrl = np.concatenate([placed[jaw], still, below, border])
    vals = np.concatenate([d, np.zeros((len(still) + len(below) + len(border), 2))])
    grid = coarse_grid(w, h, 16)
    sigma = 0.3 * iod
    wts = np.exp(_sq_dist(grid, ctrl) * (-0.5 / (sigma * sigma)))
    # The constant in the denominator is a zero-displacement prior everywhere: far from
    # every landmark nothing moves (normalised weights alone would carry the nearest
    # jaw displacement across the whole region).
    field = (wts @ vals) / (wts.sum(axis=1, keepdims=True) + 0.25)
    u, v = grid[:, 0] / max(w - 1, 1), grid[:, 1] / max(h - 1, 1)
    edge = np.minimum(np.minimum(u, 1 - u), np.minimum(v, 1 - v))
    field *= np.clip(edge / 0.2, 0, 1)[:, None] ** 2
    # Normalised weights still leak a little of the jaw's move onto the nose: held to
    # exactly nothing there and on the upper lip.
    # Eroded on the grid: a pixel takes its move from the four grid points around it,
    # so a pixel on the nose or upper lip must have all four at nothing.
    reach = cv2.erode(
        jaw_reach(grid, local, placed).reshape(16, 16).astype(np.float32), np.ones((3, 3), np.uint8)
    )
    field *= reach.reshape(-1, 1)
    return _remap_moved(roi, field, 16)


def jaw_reach(pts: np.ndarray, local: np.ndarray, placed: np.ndarray) -> np.ndarray:
    """How much of the jaw's move applies at each point: 0 on and near the frame's lower
    nose and upper lip, 1 from ``JAW_REACH_TO`` of the way towards either jaw line
    (the frame's or the sample's), smooth in between."""
    still = local[list(fm.LOWER_NOSE + fm.UPPER_LIP)]
    jaw = np.concatenate([local[list(fm.JAW_LINE)], placed[list(fm.JAW_LINE)]])
    d_still = np.sqrt(_sq_dist(pts, still).min(axis=1))
    d_jaw = np.sqrt(_sq_dist(pts, jaw).min(axis=1))
    share = d_still / (d_still + d_jaw + 1e-6)
    u = np.clip((share - JAW_REACH_FROM) / (JAW_REACH_TO - JAW_REACH_FROM), 0.0, 1.0)
    out: np.ndarray = u * u * (3.0 - 2.0 * u)
    return out


def _remap_moved(roi: ImageArray, field: np.ndarray, n: int) -> ImageArray:
    """``roi`` resampled at each pixel minus the coarse ``field``, over the box of grid
    cells that move only; the rest is copied as it is.

    Bilinear (a fifth of bicubic's CPU here, ~190k pixels a frame at 720p): the fine
    detail it averages away at fractional offsets is measured over the blend ring and
    put back by the blend's unsharp step (``keep_detail``'s ``frame_kept``).
    """
    h, w = roi.shape[:2]
    out = roi.copy()
    moving = (np.abs(field) > 0.02).any(axis=1).reshape(n, n)
    if not moving.any():
        return out
    rows, cols = np.nonzero(moving)
    # A pixel takes its offset from the grid points around it: one cell more each side.
    cy0, cy1 = max(rows.min() - 1, 0), min(rows.max() + 2, n)
    cx0, cx1 = max(cols.min() - 1, 0), min(cols.max() + 2, n)
    y0, y1 = int(cy0 * h / n), min(h, int(np.ceil(cy1 * h / n)) + 1)
    x0, x1 = int(cx0 * w / n), min(w, int(np.ceil(cx1 * w / n)) + 1)
    # Offsets relative to each output pixel (the box's corner folded into the coarse
    # field: interpolation keeps constants), so no per-pixel coordinate grid is built.
    mx, my = dense_map((w, h), n, np.asarray([x0, y0], np.float64) - field)
    out[y0:y1, x0:x1] = np.asarray(
        cv2.remap(
            roi,
            mx[y0:y1, x0:x1],
            my[y0:y1, x0:x1],
            cv2.INTER_LINEAR | cv2.WARP_RELATIVE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        ),
        np.uint8,
    )
    return out


def coarse_grid(w: int, h: int, n: int) -> np.ndarray:
    """(n*n, 2) points at the pixel positions ``cv2.resize`` puts an n x n grid's
    samples when scaling it to w x h (so a coarse field resizes without distortion)."""
    xs = (np.arange(n) + 0.5) * w / n - 0.5
    ys = (np.arange(n) + 0.5) * h / n - 0.5
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def dense_map(
    size: tuple[int, int], n: int, offsets: np.ndarray, interpolation: int = cv2.INTER_LINEAR
) -> tuple[FloatArray, FloatArray]:
    """Per-pixel x and y offsets from offsets at ``coarse_grid`` points (bilinear, or
    as ``interpolation`` says)."""
    ox = cv2.resize(
        offsets[:, 0].reshape(n, n).astype(np.float32), size, interpolation=interpolation
    )
    oy = cv2.resize(
        offsets[:, 1].reshape(n, n).astype(np.float32), size, interpolation=interpolation
    )
    return np.asarray(ox, np.float32), np.asarray(oy, np.float32)
