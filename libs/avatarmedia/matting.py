"""The presenter cut out of the portrait's background: one matte, held over the frames.

Why one matte and not one per frame: the engine moves only the head (``head``):
shoulders, hair beyond the head region and the background never change. So the
matte is made once, on the rest frame, carefully (MediaPipe selfie segmentation,
then a guided filter on the picture itself so the edge follows hair and collar
rather than the model's 256 px grid, then a contrast stretch so the edge band is a
few pixels wide), and every frame takes it through the *same* backward maps the
head region used for the picture. The matte cannot flicker, and it moves with the
hair exactly.

Halo: at the edge the picture mixes the person with the old background. Blending
that over a new background would leave a rim of the old colour. The old
background is estimated behind the edge (normalised blur of the pixels the matte
calls background) and the edge pixels are un-mixed once: ``F = B + (I - B) / a``.
The animator's source picture is replaced by the un-mixed one, so every frame it
draws is already clean and ``a F + (1 - a) N`` shows no rim over any new colour.

``MattedAnimator`` gives (RGB, alpha) per frame; ``mask_iou`` and ``halo_width``
are the bench's stability and halo figures.
"""

from __future__ import annotations

import cv2
import numpy as np

from avatarmedia.head import motion_matrix
from avatarmedia.pose import person_mask
from avatarmedia.render import FaceAnimator, make_animator

F32 = np.float32
REST = {
    "opening": 0.0,
    "width": 0.5,
    "rounding": 0.0,
    "smile": 0.0,
    "brow": 0.0,
    "blink": 0.0,
    "dx": 0.0,
    "dy": 0.0,
    "roll_deg": 0.0,
}


def _box(x: np.ndarray, r: int) -> np.ndarray:
    out: np.ndarray = cv2.boxFilter(x, -1, (2 * r + 1, 2 * r + 1), borderType=cv2.BORDER_REFLECT)
    return out


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He et al.'s guided filter with a grey guide (both float32 in [0, 1]): ``src``
    smoothed, but with the guide's edges."""
    mean_i, mean_p = _box(guide, radius), _box(src, radius)
    cov = _box(guide * src, radius) - mean_i * mean_p
    var = _box(guide * guide, radius) - mean_i * mean_i
    a = cov / (var + eps)
    b = mean_p - a * mean_i
    out: np.ndarray = _box(a, radius) * guide + _box(b, radius)
    return out


