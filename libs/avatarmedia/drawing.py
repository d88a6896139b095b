"""Illustrated presenters (head and shoulders): anti-aliased vector drawing with soft
light and shadow, deterministic for the spec's seed.

The style is a polished editorial illustration: one key light from the upper left
models every form (face, neck, hair masses, clothing) by shifted, blurred masks
(``drawkit.paint_form``), with ambient occlusion under the hair and the jaw, hair in
masses with strands and a sheen band, eyes with lids, lashes and catchlights, lips
with a cupid's bow and a highlight. Every description word has a visible trace:
gender (face shape, lashes, brows), age (grey hair, lines), hair colour and style,
skin tone, attire kind and colour, expression (mouth, brows, cheeks), background
colour and setting.

All head geometry lives in head units (face half-width = 1, origin between the eyes,
y down) with a depth per feature, and goes through one transform (yaw, roll, scale,
position) to canvas pixels, so a pose is a redraw, not a warp. The rig returned with
the image is what ``animate_drawn`` needs to redraw the mouth, eyelids and brows per
frame: the transform, the colours and the feature anchors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from avatarmedia.drawing_body import SETTINGS, attire, background, cast_shadow, neck
from avatarmedia.drawing_hair import (
    STYLES,
    HairColours,
    beard,
    draw_mass,
    hairline_shadow,
    hairstyle,
    sheen,
)
from avatarmedia.drawkit import (
    HeadTransform,
    coverage,
    ellipse,
    mirror_x,
    paint,
    paint_form,
    spline,
    strokes,
    tone,
)

if TYPE_CHECKING:
    from avatarmedia.portrait import PortraitSpec

__all__ = [
    "BACKGROUND",
    "CLOTH",
    "HAIR",
    "POSE_RIG_KEYS",
    "SKIN",
    "HeadTransform",
    "draw",
    "draw_base",
    "draw_brows",
    "draw_eye_lids",
    "draw_mouth",
    "ellipse",
    "mouth_shape",
    "paint",
]

# Rig keys set by ``pose.apply_pose`` on top of a drawing (not produced by ``draw``).
POSE_RIG_KEYS = ("mirror", "grade")

SKIN = {
    "fair": (240, 210, 190),
    "light": (238, 200, 172),
    "medium": (220, 172, 136),
    "olive": (204, 160, 116),
    "tan": (196, 148, 108),
    "brown": (160, 110, 78),
    "dark": (122, 80, 58),
    "deep": (92, 60, 44),
}
HAIR = {
    "black": (36, 30, 30),
    "brown": (98, 64, 42),
    "dark": (56, 40, 32),
    "blonde": (222, 186, 120),
    "red": (170, 72, 38),
    "auburn": (128, 56, 36),
    "gray": (156, 154, 152),
    "white": (226, 224, 220),
    "silver": (196, 196, 200),
    "light": (176, 134, 92),
}
CLOTH = {
    "navy": (36, 48, 84),
    "blue": (52, 88, 160),
    "charcoal": (58, 60, 66),
    "black": (30, 30, 34),
    "gray": (120, 122, 128),
    "grey": (120, 122, 128),
    "white": (236, 236, 232),
    "burgundy": (112, 30, 46),
    "maroon": (104, 30, 40),
    "teal": (28, 110, 116),
    "green": (46, 104, 70),
    "beige": (200, 180, 150),
    "cream": (232, 222, 200),
    "brown": (100, 70, 48),
    "red": (170, 40, 44),
    "purple": (92, 56, 120),
    "pink": (220, 150, 170),
    "olive": (110, 110, 60),
    "orange": (220, 120, 50),
    "yellow": (230, 200, 80),
    "gold": (200, 160, 70),
    "dark": (40, 40, 48),
    "light": (200, 200, 205),
}
BACKGROUND = {
    "blue": (70, 110, 160),
    "gray": (128, 132, 138),
    "grey": (128, 132, 138),
    "teal": (60, 120, 124),
    "beige": (196, 182, 160),
    "white": (225, 226, 228),
    "black": (30, 32, 36),
    "green": (80, 120, 90),
    "navy": (40, 52, 90),
    "purple": (100, 80, 130),
    "red": (150, 60, 60),
    "orange": (210, 140, 80),
    "pink": (210, 160, 170),
    "cream": (228, 220, 200),
    "yellow": (220, 200, 120),
    "dark": (44, 46, 52),
    "light": (210, 212, 216),
}
ATTIRE = ("blazer", "suit", "shirt", "sweater", "tshirt", "hoodie", "dress", "aodai", "uniform")
IRIS = ((84, 54, 34), (64, 96, 128), (76, 104, 70), (48, 34, 26), (110, 80, 44))


def _word_colour(
    words: str, table: dict[str, tuple[int, int, int]], default: tuple[int, int, int]
) -> np.ndarray:
    for w in words.split():
        if w in table:
            return np.array(table[w], np.float32)
    return np.array(default, np.float32)


@dataclass(frozen=True)
class Features:
    """A person's own face, drawn from the seed: proportions an illustrator varies so
    that two presenters of the same words are still two people."""

    width: float  # face below the temples
    jaw: float  # + square and wide, - narrow and pointed
    chin: float  # chin length (head units)
    cheek: float  # cheekbone definition
    eye_size: float
    eye_tilt: float  # + outer corners up
    eye_gap: float  # eye centre from the midline
    nose_w: float
    nose_len: float
    brow_arch: float
    brow_weight: float
    lip_full: float
    mouth_w: float
    freckles: bool
    mole: tuple[float, float] | None

    @classmethod
    def of(cls, seed: int, female: bool, age: str, skin: str) -> Features:
        r = np.random.default_rng(seed + 3)
        u = r.uniform
        young = age == "young"
        mole_x = float(u(0.4, 0.75)) * (1 if r.random() < 0.5 else -1)  # off the nose
        mole = (mole_x, float(u(0.3, 1.2))) if r.random() < 0.3 else None
        return cls(
            width=float(u(0.9, 1.07)),
            jaw=float(u(-0.1, 0.1) + (0.03 if not female else -0.02)),
            chin=float(u(-0.06, 0.12)),
            cheek=float(u(0.3, 1.0)),
            eye_size=float(u(0.9, 1.08) + (0.05 if female else 0.0) + (0.04 if young else 0.0)),
            eye_tilt=float(u(-0.02, 0.035)),
            eye_gap=float(u(0.385, 0.425)),
            nose_w=float(u(0.88, 1.18) + (0.06 if not female else 0.0)),
            nose_len=float(u(-0.05, 0.06)),
            brow_arch=float(u(0.55, 1.35)),
            brow_weight=float(u(0.8, 1.2) * (1.0 if female else 1.35)),
            lip_full=float(u(0.88, 1.2) * (1.08 if female else 1.0)),
            mouth_w=float(u(0.39, 0.46)),
            freckles=skin in ("fair", "light") and r.random() < 0.35,
            mole=mole,
        )


def head_outline(
    male: bool, n: int = 8, width: float = 1.0, jaw: float = 0.0, chin: float = 0.0
) -> np.ndarray:
    """Skull and face in head units: crown y=-1.8, cheekbones at the eyes, jaw, chin 1.57.

    ``width`` scales the face below the temples, ``jaw`` widens (+) or narrows (-) the
    jaw and chin, ``chin`` lengthens the chin: a person's own face shape, from the seed.
    """
    if male:
        left = [
            [0.0, -1.82],
            [-0.62, -1.7],
            [-0.96, -1.32],
            [-1.06, -0.7],
            [-1.07, -0.1],
            [-1.02, 0.5],
            [-0.95, 0.92],
            [-0.8, 1.27],
            [-0.46, 1.52],
        ]
    else:
        left = [
            [0.0, -1.8],
            [-0.6, -1.7],
            [-0.94, -1.33],
            [-1.03, -0.7],
            [-1.05, -0.05],
            [-0.97, 0.5],
            [-0.83, 0.92],
            [-0.6, 1.27],
            [-0.3, 1.5],
        ]
    side = np.array(left)
    low = np.clip((side[:, 1] + 0.7) / 2.2, 0, 1)  # 0 above the temples, 1 at the chin
    side[:, 0] *= 1 + (width - 1) * low + jaw * np.clip((side[:, 1] - 0.3) / 1.2, 0, 1)
    side[:, 1] += chin * np.clip((side[:, 1] - 0.9) / 0.6, 0, 1)
    pts = np.vstack([side, [[0.0, 1.58 + chin]], mirror_x(side)[:-1]])
    return spline(pts, n, closed=True)


# ---------------------------------------------------------------- per-frame features


def mouth_shape(
    opening: float,
    width: float,
    rounding: float,
    smile: float,
    base_w: float = 0.42,
    fullness: float = 1.0,
) -> dict[str, np.ndarray]:
    """Lip polygons in head units relative to the mouth centre: a cupid's bow on the
    upper lip, a fuller lower lip, corners lifted by the smile."""
    w = base_w * (1 + 0.22 * (width - 0.5) * 2 - 0.3 * rounding + 0.08 * smile)
    gap = 0.30 * opening
    lift = 0.15 * smile
    xs = np.linspace(-1, 1, 25)
    ax = np.abs(xs)
    bow = 0.024 * np.exp(-(((ax - 0.3) / 0.16) ** 2)) - 0.014 * np.exp(-((xs / 0.09) ** 2))
    inner_up = np.stack(
        [
            xs * w * (1 - 0.12 * opening),
            -gap * 0.25 * (1 - xs**2) - lift * xs**2 + 0.008 * (1 - xs**2),
        ],
        1,
    )
    inner_lo = np.stack([xs * w * (1 - 0.12 * opening), gap * (1 - xs**2) ** 0.8 - lift * xs**2], 1)
    outer_up = np.stack(
        [
            xs * w * 1.02,
            inner_up[:, 1]
            - (0.085 * fullness + 0.02 * rounding) * (1 - xs**2) ** 0.6
            - bow * fullness,
        ],
        1,
    )
    outer_lo = np.stack(
        [xs * w, inner_lo[:, 1] + (0.13 * fullness + 0.03 * rounding) * (1 - xs**2) ** 0.55], 1
    )
    return {"inner_up": inner_up, "inner_lo": inner_lo, "outer_up": outer_up, "outer_lo": outer_lo}


def _mouth_inside(
    img: np.ndarray,
    to_px: Any,
    shape: dict[str, np.ndarray],
    opening: float,
    s: float,
    lip: np.ndarray,
) -> None:
    """Open mouth: a warm dark cavity (never black), the tongue low in it, upper teeth
    as an arch of separate teeth (longer incisors, shaded towards the corners, a soft
    shadow under the lip), the lower teeth's edges behind the lower lip when wide."""
    inner = np.vstack([to_px(shape["inner_up"]), to_px(shape["inner_lo"])[::-1]])
    cavity = tone(lip, 0.42, (1.0, 0.72, 0.78))
    paint(img, inner, cavity)
    clip = coverage(img.shape, [inner])
    up = shape["inner_up"]
    paint(  # the back of the mouth, darker under the palate
        img,
        to_px(up + np.array([0, 0.06])),
        tone(cavity, 0.55),
        alpha=0.8,
        thickness=s * 0.12,
        closed=False,
        blur=s * 0.035,
        clip=clip,
    )
    mx = float(np.mean(inner[:, 0]))
    bottom = float(inner[:, 1].max())
    tw = float(np.ptp(inner[:, 0])) * 0.36
    tongue = ellipse(mx, bottom - s * 0.02, tw, s * 0.3 * opening * 0.34 + 1, 32)
    tcol = tone(lip, 0.92, (1.0, 0.9, 0.94), 8)
    paint(img, tongue, tcol, alpha=min(1.0, opening * 2.5), blur=s * 0.01, clip=clip)
    paint(  # its lit top
        img,
        ellipse(
            mx - tw * 0.15, bottom - s * 0.03 - s * 0.3 * opening * 0.2, tw * 0.5, s * 0.012 + 1
        ),
        tone(tcol, 1.15, add=10),
        alpha=min(0.5, opening * 1.2),
        blur=s * 0.012,
        clip=clip,
    )
    teeth_h = min(0.075, 0.126 * opening)
    tu = up[2:-2]
    w = float(np.abs(tu[:, 0]).max())
    x = tu[:, 0]
    # each tooth's biting edge rounded; the incisors longest, shorter towards the corners
    edge = teeth_h * (1 - 0.35 * (x / w) ** 2) * (0.9 + 0.1 * np.abs(np.cos(math.pi * x / 0.085)))
    teeth = np.vstack([to_px(tu), to_px(np.stack([x, tu[:, 1] + edge], 1))[::-1]])
    paint(img, teeth, (240, 236, 229), alpha=0.97, clip=clip, blur=s * 0.002)
    tclip = coverage(img.shape, [teeth]) * clip
    for side in (-1, 1):  # the arch turns away from the light towards the corners
        c = to_px(np.array([[side * w, float(tu[0, 1]) + teeth_h * 0.5]]))[0]
        paint(
            img,
            ellipse(c[0], c[1], s * w * 0.55, s * 0.12),
            tone(cavity, 1.3),
            alpha=0.75,
            blur=s * 0.07,
            clip=tclip,
        )
    xs = np.array([-0.3, -0.19, -0.09, 0.0, 0.09, 0.19, 0.3]) * w / 0.42
    ys = np.interp(xs, tu[:, 0], tu[:, 1])
    sep = np.stack([np.stack([xs, ys + 0.005], 1), np.stack([xs, ys + teeth_h * 0.85], 1)], 1)
    strokes(
        img,
        to_px(sep.reshape(-1, 2)).reshape(sep.shape),
        (176, 166, 162),
        0.4,
        max(1.0, s * 0.006),
        tclip,
    )
    if opening > 0.5:  # the lower teeth's edges, in shadow behind the lower lip
        lo = shape["inner_lo"][7:-7]
        low = np.vstack([to_px(lo + np.array([0, -0.035])), to_px(lo)[::-1]])
        paint(
            img,
            low,
            (178, 170, 166),
            alpha=min(0.75, (opening - 0.5) * 2.5),
            clip=clip,
            blur=s * 0.006,
        )
    paint(  # the lip's shadow on the teeth and the inner lip's wet surface
        img,
        to_px(up + np.array([0, 0.008])),
        tone(lip, 0.5),
        alpha=0.55,
        thickness=s * 0.025,
        closed=False,
        blur=s * 0.008,
        clip=clip,
    )


