"""Idle head motion: the head sways on the neck while shoulders and background stay still.

A frame's head motion is one small affine (``head_transform``: roll about a pivot in the
neck, and a shift). Only the head moves: a ``HeadRegion`` holds a weight per pixel, 1
on an ellipse around the face (face, ears, the hair next to it), falling smoothly to 0
across the hair and down the neck (``head_region``). The weight scales the *motion*,
not the colours: nothing is blended or doubled, pixels in the band just move less, and
the shoulders, the collar's ends and the background are never resampled.

The region is resampled once per frame, one ``cv2.remap`` per horizontal slab (each
only as wide as the moving pixels in it): sharp on the face, bilinear on hair, neck
and background. "Sharp" is bicubic, or, for a still source such as a photo, bilinear
from a 2x Lanczos-upsampled, mildly sharpened copy made once (``SharpSource``): as
faithful as bicubic (identity SSIM on the fixtures equal or higher) at about 40% of
its cost. A photo's face deformation is added to the same maps first
(``add_displacement``: the backward displacement field, moved with the head), so the
face is resampled once.
"""

from __future__ import annotations

import itertools
import math

import cv2
import numpy as np

F32 = np.float32
Box = tuple[int, int, int, int]
SHARP_SCALE = 2
SHARPEN, SHARPEN_SIGMA = 0.5, 1.0  # unsharp mask of the upsampled face (sigma in its px)


class SharpSource:
    """A still source's ``box`` upsampled 2x (Lanczos) and mildly sharpened, once.

    Sampling it bilinearly at 2 x keeps the source's detail like bicubic sampling
    does, at a bilinear remap's cost.
    """

    def __init__(self, src: np.ndarray, box: Box) -> None:
        x0, y0, x1, y1 = box
        self.origin = (x0, y0)
        s = SHARP_SCALE
        # Upsampled pixel s*x is source pixel x exactly (a resize would put the
        # source pixels between upsampled ones, blurring even an unmoved face).
        self.image = cv2.warpAffine(
            src[y0:y1, x0:x1],
            np.array([[1 / s, 0, 0], [0, 1 / s, 0]]),
            (s * (x1 - x0), s * (y1 - y0)),
            flags=cv2.INTER_LANCZOS4 | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REFLECT101,
        )
        # Bicubic (OpenCV's a = -0.75) sharpens a little; bilinear softens. A mild
        # unsharp mask, applied once here, gives the face bicubic's crispness back.
        up = self.image.astype(F32)
        blur = cv2.GaussianBlur(up, (0, 0), SHARPEN_SIGMA)
        self.image = (
            np.clip(cv2.addWeighted(up, 1 + SHARPEN, blur, -SHARPEN, 0), 0, 255)
            .round()
            .astype(np.uint8)
        )

    def remap(self, map_x: np.ndarray, map_y: np.ndarray, out: np.ndarray) -> None:
        """Sample at source positions (map_x, map_y) into ``out``."""
        sx = np.multiply(map_x, F32(SHARP_SCALE))
        sx -= F32(SHARP_SCALE * self.origin[0])
        sy = np.multiply(map_y, F32(SHARP_SCALE))
        sy -= F32(SHARP_SCALE * self.origin[1])
        remap_into(self.image, sx, sy, cv2.INTER_LINEAR, out)


def remap_into(
    src: np.ndarray, map_x: np.ndarray, map_y: np.ndarray, interp: int, out: np.ndarray
) -> None:
    """``cv2.remap`` of ``src`` into the view ``out`` through fixed-point maps (1/32 px),
    which are cheaper to sample than float maps."""
    fixed, frac = cv2.convertMaps(map_x, map_y, cv2.CV_16SC2)
    res = cv2.remap(src, fixed, frac, interp, dst=out, borderMode=cv2.BORDER_REFLECT101)
    if not np.shares_memory(res, out):  # OpenCV could not write into the view
        out[:] = res