def refine_alpha(image: np.ndarray, coarse: np.ndarray) -> np.ndarray:
    """The coarse person mask snapped to the picture's edges, edge band stretched.

    The guided filter runs at half size (the matte is made once; half size keeps it
    under ~0.1 s at 1080 px and the edge detail is still finer than the model's).
    """
    h, w = coarse.shape
    small = (max(8, w // 2), max(8, h // 2))
    grey = cv2.cvtColor(cv2.resize(image, small, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
    guide = grey.astype(F32) / 255.0
    src = cv2.resize(coarse.astype(F32), small, interpolation=cv2.INTER_AREA)
    radius = max(2, round(min(small) / 80))
    fine = guided_filter(guide, src, radius, 1e-3)
    fine = cv2.resize(fine, (w, h), interpolation=cv2.INTER_LINEAR)
    # stretch: what the model calls < 0.2 is background, > 0.8 person
    alpha = np.clip((fine - 0.2) / 0.6, 0.0, 1.0)
    alpha = alpha * alpha * (3 - 2 * alpha)
    # a speck the model half-believed in the background is not the person
    keep = _largest_component(alpha > 0.5)
    alpha *= cv2.dilate(keep, np.ones((9, 9), np.uint8)).astype(F32)
    out: np.ndarray = alpha.astype(F32)
    return out


def _largest_component(mask: np.ndarray) -> np.ndarray:
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return mask.astype(np.uint8)
    # every component at least a tenth the size of the largest (two arms, a hand)
    areas = stats[1:, cv2.CC_STAT_AREA]
    big = np.nonzero(areas >= 0.1 * areas.max())[0] + 1
    out: np.ndarray = np.isin(labels, big).astype(np.uint8)
    return out


def estimate_background(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The old background behind the person's edge (float32 RGB): a normalised
    blur of the pixels the matte calls background, at two scales so wide gaps
    (between arm and body, above the shoulders) are filled too."""
    h, w = alpha.shape
    weight = (alpha < 0.05).astype(F32)
    img = image.astype(F32)
    result = np.zeros_like(img)
    filled = np.zeros((h, w), F32)
    for sigma in (0.01 * max(h, w), 0.05 * max(h, w)):
        wb = cv2.GaussianBlur(weight, (0, 0), sigma)
        ib = cv2.GaussianBlur(img * weight[..., None], (0, 0), sigma)
        est = ib / np.maximum(wb, 1e-6)[..., None]
        take = (filled < 0.5) & (wb > 0.02)
        result[take] = est[take]
        filled[take] = 1.0
    if not filled.all():
        mean = img[weight > 0].mean(axis=0) if weight.any() else img.mean(axis=(0, 1))
        result[filled < 0.5] = mean
    return result


def unmix(image: np.ndarray, alpha: np.ndarray, background: np.ndarray) -> np.ndarray:
    """The person's own colour at the edge: ``F = B + (I - B) / a`` where the matte is
    partial (elsewhere the picture as it is)."""
    edge = (alpha > 0.02) & (alpha < 0.98)
    out = image.copy()
    a = np.maximum(alpha[edge], 0.05)[:, None]
    b = background[edge]
    out[edge] = np.clip(b + (image[edge].astype(F32) - b) / a, 0, 255).round().astype(np.uint8)
    return out


class MattedAnimator:
    """A face animator whose frames come with the presenter's matte (see module doc)."""

    def __init__(self, animator: FaceAnimator) -> None:
        self.animator = animator
        rest = animator.frame(dict(REST))
        self.alpha = refine_alpha(rest, person_mask(rest))
        clean = unmix(rest, self.alpha, estimate_background(rest, self.alpha))
        self._install(clean)
        self.size = animator.size

    def _install(self, clean: np.ndarray) -> None:
        """Give the animator the un-mixed picture as its unmoving source."""
        an = self.animator
        rig = getattr(an, "rig", None)
        if rig is not None and hasattr(rig, "image") and rig.image.shape == clean.shape:
            rig.image = np.ascontiguousarray(clean)
            rig.sharp = rig.head.sharp_source(rig.image, margin=int(0.4 * rig.height) + 4)
            self._head = rig.head
        elif hasattr(an, "base") and an.base.shape == clean.shape:
            # a drawn portrait redraws its features on ``base``; they are inside the
            # person, where the un-mixed picture equals the drawn one
            edge = (self.alpha > 0.02) & (self.alpha < 0.98)
            an.base = an.base.copy()
            an.base[edge] = clean[edge]
            self._head = an.head  # type: ignore[attr-defined]
        else:
            raise ValueError("this animator cannot be matted")

    def frame(self, values: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """(RGB uint8, alpha float32 in [0, 1]) of one frame."""
        rgb = self.animator.frame(values)
        an = self.animator
        motion = motion_matrix(an.pivot, an.face_height, values)  # type: ignore[attr-defined]
        if motion is None:
            return rgb, self.alpha
        head = self._head
        x0, y0, x1, y1 = head.roi
        alpha = self.alpha.copy()
        alpha[y0:y1, x0:x1] = cv2.remap(
            self.alpha, head.map_x, head.map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        return rgb, alpha


def matted_animator(portrait: object, size: tuple[int, int]) -> MattedAnimator:
    from avatarmedia.portrait import Portrait

    assert isinstance(portrait, Portrait)
    return MattedAnimator(make_animator(portrait, size))


# -- figures ----------------------------------------------------------------------


def mask_iou(a: np.ndarray, b: np.ndarray, exclude: tuple[int, int, int, int] | None) -> float:
    """IoU of two mattes cut at 0.5, outside the ``exclude`` box (x0, y0, x1, y1)."""
    ma, mb = a >= 0.5, b >= 0.5
    if exclude is not None:
        x0, y0, x1, y1 = exclude
        ma = ma.copy()
        mb = mb.copy()
        ma[y0:y1, x0:x1] = False
        mb[y0:y1, x0:x1] = False
    union = np.count_nonzero(ma | mb)
    return 1.0 if union == 0 else np.count_nonzero(ma & mb) / union


def halo_width(
    composite: np.ndarray, alpha: np.ndarray, background: tuple[int, int, int], tol: float = 10.0
) -> float:
    """How far (px) outside the matte's 0.5 contour the picture still differs from a
    plain ``background`` by more than ``tol`` levels on average (0: a clean edge).

    Rings at each whole-pixel distance outside the person are averaged; the first
    ring within ``tol`` ends the halo.
    """
    outside = (alpha < 0.5).astype(np.uint8)
    dist = cv2.distanceTransform(outside, cv2.DIST_L2, 3)
    diff = np.abs(composite.astype(F32) - np.array(background, F32)).max(axis=2)
    for d in range(1, 40):
        ring = (dist > d - 1) & (dist <= d)
        if not ring.any():
            break
        if float(diff[ring].mean()) <= tol:
            return float(d - 1)
    return 40.0
