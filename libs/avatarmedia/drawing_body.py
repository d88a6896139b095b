"""Background, neck, shoulders and clothing of the illustrated presenters.

The body is drawn in canvas units of the head scale ``s`` around the head origin
(``cx``, ``cy``) and does not turn with the head. Shoulders slope from the neck along
the trapezius to rounded deltoids; each attire word gets its own neckline, collar and
folds; everything is modelled by the same key light as the face.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from avatarmedia.drawkit import ellipse, mirror_x, paint, paint_form, spline, strokes, tone

SETTINGS = ("studio", "office", "newsroom", "outdoor")


def _blob(
    img: np.ndarray, x: float, y: float, r: float, colour: np.ndarray, alpha: float, blur: float
) -> None:
    paint(img, ellipse(x, y, r, r, 24), colour, alpha=alpha, blur=blur)


def background(size: int, colour: np.ndarray, setting: str, rng: np.random.Generator) -> np.ndarray:
    """The backdrop: the colour word as a lit gradient, the setting as soft, out-of-focus
    shapes (office windows and shelves, newsroom screens, park foliage, studio light).

    Drawn at a quarter of the size and enlarged: it is meant to be out of focus.
    """
    q = max(16, size // 4)
    yy, xx = np.mgrid[0:q, 0:q].astype(np.float32) / q
    lx = rng.uniform(0.3, 0.45)
    d = np.sqrt((xx - lx) ** 2 + ((yy - 0.3) * 1.2) ** 2)
    k = (1.2 - 0.55 * d - 0.12 * yy)[..., None]
    img = np.clip(colour * k, 0, 255).astype(np.float32)
    light = np.clip(colour * 1.25 + 30, 0, 255)
    dark = colour * 0.72
    if setting == "office":
        for i in range(3):  # windows with daylight, mullions and a shelf
            x0 = q * (0.04 + 0.3 * i + rng.uniform(-0.02, 0.02))
            win = np.array(
                [
                    [x0, q * 0.08],
                    [x0 + q * 0.22, q * 0.08],
                    [x0 + q * 0.22, q * 0.62],
                    [x0, q * 0.62],
                ]
            )
            paint(img, win, light, alpha=0.45, blur=q * 0.012)
        paint(
            img,
            np.array([[0, q * 0.66], [q, q * 0.66], [q, q], [0, q]]),
            dark,
            alpha=0.5,
            blur=q * 0.01,
        )
        for _ in range(6):
            _blob(
                img,
                rng.uniform(0.05, 0.95) * q,
                q * 0.7,
                q * rng.uniform(0.02, 0.05),
                tone(colour, 0.6, (1.0, 1.05, 0.9)),
                0.5,
                q * 0.01,
            )
        _blob(img, q * 0.9, q * 0.58, q * 0.12, np.array([70.0, 110, 70]), 0.55, q * 0.02)
    elif setting == "newsroom":
        for i in range(4):
            x0 = q * (0.02 + 0.26 * i)
            scr = np.array(
                [[x0, q * 0.18], [x0 + q * 0.2, q * 0.18], [x0 + q * 0.2, q * 0.42], [x0, q * 0.42]]
            )
            paint(img, scr, tone(light, 1.0, (0.9, 1.0, 1.15)), alpha=0.35, blur=q * 0.01)
        for _ in range(10):
            _blob(
                img,
                rng.uniform(0, 1) * q,
                rng.uniform(0.45, 0.8) * q,
                q * rng.uniform(0.015, 0.04),
                light,
                0.35,
                q * 0.006,
            )
    elif setting == "outdoor":
        for _ in range(16):
            g = np.array([rng.uniform(60, 110), rng.uniform(110, 160), rng.uniform(50, 90)])
            _blob(
                img,
                rng.uniform(0, 1) * q,
                rng.uniform(0.1, 0.9) * q,
                q * rng.uniform(0.06, 0.14),
                g,
                0.45,
                q * 0.03,
            )
        for _ in range(8):
            _blob(
                img,
                rng.uniform(0, 1) * q,
                rng.uniform(0.05, 0.5) * q,
                q * rng.uniform(0.02, 0.05),
                np.array([250.0, 246, 220]),
                0.4,
                q * 0.01,
            )
    else:  # studio: a soft spot of light behind the head
        _blob(img, q * 0.5, q * 0.36, q * 0.32, light, 0.35, q * 0.12)
    # vignette
    v = np.clip(1.0 - 0.35 * (((xx - 0.5) * 1.3) ** 2 + (yy - 0.45) ** 2) * 2, 0.6, 1)
    img *= v[..., None]
    out: np.ndarray = cv2.resize(img, (size, size), interpolation=cv2.INTER_CUBIC)
    return out


def neckline(kind: str, male: bool) -> np.ndarray:
    """Left half of the garment's neckline, from the shoulder seam to the centre."""
    if kind in ("sweater", "tshirt", "hoodie"):
        depth = {"sweater": 0.42, "tshirt": 0.36, "hoodie": 0.3}[kind]
        t = np.linspace(math.pi - 0.02, math.pi / 2, 8)
        return np.stack([0.78 * np.cos(t), 1.95 + depth * np.sin(t)], 1)
    if kind == "shirt":
        return np.array([[-0.58, 1.86], [-0.3, 2.4], [0.0, 2.78]])
    if kind == "uniform":  # buttoned to the collar
        return np.array([[-0.62, 1.86], [-0.3, 2.1], [0.0, 2.22]])
    if kind == "aodai":  # a mandarin collar closes round the neck
        t = np.linspace(math.pi - 0.02, math.pi / 2, 6)
        return np.stack([0.6 * np.cos(t), 1.72 + 0.1 * np.sin(t)], 1)
    if kind == "dress":
        return np.array([[-0.95, 1.95], [-0.6, 2.5], [0.0, 2.95]])
    return np.array([[-0.66, 1.85], [-0.32, 2.9], [0.0, 3.75]])  # jacket V


