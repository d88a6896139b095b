"""Hair and beards of the illustrated presenters, per hair word.

A hairstyle is a few masses (behind the head, on the head, locks in front of the
shoulders), each modelled as a rounded form, textured with strands that follow the
way the hair falls (from the parting or the crown to the tips), with a sheen band of
lighter strands where the key light catches the top of the head. Everything is in
head units through the head transform, so a turned head turns its hair.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from avatarmedia.drawkit import (
    Box,
    HeadTransform,
    blend,
    box_of,
    coverage,
    disks,
    ellipse,
    mirror_x,
    paint,
    paint_form,
    raster,
    shade_form,
    soften,
    spline,
    strokes,
    tone,
)

STYLES = ("bald", "bun", "long", "wavy", "curly", "afro", "short", "bob", "ponytail")


@dataclass
class Flow:
    """Strands from points along ``roots`` to points along ``tips`` (head units), bowed
    outwards by ``bulge`` so they read as volume."""

    roots: np.ndarray
    tips: np.ndarray
    count: int
    bulge: float = 0.12
    around: bool = False  # strands wrap round the skull (polar about its centre)
    wave: float = 0.0  # amplitude of an S-wave down each strand (wavy hair)


@dataclass
class Mass:
    outline: np.ndarray
    depth: float
    flows: list[Flow] = field(default_factory=list)
    shade: float = 1.0  # darker for the masses behind
    texture: float = 1.0  # strength of the strands (softer on a beard)
    surface: bool = False  # lies on the face (a beard): depth follows the face's curve
    clumps: np.ndarray | None = None  # (n, 3) x, y, r: a mass of curls as round clumps
    lines: np.ndarray | None = None  # extra strands (n, k, 2), e.g. a crop's short tufts
    fade: np.ndarray | None = None  # (m, k, 2) regions (head units) where the hair thins
    fade_k: float = 0.6  # how much of what is under it shows there


def face_depth(pts: np.ndarray) -> np.ndarray:
    """Depth of the face's surface at head-unit points: 0.35 at the midline (where the
    mouth is drawn), 0 at the outline; a beard on it turns with the mouth."""
    x = np.asarray(pts, np.float64).reshape(-1, 2)[:, 0]
    out: np.ndarray = 0.35 * np.clip(1 - x * x, 0, 1)
    return out


def _depth(mass: Mass, pts: np.ndarray) -> float | np.ndarray:
    return face_depth(pts) if mass.surface else mass.depth


@dataclass
class HairColours:
    base: np.ndarray
    shadow: np.ndarray
    light: np.ndarray
    rim: np.ndarray | None = None  # the back light on the shadow-side edge

    @classmethod
    def of(cls, hair: np.ndarray, rim: np.ndarray | None = None) -> HairColours:
        light = hair + (255 - hair) * 0.36
        return cls(hair, tone(hair, 0.45, (1.05, 0.93, 0.88)), light, rim)


def _along(curve: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Points at fractions ``t`` of a polyline's length."""
    seg = np.sqrt(((curve[1:] - curve[:-1]) ** 2).sum(1))
    cum = np.concatenate([[0], np.cumsum(seg)])
    d = t * cum[-1]
    return np.stack([np.interp(d, cum, curve[:, 0]), np.interp(d, cum, curve[:, 1])], 1)


