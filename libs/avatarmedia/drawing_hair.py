"""Hair and beards of the illustrated presenters, per hair word.

A hairstyle is a few masses (behind the head, on the head, locks in front of the
shoulders), each modelled as a rounded form, textured with strands that follow the
way the hair falls (from the parting or the crown to the tips), with a sheen band of
lighter strands where the key light catches the top of the head. Everything is in
head units through the head transform, so a turned head turns its hair.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from avatarmedia.drawkit import (
    Box,
    HeadTransform,
    blend,
    box_of,
    coverage,
    ellipse,
    mirror_x,
    paint,
    paint_form,
    raster,
    soften,
    spline,
    strokes,
    tone,
)

STYLES = ("bald", "bun", "long", "curly", "short", "bob", "ponytail")


@dataclass
class Flow:
    """Strands from points along ``roots`` to points along ``tips`` (head units), bowed
    outwards by ``bulge`` so they read as volume."""

    roots: np.ndarray
    tips: np.ndarray
    count: int
    bulge: float = 0.12
    around: bool = False  # strands wrap round the skull (polar about its centre)


@dataclass
class Mass:
    outline: np.ndarray
    depth: float
    flows: list[Flow] = field(default_factory=list)
    shade: float = 1.0  # darker for the masses behind
    curls: bool = False
    texture: float = 1.0  # strength of the strands (softer on a beard)
    surface: bool = False  # lies on the face (a beard): depth follows the face's curve


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
    return lines


def _tf_lines(tf: HeadTransform, lines: np.ndarray, depth: float | np.ndarray) -> np.ndarray:
    out: np.ndarray = tf(lines.reshape(-1, 2), depth).reshape(lines.shape)
    return out


def _curls(outline: np.ndarray, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Coils scattered over a curly mass: each a shaded arc on its lower right and a
    lit arc on its upper left, so the mass reads as many small lit balls."""
    lo, hi = outline.min(0), outline.max(0)
    c = rng.uniform(lo, hi, (n, 2))
    r = rng.uniform(0.08, 0.13, n)[:, None]
    t = np.linspace(-0.6, 2.4, 10)
    dark = c[:, None] + np.stack([np.cos(t), 0.9 * np.sin(t)], 1)[None] * r[:, None]
    t = np.linspace(3.3, 4.9, 8)
    lit = (
        c[:, None]
        - r[:, None] * 0.1
        + np.stack([0.75 * np.cos(t), 0.7 * np.sin(t)], 1)[None] * r[:, None]
    )
    return dark, lit


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
    poly = tf(mass.outline, depth=_depth(mass, mass.outline))
    base = tone(col.base, mass.shade)
    clip = paint_form(
        img,
        [poly],
        base,
        col.shadow,
        s * 0.3,
        s * 0.22,
        light=tone(col.light, mass.shade),
        rim=0.45 if col.rim is not None else 0.2,
        rim_colour=col.rim,
    )
    if glint is not None:
        blend(img, Box(0, 0, img.shape[1], img.shape[0]), glint * 0.5 * mass.shade, col.light, clip)
    if mass.curls:
        dark, lit = _curls(mass.outline, rng, int(70 * np.ptp(mass.outline, 0).prod()))
        strokes(
            img,
            _tf_lines(tf, dark, mass.depth),
            tone(col.shadow, 0.9),
            0.45,
            max(1.0, s * 0.028),
            clip,
        )
        strokes(
            img,
            _tf_lines(tf, lit, mass.depth),
            tone(col.light, mass.shade),
            0.35,
            max(1.0, s * 0.022),
            clip,
        )
    if not mass.flows:
        return clip
    lines = np.concatenate([_strand_lines(fl, rng) for fl in mass.flows])
    px = _tf_lines(tf, lines, _depth(mass, lines))
    half = len(px) // 2
    k = mass.texture
    mid = col.base + (col.light - col.base) * 0.4
    strokes(img, px[:half], tone(col.shadow, 0.8), 0.4 * k, max(1.0, s * 0.013), clip)
    strokes(img, px[half:], mid, 0.32 * k, max(1.0, s * 0.009), clip)
    strokes(
        img, px[:half] + np.array([s * 0.012, s * 0.004]), mid, 0.2 * k, max(1.0, s * 0.008), clip
    )
    if glint is not None:
        strokes(img, px, col.light, 0.85, max(1.0, s * 0.012), clip, weight=glint)
    return clip


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
) -> np.ndarray:
    """The hair on the head: a rounded cap over the skull, a rounded hairline with a
    little recession at the temples (``temple``) and sideburns down to ``side_bottom``."""
    v = volume
    left = np.array(
        [
            [-1.0, side_bottom],
            [-1.05 - v * 0.3, -0.55],
            [-1.1 - v * 0.5, -1.15],
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
    top = spline(np.vstack([left, [[0.25, -2.03 - v * 0.5]], mirror_x(left)[1:]]), 6)
    # locks break the silhouette a little: a gentle scallop along the outer edge
    k = np.arange(len(top))
    out = top - np.array([0.0, -0.6])
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    top = top + out * (0.025 * np.abs(np.sin(k * math.pi / 7)))[:, None]
    return np.vstack([top, spline(inner, 6)])


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


def _long_curtain(side: int, bottom: float) -> np.ndarray:
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
            [1.45, b - 0.8],
            [1.62, b - 0.1],
            [1.56, b],
            [1.43, b - 0.2],
            [1.3, b + 0.08],
            [1.18, b - 0.22],
            [1.05, b - 0.04],
            [1.0, b - 0.7],
            [0.95, 1.4],
            [0.88, 0.85],
            [0.93, 0.3],
            [0.93, -0.3],
            [0.8, -0.85],
        ]
    )
    below = np.clip(pts[:, 1] - 0.3, 0, None)  # a gentle S-wave down the fall
    pts[:, 0] += 0.06 * np.sin(below * 2.4) * np.clip(below, 0, 1)
    pts[:, 0] *= side
    return spline(pts, 4, closed=True)


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
                Mass(fringe, -0.7, [Flow(roots, tips, 25, 0.02)]),
                Mass(fringe * [-1, 1], -0.7, [Flow(roots * [-1, 1], tips * [-1, 1], 25, 0.02)]),
            ],
            [],
            [],
        )
    if style == "curly":
        rx, ry, low = (1.6, 1.95, 1.7) if female else (1.28, 1.0, -0.2)
        t = np.linspace(0, 2 * math.pi, 120, endpoint=False)
        bump = 1 + 0.045 * np.abs(np.sin(t * 11)) ** 0.5
        cy0 = -0.45 if female else -0.95
        pts = np.stack([np.cos(t) * rx * bump, cy0 + np.sin(t) * ry * bump], 1)
        pts[:, 1] = np.minimum(pts[:, 1], low + 0.08 * np.abs(np.sin(t * 11)))
        mass_back = Mass(pts, -0.6, [], 0.7, True)
        t2 = np.linspace(math.pi, 2 * math.pi, 60)
        edge = np.stack([np.cos(t2) * 1.25, -0.75 + np.sin(t2) * 1.55], 1)
        edge += 0.05 * np.abs(np.sin(t2 * 13))[:, None] * (edge - np.array([0, -0.75])) / 1.4
        t3 = np.linspace(0.05, math.pi - 0.05, 40)
        line = np.stack(
            [np.cos(t3) * 0.97, -0.95 - np.sin(t3) * 0.3 + 0.05 * np.abs(np.sin(t3 * 9))], 1
        )
        crown = np.vstack([edge, [[0.97, -0.3]], line, [[-0.97, -0.3]]])
        return [mass_back], [Mass(crown, 0.0, [], 1.0, True)], []
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
    if style in ("long", "bob", "medium") and (female or style != "medium"):
        bottom = {"long": 3.1, "bob": 1.35, "medium": 2.2}[style]
        back = spline(
            np.array(
                [
                    [-1.4, bottom],
                    [-1.45, 0.4],
                    [-1.3, -1.2],
                    [-0.7, -2.05],
                    [0.3, -2.12],
                    [1.2, -1.5],
                    [1.45, 0.0],
                    [1.4, bottom],
                    [0.0, bottom + 0.2],
                ]
            ),
            6,
            closed=True,
        )
        behind = [Mass(back, -0.6, [], 0.62)]
        cap = _cap(0.22, -1.2)
        on = [Mass(cap, 0.0, _parting_flows(part, -1.2, 200))]
        front: list[Mass] = []
        for side in (-1, 1):
            cur = _long_curtain(side, bottom)
            fl = Flow(
                np.array([[side * 0.45, -1.25], [side * 0.95, -0.9]]),
                np.array([[side * 1.1, bottom], [side * 1.5, bottom]]),
                60,
                0.08,
            )
            front.append(Mass(cur, 0.05, [fl], 0.96))
        return behind, on, front
    # short (and male "medium"): a side-parted cut with lift on top; a pixie for women
    v = 0.18 if female else 0.14
    cap = _cap(v, -1.18 if female else -1.22, -0.25 if female else 0.08, 0.0 if female else 0.1)
    flows = _parting_flows(part, -1.2, 180)
    if female:  # a pixie: the fringe swept across the forehead from the parting
        cap = _cap(v, -1.18, -0.25, 0.0, 0.3)
    return [], [Mass(cap, 0.0, flows)], []


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
                [-0.46, 0.95],
                [-0.25, 0.78],
                [0.0, 0.8],
                [0.25, 0.78],
                [0.46, 0.95],
                [0.22, 0.87],
                [-0.22, 0.87],
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
    # on the face's surface: a turned head keeps its beard round the mouth and on the jaw
    paint(img, tf(shape, face_depth(shape)), col.shadow, alpha=0.4, blur=s * 0.04)
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
        texture=0.55,
        surface=True,
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