def draw_mouth(
    img: np.ndarray,
    tf: HeadTransform,
    rig: dict[str, Any],
    opening: float,
    width: float,
    rounding: float,
    smile: float,
) -> None:
    """Lips (two-tone, a highlight on the lower lip, soft corners) and, when open, the
    inside of the mouth; drawn on the base every frame."""
    mx, my = rig["mouth"]
    shape = mouth_shape(
        opening,
        width,
        rounding,
        smile,
        float(rig.get("mouth_w", 0.42)),
        float(rig.get("lip_full", 1)),
    )
    lip = np.array(rig["lip"], np.float32)
    skin = np.array(rig["skin"], np.float32)

    def to_px(p: np.ndarray) -> np.ndarray:
        return tf(p + np.array([mx, my]), depth=0.35)

    s = tf.scale
    up_poly = np.vstack([to_px(shape["outer_up"]), to_px(shape["inner_up"])[::-1]])
    lo_poly = np.vstack([to_px(shape["inner_lo"]), to_px(shape["outer_lo"])[::-1]])
    # shadow under the lower lip, light on the chin's top
    paint(
        img,
        to_px(shape["outer_lo"][5:-5] + np.array([0.02, 0.05])),
        tone(skin, 0.7, (1.0, 0.88, 0.9)),
        alpha=0.4,
        blur=s * 0.025,
        thickness=s * 0.05,
        closed=False,
    )
    if opening > 0.02:
        _mouth_inside(img, to_px, shape, opening, s, lip)
    paint(img, up_poly, tone(lip, 0.8, (0.98, 0.95, 1.0)), blur=s * 0.002)
    paint(img, lo_poly, lip, blur=s * 0.002)
    # lower lip: a little darker under the line, a soft highlight on its fullness
    paint(
        img,
        to_px(shape["inner_lo"][4:-4] + np.array([0, 0.012])),
        tone(lip, 0.8),
        alpha=0.3,
        thickness=s * 0.02,
        closed=False,
        blur=s * 0.01,
    )
    lo_mid = float(np.mean([shape["inner_lo"][12, 1], shape["outer_lo"][12, 1]]))
    hl = ellipse(mx - 0.05, my + lo_mid + 0.008, 0.13, 0.022, 24)
    paint(img, tf(hl, depth=0.35), np.minimum(lip * 1.2 + 36, 255), alpha=0.4, blur=s * 0.014)
    paint(
        img,
        to_px(shape["outer_up"][8:12] + np.array([0, 0.02])),
        np.minimum(lip * 1.15 + 20, 255),
        alpha=0.3,
        thickness=s * 0.015,
        closed=False,
        blur=s * 0.006,
    )
    if opening <= 0.02:  # the line between closed lips, fading out at the corners
        line = shape["inner_up"]
        paint(
            img,
            to_px(line[3:-3]),
            tone(lip, 0.45, (1.0, 0.9, 0.9)),
            alpha=0.8,
            thickness=max(1.0, s * 0.013),
            closed=False,
            blur=s * 0.004,
        )
        paint(
            img,
            to_px(line),
            tone(lip, 0.55, (1.0, 0.9, 0.9)),
            alpha=0.45,
            thickness=max(1.0, s * 0.01),
            closed=False,
            blur=s * 0.005,
        )
    for side in (0, -1):  # soft corners
        c = to_px(shape["inner_up"][[side]])[0]
        paint(
            img,
            ellipse(c[0], c[1], s * 0.025, s * 0.018, 16),
            tone(skin, 0.6, (1, 0.85, 0.88)),
            alpha=0.5,
            blur=s * 0.012,
        )