def body_outline(
    cx: float, cy: float, s: float, male: bool, size: int, neck_line: np.ndarray
) -> np.ndarray:
    """From the arm up over the deltoid, along the trapezius to the neckline, and back."""
    w = 1.1 if male else 1.0
    side = np.array(
        [
            [-3.2 * w, 6.0],
            [-3.12 * w, 4.0],
            [-2.98 * w, 3.2],
            [-2.65 * w, 2.7],
            [-2.0, 2.4],
            [-1.25, 2.15],
        ]
    )
    shoulder = spline(np.vstack([side, neck_line[:1]]), 10)
    left = np.vstack([shoulder, neck_line[1:-1]])
    half = np.vstack([left, neck_line[-1:]])
    pts = np.vstack([half, mirror_x(left)])
    px = np.stack([cx + pts[:, 0] * s, cy + pts[:, 1] * s], 1)
    return np.vstack([px, [[cx + 3.3 * w * s, size + 20], [cx - 3.3 * w * s, size + 20]]])


def neck(
    img: np.ndarray, cx: float, cy: float, s: float, skin: np.ndarray, male: bool
) -> np.ndarray:
    """The neck as a lit cylinder with a collarbone hint; returns its coverage."""
    hw = 0.6 if male else 0.52
    left = np.array(
        [[-hw, 0.7], [-hw, 1.6], [-hw - 0.08, 2.05], [-0.9, 2.35], [-1.3, 2.6], [-1.3, 3.6]]
    )
    pts = spline(np.vstack([left, mirror_x(left)]), 8)
    px = np.stack([cx + pts[:, 0] * s, cy + pts[:, 1] * s], 1)
    clip = paint_form(img, [px], skin, tone(skin, 0.74, (1.0, 0.92, 0.95)), s * 0.3, s * 0.22)
    # sternocleidomastoid: from behind the ear towards the notch, a soft lit ridge
    for side in (-1, 1):
        line = np.array(
            [
                [cx + side * (hw - 0.05) * s, cy + 1.3 * s],
                [cx + side * 0.25 * s, cy + 2.05 * s],
                [cx + side * 0.08 * s, cy + 2.25 * s],
            ]
        )
        paint(
            img,
            line,
            tone(skin, 0.8, (1.0, 0.9, 0.92)),
            alpha=0.25,
            blur=s * 0.04,
            thickness=s * 0.05,
            closed=False,
            clip=clip,
        )
    # pit of the neck and collarbones
    paint(
        img,
        ellipse(cx, cy + 2.28 * s, 0.1 * s, 0.07 * s),
        tone(skin, 0.75),
        alpha=0.4,
        blur=s * 0.03,
        clip=clip,
    )
    for side in (-1, 1):
        bone = spline(np.array([[side * 0.15, 2.34], [side * 0.6, 2.3], [side * 1.1, 2.42]]), 8)
        bpx = np.stack([cx + bone[:, 0] * s, cy + bone[:, 1] * s], 1)
        paint(
            img,
            bpx + np.array([0, 0.05 * s]),
            tone(skin, 0.78),
            alpha=0.3,
            blur=s * 0.03,
            thickness=s * 0.05,
            closed=False,
            clip=clip,
        )
        paint(
            img,
            bpx,
            tone(skin, 1.08, add=6),
            alpha=0.25,
            blur=s * 0.02,
            thickness=s * 0.03,
            closed=False,
            clip=clip,
        )
    return clip