def _strand_lines(flow: Flow, rng: np.random.Generator) -> np.ndarray:
    """(count, 12, 2) strands from the roots to the tips: bowed quadratic curves, or
    for hair on the skull (``around``) arcs that keep to its curvature (angle and
    radius about the skull's centre interpolated, the radius lifted mid-way)."""
    t = np.sort(rng.uniform(0, 1, flow.count))
    a = _along(flow.roots, np.clip(t + rng.normal(0, 0.03, flow.count), 0, 1))
    b = _along(flow.tips, np.clip(t + rng.normal(0, 0.02, flow.count), 0, 1))
    # roots left out (no fan of lines), except on the skull where the arcs spread
    u = np.linspace(0.04 if flow.around else 0.15, 1, 12)[None, :, None]
    lift = (flow.bulge * rng.uniform(0.6, 1.3, flow.count))[:, None, None]
    centre = np.array([0.0, -0.55])
    if flow.around:
        pa, pb = a - centre, b - centre
        ra, rb = np.hypot(pa[:, 0], pa[:, 1]), np.hypot(pb[:, 0], pb[:, 1])
        ta, tb = np.arctan2(pa[:, 1], pa[:, 0]), np.arctan2(pb[:, 1], pb[:, 0])
        tb = np.where(
            tb - ta > math.pi, tb - 2 * math.pi, np.where(ta - tb > math.pi, tb + 2 * math.pi, tb)
        )
        th = ta[:, None, None] + (tb - ta)[:, None, None] * u
        r = ra[:, None, None] + (rb - ra)[:, None, None] * u + lift * np.sin(math.pi * u)
        arcs: np.ndarray = centre + np.concatenate([np.cos(th), np.sin(th)], 2) * r
        return arcs
    mid = (a + b) / 2
    out = mid - centre
    out /= np.linalg.norm(out, axis=1, keepdims=True) + 1e-6
    c = mid + out * lift[:, 0]
    lines: np.ndarray = (1 - u) ** 2 * a[:, None] + 2 * (1 - u) * u * c[:, None] + u**2 * b[:, None]
    if flow.wave:
        phase = rng.uniform(-0.3, 0.3, flow.count)[:, None]
        lines[..., 0] += flow.wave * np.sin(lines[..., 1] * 4.6 + phase) * np.clip(u[..., 0], 0, 1)
    return lines


def _tf_lines(tf: HeadTransform, lines: np.ndarray, depth: float | np.ndarray) -> np.ndarray:
    out: np.ndarray = tf(lines.reshape(-1, 2), depth).reshape(lines.shape)
    return out


def _resample(lines: np.ndarray, k: int) -> np.ndarray:
    """Strands of any point count as ``k`` points each (to stack with the others)."""
    n = lines.shape[1]
    t = np.linspace(0, n - 1, k)
    i0 = np.clip(np.floor(t).astype(int), 0, n - 2)
    f = (t - i0)[None, :, None]
    out: np.ndarray = lines[:, i0] * (1 - f) + lines[:, i0 + 1] * f
    return out