def head_transform(pivot: tuple[float, float], dx: float, dy: float, roll_deg: float) -> np.ndarray:
    """2x3 forward affine of the head: roll about the pivot (in the neck), then a shift."""
    a = math.radians(roll_deg)
    m = np.array([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0]])
    p = np.array(pivot)
    m[:, 2] = p - m[:, :2] @ p + np.array([dx, dy])
    return m


def motion_matrix(
    pivot: tuple[float, float], face_height: float, values: dict[str, float]
) -> np.ndarray | None:
    """The frame's head affine from the motion plan's values, or None when at rest."""
    dx, dy = values["dx"] * face_height, values["dy"] * face_height
    roll = values["roll_deg"]
    if abs(dx) <= 0.05 and abs(dy) <= 0.05 and abs(roll) <= 0.01:
        return None
    return head_transform(pivot, dx, dy, roll)


def smoothstep(x: np.ndarray) -> np.ndarray:
    """0 below 0, 1 above 1, a smooth S between: the soft edge of every weight here."""
    x = np.clip(x, 0.0, 1.0)
    out: np.ndarray = x * x * (3 - 2 * x)
    return out


class HeadRegion:
    """The part of the frame that follows the head: a weight per pixel in a rectangle.

    Weight 1 moves rigidly with the head, 0 stays still, values between move part of
    the way. The weight must be 0 on the rectangle's edge (except at the frame's own
    edge), so the region joins the unmoved frame without a seam. Rows are resampled in
    a few horizontal slabs, each only as wide as the pixels with weight > 0 in it (or
    inside ``keep``, where a face displacement may be added).
    """

    SLABS = 12

    def __init__(
        self,
        size: tuple[int, int],
        roi: Box,
        weight: np.ndarray,
        keep: Box | None = None,
        sharp: Box | None = None,
    ) -> None:
        x0, y0, x1, y1 = roi
        shape = (y1 - y0, x1 - x0)
        if weight.shape != shape:
            raise ValueError(f"weight is {weight.shape}, the region {shape}")
        self.size = size
        self.roi: Box = roi
        self.weight = np.ascontiguousarray(weight, F32)
        xs = np.arange(x0, x1, dtype=F32)[None, :]
        ys = np.arange(y0, y1, dtype=F32)[:, None]
        self.grid_x = np.ascontiguousarray(np.broadcast_to(xs, shape))
        self.grid_y = np.ascontiguousarray(np.broadcast_to(ys, shape))
        self.wx = self.weight * self.grid_x
        self.wy = self.weight * self.grid_y
        self.map_x = np.empty(shape, F32)
        self.map_y = np.empty(shape, F32)
        moving = self.weight > 0
        if keep is not None:
            kx0, ky0 = max(keep[0] - x0, 0), max(keep[1] - y0, 0)
            kx1, ky1 = min(keep[2] - x0, shape[1]), min(keep[3] - y0, shape[0])
            moving[ky0:ky1, kx0:kx1] = True
        # The face itself (``sharp``, region coordinates) is resampled sharply (bicubic,
        # or from a ``SharpSource``), so it keeps the portrait's detail; hair, neck and
        # background bilinearly.
        sk = (0, 0, 0, 0)
        if sharp is not None:
            sk = (
                min(max(sharp[0] - x0, 0), shape[1]),
                min(max(sharp[1] - y0, 0), shape[0]),
                min(max(sharp[2] - x0, 0), shape[1]),
                min(max(sharp[3] - y0, 0), shape[0]),
            )
        # (row0, row1, col0, col1, interpolation)
        self.spans: list[tuple[int, int, int, int, int]] = []
        edges = sorted(
            {*np.linspace(0, shape[0], self.SLABS + 1).round().astype(int).tolist(), sk[1], sk[3]}
        )
        lin, cub = cv2.INTER_LINEAR, cv2.INTER_CUBIC
        for r0, r1 in itertools.pairwise(edges):
            cols = np.nonzero(moving[r0:r1].any(axis=0))[0]
            if r1 <= r0 or not len(cols):
                continue
            c0, c1 = int(cols[0]), int(cols[-1]) + 1
            if sk[1] <= r0 and r1 <= sk[3] and sk[2] > sk[0]:
                s0, s1 = min(max(sk[0], c0), c1), max(min(sk[2], c1), c0)
                pieces = [(c0, s0, lin), (s0, s1, cub), (s1, c1, lin)]
            else:
                pieces = [(c0, c1, lin)]
            self.spans += [(r0, r1, a, b, f) for a, b, f in pieces if b > a]

    def maps(self, m: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Backward maps of the region for forward head affine ``m`` (None: at rest).

        map(q) = q + weight(q) * (A(q) - q), A the inverse of ``m``: rigid where the
        weight is 1, fading to the identity where it is 0.
        """
        if m is None:
            np.copyto(self.map_x, self.grid_x)
            np.copyto(self.map_y, self.grid_y)
            return self.map_x, self.map_y
        a = cv2.invertAffineTransform(np.asarray(m, np.float64))
        mx, my = self.map_x, self.map_y
        cv2.scaleAdd(self.wx, float(a[0, 0] - 1.0), self.grid_x, dst=mx)
        cv2.scaleAdd(self.wy, float(a[0, 1]), mx, dst=mx)
        cv2.scaleAdd(self.weight, float(a[0, 2]), mx, dst=mx)
        cv2.scaleAdd(self.wx, float(a[1, 0]), self.grid_y, dst=my)
        cv2.scaleAdd(self.wy, float(a[1, 1] - 1.0), my, dst=my)
        cv2.scaleAdd(self.weight, float(a[1, 2]), my, dst=my)
        return mx, my

    def add_displacement(
        self, m: np.ndarray | None, origin: tuple[int, int], dx: np.ndarray, dy: np.ndarray
    ) -> None:
        """Add a backward displacement field given on the source grid at ``origin``.

        The field is moved with the head (sampled at A(q) by a bilinear warp of the
        field itself, not of the image), so the composed map is D(A(q)) in the core.
        Call after ``maps`` for the same frame.
        """
        sx0, sy0 = origin
        bh, bw = dx.shape
        rx0, ry0, rx1, ry1 = self.roi
        if m is None:
            ox0, oy0 = max(sx0, rx0), max(sy0, ry0)
            ox1, oy1 = min(sx0 + bw, rx1), min(sy0 + bh, ry1)
            if ox1 <= ox0 or oy1 <= oy0:
                return
            self.map_x[oy0 - ry0 : oy1 - ry0, ox0 - rx0 : ox1 - rx0] += dx[
                oy0 - sy0 : oy1 - sy0, ox0 - sx0 : ox1 - sx0
            ]
            self.map_y[oy0 - ry0 : oy1 - ry0, ox0 - rx0 : ox1 - rx0] += dy[
                oy0 - sy0 : oy1 - sy0, ox0 - sx0 : ox1 - sx0
            ]
            return
        corners = np.array(
            [[sx0, sy0], [sx0 + bw - 1, sy0], [sx0, sy0 + bh - 1], [sx0 + bw - 1, sy0 + bh - 1]],
            np.float64,
        )
        moved = corners @ m[:, :2].T + m[:, 2]
        ox0 = max(rx0, math.floor(moved[:, 0].min()) - 2)
        oy0 = max(ry0, math.floor(moved[:, 1].min()) - 2)
        ox1 = min(rx1, math.ceil(moved[:, 0].max()) + 3)
        oy1 = min(ry1, math.ceil(moved[:, 1].max()) + 3)
        if ox1 <= ox0 or oy1 <= oy0:
            return
        local = np.array(m, np.float64)
        local[:, 2] = m[:, :2] @ np.array([sx0, sy0], np.float64) + m[:, 2] - (ox0, oy0)
        dsize = (ox1 - ox0, oy1 - oy0)
        sl = (slice(oy0 - ry0, oy1 - ry0), slice(ox0 - rx0, ox1 - rx0))
        for field, target in ((dx, self.map_x), (dy, self.map_y)):
            moved_field = cv2.warpAffine(
                field,
                local,
                dsize,
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_CONSTANT,
                borderValue=0,
            )
            target[sl] += moved_field

    def sharp_source(self, src: np.ndarray, margin: int) -> SharpSource:
        """The upsampled copy of a still ``src`` that ``remap`` samples the face from:
        the face's spans plus ``margin`` px, more than any frame moves a face pixel."""
        rx, ry = self.roi[0], self.roi[1]
        sharp = [s for s in self.spans if s[4] == cv2.INTER_CUBIC] or self.spans
        w, h = self.size
        return SharpSource(
            src,
            (
                max(0, rx + min(s[2] for s in sharp) - margin),
                max(0, ry + min(s[0] for s in sharp) - margin),
                min(w, rx + max(s[3] for s in sharp) + margin),
                min(h, ry + max(s[1] for s in sharp) + margin),
            ),
        )

    def remap(self, src: np.ndarray, dst: np.ndarray, sharp: SharpSource | None = None) -> None:
        """Resample the region of ``src`` through the current maps into ``dst``.

        ``dst`` must be a different array holding the unmoved frame (a copy of
        ``src`` for a photo): pixels the region leaves alone are not written.
        ``sharp``, made from this same ``src`` by ``sharp_source``, replaces bicubic
        sampling on the face.
        """
        x0, y0 = self.roi[0], self.roi[1]
        for r0, r1, c0, c1, interp in self.spans:
            out = dst[y0 + r0 : y0 + r1, x0 + c0 : x0 + c1]
            mx, my = self.map_x[r0:r1, c0:c1], self.map_y[r0:r1, c0:c1]
            if sharp is not None and interp == cv2.INTER_CUBIC:
                sharp.remap(mx, my, out)
            else:
                remap_into(src, mx, my, interp, out)


def head_region(
    size: tuple[int, int],
    face_box: tuple[float, float, float, float],
    keep: Box | None = None,
    sharp_bottom: float | None = None,
) -> HeadRegion:
    """The head region around a face (``face_box``: cheeks, forehead and chin, px);
    resampled sharply inside the face box down to ``sharp_bottom`` (default: all of it).

    Weight 1 inside an ellipse around the face with a margin (face, ears, chin, the
    hair next to it), falling smoothly to 0 at 1.45 times that ellipse: across the hair
    above and beside the head and down the neck, which narrows like a neck does, so
    the shoulders, the collar's ends and the background stay where they are.
    """
    w, h = size
    fx0, fy0, fx1, fy1 = face_box
    cx, cy = (fx0 + fx1) / 2, (fy0 + fy1) / 2
    a, b = max((fx1 - fx0) / 2, 1.0) * 1.25, max((fy1 - fy0) / 2, 1.0) * 1.2
    r_out = 1.45
    x0, x1 = max(0, int(cx - r_out * a)), min(w, math.ceil(cx + r_out * a) + 1)
    y0, y1 = max(0, int(cy - r_out * b)), min(h, math.ceil(cy + r_out * b) + 1)
    xs = (np.arange(x0, x1, dtype=np.float64) - cx) / a
    ys = (np.arange(y0, y1, dtype=np.float64) - cy) / b
    r = np.sqrt(xs[None, :] ** 2 + ys[:, None] ** 2)
    weight = smoothstep((r_out - r) / (r_out - 1.0))
    bottom = fy1 if sharp_bottom is None else sharp_bottom
    sharp = (int(fx0), int(fy0), math.ceil(fx1) + 1, math.ceil(bottom) + 1)
    return HeadRegion(size, (x0, y0, x1, y1), weight.astype(F32), keep, sharp)