def cast_shadow(
    img: np.ndarray, cx: float, cy: float, s: float, male: bool, size: int, head: np.ndarray
) -> None:
    """The presenter's soft shadow on the backdrop, down and away from the key light."""
    body = body_outline(cx, cy, s, male, size, neckline("tshirt", male))
    off = np.array([0.35 * s, 0.2 * s])
    paint(img, body + off, (0, 0, 0), alpha=0.22, blur=s * 0.25)
    paint(img, head + off, (0, 0, 0), alpha=0.22, blur=s * 0.25)


def _px(cx: float, cy: float, s: float, pts: np.ndarray) -> np.ndarray:
    p = np.asarray(pts, np.float64).reshape(-1, 2)
    return np.stack([cx + p[:, 0] * s, cy + p[:, 1] * s], 1)


def _folds(
    img: np.ndarray,
    cx: float,
    cy: float,
    s: float,
    cloth: np.ndarray,
    clip: np.ndarray,
    rng: np.random.Generator,
    loose: float,
) -> None:
    """Fabric folds: soft creases pulled from the armpit up towards the collar, each a
    blurred shadow with a lit ridge above it, and the sleeve's seam at the shoulder."""
    dark = tone(cloth, 0.6, (0.95, 0.95, 1.05))
    lit = tone(cloth, 1.18, add=12)
    for side in (-1, 1):
        for k in range(2):
            x0 = side * (2.5 - 0.1 * k + rng.uniform(-0.05, 0.05))
            y0 = 4.1 + 0.5 * k + rng.uniform(-0.08, 0.08)
            c = spline(
                np.array([[x0, y0], [x0 * 0.8, y0 - 0.45 * loose], [x0 * 0.55, y0 - 0.75 * loose]]),
                10,
            )
            paint(
                img,
                _px(cx, cy, s, c),
                dark,
                alpha=0.22,
                thickness=s * 0.1,
                closed=False,
                blur=s * 0.07,
                clip=clip,
            )
            paint(
                img,
                _px(cx, cy, s, c + np.array([0.0, -0.1])),
                lit,
                alpha=0.12,
                thickness=s * 0.06,
                closed=False,
                blur=s * 0.04,
                clip=clip,
            )
        seam = spline(np.array([[side * 2.3, 2.6], [side * 2.2, 3.3], [side * 2.3, 4.3]]), 10)
        paint(
            img,
            _px(cx, cy, s, seam),
            dark,
            alpha=0.3,
            thickness=s * 0.04,
            closed=False,
            blur=s * 0.02,
            clip=clip,
        )


def _crew_neck(
    img: np.ndarray, cx: float, cy: float, s: float, cloth: np.ndarray, depth: float, rib: bool
) -> None:
    arc = ellipse(cx, cy + 1.95 * s, 0.78 * s, depth * s, 32, 0.1, math.pi - 0.1)
    paint(img, arc, tone(cloth, 0.55), thickness=s * 0.16, closed=False, alpha=0.35, blur=s * 0.05)
    paint(img, arc, tone(cloth, 0.95, add=4), thickness=s * (0.13 if rib else 0.08), closed=False)
    paint(
        img,
        arc + np.array([0, -0.02 * s]),
        tone(cloth, 1.2, add=12),
        thickness=s * 0.025,
        closed=False,
        alpha=0.5,
    )
    if rib:
        ticks = []
        for t in np.linspace(0.15, math.pi - 0.15, 34):
            x, y = math.cos(t) * 0.78, 1.95 + math.sin(t) * depth
            ticks.append(_px(cx, cy, s, np.array([[x * 0.95, y - 0.06], [x * 1.04, y + 0.06]])))
        strokes(img, ticks, tone(cloth, 0.75), 0.35, s * 0.015)