def _coils(clumps: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per clump, a C-shaped coil in shadow (lower right) and a lit one (upper left):
    each clump reads as a springy ringlet, not a dot of texture."""
    c, r = clumps[:, :2], clumps[:, 2:3]
    t0 = rng.uniform(-0.4, 0.4, len(c))[:, None]
    t = t0 + np.linspace(-0.3, 2.2, 9)[None]
    k = rng.uniform(0.5, 0.7, len(c))[:, None]
    dark = c[:, None] + np.stack([np.cos(t), np.sin(t)], 2) * (r * k)[:, None]
    t = t0 + np.linspace(3.2, 4.9, 7)[None]
    lit = c[:, None] + np.stack([np.cos(t), np.sin(t)], 2) * (r * k * 0.75)[:, None]
    return dark, lit


def _draw_clumps(
    img: np.ndarray,
    tf: HeadTransform,
    mass: Mass,
    col: HairColours,
    rng: np.random.Generator,
    glint: np.ndarray | None,
) -> np.ndarray:
    """A mass of curls: the union of its round clumps modelled as one form, the gaps
    between clumps in shadow, a highlight on each clump's lit side, a coil in each."""
    assert mass.clumps is not None
    s = tf.scale
    cl = mass.clumps
    c = tf(cl[:, :2], mass.depth)
    r = cl[:, 2] * s
    box = box_of([c], img.shape, float(r.max()) + 4)
    if box.empty:
        return np.zeros(img.shape[:2], np.float32)
    a = disks(c, r, box)
    base = tone(col.base, mass.shade)
    clip = shade_form(
        img,
        box,
        a,
        base,
        col.shadow,
        s * 0.35,
        s * 0.25,
        light=tone(col.light, mass.shade),
        rim=0.45 if col.rim is not None else 0.2,
        rim_colour=col.rim,
    )
    rm = float(np.median(r))
    inner = soften(disks(c, r * 0.8, box), rm * 0.25)
    gaps = np.clip(a - inner, 0, 1)
    blend(img, box, gaps * 0.4, tone(col.shadow, 0.8), clip)
    off = np.array([-0.3, -0.35]) * r[:, None]
    hi = soften(disks(c + off, r * 0.42, box), rm * 0.22)
    blend(img, box, hi * 0.4 * mass.shade, tone(col.light, mass.shade), clip)
    if glint is not None:
        blend(
            img, Box(0, 0, img.shape[1], img.shape[0]), glint * 0.35 * mass.shade, col.light, clip
        )
    dark, lit = _coils(cl, rng)
    strokes(
        img, _tf_lines(tf, dark, mass.depth), tone(col.shadow, 0.85), 0.5, max(1.0, s * 0.02), clip
    )
    strokes(
        img,
        _tf_lines(tf, lit, mass.depth),
        tone(col.light, mass.shade),
        0.4,
        max(1.0, s * 0.015),
        clip,
    )
    return clip


def clump_field(
    inside: Callable[[np.ndarray], np.ndarray],
    lo: tuple[float, float],
    hi: tuple[float, float],
    step: float,
    r: tuple[float, float],
    rng: np.random.Generator,
) -> np.ndarray:
    """Clumps on a jittered grid over the region where ``inside`` holds, sorted top to
    bottom so the lower clumps overlap the ones above (as curls hang)."""
    ys = np.arange(lo[1], hi[1], step * 0.85)
    pts = []
    for i, y in enumerate(ys):
        xs = np.arange(lo[0] + (step / 2 if i % 2 else 0), hi[0], step)
        pts.append(np.stack([xs, np.full_like(xs, y)], 1))
    p = np.vstack(pts) + rng.normal(0, step * 0.18, (sum(len(q) for q in pts), 2))
    p = p[inside(p)]
    radii = rng.uniform(r[0], r[1], len(p))
    out: np.ndarray = np.column_stack([p, radii])
    return out[np.argsort(out[:, 1])]


def _tufts(
    inside: Callable[[np.ndarray], np.ndarray],
    lo: tuple[float, float],
    hi: tuple[float, float],
    n: int,
    direction: Callable[[np.ndarray], np.ndarray],
    length: tuple[float, float],
    rng: np.random.Generator,
) -> np.ndarray:
    """Short strands over a crop (n, 4, 2): each from a random point along the local
    direction of growth, slightly bent, so cut hair reads as texture with a grain."""
    p = rng.uniform(lo, hi, (n * 3, 2))
    p = p[inside(p)][:n]
    d = direction(p)
    d /= np.linalg.norm(d, axis=1, keepdims=True) + 1e-9
    ln = rng.uniform(length[0], length[1], len(p))[:, None]
    bend = np.stack([-d[:, 1], d[:, 0]], 1) * rng.normal(0, 0.15, len(p))[:, None] * ln
    u = np.linspace(0, 1, 4)[None, :, None]
    out: np.ndarray = (
        p[:, None] + d[:, None] * ln[:, None] * u + bend[:, None] * np.sin(math.pi * u)
    )
    return out


def draw_mass(
    img: np.ndarray,
    tf: HeadTransform,
    mass: Mass,
    col: HairColours,
    rng: np.random.Generator,
    glint: np.ndarray | None,
) -> np.ndarray:
    """One hair mass: a rounded form, strands dark and light, the sheen. Returns coverage."""
    s = tf.scale
    if mass.clumps is not None:
        return _draw_clumps(img, tf, mass, col, rng, glint)
    poly = tf(mass.outline, depth=_depth(mass, mass.outline))
    under = None
    if mass.fade is not None:
        fbox = box_of([poly], img.shape, 2)
        under = (fbox, img[fbox.sl()].copy())
    base = tone(col.base, mass.shade)
    ext = float(np.ptp(mass.outline, 0).min())  # a small mass is modelled more tightly
    clip = paint_form(
        img,
        [poly],
        base,
        col.shadow,
        s * min(0.3, 0.5 * ext),
        s * min(0.22, 0.35 * ext),
        light=tone(col.light, mass.shade),
        rim=0.45 if col.rim is not None else 0.2,
        rim_colour=col.rim,
    )
    if glint is not None:
        blend(img, Box(0, 0, img.shape[1], img.shape[0]), glint * 0.5 * mass.shade, col.light, clip)
    if not mass.flows and mass.lines is None:
        return clip
    sets = [_strand_lines(fl, rng) for fl in mass.flows]
    if mass.lines is not None:
        sets.append(_resample(mass.lines, 12))
    lines = np.concatenate(sets)
    px = _tf_lines(tf, lines, _depth(mass, lines))
    half = len(px) // 2
    k = mass.texture
    mid = col.base + (col.light - col.base) * 0.4
    strokes(img, px[:half], tone(col.shadow, 0.8), 0.4 * k, max(1.0, s * 0.013), clip)
    strokes(img, px[half:], mid, 0.32 * k, max(1.0, s * 0.009), clip)
    strokes(
        img, px[:half] + np.array([s * 0.012, s * 0.004]), mid, 0.2 * k, max(1.0, s * 0.008), clip
    )
    if glint is not None:  # short tufts catch the light in flecks, long strands in a band
        k = 0.3 if mass.lines is not None else 0.85
        strokes(img, px, col.light, k, max(1.0, s * 0.011), clip, weight=glint)
    if under is not None and mass.fade is not None:
        _thin_out(img, tf, mass, under)
    return clip


def _thin_out(
    img: np.ndarray, tf: HeadTransform, mass: Mass, under: tuple[Box, np.ndarray]
) -> None:
    """Let what was under the hair show through its ``fade`` region (soft-edged): the
    short sides of a crop, a beard thinning out up the cheeks."""
    assert mass.fade is not None
    box, before = under
    f = raster([tf(q, _depth(mass, q)) for q in mass.fade], box)
    f = soften(f, tf.scale * 0.12) * mass.fade_k
    patch = img[box.sl()]
    patch += (before - patch) * f[..., None]


def sheen(shape: tuple[int, ...], tf: HeadTransform, top: float, width: float) -> np.ndarray:
    """The band where the key light glints on the hair: a soft arc over the crown."""
    arc = tf(ellipse(-0.15, top + 0.85, width, 0.7, 24, math.pi * 1.1, math.pi * 1.7), 0.0)
    s = tf.scale
    full = np.zeros(shape[:2], np.float32)
    box = box_of([arc], shape, s * 0.4)
    if not box.empty:
        full[box.sl()] = soften(raster([arc], box, thickness=s * 0.22, closed=False), s * 0.08)
    out: np.ndarray = np.clip(full * 1.6, 0, 1)
    return out


# ---------------------------------------------------------------- styles (head units)


def _cap(
    volume: float,
    hairline: float,
    side_bottom: float = -0.2,
    temple: float = 0.0,
    sweep: float = 0.0,
    ragged: float = 0.025,
    fringe: float = 0.0,
    sides: float | None = None,
    arch: float | None = None,
) -> np.ndarray:
    """The hair on the head: a rounded cap over the skull, a rounded hairline with a
    little recession at the temples (``temple``) and sideburns down to ``side_bottom``.
    ``arch``: hair falling from a parting at that x frames the forehead in a round arch
    (long styles) instead of a hairline with temples."""
    v = volume
    w = volume if sides is None else sides  # a crop is close at the sides, full on top
    left = np.array(
        [
            [-1.0, side_bottom],
            [-1.05 - w * 0.3, -0.55],
            [-1.1 - w * 0.5, -1.15],
            [-0.86 - v * 0.4, -1.72 - v * 0.3],
            [-0.35, -2.0 - v * 0.5],
        ]
    )
    inner = np.array(
        [
            [0.955, side_bottom],
            [0.94, -0.5],
            [0.84, -0.9 - temple + sweep],
            [0.5, hairline + 0.02 + sweep * 0.8],
            [0.0, hairline - 0.04 + sweep * 0.3],
            [-0.5, hairline + 0.04],
            [-0.84, -0.9 - temple],
            [-0.945, -0.5],
            [-0.96, side_bottom],
        ]
    )
    if arch is not None:
        t = np.linspace(0.08, math.pi - 0.08, 11)
        x = 0.94 * np.cos(t)
        y = -0.3 - (hairline * -1 - 0.3) * np.sin(t) ** 0.8
        y -= 0.06 * np.exp(-(((x - arch) / 0.12) ** 2))  # the parting's little V
        inner = np.vstack([[[0.955, side_bottom]], np.stack([x, y], 1), [[-0.96, side_bottom]]])
    top = spline(np.vstack([left, [[0.25, -2.03 - v * 0.5]], mirror_x(left)[1:]]), 6)
    # locks break the silhouette a little: a gentle scallop along the outer edge
    k = np.arange(len(top))
    out = top - np.array([0.0, -0.6])
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    lock = np.abs(np.sin(k * math.pi / 7)) * (0.7 + 0.3 * np.sin(k * 1.7))
    top = top + out * (ragged * lock)[:, None]
    edge = spline(inner, 6)
    if fringe:  # the front hairline breaks into short locks instead of one clean curve
        front = np.abs(edge[:, 0]) < 0.85
        j = np.arange(len(edge))
        edge[front, 1] += fringe * np.abs(np.sin(j[front] * math.pi / 4.5)) ** 1.5
    return np.vstack([top, edge])


def _parting_flows(part: float, hairline: float, n: int) -> list[Flow]:
    """Hair combed from a side parting: strands rooted along the part line from the
    front hairline back to the crown, sweeping over the skull to the hairline (front
    strands) and down the sides to the ears (crown strands)."""
    roots = np.array([[part, hairline + 0.05], [part * 0.75, -1.65], [part * 0.4, -2.05]])
    tips_l = spline(
        np.array([[part - 0.25, hairline + 0.08], [-0.75, -1.0], [-0.98, -0.5], [-1.06, -0.15]]), 6
    )
    tips_r = spline(
        np.array([[part + 0.3, hairline + 0.04], [0.65, -1.06], [0.97, -0.55], [1.06, -0.15]]), 6
    )
    k = (part + 1.1) / 2.2  # more strands go to the wider side
    return [
        Flow(roots, tips_l, int(n * k), 0.1, True),
        Flow(roots + np.array([0.02, 0.0]), tips_r, int(n * (1 - k)), 0.12, True),
    ]


def _long_curtain(side: int, bottom: float, wave: float = 0.06) -> np.ndarray:
    """A curtain of long hair: from the top over the temple, framing the face, falling
    over the shoulder to three pointed locks."""
    b = bottom
    pts = np.array(
        [
            [0.25, -1.3],
            [1.0, -1.05],
            [1.26, -0.45],
            [1.3, 0.3],
            [1.33, 1.1],
            [1.47, b - 0.8],
            [1.58, b - 0.2],
            [1.5, b - 0.02],
            [1.38, b - 0.1],
            [1.24, b + 0.03],
            [1.1, b - 0.12],
            [1.0, b - 0.7],
            [0.95, 1.4],
            [0.88, 0.85],
            [0.93, 0.3],
            [0.93, -0.3],
            [0.8, -0.85],
        ]
    )
    out = spline(pts, 6, closed=True)
    below = np.clip(out[:, 1] - 0.3, 0, None)  # an S-wave down the fall (after the spline,
    freq = 2.4 if wave < 0.1 else 4.6  # so the waves are as tight as asked)
    out[:, 0] += wave * np.sin(below * freq) * np.clip(below, 0, 1)
    out[:, 0] *= side
    return out


def inside_poly(poly: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """A vectorised point-in-polygon test (even-odd rule) for head-unit points."""
    x0, y0 = poly[:, 0], poly[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)

    def test(p: np.ndarray) -> np.ndarray:
        px, py = p[:, 0:1], p[:, 1:2]
        cross = ((y0 > py) != (y1 > py)) & (
            px < (x1 - x0) * (py - y0) / np.where(y1 == y0, 1e-9, y1 - y0) + x0
        )
        out: np.ndarray = cross.sum(1) % 2 == 1
        return out

    return test


def _hull(clumps: np.ndarray) -> np.ndarray:
    """An outline round a mass of clumps (for the shadow it casts on the forehead)."""
    t = np.linspace(0, 2 * math.pi, 8, endpoint=False)
    ring = (
        clumps[:, None, :2] + np.stack([np.cos(t), np.sin(t)], 1)[None] * clumps[:, None, 2:]
    ).reshape(-1, 2)
    hull = cv2.convexHull(ring.astype(np.float32)).reshape(-1, 2)
    return np.asarray(hull, np.float64)


def _curly(style: str, female: bool, rng: np.random.Generator) -> tuple[list[Mass], list[Mass]]:
    """Curls as round clumps: ``afro`` a big rounded halo, ``curly`` ringlets to the
    shoulders (women) or a short curly top (men). The clumps behind the head give the
    silhouette; a band of clumps on the head comes down over the top of the forehead."""
    if style == "afro":
        cx, cy, rx, ry, low, step, r = (
            0.0,
            -0.8,
            1.72,
            1.55,
            0.7 if female else 0.35,
            0.27,
            (0.16, 0.21),
        )
    elif female:
        cx, cy, rx, ry, low, step, r = 0.0, -0.35, 1.55, 2.05, 1.9, 0.25, (0.14, 0.19)
    else:
        cx, cy, rx, ry, low, step, r = 0.0, -0.95, 1.22, 1.12, -0.1, 0.19, (0.11, 0.14)

    def back(p: np.ndarray) -> np.ndarray:
        e = ((p[:, 0] - cx) / rx) ** 2 + ((p[:, 1] - cy) / ry) ** 2
        out: np.ndarray = (e < 1) & (p[:, 1] < low)
        return out

    hairline = -1.08 if style == "afro" or female else -1.16
    skull_rx = 1.12 if style != "afro" else 1.3

    def crown(p: np.ndarray) -> np.ndarray:
        # the hairline: highest mid-forehead, down the temples to the ears
        e = (p[:, 0] / skull_rx) ** 2 + ((p[:, 1] + 0.8) / 1.35) ** 2
        line = hairline + 0.75 * np.clip(np.abs(p[:, 0]) / 1.0, 0, 1) ** 3
        out: np.ndarray = (e < 1) & (p[:, 1] < line) & (np.abs(p[:, 0]) < 1.12)
        return out

    bc = clump_field(back, (cx - rx, cy - ry), (cx + rx, low), step, r, rng)
    cc = clump_field(
        crown, (-1.3, -2.3), (1.3, hairline + 0.75), step * 0.85, (r[0] * 0.85, r[1] * 0.85), rng
    )
    # a row of clumps along the hairline, both sides alike, so the curls frame the face
    # without a bald temple where the jittered grid happened to leave a gap
    ex = np.linspace(-1.06, 1.06, int(2.12 / (step * 0.8)) + 1)
    er = rng.uniform(r[0] * 0.8, r[1] * 0.8, len(ex))
    ey = hairline + 0.75 * np.clip(np.abs(ex), 0, 1) ** 3 - er * 0.5
    ey += rng.normal(0, step * 0.08, len(ex))
    cc = np.vstack([cc, np.column_stack([ex, ey, er])])
    cc = cc[np.argsort(cc[:, 1])]
    return (
        [Mass(_hull(bc), -0.6, shade=0.8, clumps=bc)],
        [Mass(_hull(cc), 0.0, shade=1.0, clumps=cc)],
    )


def _crop_tufts(
    cap: np.ndarray, part: float, n: int, length: tuple[float, float], rng: np.random.Generator
) -> np.ndarray:
    """Short strands over a cropped cut: growing from the crown, over the top towards
    the front, down the sides, each a little bent."""
    whorl = np.array([part * 0.4, -2.0])

    def grow(p: np.ndarray) -> np.ndarray:
        d: np.ndarray = p - whorl
        d[:, 1] = np.abs(d[:, 1]) * 0.6 + 0.25
        return d

    lo, hi = cap.min(0), cap.max(0)
    return _tufts(inside_poly(cap), (lo[0], lo[1]), (hi[0], hi[1]), n, grow, length, rng)


def hairstyle(
    style: str, female: bool, rng: np.random.Generator
) -> tuple[list[Mass], list[Mass], list[Mass]]:
    """(behind the head, on the head, in front) masses for a style word."""
    part = -0.35 if rng.random() < 0.7 else 0.3
    if style == "bald":
        fringe = spline(
            np.array(
                [
                    [-1.0, -0.6],
                    [-1.12, -0.35],
                    [-1.16, 0.05],
                    [-1.1, 0.3],
                    [-1.0, 0.1],
                    [-0.98, -0.35],
                ]
            ),
            6,
            closed=True,
        )
        roots = np.array([[-1.02, -0.68], [-1.08, -0.3]])
        tips = np.array([[-1.05, 0.05], [-1.08, 0.18]])
        return (
            [
                Mass(fringe, 0.0, [Flow(roots, tips, 25, 0.02)]),
                Mass(fringe * [-1, 1], 0.0, [Flow(roots * [-1, 1], tips * [-1, 1], 25, 0.02)]),
            ],
            [],
            [],
        )
    if style in ("curly", "afro"):
        behind, on = _curly(style, female, rng)
        return behind, on, []
    if style in ("bun", "ponytail"):
        cap = _cap(0.0, -1.22)
        roots = np.array([[-0.9, -1.0], [-0.6, -1.25], [0.0, -1.3], [0.6, -1.25], [0.9, -1.0]])
        tips = np.array([[-0.2, -2.0], [-0.1, -2.05], [0.0, -2.08], [0.1, -2.05], [0.2, -2.0]])
        on = [Mass(cap, 0.0, [Flow(roots, tips, 90, 0.22)])]
        if style == "bun":
            bun = ellipse(0.0, -2.15, 0.5, 0.4, 40)
            wraps = [
                Flow(
                    ellipse(0, -2.15, 0.45, 0.32, 8, math.pi, 1.6 * math.pi),
                    ellipse(0, -2.15, 0.45, 0.32, 8, 1.6 * math.pi, 2.2 * math.pi),
                    40,
                    0.1,
                )
            ]
            return [Mass(bun, -0.5, wraps, 0.95)], on, []
        # tied at the back; the tail comes round the neck and lies over the shoulder
        tail = spline(
            np.array(
                [
                    [0.5, 1.45],
                    [0.95, 1.55],
                    [1.3, 1.95],
                    [1.52, 2.6],
                    [1.5, 3.2],
                    [1.36, 3.6],
                    [1.2, 3.2],
                    [1.0, 2.5],
                    [0.72, 1.95],
                ]
            ),
            6,
            closed=True,
        )
        tflow = Flow(
            np.array([[0.6, 1.55], [0.95, 1.6]]), np.array([[1.25, 3.45], [1.45, 3.3]]), 70, 0.12
        )
        return [], on, [Mass(tail, -0.2, [tflow], 0.95)]
    if style in ("long", "bob", "medium", "wavy") and (female or style not in ("medium", "wavy")):
        bottom = {"long": 3.1, "bob": 1.35, "medium": 2.2, "wavy": 2.6}[style]
        wave = 0.2 if style == "wavy" else 0.06
        back = spline(
            np.array(
                [
                    [-1.4 - wave, bottom],
                    [-1.45 - wave, 0.4],
                    [-1.3 - wave * 0.5, -1.2],
                    [-0.7, -2.05],
                    [0.3, -2.12],
                    [1.2 + wave * 0.5, -1.5],
                    [1.45 + wave, 0.0],
                    [1.4 + wave, bottom],
                    [0.0, bottom + 0.2],
                ]
            ),
            6,
            closed=True,
        )
        if style == "wavy":  # the silhouette waves with the curtains in front
            below = np.clip(back[:, 1] - 0.3, 0, None)
            back[:, 0] += np.sign(back[:, 0]) * wave * np.sin(below * 4.6) * np.clip(below, 0, 1)
        behind = [Mass(back, -0.6, [], 0.62)]
        cap = _cap(0.22 + wave * 0.5, -1.2, arch=part)
        on = [Mass(cap, 0.0, _parting_flows(part, -1.2, 200))]
        front: list[Mass] = []
        for side in (-1, 1):
            cur = _long_curtain(side, bottom, wave)
            # the curtain grows out of the cap: its top dissolves into it, no seam
            top = np.array([[0.0, -2.2], [1.7, -2.2], [1.7, -0.75], [0.0, -0.95]]) * [side, 1]
            fl = Flow(
                np.array([[side * 0.45, -1.25], [side * 0.95, -0.9]]),
                np.array([[side * 1.1, bottom], [side * 1.5, bottom]]),
                70,
                0.08,
                wave=wave * 0.8,
            )
            front.append(Mass(cur, 0.05, [fl], 0.96, fade=top[None], fade_k=1.0))
        return behind, on, front
    # short (and a man's "medium"/"wavy"): a crop with lift on top, its silhouette and
    # hairline broken into locks, textured with short tufts; a pixie for women
    wavy = style in ("wavy", "medium")
    if female:  # a pixie: the fringe swept across the forehead from the parting
        cap = _cap(0.18, -1.18, -0.25, 0.0, 0.3, ragged=0.05, fringe=0.06)
    else:  # each man his own cut: how much lift, how high the hairline, how ragged
        cap = _cap(
            (0.26 if wavy else 0.16) + rng.uniform(-0.06, 0.08),
            -1.22 - rng.uniform(-0.05, 0.1),
            0.05,
            0.1 + rng.uniform(-0.05, 0.08),
            ragged=(0.08 if wavy else 0.055) * rng.uniform(0.7, 1.4),
            fringe=(0.07 if wavy else 0.05) * rng.uniform(0.6, 1.4),
            sides=0.1 if wavy else 0.0,
        )
    flows = _parting_flows(part, -1.2, 70)
    length = (0.22, 0.42) if wavy else (0.12, 0.26)
    tufts = _crop_tufts(cap, part, 420, length, rng)
    sides = None
    if not female:  # clipped short above the ears: the sides thin out to the skin
        left = np.array([[-1.3, -0.95], [-0.86, -0.95], [-0.8, 0.2], [-1.3, 0.2]])
        sides = np.stack([left, left * [-1, 1]])
    crop = Mass(cap, 0.0, flows, lines=tufts, fade=sides, fade_k=0.45, texture=0.7)
    return [], [crop], []


def hairline_shadow(
    img: np.ndarray, tf: HeadTransform, masses: list[Mass], shadow: np.ndarray, clip: np.ndarray
) -> None:
    """Ambient occlusion: the hair shades the forehead and temples just below it."""
    for m in masses:
        paint(
            img,
            tf(m.outline + np.array([0.03, 0.08]), depth=m.depth),
            shadow,
            alpha=0.45,
            blur=tf.scale * 0.07,
            clip=clip,
        )


def beard(
    img: np.ndarray,
    tf: HeadTransform,
    male_jaw: np.ndarray,
    col: HairColours,
    stubble: bool,
    rng: np.random.Generator,
) -> None:
    """A full beard from the sideburns along the jaw, round the mouth, with a moustache
    (or stubble: a soft tint of the hair colour with fine short hairs)."""
    del male_jaw
    left = np.array(
        [[-0.99, 0.25], [-0.97, 0.6], [-0.88, 1.0], [-0.66, 1.38], [-0.3, 1.64], [0.0, 1.7]]
    )
    inner_l = np.array([[-0.22, 1.24], [-0.45, 1.12], [-0.55, 0.9], [-0.7, 0.62], [-0.86, 0.3]])
    outer = np.vstack([left, mirror_x(left)[1:]])
    inner = np.vstack([inner_l[::-1] * [-1, 1], [[0.0, 1.27]], inner_l])
    shape = spline(np.vstack([outer, inner]), 5, closed=True)
    must = spline(
        np.array(
            [
                [-0.45, 0.98],
                [-0.32, 0.8],
                [-0.1, 0.74],
                [0.0, 0.77],
                [0.1, 0.74],
                [0.32, 0.8],
                [0.45, 0.98],
                [0.25, 0.9],
                [0.0, 0.885],
                [-0.25, 0.9],
            ]
        ),
        5,
        closed=True,
    )
    s = tf.scale
    if stubble:
        for poly in (shape, must):
            paint(img, tf(poly, face_depth(poly)), col.base, alpha=0.3, blur=s * 0.035)
        n = 900
        xy = np.stack([rng.uniform(-1.0, 1.0, n), rng.uniform(0.2, 1.7, n)], 1)
        dots = np.stack([xy, xy + np.array([0.004, 0.014])], 1)
        clip = coverage(
            img.shape, [tf(shape, face_depth(shape)), tf(must, face_depth(must))], s * 0.03
        )
        strokes(img, _tf_lines(tf, dots, face_depth(dots)), col.shadow, 0.22, 1.0, clip)
        return
    edge = spline(np.vstack([[[-1.0, 0.05]], inner_l[::-1][:-1]]), 4)  # ear -> lip corner
    cheek = np.vstack([edge + np.array([0.08, -0.1]), (edge + np.array([-0.2, 0.22]))[::-1]])
    # on the face's surface: a turned head keeps its beard round the mouth and on the jaw
    paint(img, tf(shape, face_depth(shape)), col.shadow, alpha=0.25, blur=s * 0.04)
    m = Mass(
        shape,
        0.0,
        [
            Flow(
                spline(
                    np.array([[-0.95, 0.3], [-0.5, 0.95], [0.0, 1.3], [0.5, 0.95], [0.95, 0.3]]), 6
                ),
                spline(
                    np.array([[-0.9, 0.7], [-0.6, 1.45], [0.0, 1.72], [0.6, 1.45], [0.9, 0.7]]), 6
                ),
                160,
                0.03,
            )
        ],
        texture=0.85,
        surface=True,
        # thinning out up the cheeks instead of ending in a hard edge
        fade=np.stack([cheek, cheek * [-1, 1]]),
        fade_k=0.8,
    )
    draw_mass(img, tf, m, col, rng, None)
    draw_mass(
        img,
        tf,
        Mass(
            must,
            0.35,
            [
                Flow(
                    np.array([[-0.1, 0.8], [0.1, 0.8]]),
                    np.array([[-0.45, 0.94], [0.45, 0.94]]),
                    40,
                    0.02,
                )
            ],
            texture=0.55,
            surface=True,
        ),
        col,
        rng,
        None,
    )
