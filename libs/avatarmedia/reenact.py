"""Self-reenactment: how closely a rendered mouth follows the real speaker's.

The protocol of talking-head papers: a real clip's first frame is the portrait, its own
audio drives the render, and the real frames are the truth. Both videos go through the
468-point face mesh (``face``) frame by frame, and each frame's mouth is put into one
canonical geometry so that two videos framed, scaled and rotated differently compare
point for point (our renderer crops the portrait head-and-shoulders, the real clip does
not).

Canonical geometry (``MouthObservation``)
    * Inter-ocular distance (IOD): outer eye corners, mesh points 33 and 263. The
      usual normaliser in face-alignment work: it does not move when the mouth moves.
    * Mouth centre: midpoint of the outer mouth corners 61 and 291. The corners move
      little when the jaw opens, so the upper lip stays put and the lower lip carries
      the opening (the mean of all lip points would move with the opening).
    * Rotation: the eye line (33 -> 263) is made horizontal.
    * ``lips``: the 40 lip points, i.e. the outer contour ``LIPS_OUTER_RING`` (20 points,
      61 -> 291 along the lower lip, back along the upper) and the inner contour
      ``LIPS_INNER_RING`` (20 points, 78 -> 308 along the upper inner lip, back along the
      lower), rotated to the eye line, centred on the mouth centre, divided by the IOD.
    * ``opening``: inner-lip gap (13 to 14) / IOD.
    * ``crop``: CROP_W x CROP_H RGB at CROP_PX_PER_IOD pixels per IOD, the mouth centre
      at CROP_CENTER: 1.5 IOD wide, from 0.5 IOD above the mouth centre (under the nose)
      to 0.75 IOD below it (the chin of a wide-open mouth). 64 px per IOD is below the
      IOD of every fixture clip and of a 512 px render (~110 px), so both sides are
      downsampled (area filter first, then the sub-pixel rotation) and their sharpness
      is the crop's, not the source's. The stage clip's 28 px IOD is upsampled on both
      sides alike.
    * ``inner``: the crop's pixels inside the inner-lip polygon, eroded by
      INNER_ERODE_PX: the mesh's lip contour is good to a pixel or two, and the lip's
      own red would otherwise count as "inside the mouth".

``observe_mouths`` tracks the mesh from frame to frame (as ``metrics.mouth_series``
does) and detects afresh when the tracker's presence drops under MIN_PRESENCE (a camera
cut); a frame gets None where no face is found, the presence stays low, or the IOD is
under MIN_IOD_PX (16 px: a wide-open mouth is then ~5 px tall, a half-open one under
2 px; smaller faces, such as the stage clip's wide shots, cannot be measured).

Figures (``compare_mouths``); frames are paired by index, a frame counts where both
sides have a face:
    * ``r``, ``lag_ms``: Pearson r of the two opening series at the best lag within
      +-MAX_LAG_S (``metrics.lag_correlation``); positive lag = ours trails the real one.
    * ``lip_distance_pct``: mean over frames and the 40 points of the L2 distance between
      the canonical lip points, x100 (% of IOD), at lag 0.
    * ``crop_ssim``: SSIM (``metrics.ssim_map``, 7x7 Gaussian window) of the grey crops,
      mean over the crop and over frames.
    * Open mouth: ``opening >= OPEN_THRESHOLD`` (0.10 IOD, about 6 crop pixels of gap
      after erosion: enough pixels for a colour statistic; a closed or barely parted
      mouth has nothing inside it to measure).
    * ``delta_e``: per frame where BOTH are open, CIE76 distance between the mean CIELAB
      colour inside ours and inside the real one; mean over those frames.
    * ``texture_ratio``: mean per-frame std of L* inside the mouth, ours / real, over the
      same frames (1 = as much texture as the real mouth; a flat painted band is << 1).
    * ``near_black_ours`` / ``near_black_real``: share of inner-mouth pixels with
      L* < NEAR_BLACK_L, pooled over each side's OWN open frames (a property of how an
      open mouth looks, so it does not need the other side to be open at that instant).
      L* 15 is about sRGB 40/255: the throat's shadow in the real clips reaches it,
      teeth, tongue and the lit palate do not.
    * ``lightness_emd``: the earth mover's distance (in L* units) between the L*
      histograms of the inner mouth, ours vs real, pooled over both-open frames.
    * ``edge_ratio``: mean gradient magnitude of L* (Sobel 3x3, per pixel) inside the
      open mouth, ours / real, over both-open frames. Added because the near-black share
      alone passed a picture that is plainly wrong: on man_talking_7s our hard-edged
      black box with a flat grey band had 31 % near-black pixels against the real
      speaker's 36 % (within the 0.10 target), while its inside had 2.4x the real
      mouth's edge energy (the real one is a soft, dark red interior). A mouth with the
      right amount of dark but hard painted edges shows up here as >> 1; a smeared,
      featureless one as << 1.
    * ``crop_delta_e``: CIE76 between the mean CIELAB colour of the whole crop (skin,
      lips, mouth), ours vs real, mean over frames: a colour or exposure shift of the
      portrait (e.g. a level stretch) costs crop SSIM before any mouth moves; this says
      how much of the SSIM gap is colour.

How much of the real mouth the audio can tell at all (``audio_ceiling``): the real lip
points and opening are fitted by least squares, on the clip itself, to the audio
track's features (``mouth_audio``: opening, width, rounding, emphasis) at lags of
-CEILING_LAGS..+CEILING_LAGS frames. In-sample and with 37 parameters per output, this
is an optimistic bound for any renderer driven by those features: a clip whose fitted
lip distance stays above 75 % of the frozen frame's (a speaker who opens her mouth to
breathe in pauses, exaggerated expressions) cannot meet the lip target from audio.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from avatarmedia import face as fm
from avatarmedia.encode import encode_frames, read_audio, read_video
from avatarmedia.errors import NoFaceError
from avatarmedia.metrics import lag_correlation, ssim_map

LIPS_OUTER_RING = fm.LIPS_OUTER
LIPS_INNER_RING = fm.LIPS_INNER
LIP_POINTS = LIPS_OUTER_RING + LIPS_INNER_RING  # 40 mesh ids

CROP_PX_PER_IOD = 64.0
CROP_W, CROP_H = 96, 80
CROP_CENTER = (48.0, 32.0)
INNER_ERODE_PX = 1
OPEN_THRESHOLD = 0.10
NEAR_BLACK_L = 15.0
MIN_PRESENCE = 0.5
MIN_IOD_PX = 16.0
MAX_LAG_S = 0.32
CEILING_LAGS = 4


@dataclass(frozen=True)
class Clip:
    """A decoded clip: RGB uint8 frames, their rate, mono float32 audio and its rate."""

    frames: list[np.ndarray]
    fps: float
    samples: np.ndarray
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.frames) / self.fps


def load_clip(path: str | Path, max_side: int | None = None) -> Clip:
    """Decode a clip's frames and audio (the audio must exist: reenactment needs it)."""
    frames, fps = read_video(path, max_side=max_side)
    samples, rate = read_audio(path)
    return Clip(frames=frames, fps=fps, samples=samples, sample_rate=rate)