def draw_eye_lids(img: np.ndarray, tf: HeadTransform, rig: dict[str, Any], blink: float) -> None:
    """A blink: the upper lid (skin, crease, lash line) lowered over the eye."""
    if blink <= 0.02:
        return
    lid = np.array(rig.get("lid", rig["skin"]), np.float32)
    liner = np.array(rig.get("liner", (36, 26, 24)), np.float32)
    size, tilt = float(rig.get("eye_size", 1.0)), float(rig.get("eye_tilt", 0.0))
    for side, (ex, ey) in zip((-1, 1), rig["eyes"], strict=True):
        up, lo = _eye_curves(ex, ey, side, 0.0, size, tilt)
        bottom = up[:, 1] + (lo[::-1][:, 1] - up[:, 1]) * blink + 0.012 * blink
        top = up[:, 1] - 0.035
        cover = np.vstack([np.stack([up[:, 0], top], 1), np.stack([up[:, 0], bottom], 1)[::-1]])
        paint(img, tf(cover, depth=0.25), lid, blur=tf.scale * 0.004)
        edge = np.stack([up[:, 0], bottom], 1)
        paint(
            img,
            tf(edge, depth=0.25),
            liner,
            alpha=0.9,
            thickness=max(1.0, tf.scale * float(rig.get("liner_w", 0.016))),
            closed=False,
        )


