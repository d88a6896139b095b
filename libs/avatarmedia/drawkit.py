"""Drawing primitives of the illustrated presenters: anti-aliased shapes, soft masks,
form shading, the head transform.

Everything paints in place into a float32 RGB canvas and works inside a shape's
bounding box only, so a portrait at 1024 px costs a few dozen small operations.
Large blurs run on a reduced copy of the mask (a blurred mask has no detail to lose),
which keeps soft light and shadow cheap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

# Direction *to* the key light in image coordinates (upper left of the viewer).
LIGHT = np.array([-0.55, -0.83])


@dataclass
class HeadTransform:
    """Head units -> canvas pixels: scale, yaw (deg), roll (deg), position of the origin."""

    cx: float
    cy: float
    scale: float
    yaw_deg: float = 0.0
    roll_deg: float = 0.0

    def __call__(self, pts: np.ndarray, depth: float | np.ndarray = 0.0) -> np.ndarray:
        p = np.asarray(pts, np.float64).reshape(-1, 2)
        yaw = math.radians(self.yaw_deg)
        # A turned head: features shift by their depth and foreshorten.
        x = p[:, 0] * math.cos(yaw) + (np.asarray(depth) + 0.9) * math.sin(yaw)
        y = p[:, 1]
        r = math.radians(self.roll_deg)
        xr = x * math.cos(r) - y * math.sin(r)
        yr = x * math.sin(r) + y * math.cos(r)
        return np.stack([self.cx + xr * self.scale, self.cy + yr * self.scale], axis=1)

    def to_dict(self) -> dict[str, float]:
        return {
            "cx": self.cx,
            "cy": self.cy,
            "scale": self.scale,
            "yaw_deg": self.yaw_deg,
            "roll_deg": self.roll_deg,
        }


def ellipse(
    cx: float,
    cy: float,
    rx: float,
    ry: float,
    n: int = 48,
    t0: float = 0.0,
    t1: float = 2 * math.pi,
) -> np.ndarray:
    t = np.linspace(t0, t1, n)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def spline(pts: np.ndarray | list[list[float]], n: int = 8, closed: bool = False) -> np.ndarray:
    """Catmull-Rom curve through the points (``n`` samples per segment): smooth outlines
    from a handful of control points, as an illustrator would pull a path."""
    p = np.asarray(pts, np.float64).reshape(-1, 2)
    ext = np.vstack([p[-1:], p, p[:2]]) if closed else np.vstack([p[:1], p, p[-1:]])
    t = np.linspace(0, 1, n, endpoint=False)[:, None]
    t2, t3 = t * t, t * t * t
    out = []
    for i in range(1, len(ext) - 2 if not closed else len(p) + 1):
        p0, p1, p2, p3 = ext[i - 1], ext[i], ext[i + 1], ext[i + 2]
        out.append(
            0.5
            * (
                2 * p1
                + (p2 - p0) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2
                + (3 * p1 - p0 - 3 * p2 + p3) * t3
            )
        )
    if not closed:
        out.append(p[-1:])
    return np.vstack(out)


def mirror_x(pts: np.ndarray) -> np.ndarray:
    """The left-side points of a symmetric outline mirrored to the right (reversed)."""
    m = np.asarray(pts, np.float64).copy()[::-1]
    m[:, 0] *= -1
    return m


@dataclass
class Box:
    """A pixel box inside the canvas: x0, y0 inclusive, x1, y1 exclusive."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def empty(self) -> bool:
        return self.x1 <= self.x0 or self.y1 <= self.y0

    def sl(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)


Polys = list[np.ndarray] | np.ndarray  # polygons, or an (n, k, 2) array of equal ones


def _points(polys: Polys) -> np.ndarray:
    if isinstance(polys, np.ndarray):
        return polys.reshape(-1, 2)
    return np.vstack([np.asarray(p, np.float64).reshape(-1, 2) for p in polys])


def box_of(polys: Polys, shape: tuple[int, ...], pad: float) -> Box:
    pts = _points(polys)
    return Box(
        max(0, math.floor(pts[:, 0].min() - pad)),
        max(0, math.floor(pts[:, 1].min() - pad)),
        min(shape[1], math.ceil(pts[:, 0].max() + pad)),
        min(shape[0], math.ceil(pts[:, 1].max() + pad)),
    )