def save_clip(clip: Clip, path: str | Path) -> Path:
    """Write a clip as an MP4 (H.264 + AAC), for renderers that take a file (a footage
    avatar is made from one): e.g. the training part of ``split_clip``."""
    return encode_frames(
        clip.frames, path, clip.fps, np.asarray(clip.samples, np.float32), clip.sample_rate
    )


def split_clip(clip: Clip, at: float) -> tuple[Clip, Clip]:
    """The first ``at`` share of the frames and the rest; audio cut at the same instant."""
    if not 0.0 < at < 1.0:
        raise ValueError(f"split share must be between 0 and 1, got {at}")
    n = round(len(clip.frames) * at)
    cut = min(len(clip.samples), round(n / clip.fps * clip.sample_rate))
    head = Clip(clip.frames[:n], clip.fps, clip.samples[:cut], clip.sample_rate)
    tail = Clip(clip.frames[n:], clip.fps, clip.samples[cut:], clip.sample_rate)
    return head, tail


def frozen_frames(frame: np.ndarray, n: int) -> list[np.ndarray]:
    """The floor of every figure: one frame shown for ``n`` frames (no animation)."""
    return [frame] * n


# ------------------------------------------------------------------ observation


@dataclass(frozen=True)
class MouthObservation:
    """One frame's mouth in the canonical geometry (see the module docstring)."""

    opening: float
    lips: np.ndarray  # (40, 2), LIP_POINTS order, IOD units, mouth centre at 0
    crop: np.ndarray  # (CROP_H, CROP_W, 3) RGB uint8
    inner: np.ndarray  # (CROP_H, CROP_W) bool