def draw_brows(img: np.ndarray, tf: HeadTransform, rig: dict[str, Any], raise_: float) -> None:
    """Tapered brows with the person's own arch and weight, a soft body and hair strokes
    that follow the growth (upwards at the inner end, sideways along the tail)."""
    hair = np.array(rig["brow_colour"], np.float32)
    weight = float(rig.get("brow_weight", 1.0))
    arch = float(rig.get("brow_arch", 1.0))
    raise_ = raise_ + float(rig.get("rest_brow", 0.0))
    hairs = []
    for side, (ex, ey) in zip((-1, 1), rig["eyes"], strict=True):
        u = np.linspace(0, 1, 21)  # inner end -> tail
        x = ex + side * (-0.22 + 0.52 * u)
        lift = 0.09 * raise_ * (1.3 - 0.6 * u)
        y = (
            ey
            - 0.28
            - 0.075 * arch * np.sin(np.clip(u / 0.68, 0, 1) * math.pi / 2)
            + (0.06 + 0.05 * arch) * np.clip((u - 0.68) / 0.32, 0, 1) ** 1.5
            - lift
        )
        thick = (0.048 * (1 - u) ** 0.7 + 0.01) * weight
        top = np.stack([x, y - thick * 0.6], 1)
        bot = np.stack([x, y + thick * 0.45], 1)
        paint(
            img,
            tf(np.vstack([top, bot[::-1]]), depth=0.25),
            hair,
            alpha=0.8,
            blur=tf.scale * 0.006,
        )
        k = np.arange(0, 20)
        up = np.clip(1 - u[k] * 2.5, 0, 1)  # inner hairs grow upwards
        dx = side * (0.022 * (1 - up) + 0.006)
        dy = -thick[k] * (0.55 + 0.45 * up)
        hairs.append(
            np.stack(
                [
                    np.stack([x[k], y[k] + thick[k] * 0.4], 1),
                    np.stack([x[k] + dx, y[k] + dy], 1),
                ],
                1,
            )
        )
    lines = np.concatenate(hairs)
    strokes(
        img,
        tf(lines.reshape(-1, 2), depth=0.25).reshape(lines.shape),
        tone(hair, 0.7),
        0.3,
        max(1.0, tf.scale * 0.007),
    )


# ---------------------------------------------------------------- static face