def attire(
    img: np.ndarray,
    kind: str,
    cloth: np.ndarray,
    cx: float,
    cy: float,
    s: float,
    male: bool,
    skin: np.ndarray,
    size: int,
    rng: np.random.Generator,
    back_light: np.ndarray,
    neck_clip: np.ndarray,
) -> None:
    """Shoulders in the attire word's garment, neckline and folds, lit like the face."""
    body = body_outline(cx, cy, s, male, size, neckline(kind, male))
    light = tone(cloth, 1.12, add=14)
    shadow = tone(cloth, 0.55, (0.92, 0.95, 1.08))
    if kind == "hoodie":  # the hood lies behind the neck, around the shoulders
        hood = spline(
            np.array([[-1.5, 2.7], [-1.15, 1.75], [0, 1.55], [1.15, 1.75], [1.5, 2.7]]), 10
        )
        paint_form(
            img,
            [_px(cx, cy, s, hood)],
            tone(cloth, 0.85),
            tone(cloth, 0.5),
            s * 0.35,
            s * 0.2,
            clip=1.0 - neck_clip,
        )
    if kind == "dress":  # sleeveless: bare shoulders, the dress's wide straps and bodice
        body_clip = paint_form(
            img,
            [body],
            skin,
            tone(skin, 0.72, (1.0, 0.9, 0.94)),
            s * 0.6,
            s * 0.35,
            light=np.clip(skin * 1.06 + 10, 0, 255),
            rim=0.3,
            rim_colour=skin * 0.6 + back_light * 0.4,
        )
        clip = paint_form(
            img,
            [_px(cx, cy, s, _bodice())],
            cloth,
            shadow,
            s * 0.9,
            s * 0.5,
            clip=body_clip,
            light=light,
            rim=0.35,
            rim_colour=back_light,
        )
        clip = clip * body_clip
        _armhole_shadow(img, cx, cy, s, skin, body_clip)
    else:
        clip = paint_form(
            img,
            [body],
            cloth,
            shadow,
            s * 0.9,
            s * 0.5,
            light=light,
            rim=0.35,
            rim_colour=back_light,
        )
    _folds(img, cx, cy, s, cloth, clip, rng, 1.0 if kind in ("hoodie", "sweater") else 0.8)
    if kind in ("blazer", "suit"):
        _tension_folds(img, cx, cy, s, cloth, clip)
    if kind in ("blazer", "suit"):
        _jacket(img, cx, cy, s, cloth, male, kind == "suit" or male, rng)
    elif kind == "shirt":
        _shirt(img, cx, cy, s, cloth, skin)
    elif kind == "uniform":
        _uniform(img, cx, cy, s, cloth, clip)
    elif kind == "dress":
        _neckline_v(img, cx, cy, s, cloth, neckline(kind, male))
    elif kind == "aodai":
        _mandarin(img, cx, cy, s, cloth)
    elif kind == "hoodie":
        _crew_neck(img, cx, cy, s, cloth, 0.3, False)
        for side in (-1, 1):
            cord = spline(np.array([[side * 0.3, 2.25], [side * 0.36, 2.8], [side * 0.32, 3.4]]), 8)
            paint(
                img,
                _px(cx, cy, s, cord),
                tone(cloth, 1.35, add=40),
                thickness=s * 0.04,
                closed=False,
            )
            paint(
                img,
                ellipse(cx + side * 0.32 * s, cy + 3.45 * s, 0.05 * s, 0.08 * s),
                tone(cloth, 1.3, add=50),
            )
    else:  # sweater (ribbed crew neck, knit) and t-shirt (thin neckband, sleeve hems)
        _crew_neck(img, cx, cy, s, cloth, 0.42 if kind == "sweater" else 0.36, kind == "sweater")
        if kind == "sweater":
            _knit(img, cx, cy, s, cloth, clip)
        else:
            for side in (-1, 1):
                hem = spline(
                    np.array([[side * 2.5, 4.6], [side * 2.85, 4.45], [side * 3.2, 4.35]]), 6
                )
                paint(
                    img,
                    _px(cx, cy, s, hem),
                    tone(cloth, 0.6),
                    alpha=0.5,
                    thickness=s * 0.05,
                    closed=False,
                    blur=s * 0.02,
                    clip=clip,
                )