def canonical_transform(mesh: np.ndarray) -> tuple[np.ndarray, float]:
    """2x3 matrix from image pixels to canonical IOD units (mouth centre at 0), and IOD."""
    p = mesh[:, :2].astype(np.float64)
    eye = p[fm.LEFT_EYE_OUTER] - p[fm.RIGHT_EYE_OUTER]
    iod = float(np.hypot(eye[0], eye[1]))
    angle = math.atan2(eye[1], eye[0])
    c, s = math.cos(angle), math.sin(angle)
    rot = np.array([[c, s], [-s, c]]) / max(iod, 1e-6)  # rotation by -angle, scaled
    centre = (p[fm.MOUTH_RIGHT] + p[fm.MOUTH_LEFT]) / 2
    m = np.zeros((2, 3))
    m[:, :2] = rot
    m[:, 2] = -rot @ centre
    return m, iod


def _crop(frame: np.ndarray, to_canon: np.ndarray, iod: float) -> np.ndarray:
    """The canonical mouth crop: area-downsample the region first, then one warp."""
    m = to_canon * CROP_PX_PER_IOD
    m[:, 2] += CROP_CENTER
    inv = cv2.invertAffineTransform(m)
    corners = np.array([[0, 0, 1], [CROP_W, 0, 1], [0, CROP_H, 1], [CROP_W, CROP_H, 1]], float)
    src = corners @ inv.T
    h, w = frame.shape[:2]
    x0 = int(np.clip(np.floor(src[:, 0].min()) - 2, 0, w - 1))
    y0 = int(np.clip(np.floor(src[:, 1].min()) - 2, 0, h - 1))
    x1 = int(np.clip(np.ceil(src[:, 0].max()) + 3, x0 + 1, w))
    y1 = int(np.clip(np.ceil(src[:, 1].max()) + 3, y0 + 1, h))
    roi = frame[y0:y1, x0:x1]
    m = m.copy()
    m[:, 2] += m[:, :2] @ np.array([x0, y0], float)  # roi pixel -> crop pixel
    k = CROP_PX_PER_IOD / max(iod, 1e-6)
    if k < 1.0:
        rw, rh = max(1, round(roi.shape[1] * k)), max(1, round(roi.shape[0] * k))
        roi = cv2.resize(roi, (rw, rh), interpolation=cv2.INTER_AREA)
        scale = np.array([(x1 - x0) / rw, (y1 - y0) / rh])
        # resized pixel r sits at roi pixel scale * r + (scale - 1) / 2 (pixel centres)
        m[:, 2] += m[:, :2] @ ((scale - 1.0) / 2.0)
        m[:, :2] = m[:, :2] @ np.diag(scale)
    out: np.ndarray = cv2.warpAffine(
        roi, m, (CROP_W, CROP_H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return out


def observe(frame: np.ndarray, mesh: np.ndarray) -> MouthObservation:
    """The canonical mouth of one frame whose mesh is known."""
    to_canon, iod = canonical_transform(mesh)
    pts = mesh[list(LIP_POINTS), :2].astype(np.float64)
    lips = pts @ to_canon[:, :2].T + to_canon[:, 2]
    gap = fm.landmark_distance(mesh, fm.UPPER_LIP_CENTER, fm.LOWER_LIP_CENTER)
    crop = _crop(frame, to_canon, iod)
    poly = lips[20:] * CROP_PX_PER_IOD + np.array(CROP_CENTER)
    mask = np.zeros((CROP_H, CROP_W), np.uint8)
    cv2.fillPoly(mask, [np.round(poly * 4).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=2)
    inner = cv2.erode(mask, np.ones((3, 3), np.uint8), iterations=INNER_ERODE_PX)
    return MouthObservation(
        opening=gap / max(iod, 1e-6),
        lips=lips.astype(np.float32),
        crop=crop,
        inner=np.asarray(inner, bool),
    )


def _mesh_of(frame: np.ndarray, previous: np.ndarray | None) -> np.ndarray | None:
    """Track from the previous frame's mesh; detect afresh when that fails."""
    if previous is not None:
        mesh, presence = fm.track_mesh(frame, previous)
        if presence >= MIN_PRESENCE:
            return mesh
    try:
        found = fm.find_face(frame, min_size=20, require_frontal=False)
    except NoFaceError:
        return None
    return found.mesh if found.presence >= MIN_PRESENCE else None


def observe_mouths(frames: Sequence[np.ndarray]) -> list[MouthObservation | None]:
    """One observation per frame; None where no face is found, the mesh is unsure
    (presence under MIN_PRESENCE) or the face is too small to measure a mouth on."""
    out: list[MouthObservation | None] = []
    prev: np.ndarray | None = None
    for frame in frames:
        mesh = _mesh_of(frame, prev)
        measurable = mesh is not None and canonical_transform(mesh)[1] >= MIN_IOD_PX
        out.append(observe(frame, mesh) if mesh is not None and measurable else None)
        prev = mesh
    return out


# ------------------------------------------------------------------ comparison


@dataclass(frozen=True)
class ReenactScores:
    """Ours vs the real speaker; see the module docstring for every figure."""

    r: float
    lag_ms: float
    lip_distance_pct: float
    crop_ssim: float
    delta_e: float
    texture_ratio: float
    near_black_ours: float
    near_black_real: float
    frames: int
    open_frames: int = 0  # frames where both are open (colour figures use these)
    lightness_emd: float = float("nan")
    r_at_zero: float = float("nan")
    edge_ratio: float = float("nan")
    crop_delta_e: float = float("nan")


def _lab(crop: np.ndarray) -> np.ndarray:
    lab: np.ndarray = cv2.cvtColor(crop.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    return lab


def _grey(crop: np.ndarray) -> np.ndarray:
    grey: np.ndarray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    return grey


def _inside(obs: MouthObservation) -> np.ndarray:
    """CIELAB values of the inner-mouth pixels, (k, 3)."""
    pixels: np.ndarray = _lab(obs.crop)[obs.inner]
    return pixels


def _inner_edges(obs: MouthObservation) -> float:
    """Mean L* gradient magnitude (L* units per pixel) inside the mouth."""
    light = _lab(obs.crop)[:, :, 0]
    gx = cv2.Sobel(light, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(light, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    return float(np.hypot(gx, gy)[obs.inner].mean())


def is_open(obs: MouthObservation | None) -> bool:
    return obs is not None and obs.opening >= OPEN_THRESHOLD and bool(obs.inner.any())


def near_black_share(observations: Sequence[MouthObservation | None]) -> float:
    """Share of inner-mouth pixels under NEAR_BLACK_L, pooled over the open frames."""
    pix = [_inside(o)[:, 0] for o in observations if o is not None and is_open(o)]
    if not pix:
        return float("nan")
    light = np.concatenate(pix)
    return float((light < NEAR_BLACK_L).mean())


def _emd_1d(a: np.ndarray, b: np.ndarray) -> float:
    """Earth mover's distance between two 1-D samples (L* units): area between CDFs."""
    bins = np.linspace(0.0, 100.0, 101)
    ca = np.cumsum(np.histogram(a, bins)[0]) / max(len(a), 1)
    cb = np.cumsum(np.histogram(b, bins)[0]) / max(len(b), 1)
    return float(np.abs(ca - cb).sum() * (bins[1] - bins[0]))


def _openings(obs: Sequence[MouthObservation | None], n: int) -> np.ndarray:
    return np.array([o.opening if o is not None else np.nan for o in obs[:n]], np.float64)


def _ratio(ours: list[float], real: list[float]) -> float:
    return float(np.mean(ours) / max(float(np.mean(real)), 1e-6))


def _colour_figures(
    pairs: list[tuple[MouthObservation, MouthObservation]],
) -> tuple[float, float, float, float]:
    """delta E, texture ratio, L* EMD and edge ratio over frames where both are open."""
    if not pairs:
        return float("nan"), float("nan"), float("nan"), float("nan")
    de, sd_real, sd_ours, edge_real, edge_ours = [], [], [], [], []
    light_real, light_ours = [], []
    for real, ours in pairs:
        a, b = _inside(real), _inside(ours)
        de.append(float(np.linalg.norm(a.mean(axis=0) - b.mean(axis=0))))
        sd_real.append(float(a[:, 0].std()))
        sd_ours.append(float(b[:, 0].std()))
        edge_real.append(_inner_edges(real))
        edge_ours.append(_inner_edges(ours))
        light_real.append(a[:, 0])
        light_ours.append(b[:, 0])
    emd = _emd_1d(np.concatenate(light_ours), np.concatenate(light_real))
    return (float(np.mean(de)), _ratio(sd_ours, sd_real), emd, _ratio(edge_ours, edge_real))


def compare_mouths(
    real: Sequence[MouthObservation | None], ours: Sequence[MouthObservation | None], fps: float
) -> ReenactScores:
    """Every reenactment figure of ``ours`` against ``real`` (paired by frame index)."""
    n = min(len(real), len(ours))
    both = [
        (r, o) for r, o in zip(real[:n], ours[:n], strict=True) if r is not None and o is not None
    ]
    lag = lag_correlation(_openings(ours, n), _openings(real, n), fps)
    best_r = lag["pearson_r"] if lag["pearson_r"] > -2 else float("nan")
    if not both:
        nan = float("nan")
        return ReenactScores(best_r, nan, nan, nan, nan, nan, nan, nan, 0)
    dist = [float(np.linalg.norm(r.lips - o.lips, axis=1).mean()) for r, o in both]
    ssim = [float(ssim_map(_grey(r.crop), _grey(o.crop)).mean()) for r, o in both]
    shift = [
        float(np.linalg.norm(_lab(r.crop).mean(axis=(0, 1)) - _lab(o.crop).mean(axis=(0, 1))))
        for r, o in both
    ]
    opened = [(r, o) for r, o in both if is_open(r) and is_open(o)]
    delta_e, texture, emd, edges = _colour_figures(opened)
    return ReenactScores(
        r=best_r,
        lag_ms=lag["best_lag_ms"] if math.isfinite(best_r) else float("nan"),
        lip_distance_pct=100.0 * float(np.mean(dist)),
        crop_ssim=float(np.mean(ssim)),
        delta_e=delta_e,
        texture_ratio=texture,
        near_black_ours=near_black_share([o for _, o in both]),
        near_black_real=near_black_share([r for r, _ in both]),
        frames=len(both),
        open_frames=len(opened),
        lightness_emd=emd,
        r_at_zero=lag["r_at_zero_lag"],
        edge_ratio=edges,
        crop_delta_e=float(np.mean(shift)),
    )


# ------------------------------------------------------------------ audio ceiling


@dataclass(frozen=True)
class AudioCeiling:
    """The audio features' in-sample linear fit of the real mouth (an optimistic bound)."""

    lip_distance_pct: float
    opening_r: float


def _lagged_features(samples: np.ndarray, sample_rate: int, fps: float, n: int) -> np.ndarray:
    from avatarmedia.mouth_audio import audio_mouth_track

    t = audio_mouth_track(samples, sample_rate, fps, n)
    base = np.stack([t.opening, t.width, t.rounding, t.emphasis], axis=1).astype(np.float64)
    pad = np.pad(base, ((CEILING_LAGS, CEILING_LAGS), (0, 0)), mode="edge")
    cols = [pad[k : k + n] for k in range(2 * CEILING_LAGS + 1)]
    return np.hstack([np.ones((n, 1)), *cols])


def audio_ceiling(
    real: Sequence[MouthObservation | None], samples: np.ndarray, sample_rate: int, fps: float
) -> AudioCeiling:
    """Lip distance (% IOD) and opening r of the best linear fit of the real mouth from
    the audio features (see the module docstring)."""
    n = len(real)
    have = [i for i, o in enumerate(real) if o is not None]
    x = _lagged_features(samples, sample_rate, fps, n)[have]
    if len(have) <= x.shape[1]:
        return AudioCeiling(float("nan"), float("nan"))
    lips = np.stack([real[i].lips for i in have]).astype(np.float64)  # type: ignore[union-attr]
    opening = np.array([real[i].opening for i in have])  # type: ignore[union-attr]
    fit_lips = x @ np.linalg.lstsq(x, lips.reshape(len(have), -1), rcond=None)[0]
    fit_open = x @ np.linalg.lstsq(x, opening, rcond=None)[0]
    dist = np.linalg.norm(fit_lips.reshape(lips.shape) - lips, axis=2).mean()
    r = float(np.corrcoef(fit_open, opening)[0, 1]) if opening.std() > 1e-9 else float("nan")
    return AudioCeiling(lip_distance_pct=100.0 * float(dist), opening_r=r)
