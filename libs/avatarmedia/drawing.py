"""Vector drawing of a presenter (head and shoulders), anti-aliased, deterministic.

All head geometry lives in head units (face half-width = 1, origin between the eyes,
y down) with a depth per feature, and goes through one transform (yaw, roll, scale,
position) to canvas pixels, so a pose is a redraw, not a warp. The rig returned with
the image is what ``animate_drawn`` needs to redraw the mouth, eyelids and brows per
frame: the transform, the colours and the feature anchors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

if TYPE_CHECKING:
    from .portrait import PortraitSpec

# Rig keys set by ``pose.apply_pose`` on top of a drawing (not produced by ``draw``).
POSE_RIG_KEYS = ("mirror", "grade")

SKIN = {"fair": (242, 214, 196), "light": (234, 196, 168), "medium": (214, 170, 134),
        "olive": (196, 156, 112), "tan": (190, 144, 104), "brown": (156, 108, 74),
        "dark": (120, 80, 56), "deep": (92, 60, 42)}
HAIR = {"black": (34, 28, 26), "brown": (92, 62, 40), "dark": (52, 38, 30),
        "blonde": (214, 182, 122), "red": (150, 66, 36), "auburn": (120, 54, 34),
        "gray": (150, 148, 146), "white": (222, 220, 216), "silver": (190, 190, 194),
        "light": (170, 130, 90)}
CLOTH = {"navy": (36, 48, 84), "blue": (52, 88, 160), "charcoal": (58, 60, 66),
         "black": (30, 30, 34), "gray": (120, 122, 128), "grey": (120, 122, 128),
         "white": (236, 236, 232), "burgundy": (112, 30, 46), "maroon": (104, 30, 40),
         "teal": (28, 110, 116), "green": (46, 104, 70), "beige": (200, 180, 150),
         "cream": (232, 222, 200), "brown": (100, 70, 48), "red": (170, 40, 44),
         "purple": (92, 56, 120), "pink": (220, 150, 170), "olive": (110, 110, 60),
         "orange": (220, 120, 50), "yellow": (230, 200, 80), "gold": (200, 160, 70),
         "dark": (40, 40, 48), "light": (200, 200, 205)}
BACKGROUND = {"blue": (70, 110, 160), "gray": (128, 132, 138), "grey": (128, 132, 138),
              "teal": (60, 120, 124), "beige": (196, 182, 160), "white": (225, 226, 228),
              "black": (30, 32, 36), "green": (80, 120, 90), "navy": (40, 52, 90),
              "purple": (100, 80, 130), "red": (150, 60, 60), "orange": (210, 140, 80),
              "pink": (210, 160, 170), "cream": (228, 220, 200), "yellow": (220, 200, 120),
              "dark": (44, 46, 52), "light": (210, 212, 216)}


def _word_colour(words: str, table: dict[str, tuple[int, int, int]],
                 default: tuple[int, int, int]) -> np.ndarray:
    for w in words.split():
        if w in table:
            return np.array(table[w], np.float32)
    return np.array(default, np.float32)


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
        return {"cx": self.cx, "cy": self.cy, "scale": self.scale, "yaw_deg": self.yaw_deg,
                "roll_deg": self.roll_deg}


def paint(img: np.ndarray, poly: np.ndarray, colour: np.ndarray | tuple[float, ...],
          alpha: float = 1.0, blur: float = 0.0, closed: bool = True,
          thickness: float = 0.0) -> None:
    """Anti-aliased fill (or stroke) of a polygon in place, working in its bounding box."""
    pts = np.asarray(poly, np.float64).reshape(-1, 2)
    pad = math.ceil(3 * blur + thickness + 3)
    x0 = max(0, math.floor(pts[:, 0].min()) - pad)
    y0 = max(0, math.floor(pts[:, 1].min()) - pad)
    x1 = min(img.shape[1], math.ceil(pts[:, 0].max()) + pad)
    y1 = min(img.shape[0], math.ceil(pts[:, 1].max()) + pad)
    if x1 <= x0 or y1 <= y0:
        return
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    ip = np.round((pts - [x0, y0]) * 8).astype(np.int32)
    if thickness > 0:
        cv2.polylines(mask, [ip], closed, 255, max(1, round(thickness)), cv2.LINE_AA,
                      shift=3)
    else:
        cv2.fillPoly(mask, [ip], 255, cv2.LINE_AA, shift=3)
    a: np.ndarray = mask.astype(np.float32) / 255.0
    if blur > 0:
        a = np.asarray(cv2.GaussianBlur(a, (0, 0), blur))
    a = (a * alpha)[..., None]
    patch = img[y0:y1, x0:x1]
    col = np.asarray(colour, np.float32)
    patch[:] = (patch * (1 - a) + col * a).astype(patch.dtype)


def ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 48,
            t0: float = 0.0, t1: float = 2 * math.pi) -> np.ndarray:
    t = np.linspace(t0, t1, n)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def face_outline(n: int = 96, jaw: float = 0.8) -> np.ndarray:
    """Face contour in head units: forehead at y=-1.25, chin at y=1.55."""
    t = np.linspace(0, 2 * math.pi, n, endpoint=False)
    x = np.sin(t)
    y = -np.cos(t)
    lower = np.clip(y, 0, None)
    x = x * (1 - (1 - jaw) * lower ** 1.6) * (1 - 0.1 * lower ** 4)
    y = np.where(y < 0, y * 1.25, y * 1.55)
    return np.stack([x, y], axis=1)


def mouth_shape(opening: float, width: float, rounding: float, smile: float,
                base_w: float = 0.42) -> dict[str, np.ndarray]:
    """Lip polygons in head units relative to the mouth centre."""
    w = base_w * (1 + 0.22 * (width - 0.5) * 2 - 0.3 * rounding + 0.08 * smile)
    gap = 0.30 * opening
    lift = 0.05 * smile
    xs = np.linspace(-1, 1, 21)
    # Inner lip lines (upper, lower) and outer lines.
    bow = 0.02 * np.exp(-((np.abs(xs) - 0.18) / 0.12) ** 2)
    inner_up = np.stack([xs * w * (1 - 0.12 * opening), -gap * 0.25 * (1 - xs ** 2)
                         - lift * xs ** 2], 1)
    inner_lo = np.stack([xs * w * (1 - 0.12 * opening), gap * (1 - xs ** 2) ** 0.8
                         - lift * xs ** 2], 1)
    outer_up = np.stack([xs * w, inner_up[:, 1] - (0.085 + 0.02 * rounding) * (1 - xs ** 2)
                         ** 0.7 - bow], 1)
    outer_lo = np.stack([xs * w, inner_lo[:, 1] + (0.11 + 0.03 * rounding) * (1 - xs ** 2)
                         ** 0.7], 1)
    return {"inner_up": inner_up, "inner_lo": inner_lo, "outer_up": outer_up,
            "outer_lo": outer_lo}


def draw_mouth(img: np.ndarray, tf: HeadTransform, rig: dict[str, Any], opening: float,
               width: float, rounding: float, smile: float) -> None:
    mx, my = rig["mouth"]
    shape = mouth_shape(opening, width, rounding, smile)
    lip = np.array(rig["lip"], np.float32)
    skin = np.array(rig["skin"], np.float32)

    def to_px(p: np.ndarray) -> np.ndarray:
        return tf(p + np.array([mx, my]), depth=0.35)

    up_poly = np.vstack([to_px(shape["outer_up"]), to_px(shape["inner_up"])[::-1]])
    lo_poly = np.vstack([to_px(shape["inner_lo"]), to_px(shape["outer_lo"])[::-1]])
    s = tf.scale
    # soft shadow under the lower lip
    paint(img, to_px(shape["outer_lo"] + [0, 0.05]), skin * 0.8, alpha=0.35, blur=s * 0.03)
    if opening > 0.02:
        inner = np.vstack([to_px(shape["inner_up"]), to_px(shape["inner_lo"])[::-1]])
        paint(img, inner, (52, 18, 24))
        cy = float(np.mean(inner[:, 1]))
        # tongue
        tw = float(np.ptp(inner[:, 0])) * 0.3
        tongue = ellipse(float(np.mean(inner[:, 0])), cy + s * 0.3 * opening * 0.45, tw,
                         s * 0.3 * opening * 0.35)
        paint(img, tongue, (170, 76, 84), alpha=min(1.0, opening * 2), blur=s * 0.01)
        # upper teeth under the upper lip
        teeth_h = min(0.07, 0.3 * opening * 0.45)
        tu = shape["inner_up"][3:-3]
        teeth = np.vstack([to_px(tu), to_px(tu + np.array([0.0, teeth_h]))[::-1]])
        paint(img, teeth, (238, 234, 226), alpha=0.95)
        paint(img, inner, (20, 6, 10), alpha=0.25, thickness=s * 0.015, blur=s * 0.006)
    else:
        line = np.vstack([to_px(shape["inner_up"])])
        paint(img, line, lip * 0.45, thickness=max(1.0, s * 0.018), closed=False,
              blur=s * 0.003)
    paint(img, up_poly, lip * 0.88)
    paint(img, lo_poly, lip)
    # highlight on the lower lip
    hl = ellipse(mx, my + 0.3 * opening + 0.055, 0.1, 0.022)
    paint(img, tf(hl, depth=0.35), np.minimum(lip * 1.35, 255), alpha=0.5, blur=s * 0.01)


def draw_eye_lids(img: np.ndarray, tf: HeadTransform, rig: dict[str, Any],
                  blink: float) -> None:
    if blink <= 0.02:
        return
    skin = np.array(rig["skin"], np.float32)
    for ex, ey in rig["eyes"]:
        ew, eh = 0.2, 0.085
        top = ey - eh - 0.02
        bottom = top + (2 * eh + 0.03) * blink
        xs = np.linspace(-1, 1, 25)
        upper = np.stack([ex + xs * (ew + 0.03), top + 0.04 * xs ** 2 - 0.02], 1)
        lower = np.stack([ex + xs[::-1] * (ew + 0.03),
                          bottom - (eh * 0.6) * (1 - xs[::-1] ** 2) * (1 - blink)], 1)
        paint(img, tf(np.vstack([upper, lower]), depth=0.25), skin * 0.93)
        lash = np.stack([ex + xs * ew, bottom - (eh * 0.6) * (1 - xs ** 2) * (1 - blink)], 1)
        paint(img, tf(lash, depth=0.25), (30, 22, 20), thickness=max(1.0, tf.scale * 0.02),
              closed=False)


def draw_brows(img: np.ndarray, tf: HeadTransform, rig: dict[str, Any], raise_: float) -> None:
    hair = np.array(rig["brow_colour"], np.float32)
    for side, (ex, ey) in zip((-1, 1), rig["eyes"], strict=True):
        xs = np.linspace(-1, 1, 21)
        lift = 0.09 * raise_ * (1 + 0.3 * xs * side)
        y = ey - 0.27 - 0.06 * (1 - xs ** 2) - lift
        thick = 0.045 * (1 - 0.55 * ((xs * side + 1) / 2) ** 2)
        top = np.stack([ex + xs * 0.24, y - thick], 1)
        bot = np.stack([ex + xs * 0.24, y + thick * 0.6], 1)
        paint(img, tf(np.vstack([top, bot[::-1]]), depth=0.25), hair, alpha=0.92,
              blur=tf.scale * 0.006)


def _gradient_bg(size: tuple[int, int], colour: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = w * rng.uniform(0.35, 0.65), h * 0.35
    d = np.sqrt(((xx - cx) / w) ** 2 + ((yy - cy) / h) ** 2)
    k = (1.18 - 0.6 * d)[..., None]
    bg: np.ndarray = np.clip(colour * k, 0, 255).astype(np.float32)
    return bg


def draw(spec: PortraitSpec, size: int = 1024, *, yaw_deg: float = 0.0,
         roll_deg: float = 0.0, framing: str = "medium",
         features: bool = True) -> tuple[np.ndarray, dict[str, Any]]:
    """Draw the presenter; returns (RGB uint8 image, rig)."""
    rng = np.random.default_rng(spec.seed)
    skin = _word_colour(spec.skin, SKIN, SKIN["medium"])
    skin = np.clip(skin * rng.uniform(0.96, 1.04), 0, 255)
    hair_words = spec.hair.split()
    hair = _word_colour(spec.hair, HAIR, HAIR["brown"])
    style = next((w for w in hair_words if w in ("bald", "bun", "long", "curly", "short",
                                                 "bob", "ponytail")), "short")
    cloth = _word_colour(spec.attire, CLOTH, CLOTH["navy"])
    bg = _word_colour(spec.background, BACKGROUND, BACKGROUND["blue"])
    lip = np.clip(skin * np.array([0.92, 0.62, 0.62]) + [28, 0, 8], 0, 255)
    if spec.gender == "female":
        lip = np.clip(lip * np.array([1.05, 0.85, 0.9]) + [12, 0, 0], 0, 255)
    male = spec.gender == "male"
    scale_f = {"close-up": 1.35, "closeup": 1.35, "medium": 1.0, "wide": 0.72}.get(framing, 1.0)
    s = size * 0.148 * scale_f
    cx, cy = size * 0.5, size * (0.40 if scale_f <= 1 else 0.43)
    tf = HeadTransform(cx, cy, s, yaw_deg, roll_deg)
    img = _gradient_bg((size, size), bg, rng)
    jaw = 0.84 if male else 0.78

    # ---- body: shoulders and attire (not rotated with the head)
    neck_top = cy + 1.1 * s
    body_top = cy + 2.1 * s
    sh_w = 3.3 * s if male else 2.95 * s
    body = np.array([[cx - sh_w, size + 10], [cx - sh_w, body_top + 0.9 * s],
                     [cx - sh_w * 0.8, body_top + 0.1 * s], [cx - 0.55 * s, body_top - 0.15 * s],
                     [cx + 0.55 * s, body_top - 0.15 * s], [cx + sh_w * 0.8, body_top + 0.1 * s],
                     [cx + sh_w, body_top + 0.9 * s], [cx + sh_w, size + 10]])
    neck = np.array([[cx - 0.5 * s, neck_top], [cx + 0.5 * s, neck_top],
                     [cx + 0.58 * s, body_top + 0.3 * s], [cx - 0.58 * s, body_top + 0.3 * s]])
    paint(img, neck, skin * 0.92)
    paint(img, ellipse(cx, neck_top + 0.3 * s, 0.62 * s, 0.35 * s), skin * 0.7, alpha=0.5,
          blur=s * 0.12)
    paint(img, body, cloth)
    kind = spec.attire.split()[0] if spec.attire else "blazer"
    if kind in ("blazer", "suit"):
        shirt = np.array([[cx - 0.55 * s, body_top - 0.15 * s],
                          [cx + 0.55 * s, body_top - 0.15 * s],
                          [cx, body_top + 1.4 * s]])
        paint(img, shirt, (236, 236, 232))
        if kind == "suit" or male:
            tie = np.array([[cx - 0.1 * s, body_top + 0.05 * s],
                            [cx + 0.1 * s, body_top + 0.05 * s],
                            [cx + 0.16 * s, body_top + 1.3 * s], [cx, body_top + 1.5 * s],
                            [cx - 0.16 * s, body_top + 1.3 * s]])
            paint(img, tie, np.clip(cloth[::-1] * 1.2 + 20, 0, 255))
        for side in (-1, 1):
            lapel = np.array([[cx + side * 0.55 * s, body_top - 0.15 * s],
                              [cx + side * 0.05 * s, body_top + 1.45 * s],
                              [cx + side * 0.95 * s, body_top + 0.5 * s],
                              [cx + side * 0.8 * s, body_top + 0.05 * s]])
            paint(img, lapel, cloth * 0.78)
    else:
        collar = ellipse(cx, body_top - 0.1 * s, 0.62 * s, 0.35 * s, t0=0, t1=math.pi)
        paint(img, collar, skin * 0.92)
        paint(img, collar, cloth * 0.7, thickness=s * 0.06, closed=False)

    # ---- hair behind the head
    if style in ("long", "curly", "ponytail"):
        back = np.vstack([ellipse(0, -0.3, 1.32, 1.35, t0=math.pi, t1=2 * math.pi),
                          [[1.35, 0.4], [1.4, 2.2 if style == "long" else 1.2],
                           [-1.4, 2.2 if style == "long" else 1.2], [-1.35, 0.4]]])
        paint(img, tf(back, depth=-0.6), hair * 0.8)
    # ---- ears
    for side in (-1, 1):
        ear = ellipse(side * 1.0, 0.15, 0.17, 0.32)
        paint(img, tf(ear, depth=-0.7), skin * 0.9)
        paint(img, tf(ellipse(side * 1.02, 0.15, 0.08, 0.18), depth=-0.7), skin * 0.72,
              alpha=0.6, blur=s * 0.02)
    # ---- face with shading
    outline = face_outline(jaw=jaw)
    face_px = tf(outline, depth=0.0)
    paint(img, face_px, skin)
    paint(img, face_px, skin * 0.78, alpha=0.55, blur=s * 0.16, thickness=s * 0.3)
    paint(img, tf(ellipse(0, 0.1, 0.62, 0.85), depth=0.3), np.minimum(skin * 1.08, 255),
          alpha=0.45, blur=s * 0.25)
    for side in (-1, 1):  # cheeks
        paint(img, tf(ellipse(side * 0.55, 0.55, 0.22, 0.14), depth=0.3),
              np.clip(skin * [1.02, 0.85, 0.85], 0, 255), alpha=0.35, blur=s * 0.08)
    # ---- eyes
    eyes = [[-0.4, 0.0], [0.4, 0.0]]
    iris_col = np.array([(70, 46, 30), (60, 90, 120), (70, 100, 70), (40, 30, 24)][
        int(rng.integers(0, 4))], np.float32)
    for ex, ey in eyes:
        xs = np.linspace(-1, 1, 31)
        up = np.stack([ex + xs * 0.2, ey - 0.085 * (1 - xs ** 2) ** 0.8 - 0.01 * xs], 1)
        lo = np.stack([ex + xs[::-1] * 0.2, ey + 0.065 * (1 - xs[::-1] ** 2) ** 0.9], 1)
        almond = np.vstack([up, lo])
        paint(img, tf(ellipse(ex, ey - 0.04, 0.26, 0.15), depth=0.2), skin * 0.8, alpha=0.45,
              blur=s * 0.05)
        paint(img, tf(almond, depth=0.25), (244, 240, 236))
        paint(img, tf(ellipse(ex, ey, 0.085, 0.085), depth=0.3), iris_col)
        paint(img, tf(ellipse(ex, ey, 0.04, 0.04), depth=0.3), (12, 10, 10))
        paint(img, tf(ellipse(ex + 0.03, ey - 0.03, 0.018, 0.018), depth=0.3), (250, 250, 250))
        # eyelid line with lashes, crease
        paint(img, tf(up, depth=0.25), (30, 22, 20), thickness=max(1.0, s * 0.028),
              closed=False)
        crease = np.stack([ex + xs * 0.2, ey - 0.13 * (1 - xs ** 2) ** 0.8 - 0.02], 1)
        paint(img, tf(crease, depth=0.25), skin * 0.7, thickness=max(1.0, s * 0.012),
              closed=False, blur=s * 0.006)
        paint(img, tf(lo, depth=0.25), skin * 0.7, thickness=max(1.0, s * 0.01), closed=False,
              alpha=0.6)
    # ---- nose
    paint(img, tf(np.array([[-0.1, 0.05], [-0.13, 0.45], [-0.2, 0.6]]), depth=0.5), skin * 0.72,
          alpha=0.5, blur=s * 0.03, thickness=s * 0.05, closed=False)
    paint(img, tf(ellipse(0, 0.6, 0.24, 0.1), depth=0.6), skin * 0.75, alpha=0.5, blur=s * 0.04)
    for side in (-1, 1):
        paint(img, tf(ellipse(side * 0.09, 0.63, 0.05, 0.028), depth=0.6), skin * 0.4, alpha=0.8,
              blur=s * 0.008)
    paint(img, tf(ellipse(0.0, 0.5, 0.07, 0.09), depth=0.7), np.minimum(skin * 1.15, 255),
          alpha=0.5, blur=s * 0.03)
    # ---- beard / stubble
    if spec.beard:
        beard = np.vstack([face_outline(jaw=jaw)[30:67]])
        beard = beard[beard[:, 1] > 0.55]
        paint(img, tf(np.vstack([beard, [[0.5, 0.75], [-0.5, 0.75]]]), depth=0.2), hair,
              alpha=0.8)
    # ---- top hair
    if style != "bald":
        cap = np.vstack([ellipse(0, -0.55, 1.12, 0.95, t0=math.pi * 1.0, t1=math.pi * 2.0),
                         [[1.1, -0.2], [0.95, -0.55], [0.4, -0.8], [-0.2, -0.78],
                          [-0.8, -0.62], [-1.05, -0.3], [-1.12, -0.1]]])
        if style in ("long", "bob"):
            cap = np.vstack([ellipse(0, -0.45, 1.18, 1.0, t0=math.pi, t1=2 * math.pi),
                             [[1.2, 0.9], [1.0, 0.9], [0.95, -0.45], [0.3, -0.85],
                              [-0.5, -0.78], [-0.95, -0.45], [-1.0, 0.9], [-1.2, 0.9]]])
        paint(img, tf(cap, depth=0.0), hair)
        shine = np.minimum(hair * 1.35 + 20, 255)
        paint(img, tf(ellipse(-0.25, -1.05, 0.5, 0.18), depth=0.2), shine,
              alpha=0.35, blur=s * 0.08)
        if style == "bun":
            paint(img, tf(ellipse(0, -1.6, 0.45, 0.35), depth=-0.2), hair * 0.95)
    brow_colour = np.clip(hair * 0.8, 0, 200) if style != "bald" else skin * 0.45
    if spec.glasses:
        for ex, ey in eyes:
            paint(img, tf(ellipse(ex, ey, 0.3, 0.22), depth=0.45), (30, 30, 34),
                  thickness=s * 0.035)
        paint(img, tf(np.array([[-0.1, -0.02], [0.1, -0.02]]), depth=0.5), (30, 30, 34),
              thickness=s * 0.03, closed=False)
    mouth = [0.0, 1.0]
    rig: dict[str, Any] = {
        "transform": tf.to_dict(), "size": size, "skin": skin.tolist(), "lip": lip.tolist(),
        "brow_colour": brow_colour.tolist(), "eyes": eyes, "mouth": mouth,
        "framing": framing, "expression": spec.expression,
    }
    smile = {"smiling": 0.6, "friendly": 0.3}.get(spec.expression, 0.0)
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
    img, new_rig = draw(spec, size, yaw_deg=t["yaw_deg"], roll_deg=t["roll_deg"],
                        framing=rig.get("framing", "medium"), features=False)
    for key in POSE_RIG_KEYS:
        if key in rig:
            new_rig[key] = rig[key]
    return img, new_rig