def _knit(
    img: np.ndarray, cx: float, cy: float, s: float, cloth: np.ndarray, clip: np.ndarray
) -> None:
    """Knitted texture: rows of small vertical ribs across the sweater."""
    xs = np.arange(-3.2, 3.2, 0.12)
    ribs = np.stack(
        [np.stack([xs, np.full_like(xs, 2.3)], 1), np.stack([xs, np.full_like(xs, 6.5)], 1)], 1
    )
    px = np.stack([cx + ribs[..., 0] * s, cy + ribs[..., 1] * s], 2)
    strokes(img, px, tone(cloth, 0.72), 0.3, max(1.0, s * 0.03), clip)
    strokes(
        img, px + np.array([s * 0.045, 0]), tone(cloth, 1.12, add=6), 0.2, max(1.0, s * 0.015), clip
    )


def _mandarin(img: np.ndarray, cx: float, cy: float, s: float, cloth: np.ndarray) -> None:
    """The ao dai's standing collar and its diagonal closure to the right armpit."""
    band = spline(
        np.array(
            [[-0.56, 1.83], [-0.56, 1.55], [0.0, 1.62], [0.56, 1.55], [0.56, 1.83], [0.0, 1.9]]
        ),
        6,
        closed=True,
    )
    paint_form(img, [_px(cx, cy, s, band)], cloth, tone(cloth, 0.62), s * 0.12, s * 0.06)
    trim = tone(cloth, 0.55, (1.0, 0.95, 1.1))
    paint(
        img,
        _px(cx, cy, s, spline(np.array([[-0.56, 1.56], [0.0, 1.63], [0.56, 1.56]]), 6)),
        trim,
        thickness=s * 0.03,
        closed=False,
        alpha=0.7,
    )
    closure = spline(np.array([[0.1, 1.9], [0.7, 2.25], [1.25, 2.75], [1.35, 3.6]]), 8)
    paint(
        img,
        _px(cx, cy, s, closure) + np.array([0.02 * s, 0.03 * s]),
        tone(cloth, 0.5),
        thickness=s * 0.05,
        closed=False,
        alpha=0.4,
        blur=s * 0.02,
    )
    paint(img, _px(cx, cy, s, closure), trim, thickness=s * 0.025, closed=False, alpha=0.8)
    for k in range(3):
        p = closure[4 + 6 * k]
        paint(
            img, ellipse(cx + p[0] * s, cy + p[1] * s, 0.04 * s, 0.04 * s), tone(cloth, 1.2, add=40)
        )


def _neckline_v(
    img: np.ndarray, cx: float, cy: float, s: float, edge: np.ndarray, line: np.ndarray
) -> None:
    """The hem of an open neckline: a shadow below it and a lit edge."""
    v = np.vstack([line, mirror_x(line)[1:]])
    px = _px(cx, cy, s, v)
    paint(
        img,
        px + np.array([0, 0.05 * s]),
        tone(edge, 0.5),
        thickness=s * 0.05,
        closed=False,
        alpha=0.5,
        blur=s * 0.03,
    )
    paint(img, px, tone(edge, 1.1, add=8), thickness=s * 0.03, closed=False, alpha=0.7)