def _eye_curves(
    ex: float, ey: float, side: int, squint: float = 0.0, size: float = 1.0, tilt: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Upper lid (inner -> outer corner, peak towards the inner side) and lower lid
    (raised by a smile's ``squint``), at the person's own ``size`` and ``tilt``."""
    xs = np.linspace(-1, 1, 31)
    k = xs * side  # -1 inner corner, 1 outer corner
    hw = 0.225 * size
    up = np.stack(
        [
            ex + xs * hw,
            ey - 0.118 * size * (1 - xs**2) ** 0.72 * (1 - 0.2 * k) - 0.016 * k - tilt * k,
        ],
        1,
    )
    lo = np.stack(
        [
            ex + xs[::-1] * hw,
            ey
            + (0.062 - 0.02 * squint) * size * (1 - xs[::-1] ** 2) ** 0.9 * (1 + 0.15 * k[::-1])
            - 0.008 * k[::-1]
            - tilt * k[::-1],
        ],
        1,
    )
    return up, lo


def _eye(
    img: np.ndarray,
    tf: HeadTransform,
    ex: float,
    ey: float,
    side: int,
    look: dict[str, Any],
    face: np.ndarray,
    smile: float,
) -> None:
    """An eye: socket shadow, lid with crease and brow-bone light, a sclera shaded by
    the lid, iris (limbal ring, lighter lower half, pupil, catchlights), a thin lash
    line (lashes for women, short and towards the outer corner), a soft lower lid."""
    s = tf.scale
    skin, iris = look["skin"], look["iris"]
    size, tilt, female = look["eye_size"], look["eye_tilt"], look["female"]
    up, lo = _eye_curves(ex, ey, side, smile, size, tilt)
    almond = tf(np.vstack([up, lo]), depth=0.25)
    shade = tone(skin, 0.8, (1.0, 0.9, 0.95))
    paint(  # the socket, deepest towards the nose
        img,
        tf(ellipse(ex - 0.06 * side, ey - 0.05, 0.3, 0.2), 0.2),
        shade,
        alpha=0.32,
        blur=s * 0.07,
        clip=face,
    )
    crease = np.stack(
        [
            up[:, 0] * 1.02 - ex * 0.02,
            up[:, 1] - 0.06 * size - 0.02 * (1 - np.linspace(-1, 1, 31) ** 2),
        ],
        1,
    )
    paint(  # light on the lid and the brow bone above the crease
        img,
        tf(ellipse(ex + 0.03 * side, ey - 0.2, 0.2, 0.06), 0.3),
        np.clip(skin * 1.08 + 12, 0, 255),
        alpha=0.3,
        blur=s * 0.04,
        clip=face,
    )
    sclera = np.array((238, 233, 228), np.float32) * 0.9 + skin * 0.1
    paint(img, almond, sclera)
    clip = coverage(img.shape, [almond])
    paint(  # the corners of the white turn into the lid
        img,
        almond,
        tone(skin, 0.85, (1.0, 0.9, 0.9)),
        alpha=0.45,
        thickness=s * 0.05,
        blur=s * 0.02,
        clip=clip,
    )
    paint(
        img,
        tf(ellipse(ex - side * 0.2 * size, ey + 0.005, 0.035, 0.03, 16), 0.25),
        (214, 150, 150),
        alpha=0.6,
        blur=s * 0.01,
        clip=clip,
    )
    ix, iy, r = ex + 0.008 * side, ey + 0.006, 0.103 * size
    paint(img, tf(ellipse(ix, iy, r, r), 0.3), tone(iris, 0.8), clip=clip)
    paint(
        img,
        tf(ellipse(ix + 0.005, iy + 0.03, r * 0.75, r * 0.6), 0.3),
        np.minimum(iris * 1.45 + 24, 255),
        alpha=0.7,
        blur=s * 0.02,
        clip=clip,
    )
    paint(
        img,
        tf(ellipse(ix, iy, r, r), 0.3),
        tone(iris, 0.4),
        alpha=0.75,
        thickness=s * 0.016,
        blur=s * 0.004,
        clip=clip,
    )
    paint(img, tf(ellipse(ix, iy, 0.042 * size, 0.042 * size), 0.3), (16, 12, 14), clip=clip)
    paint(  # the upper lid's shadow across white and iris
        img,
        tf(up + np.array([0, 0.035]), 0.25),
        (40, 28, 28),
        alpha=0.38,
        thickness=s * 0.07,
        closed=False,
        blur=s * 0.022,
        clip=clip,
    )
    paint(img, tf(ellipse(ix - 0.036, iy - 0.036, 0.024, 0.021, 16), 0.3), (252, 252, 252))
    paint(
        img, tf(ellipse(ix + 0.04, iy + 0.034, 0.011, 0.009, 12), 0.3), (240, 240, 240), alpha=0.5
    )
    paint(
        img,
        tf(crease[3:-2], 0.25),
        tone(skin, 0.64, (1.0, 0.88, 0.9)),
        alpha=0.5,
        thickness=max(1.0, s * 0.014),
        closed=False,
        blur=s * 0.008,
    )
    liner, w = look["liner"], look["liner_w"]
    paint(img, tf(up, 0.25), liner, alpha=0.9, thickness=max(1.0, s * w), closed=False)
    outer = up[17:] if side > 0 else up[:14]  # the lash line a little fuller outwards
    paint(
        img,
        tf(outer + np.array([0, -0.004]), 0.25),
        liner,
        alpha=0.8 if female else 0.4,
        thickness=max(1.0, s * w * 1.35),
        closed=False,
    )
    if female:  # a few fine lashes towards the outer corner, curving up and out
        lashes = []
        for t in np.linspace(0.5, 1.0, 6):
            j = min(30, max(0, round(15 + side * t * 15)))
            p = up[j]
            length = 0.032 * (0.7 + 0.5 * t) * look["lash"]
            lashes.append(
                spline(
                    np.array(
                        [
                            p,
                            p + np.array([side * length * 0.25, -length * 0.6]),
                            p + np.array([side * length * 0.8, -length]),
                        ]
                    ),
                    3,
                )
            )
        strokes(
            img,
            tf(np.array(lashes).reshape(-1, 2), 0.25).reshape(len(lashes), -1, 2),
            liner,
            0.75,
            max(1.0, s * 0.009),
        )
    paint(
        img,
        tf(lo, 0.25),
        tone(skin, 0.62, (1.0, 0.88, 0.9)),
        alpha=0.45,
        thickness=max(1.0, s * 0.012),
        closed=False,
        blur=s * 0.005,
    )
    paint(
        img,
        tf(lo + np.array([0, 0.045]), 0.2),
        tone(skin, 0.85, (1.0, 0.9, 0.95)),
        alpha=0.25,
        thickness=s * 0.05,
        closed=False,
        blur=s * 0.03,
        clip=face,
    )


def _nose(
    img: np.ndarray,
    tf: HeadTransform,
    skin: np.ndarray,
    face: np.ndarray,
    k: float = 1.0,
    length: float = 0.0,
) -> None:
    """Nose modelled by light and shadow; ``k`` its width, ``length`` how far its tip
    comes down (the person's own)."""
    s = tf.scale
    L = length
    dark = tone(skin, 0.66, (1.0, 0.86, 0.88))
    lit = np.clip(skin * 1.08 + 14, 0, 255)
    paint(  # the shadow side of the bridge
        img,
        tf(np.array([[0.1, -0.1], [0.13, 0.2], [0.16, 0.46 + L]]), 0.5),
        dark,
        alpha=0.35,
        blur=s * 0.04,
        thickness=s * 0.07,
        closed=False,
        clip=face,
    )
    paint(
        img,
        tf(np.array([[-0.03, -0.05], [-0.04, 0.25], [-0.04, 0.45 + L]]), 0.6),
        lit,
        alpha=0.4,
        blur=s * 0.028,
        thickness=s * 0.05,
        closed=False,
        clip=face,
    )
    paint(  # the cast shadow under the nose
        img,
        tf(ellipse(0.05, 0.7 + L, 0.2 * k, 0.05), 0.4),
        dark,
        alpha=0.45,
        blur=s * 0.035,
        clip=face,
    )
    for side in (-1, 1):
        t0, t1 = (0.6 * math.pi, 1.5 * math.pi) if side < 0 else (-0.5 * math.pi, 0.4 * math.pi)
        ala = ellipse(side * 0.15 * k, 0.58 + L, 0.08, 0.08, 16, t0, t1)
        paint(
            img,
            tf(ala, 0.5),
            dark,
            alpha=0.3,
            thickness=max(1.0, s * 0.03),
            closed=False,
            blur=s * 0.02,
        )
        paint(
            img,
            tf(ellipse(side * 0.075 * k, 0.645 + L, 0.036 * k, 0.016, 16), 0.6),
            tone(skin, 0.45, (1.0, 0.8, 0.82)),
            alpha=0.6,
            blur=s * 0.009,
        )
    paint(  # the tip's highlight
        img,
        tf(ellipse(-0.025, 0.5 + L, 0.06, 0.05, 16), 0.7),
        np.minimum(skin * 1.15 + 22, 255),
        alpha=0.55,
        blur=s * 0.022,
    )
    for side in (-1, 1):  # philtrum ridges
        paint(
            img,
            tf(np.array([[side * 0.05, 0.72 + L], [side * 0.07, 0.86]]), 0.45),
            lit,
            alpha=0.25,
            thickness=s * 0.02,
            closed=False,
            blur=s * 0.01,
            clip=face,
        )


def _face_light(
    img: np.ndarray,
    tf: HeadTransform,
    skin: np.ndarray,
    female: bool,
    age: str,
    smile: float,
    face: np.ndarray,
) -> None:
    """Form accents: forehead and cheekbone light, temples and cheek hollows, blush,
    nasolabial folds, chin; lines of age."""
    s = tf.scale
    lit = np.clip(skin * 1.07 + 14, 0, 255)
    dark = tone(skin, 0.78, (1.0, 0.88, 0.92))
    paint(img, tf(ellipse(-0.25, -0.85, 0.45, 0.3), 0.3), lit, alpha=0.4, blur=s * 0.15, clip=face)
    paint(img, tf(ellipse(-0.6, 0.28, 0.22, 0.1), 0.3), lit, alpha=0.45, blur=s * 0.07, clip=face)
    paint(img, tf(ellipse(-0.08, 1.38, 0.16, 0.08), 0.3), lit, alpha=0.4, blur=s * 0.05, clip=face)
    for side in (-1, 1):
        paint(
            img,
            tf(ellipse(side * 0.78, 0.72, 0.16, 0.28), 0.1),
            dark,
            alpha=0.22 if side < 0 else 0.35,
            blur=s * 0.09,
            clip=face,
        )
        blush = np.clip(skin * [1.02, 0.82, 0.84] + np.array([10, 0, 0]), 0, 255)
        paint(
            img,
            tf(ellipse(side * 0.55, 0.5 - 0.05 * smile, 0.22, 0.13), 0.3),
            blush,
            alpha=(0.32 if female else 0.16) + 0.1 * smile,
            blur=s * 0.08,
            clip=face,
        )
        if smile > 0:  # raised cheek apples catch the light
            paint(
                img,
                tf(ellipse(side * 0.5 - 0.04, 0.42, 0.14, 0.08), 0.35),
                lit,
                alpha=0.4 * smile,
                blur=s * 0.05,
                clip=face,
            )
        fold = np.array(
            [[side * 0.2, 0.66], [side * 0.36, 0.85], [side * (0.46 + 0.05 * smile), 1.08]]
        )
        paint(
            img,
            tf(spline(fold, 6), 0.35),
            dark,
            alpha=0.2 + 0.25 * smile + (0.15 if age == "senior" else 0.0),
            thickness=s * 0.03,
            closed=False,
            blur=s * 0.02,
            clip=face,
        )
    if age in ("senior", "middle-aged"):
        _age_lines(img, tf, dark, lit, 1.0 if age == "senior" else 0.5, face)


def _structure(
    img: np.ndarray,
    tf: HeadTransform,
    skin: np.ndarray,
    ft: Features,
    face: np.ndarray,
    seed: int,
) -> None:
    """What makes a face a person's and not a mannequin's: cheekbones (a lit plane over
    a hollow), the jaw's turn under the ear, the chin's ball, freckles or a mole."""
    s = tf.scale
    lit = np.clip(skin * 1.09 + 14, 0, 255)
    dark = tone(skin, 0.76, (1.0, 0.87, 0.92))
    for side in (-1, 1):
        k = ft.cheek * (0.7 if side < 0 else 1.0)
        hollow = np.array([[side * 0.98, 0.3], [side * 0.78, 0.55], [side * 0.56, 0.78]])
        paint(
            img,
            tf(spline(hollow, 6), 0.2),
            dark,
            alpha=0.3 * k,
            thickness=s * 0.12,
            closed=False,
            blur=s * 0.07,
            clip=face,
        )
        paint(
            img,
            tf(ellipse(side * 0.66, 0.22, 0.2, 0.07), 0.3),
            lit,
            alpha=(0.4 if side < 0 else 0.16) * ft.cheek,
            blur=s * 0.045,
            clip=face,
        )
        jaw = np.array([[side * 0.98, 0.6], [side * 0.88, 1.05], [side * 0.55, 1.45]])
        paint(
            img,
            tf(spline(jaw, 6), 0.0),
            dark,
            alpha=0.25 if side < 0 else 0.4,
            thickness=s * 0.1,
            closed=False,
            blur=s * 0.06,
            clip=face,
        )
    paint(  # the chin's ball
        img,
        tf(ellipse(0.02, 1.4 + ft.chin * 0.6, 0.22, 0.1), 0.3),
        dark,
        alpha=0.18,
        blur=s * 0.05,
        clip=face,
    )
    if ft.freckles:
        r = np.random.default_rng(seed + 5)
        n = 46  # a dusting over the nose and the tops of the cheeks
        xy = np.stack([r.normal(0, 0.3, n), r.normal(0.36, 0.08, n)], 1)
        col = tone(skin, 0.8, (1.0, 0.84, 0.78))
        for x, y in xy:
            rr = float(r.uniform(0.006, 0.011))
            paint(
                img,
                tf(ellipse(x, y, rr, rr, 10), 0.4),
                col,
                alpha=float(r.uniform(0.15, 0.35)),
                blur=s * 0.004,
                clip=face,
            )
    if ft.mole is not None:
        x, y = ft.mole
        paint(
            img,
            tf(ellipse(x, y, 0.016, 0.015, 12), 0.3),
            tone(skin, 0.5, (1.0, 0.85, 0.8)),
            alpha=0.75,
            blur=s * 0.003,
            clip=face,
        )


def _age_lines(
    img: np.ndarray,
    tf: HeadTransform,
    dark: np.ndarray,
    lit: np.ndarray,
    k: float,
    face: np.ndarray,
) -> None:
    """Forehead lines, crow's feet, bags under the eyes, marionette lines, jowls."""
    s = tf.scale
    thin = max(1.0, s * 0.014)
    dark = tone(dark, 0.9)
    for i, y in enumerate((-0.95, -0.8, -0.66)):
        # a fold, not a ruled line: it bends with the brow, is broken in the middle
        # and fades out at its ends, with the light on the skin just below it
        w = 0.42 - 0.06 * abs(i - 1)
        for side in (-1, 1):
            x = side * np.linspace(0.04 + 0.03 * i, w, 6)
            fold = np.stack([x, y - 0.035 * np.cos(x * 2.2) + 0.012 * np.sin(x * 9 + i)], 1)
            paint(
                img,
                tf(fold, 0.3),
                dark,
                alpha=0.38 * k,
                thickness=thin,
                closed=False,
                blur=s * 0.008,
                clip=face,
            )
            paint(
                img,
                tf(fold + np.array([0.0, 0.025]), 0.3),
                lit,
                alpha=0.25 * k,
                thickness=thin * 1.5,
                closed=False,
                blur=s * 0.01,
                clip=face,
            )
    for side in (-1, 1):
        for dy in (-0.04, 0.05):
            paint(
                img,
                tf(np.array([[side * 0.67, dy], [side * 0.78, dy * 1.8]]), 0.2),
                dark,
                alpha=0.3 * k,
                thickness=thin,
                closed=False,
                blur=s * 0.006,
                clip=face,
            )
        bag = spline(np.array([[side * 0.25, 0.13], [side * 0.42, 0.2], [side * 0.6, 0.12]]), 6)
        paint(
            img,
            tf(bag, 0.25),
            dark,
            alpha=0.6 * k,
            thickness=max(1.0, s * 0.018),
            closed=False,
            blur=s * 0.008,
            clip=face,
        )
        paint(
            img,
            tf(bag - np.array([0, 0.04]), 0.25),
            lit,
            alpha=0.3 * k,
            thickness=s * 0.04,
            closed=False,
            blur=s * 0.02,
            clip=face,
        )
        marionette = np.array([[side * 0.47, 1.08], [side * 0.5, 1.25], [side * 0.52, 1.38]])
        paint(
            img,
            tf(marionette, 0.3),
            dark,
            alpha=0.55 * k,
            thickness=max(1.0, s * 0.02),
            closed=False,
            blur=s * 0.01,
            clip=face,
        )
        paint(
            img,
            tf(ellipse(side * 0.72, 1.22, 0.14, 0.2), 0.1),
            dark,
            alpha=0.45 * k,
            blur=s * 0.06,
            clip=face,
        )


def _ears(img: np.ndarray, tf: HeadTransform, skin: np.ndarray) -> None:
    """Ears on the sides of the skull: they stay on the outline (depth 0) when the head
    turns, the far one slipping behind the cheek, so no ear floats off a turned head."""
    s = tf.scale
    sy = math.sin(math.radians(tf.yaw_deg))
    for side in (-1, 1):
        tuck = np.array([-side * 0.45 * max(0.0, side * sy), 0.0])
        ear = tuck + spline(
            np.array(
                [
                    [side * 0.98, -0.15],
                    [side * 1.15, -0.2],
                    [side * 1.2, 0.1],
                    [side * 1.1, 0.45],
                    [side * 0.98, 0.55],
                ]
            ),
            6,
        )
        px = tf(np.vstack([ear, tuck + np.array([[side * 0.9, 0.2]])]), depth=0.0)
        paint_form(
            img, [px], tone(skin, 0.95), tone(skin, 0.65, (1.0, 0.86, 0.88)), s * 0.06, s * 0.04
        )
        inner = tuck + spline(
            np.array([[side * 1.02, -0.08], [side * 1.12, 0.08], [side * 1.05, 0.35]]), 6
        )
        paint(
            img,
            tf(inner, 0.0),
            tone(skin, 0.62, (1.0, 0.85, 0.88)),
            alpha=0.6,
            thickness=s * 0.035,
            closed=False,
            blur=s * 0.015,
        )


def _glasses(
    img: np.ndarray, tf: HeadTransform, eyes: list[list[float]], frame: np.ndarray
) -> None:
    s = tf.scale
    for ex, ey in eyes:
        rim = spline(
            np.array(
                [
                    [ex - 0.3, ey - 0.16],
                    [ex + 0.3, ey - 0.16],
                    [ex + 0.29, ey + 0.12],
                    [ex + 0.05, ey + 0.2],
                    [ex - 0.27, ey + 0.14],
                ]
            ),
            8,
            closed=True,
        )
        paint(
            img,
            tf(rim + np.array([0.04, 0.07]), 0.3),
            (20, 16, 16),
            alpha=0.18,
            thickness=s * 0.03,
            blur=s * 0.02,
        )
        paint(img, tf(rim, 0.45), (255, 255, 255), alpha=0.06)
        glare = np.array([[ex - 0.18, ey + 0.1], [ex - 0.05, ey - 0.14]])
        paint(
            img,
            tf(glare, 0.45),
            (255, 255, 255),
            alpha=0.18,
            thickness=s * 0.05,
            closed=False,
            blur=s * 0.02,
        )
        paint(img, tf(rim, 0.45), frame, thickness=s * 0.035)
        paint(
            img,
            tf(rim[:20] + np.array([0, 0.004]), 0.45),
            np.minimum(frame * 1.8 + 40, 255),
            alpha=0.5,
            thickness=s * 0.01,
            closed=False,
        )
    paint(
        img,
        tf(np.array([[-0.12, -0.06], [0.0, -0.1], [0.12, -0.06]]), 0.5),
        frame,
        thickness=s * 0.03,
        closed=False,
    )


# ---------------------------------------------------------------- the portrait


def _palette(spec: PortraitSpec, rng: np.random.Generator) -> dict[str, Any]:
    skin = _word_colour(spec.skin, SKIN, SKIN["medium"])
    skin = np.clip(skin * rng.uniform(0.97, 1.03), 0, 255)
    female = spec.gender != "male"
    if female:
        lip = np.clip(skin * 0.45 + np.array([190.0, 84, 94]) * 0.55, 0, 255)
    else:
        lip = np.clip(skin * np.array([0.88, 0.68, 0.7]) + np.array([12, 0, 4]), 0, 255)
    words = spec.hair.split()
    style = next((w for w in words if w in STYLES), "short")
    return {
        "skin": skin,
        "lip": lip,
        "hair": _word_colour(spec.hair, HAIR, HAIR["brown"]),
        "style": style,
        "cloth": _word_colour(spec.attire, CLOTH, CLOTH["navy"]),
        "bg": _word_colour(spec.background, BACKGROUND, BACKGROUND["blue"]),
        "iris": np.array(IRIS[int(rng.integers(0, len(IRIS)))], np.float32),
        "female": female,
    }


def _liner(hair: np.ndarray, skin: np.ndarray, female: bool) -> np.ndarray:
    """The lash line's colour: a deep brown of the person's own colouring, never the
    black of drawn eyeliner (softer still for men)."""
    deep = np.array([34.0, 24, 22]) * 0.6 + np.minimum(hair, 120) * 0.15 + skin * 0.25 * 0.4
    out: np.ndarray = np.clip(deep if female else deep * 1.15 + skin * 0.08, 0, 255)
    return out.astype(np.float32)


def _stubble(spec: PortraitSpec) -> bool:
    d = spec.description.lower()
    return "stubble" in d or "light beard" in d or "short beard" in d


def draw(
    spec: PortraitSpec,
    size: int = 1024,
    *,
    yaw_deg: float = 0.0,
    roll_deg: float = 0.0,
    framing: str = "medium",
    features: bool = True,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Draw the presenter; returns (RGB uint8 image, rig)."""
    rng = np.random.default_rng(spec.seed)
    pal = _palette(spec, rng)
    skin, female, male = pal["skin"], pal["female"], spec.gender == "male"
    scale_f = {"close-up": 1.35, "closeup": 1.35, "medium": 1.0, "wide": 0.72}.get(framing, 1.0)
    s = size * 0.138 * scale_f
    cx, cy = size * 0.5, size * (0.41 if scale_f <= 1 else 0.44)
    tf = HeadTransform(cx, cy, s, yaw_deg, roll_deg)
    words = spec.background.split()
    setting = next((w for w in words if w in SETTINGS), "studio")
    img = background(size, pal["bg"], setting, rng)
    back_light = np.clip(pal["bg"] * 0.5 + 128, 0, 255)
    ft = Features.of(spec.seed, female, spec.age, spec.skin)
    outline = head_outline(male, 8, ft.width, ft.jaw, ft.chin)
    cast_shadow(img, cx, cy, s, male, size, tf(outline * 1.2, 0.0))
    hair = HairColours.of(pal["hair"], back_light)
    behind, on_head, front = hairstyle(pal["style"], female, np.random.default_rng(spec.seed + 1))
    hrng = np.random.default_rng(spec.seed + 2)
    for m in behind:
        draw_mass(img, tf, m, hair, hrng, None)
    neck_clip = neck(img, cx, cy, s, skin, male)
    kind = next((w for w in spec.attire.split() if w in ATTIRE), "blazer")
    attire(img, kind, pal["cloth"], cx, cy, s, male, skin, size, rng, back_light, neck_clip)
    _ears(img, tf, skin)
    jaw = tf(outline[len(outline) // 4 : 3 * len(outline) // 4], 0.0)
    paint(
        img,
        jaw + np.array([0.05 * s, 0.16 * s]),
        tone(skin, 0.55, (1.0, 0.86, 0.9)),
        alpha=0.65,
        blur=s * 0.09,
        clip=neck_clip,
    )
    face = paint_form(
        img,
        [tf(outline, 0.0)],
        skin,
        tone(skin, 0.76, (1.0, 0.88, 0.92)),
        s * 0.4,
        s * 0.3,
        light=np.clip(skin * 1.06 + 12, 0, 255),
        rim=0.3,
        rim_colour=skin * 0.6 + back_light * 0.4,
    )
    smile = {"smiling": 0.6, "friendly": 0.3}.get(spec.expression, 0.0)
    _face_light(img, tf, skin, female, spec.age, smile, face)
    hairline_shadow(img, tf, on_head, tone(skin, 0.62, (1.0, 0.86, 0.9)), face)
    _structure(img, tf, skin, ft, face, spec.seed)
    eyes = [[-ft.eye_gap, 0.0], [ft.eye_gap, 0.0]]
    look = {
        "skin": skin,
        "iris": pal["iris"],
        "female": female,
        "eye_size": ft.eye_size,
        "eye_tilt": ft.eye_tilt,
        "liner": _liner(pal["hair"], skin, female),
        "liner_w": 0.017 if female else 0.012,
        "lash": 1.0 if spec.age != "senior" else 0.7,
    }
    for side, (ex, ey) in zip((-1, 1), eyes, strict=True):
        _eye(img, tf, ex, ey, side, look, face, smile)
    _nose(img, tf, skin, face, ft.nose_w, ft.nose_len)
    if spec.beard:
        beard(img, tf, outline, hair, _stubble(spec), hrng)
    glint = sheen(img.shape, tf, -2.0, 0.85) if pal["style"] != "bald" else None
    lit_hair = replace(hair, rim=None)  # no back light on edges against the face
    on_cover = [draw_mass(img, tf, m, lit_hair, hrng, glint) for m in on_head + front]
    if spec.age == "middle-aged" and not any(
        w in spec.hair for w in ("gray", "grey", "white", "silver")
    ):  # greying at the temples
        for side in (-1, 1):
            paint(
                img,
                tf(ellipse(side * 0.98, -0.75, 0.2, 0.4), 0.0),
                (176, 174, 172),
                alpha=0.55,
                blur=s * 0.08,
                clip=on_cover[0] if on_cover else None,
            )
    if pal["style"] == "bald":
        paint(
            img,
            tf(ellipse(-0.3, -1.45, 0.35, 0.18), 0.3),
            np.clip(skin * 1.12 + 30, 0, 255),
            alpha=0.45,
            blur=s * 0.06,
            clip=face,
        )
    if spec.glasses:
        _glasses(
            img,
            tf,
            eyes,
            np.array(
                [(30, 28, 30), (92, 56, 36), (60, 64, 74)][int(rng.integers(0, 3))], np.float32
            ),
        )
    brow = np.clip(pal["hair"] * 0.75, 0, 190)
    if spec.age == "senior":  # brows grey with age whatever the hair
        brow = brow * 0.5 + np.array([150.0, 148, 146]) * 0.5
    rig: dict[str, Any] = {
        "transform": tf.to_dict(),
        "size": size,
        "skin": skin.tolist(),
        "lip": pal["lip"].tolist(),
        "brow_colour": brow.tolist(),
        "eyes": eyes,
        "mouth": [0.0, 1.0],
        "framing": framing,
        "expression": spec.expression,
        "mouth_w": round(ft.mouth_w, 3),
        "lid": tone(skin, 0.9, (1.0, 0.95, 0.96)).tolist(),
        "liner": look["liner"].tolist(),
        "liner_w": look["liner_w"],
        "eye_size": round(ft.eye_size, 3),
        "eye_tilt": round(ft.eye_tilt, 3),
        "brow_weight": round(ft.brow_weight, 3),
        "brow_arch": round(ft.brow_arch, 3),
        "lip_full": round(
            ft.lip_full * {"senior": 0.85, "middle-aged": 0.92, "young": 1.06}.get(spec.age, 1.0), 3
        ),
        "rest_brow": {"serious": -0.35, "smiling": 0.15, "friendly": 0.1}.get(spec.expression, 0.0),
    }
    rig["rest_smile"] = smile
    if features:
        draw_brows(img, tf, rig, 0.0)
        draw_mouth(img, tf, rig, 0.0, 0.5, 0.0, smile)
    return np.clip(img, 0, 255).astype(np.uint8), rig


def draw_base(
    spec: PortraitSpec, rig: dict[str, Any], size: int
) -> tuple[np.ndarray, dict[str, Any]]:
    """The portrait without mouth and brows, redrawn at ``size``, and its rig.

    ``draw`` rebuilds the rig from the drawing alone, so the keys a pose adds on top of
    the drawing (``POSE_RIG_KEYS``: mirror, grade) are carried over
    here; without them the video would lose what the posed still shows.
    """
    t = rig["transform"]
    img, new_rig = draw(
        spec,
        size,
        yaw_deg=t["yaw_deg"],
        roll_deg=t["roll_deg"],
        framing=rig.get("framing", "medium"),
        features=False,
    )
    for key in POSE_RIG_KEYS:
        if key in rig:
            new_rig[key] = rig[key]
    return img, new_rig