def raster(polys: Polys, box: Box, thickness: float = 0.0, closed: bool = True) -> np.ndarray:
    """Anti-aliased coverage in [0, 1] of the polygons (or strokes) inside ``box``."""
    mask = np.zeros((box.y1 - box.y0, box.x1 - box.x0), np.uint8)
    if isinstance(polys, np.ndarray) and polys.ndim == 3:
        ips = list(np.round((polys - np.array([box.x0, box.y0])) * 8).astype(np.int32))
    else:
        ips = [
            np.round(
                (np.asarray(p, np.float64).reshape(-1, 2) - np.array([box.x0, box.y0])) * 8
            ).astype(np.int32)
            for p in polys
        ]
    if thickness > 0:
        cv2.polylines(mask, ips, closed, 255, max(1, round(thickness)), cv2.LINE_AA, shift=3)
    else:
        cv2.fillPoly(mask, ips, 255, cv2.LINE_AA, shift=3)
    out: np.ndarray = mask.astype(np.float32) * (1.0 / 255.0)
    return out


def soften(a: np.ndarray, sigma: float, shift: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Gaussian blur (and shift by ``shift`` px) of a mask, on a reduced copy when wide."""
    if sigma <= 0 and shift == (0.0, 0.0):
        return a
    h, w = a.shape
    f = max(1, min(int(sigma / 2.5), h // 4, w // 4)) if sigma > 5 else 1
    small = (
        cv2.resize(a, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
        if f > 1
        else a
    )
    if shift != (0.0, 0.0):
        m = np.array([[1, 0, shift[0] / f], [0, 1, shift[1] / f]], np.float32)
        small = cv2.warpAffine(
            small, m, (small.shape[1], small.shape[0]), flags=cv2.INTER_LINEAR, borderValue=0.0
        )
    if sigma > 0:
        small = cv2.GaussianBlur(small, (0, 0), max(0.3, sigma / f))
    if f > 1:
        small = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    out: np.ndarray = np.asarray(small, np.float32)
    return out


def blend(
    img: np.ndarray,
    box: Box,
    a: np.ndarray,
    colour: np.ndarray | tuple[float, ...],
    clip: np.ndarray | None = None,
) -> None:
    """Composite ``colour`` (RGB, or a field of the box's size) with coverage ``a``."""
    col = np.asarray(colour, np.float32)
    if a.size > 4096:  # composite only the rows and columns the coverage touches
        rows = np.flatnonzero(a.max(1) > 0.002)
        cols = np.flatnonzero(a.max(0) > 0.002)
        if rows.size == 0:
            return
        r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        a = a[r0:r1, c0:c1]
        if col.ndim == 3:
            col = col[r0:r1, c0:c1]
        box = Box(box.x0 + c0, box.y0 + r0, box.x0 + c1, box.y0 + r1)
    if clip is not None:
        a = a * clip[box.sl()]
    patch = img[box.sl()]
    d = col - patch
    d *= a[..., None]
    patch += d


def paint(
    img: np.ndarray,
    poly: np.ndarray,
    colour: np.ndarray | tuple[float, ...],
    alpha: float = 1.0,
    blur: float = 0.0,
    closed: bool = True,
    thickness: float = 0.0,
    clip: np.ndarray | None = None,
) -> None:
    """Anti-aliased fill (or stroke) of a polygon in place, working in its bounding box.

    ``clip``: a canvas-sized coverage the paint is limited to (a shadow stays on the face).
    """
    box = box_of([poly], img.shape, math.ceil(3 * blur + thickness + 3))
    if box.empty:
        return
    a = raster([poly], box, thickness, closed)
    if blur > 0:
        a = soften(a, blur)
    if alpha != 1.0:
        a = a * alpha
    blend(img, box, a, colour, clip)


def strokes(
    img: np.ndarray,
    lines: Polys,
    colour: np.ndarray | tuple[float, ...],
    alpha: float,
    thickness: float,
    clip: np.ndarray | None = None,
    weight: np.ndarray | None = None,
) -> None:
    """Many thin anti-aliased open strokes (hair strands, folds) in one raster pass.

    ``weight``: an optional canvas-sized factor (a highlight band) on their coverage.
    """
    if len(lines) == 0:
        return
    box = box_of(lines, img.shape, thickness + 3)
    if box.empty:
        return
    a = raster(lines, box, thickness, closed=False) * alpha
    if weight is not None:
        a = a * weight[box.sl()]
    blend(img, box, a, colour, clip)


def coverage(shape: tuple[int, ...], polys: list[np.ndarray], blur: float = 0.0) -> np.ndarray:
    """Canvas-sized coverage of the polygons: a clip mask for the shading of one part."""
    full = np.zeros(shape[:2], np.float32)
    box = box_of(polys, shape, math.ceil(3 * blur + 3))
    if not box.empty:
        a = raster(polys, box)
        full[box.sl()] = soften(a, blur) if blur > 0 else a
    return full


def paint_form(
    img: np.ndarray,
    polys: list[np.ndarray],
    base: np.ndarray,
    shadow: np.ndarray,
    sigma: float,
    offset: float,
    clip: np.ndarray | None = None,
    light: np.ndarray | None = None,
    rim: float = 0.0,
    rim_colour: np.ndarray | None = None,
) -> np.ndarray:
    """Fill a shape and model it as a rounded form lit from the key light.

    The shape's mask, moved towards the shadow side by ``offset`` px and blurred by
    ``sigma``, is the light term: near 1 where the surface faces the light, falling
    to the shadow colour across the far side and along the edges, the way a painter
    turns a form. ``light`` (optional) is added where the surface faces the light most.
    ``rim``: a thin edge of light on the shadow side (reflected light, or ``rim_colour``
    as a back light that separates the figure from the backdrop).
    Returns the canvas-sized coverage of the shape (a clip for its details).
    """
    box = box_of(polys, img.shape, 2)
    if box.empty:
        return np.zeros(img.shape[:2], np.float32)
    return shade_form(
        img, box, raster(polys, box), base, shadow, sigma, offset, clip, light, rim, rim_colour
    )


def disks(centres: np.ndarray, radii: np.ndarray, box: Box) -> np.ndarray:
    """Anti-aliased coverage of the union of circles (pixels) inside ``box``: a mass
    of curls, whose silhouette is its round clumps."""
    mask = np.zeros((box.y1 - box.y0, box.x1 - box.x0), np.uint8)
    c = np.round((np.asarray(centres) - np.array([box.x0, box.y0])) * 8).astype(np.int32)
    r = np.round(np.asarray(radii) * 8).astype(np.int32)
    for (x, y), rr in zip(c, r, strict=True):
        cv2.circle(mask, (int(x), int(y)), max(8, int(rr)), 255, -1, cv2.LINE_AA, shift=3)
    out: np.ndarray = mask.astype(np.float32) * (1.0 / 255.0)
    return out


def shade_form(
    img: np.ndarray,
    box: Box,
    a: np.ndarray,
    base: np.ndarray,
    shadow: np.ndarray,
    sigma: float,
    offset: float,
    clip: np.ndarray | None = None,
    light: np.ndarray | None = None,
    rim: float = 0.0,
    rim_colour: np.ndarray | None = None,
) -> np.ndarray:
    """``paint_form`` for a coverage ``a`` already rastered inside ``box``."""
    full = np.zeros(img.shape[:2], np.float32)
    pad = int(sigma * 2 + offset)
    big = np.pad(a, pad, mode="edge")  # a shape cut by the canvas edge goes on beyond it
    lit = soften(big, sigma, (float(LIGHT[0] * offset), float(LIGHT[1] * offset)))
    lit = lit[pad : -pad or None, pad : -pad or None]
    inside = lit[a > 0.5]
    if inside.size:  # a narrow shape's brightest part is still fully lit
        lit = lit * (0.95 / max(0.3, float(inside.max())))
    lit = np.clip((lit - 0.25) / 0.7, 0, 1)
    lit = lit * lit * (3 - 2 * lit)
    field = shadow + (base - shadow) * lit[..., None]
    if light is not None:
        hi = soften(
            big, sigma * 1.2, (float(LIGHT[0] * offset * 2.2), float(LIGHT[1] * offset * 2.2))
        )
        hi = np.clip((hi[pad : -pad or None, pad : -pad or None] - 0.8) / 0.2, 0, 1)
        field = field + (light - base) * (hi * 0.55)[..., None]
    if rim > 0:
        w = max(1.5, sigma * 0.12)
        inner = soften(big, w * 0.6, (float(LIGHT[0] * w), float(LIGHT[1] * w)))
        edge = np.clip(a - inner[pad : -pad or None, pad : -pad or None], 0, 1) * (1 - lit)
        col = base * 1.05 if rim_colour is None else rim_colour
        field = field + (col - field) * (edge * rim)[..., None]
    blend(img, box, a, field, clip)
    full[box.sl()] = a
    return full


def tone(
    colour: np.ndarray,
    k: float,
    hue: tuple[float, float, float] = (1.0, 1.0, 1.0),
    add: float = 0.0,
) -> np.ndarray:
    """A darker/lighter version of a colour with a hue shift (shadows cooler and redder
    than a plain multiply, which turns skin muddy brown)."""
    out: np.ndarray = np.clip(
        np.asarray(colour, np.float32) * k * np.array(hue, np.float32) + add, 0, 255
    )
    return out