def _shirt(
    img: np.ndarray, cx: float, cy: float, s: float, cloth: np.ndarray, skin: np.ndarray
) -> None:
    """An open-collar shirt: the skin V, collar points, a placket with buttons."""
    _neckline_v(img, cx, cy, s, cloth, neckline("shirt", True))
    for side in (-1, 1):
        # the band round the neck, the outer edge, the point, the fold line
        back = spline(np.array([[side * 0.4, 1.62], [side * 0.62, 1.75], [side * 0.92, 2.1]]), 5)
        collar = np.vstack(
            [
                back,
                [[side * 0.78, 2.45], [side * 0.5, 2.8], [side * 0.3, 2.45], [side * 0.42, 1.95]],
            ]
        )
        px = _px(cx, cy, s, collar)
        paint(
            img, px + np.array([0.05 * s, 0.08 * s]), tone(cloth, 0.45), alpha=0.45, blur=s * 0.05
        )
        paint_form(img, [px], tone(cloth, 1.05, add=6), tone(cloth, 0.7), s * 0.15, s * 0.06)
    placket = _px(cx, cy, s, np.array([[0.0, 2.8], [0.0, 6.0]]))
    paint(
        img, placket + np.array([0.08 * s, 0]), tone(cloth, 0.7), thickness=s * 0.025, closed=False
    )
    for i in range(3):
        paint(
            img,
            ellipse(cx + 0.02 * s, cy + (3.1 + 0.55 * i) * s, 0.045 * s, 0.045 * s),
            tone(cloth, 1.25, add=30),
        )


def _jacket(
    img: np.ndarray,
    cx: float,
    cy: float,
    s: float,
    cloth: np.ndarray,
    male: bool,
    tie: bool,
    rng: np.random.Generator,
) -> None:
    """Blazer or suit: shirt (or a top) in the V, collar, tie, notched lapels."""
    shirt = np.array([236.0, 236, 232]) if male or tie else np.array([240.0, 232, 220])
    if tie:
        top = [[-0.66, 1.85], [0.66, 1.85]]
    else:  # a top with a scoop neck under a woman's blazer
        top = [[-0.5, 2.0], [-0.3, 2.45], [0.0, 2.58], [0.3, 2.45], [0.5, 2.0]]
    v = _px(
        cx, cy, s, np.vstack([top, [[0.5, 2.4], [0.3, 2.9], [0, 3.8], [-0.3, 2.9], [-0.5, 2.4]]])
    )
    paint_form(img, [v], shirt, tone(shirt, 0.72, (0.95, 0.97, 1.05)), s * 0.25, s * 0.12)
    if tie:
        for side in (-1, 1):
            col = _px(
                cx,
                cy,
                s,
                np.array(
                    [
                        [side * 0.5, 1.8],
                        [side * 0.62, 2.2],
                        [side * 0.05, 2.55],
                        [side * 0.12, 2.15],
                    ]
                ),
            )
            paint_form(img, [col], shirt, tone(shirt, 0.75), s * 0.1, s * 0.05)
        tcol = (
            tone(np.array([cloth[2], cloth[0], cloth[1]]), 1.0, add=40)
            if rng.random() < 0.5
            else np.array([150.0, 40, 50])
        )
        knot = _px(cx, cy, s, np.array([[-0.11, 2.3], [0.11, 2.3], [0.08, 2.55], [-0.08, 2.55]]))
        blade = _px(
            cx,
            cy,
            s,
            np.array([[-0.08, 2.52], [0.08, 2.52], [0.18, 3.6], [0.0, 3.85], [-0.18, 3.6]]),
        )
        tie_clip = paint_form(img, [blade], tcol, tone(tcol, 0.6), s * 0.12, s * 0.05)
        paint_form(img, [knot], tone(tcol, 1.08), tone(tcol, 0.65), s * 0.06, s * 0.03)
        stripes = [
            _px(cx, cy, s, np.array([[-0.2, 2.8 + 0.3 * i], [0.2, 3.0 + 0.3 * i]]))
            for i in range(4)
        ]
        strokes(img, stripes, tone(tcol, 0.7), 0.35, s * 0.03, tie_clip)
    for side in (-1, 1):
        lapel = np.array(
            [
                [side * 0.62, 1.8],
                [side * 1.1, 2.35],
                [side * 1.05, 2.55],
                [side * 1.25, 2.75],
                [side * 0.2, 4.2],
                [side * 0.1, 4.2],
                [side * 0.5, 2.6],
            ]
        )
        px = _px(cx, cy, s, lapel)
        outer = _px(cx, cy, s, lapel[[1, 2, 3, 4]])
        paint(
            img,
            outer + np.array([0.05 * s, 0.05 * s]),
            tone(cloth, 0.3),
            alpha=0.6,
            thickness=s * 0.06,
            closed=False,
            blur=s * 0.03,
        )
        paint_form(
            img,
            [px],
            tone(cloth, 1.08, add=4),
            tone(cloth, 0.6, (0.95, 0.95, 1.05)),
            s * 0.3,
            s * 0.12,
            light=tone(cloth, 1.25, add=20),
        )
        paint(
            img,
            outer,
            tone(cloth, 1.25, add=16),
            thickness=s * 0.016,
            closed=False,
            alpha=0.35 if side < 0 else 0.15,
        )


def _uniform(
    img: np.ndarray, cx: float, cy: float, s: float, cloth: np.ndarray, clip: np.ndarray
) -> None:
    """A service uniform: a closed pointed collar, epaulettes with braid, two breast
    pockets with buttoned flaps, a placket, a badge over the left pocket."""
    braid = np.array([214.0, 178, 92])
    for side in (-1, 1):
        collar = np.array(
            [
                [side * 0.42, 1.66],
                [side * 0.66, 1.8],
                [side * 0.9, 2.15],
                [side * 0.62, 2.55],
                [side * 0.06, 2.24],
                [side * 0.3, 1.98],
            ]
        )
        px = _px(cx, cy, s, collar)
        paint(img, px + np.array([0.05 * s, 0.08 * s]), tone(cloth, 0.4), alpha=0.5, blur=s * 0.05)
        paint_form(img, [px], tone(cloth, 1.06, add=6), tone(cloth, 0.65), s * 0.15, s * 0.06)
        # the epaulette along the top of the shoulder, braid at its outer end
        ep = np.array(
            [[side * 1.05, 2.2], [side * 2.35, 2.62], [side * 2.3, 2.86], [side * 1.0, 2.42]]
        )
        paint(
            img,
            _px(cx, cy, s, ep) + np.array([0.03 * s, 0.05 * s]),
            tone(cloth, 0.4),
            alpha=0.5,
            blur=s * 0.03,
            clip=clip,
        )
        paint_form(
            img, [_px(cx, cy, s, ep)], tone(cloth, 1.1, add=8), tone(cloth, 0.7), s * 0.1, s * 0.04
        )
        for k in range(2):
            x0 = 1.95 - 0.16 * k
            bar = np.array(
                [
                    [side * x0, 2.5 - 0.06 * k],
                    [side * (x0 + 0.08), 2.53 - 0.06 * k],
                    [side * (x0 + 0.04), 2.78 - 0.06 * k],
                    [side * (x0 - 0.04), 2.75 - 0.06 * k],
                ]
            )
            paint(img, _px(cx, cy, s, bar), braid, alpha=0.95)
        paint(
            img,
            ellipse(cx + side * 1.18 * s, cy + 2.36 * s, 0.06 * s, 0.06 * s),
            tone(braid, 1.05),
        )
        # breast pocket and its flap
        px0 = side * 1.15
        pocket = np.array(
            [[px0 - 0.45, 3.3], [px0 + 0.45, 3.3], [px0 + 0.43, 4.3], [px0 - 0.43, 4.3]]
        )
        paint(
            img,
            _px(cx, cy, s, pocket),
            tone(cloth, 0.6),
            alpha=0.45,
            thickness=s * 0.025,
            clip=clip,
        )
        flap = np.array(
            [
                [px0 - 0.48, 3.2],
                [px0 + 0.48, 3.2],
                [px0 + 0.46, 3.5],
                [px0, 3.62],
                [px0 - 0.46, 3.5],
            ]
        )
        fp = _px(cx, cy, s, flap)
        paint(
            img,
            fp + np.array([0.02 * s, 0.05 * s]),
            tone(cloth, 0.45),
            alpha=0.5,
            blur=s * 0.03,
            clip=clip,
        )
        paint_form(
            img, [fp], tone(cloth, 1.08, add=4), tone(cloth, 0.75), s * 0.12, s * 0.04, clip=clip
        )
        paint(img, ellipse(cx + px0 * s, cy + 3.5 * s, 0.045 * s, 0.045 * s), tone(braid, 0.95))
    badge = _px(cx, cy, s, np.array([[-1.35, 2.9], [-0.95, 2.9], [-0.95, 3.08], [-1.35, 3.08]]))
    paint(img, badge, tone(braid, 1.05), alpha=0.95)
    paint(img, badge, tone(braid, 0.6), alpha=0.6, thickness=max(1.0, s * 0.012))
    placket = _px(cx, cy, s, np.array([[0.0, 2.24], [0.0, 6.0]]))
    paint(
        img,
        placket + np.array([0.07 * s, 0]),
        tone(cloth, 0.6),
        thickness=s * 0.025,
        closed=False,
        clip=clip,
    )
    for i in range(4):
        paint(
            img,
            ellipse(cx + 0.02 * s, cy + (2.45 + 0.6 * i) * s, 0.045 * s, 0.045 * s),
            tone(braid, 0.95),
        )


def _bodice() -> np.ndarray:
    """A sleeveless dress (head units): wide straps over the trapezius, round armholes
    that leave the shoulders bare, the V neckline in the middle."""
    left = np.array(
        [
            [-3.0, 7.0],
            [-2.75, 4.3],
            [-2.35, 3.55],
            [-1.95, 2.95],
            [-1.72, 2.2],
            [-0.95, 1.9],
            [-0.6, 2.5],
        ]
    )
    pts = np.vstack([spline(left[1:5], 6), left[5:]])
    return np.vstack([left[:1], pts, [[0.0, 2.95]], mirror_x(pts), [[3.0, 7.0]]])


def _armhole_shadow(
    img: np.ndarray, cx: float, cy: float, s: float, skin: np.ndarray, clip: np.ndarray
) -> None:
    """The strap's edge casts a soft shadow on the shoulder; the deltoid catches light."""
    for side in (-1, 1):
        edge = spline(np.array([[side * 1.72, 2.2], [side * 1.95, 2.95], [side * 2.4, 3.6]]), 8)
        paint(
            img,
            _px(cx, cy, s, edge + np.array([side * 0.06, 0.02])),
            tone(skin, 0.7, (1.0, 0.88, 0.9)),
            alpha=0.45,
            thickness=s * 0.08,
            closed=False,
            blur=s * 0.05,
            clip=clip,
        )
        paint(
            img,
            ellipse(cx + side * 2.75 * s, cy + 3.0 * s, 0.3 * s, 0.45 * s),
            np.clip(skin * 1.08 + 10, 0, 255),
            alpha=0.3 if side < 0 else 0.12,
            blur=s * 0.2,
            clip=clip,
        )


def _tension_folds(
    img: np.ndarray, cx: float, cy: float, s: float, cloth: np.ndarray, clip: np.ndarray
) -> None:
    """A buttoned jacket pulls in folds from its button towards the shoulders and the
    armpits; the button itself below the lapels' meeting point."""
    dark = tone(cloth, 0.6, (0.95, 0.95, 1.05))
    lit = tone(cloth, 1.2, add=10)
    bx, by = 0.12, 4.35
    for side in (-1, 1):
        for end in ((side * 1.6, 3.3), (side * 2.2, 3.9)):
            c = spline(np.array([[bx, by], [(bx + end[0]) / 2, (by + end[1]) / 2 + 0.1], end]), 8)
            paint(
                img,
                _px(cx, cy, s, c),
                dark,
                alpha=0.25,
                thickness=s * 0.07,
                closed=False,
                blur=s * 0.05,
                clip=clip,
            )
            paint(
                img,
                _px(cx, cy, s, c + np.array([0.0, -0.07])),
                lit,
                alpha=0.12,
                thickness=s * 0.04,
                closed=False,
                blur=s * 0.03,
                clip=clip,
            )
    paint(
        img,
        ellipse(cx + bx * s, cy + by * s, 0.07 * s, 0.07 * s),
        tone(cloth, 0.7),
        clip=clip,
    )
    paint(
        img,
        ellipse(cx + (bx - 0.015) * s, cy + (by - 0.015) * s, 0.04 * s, 0.04 * s),
        tone(cloth, 1.3, add=20),
        alpha=0.6,
        clip=clip,
    )
