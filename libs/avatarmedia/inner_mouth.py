"""The inside of a photo avatar's open mouth, lit and coloured from the photo itself.

Everything the interior needs from the photo is measured once (``MouthLook``):

* white balance and exposure of white: the brightest, least saturated pixels of the
  eye whites (the sclera is the one white object lit like the teeth); teeth are drawn
  a little darker and yellower than it;
* the lips' own colour (half-way between the inner and outer lip contours): the back
  of the mouth is its hue, deepened (at a lightness set by the cheeks'), the tongue
  a pink between that and the wet inside of a mouth (lighter than the lips), so the
  mouth is dark red under this light, never black;
* the light's side: left cheek against right cheek;
* softness and grain: the photo's edge spread at the lips (how much a sharp step is
  blurred there, which includes JPEG softening) and the noise left on the cheeks after
  removing their shading; the painted interior is blurred and grained to match.

Per frame, ``paint_interior`` draws inside the moved inner-lip polygon, per column of
the mouth: upper teeth as separate teeth on an arch seen from the front (narrower and
darker towards the corners, a faint line between neighbours, each tooth rounded and
shaded), hidden behind the relaxed upper lip until the lips part far enough and not
past the canines, a soft shadow under the upper lip where the gum would be, the
middle lower teeth on wide openings, the tongue low in the mouth lit from above, the
dark throat between, and both lips' inner surface in the lip's own colour (taken from
the frame just outside the opening), shading into the mouth. Coverage is
anti-aliased.

A person whose photo showed her teeth between parted lips (``MouthLook.teeth_show``,
from ``own_teeth.mouth_seen``: a broad smile, someone who talks over her teeth) shows
both rows: the lower teeth rise from the lower lip from small openings, meeting the
upper row along a shadow line when the gap is small, and the corners beside the teeth
are deep shadow; the teeth take the colour of hers.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from avatarmedia import face as fm

F32 = np.float32
TOOTH_ANGLES = (0.0, 0.30, 0.55, 0.78, 0.98, 1.16, 1.32)  # arch angle of tooth edges, rad
LOWER_TOOTH_ANGLES = (0.0, 0.21, 0.42, 0.64, 0.86, 1.06, 1.24)  # lower incisors are narrower
# Lower teeth of a person who shows her teeth (teeth_show 1): their visible height above
# the lower lip at full opening (face heights) and their share of the lip gap; they show
# from LOWER_FROM opening on, fully LOWER_RAMP later.
LOWER_SHOW_H = 0.032
LOWER_SHOW_SHARE = 0.42
LOWER_FROM, LOWER_RAMP = 0.05, 0.3
CORRIDOR_DARK = 0.6  # how much darker than the throat the corners beside them are
# Teeth are lighter than the cheeks (at least this factor) even where the eye whites
# are in the lids' shadow (dim video frames gave grey-brown teeth at 1.04).
TEETH_OVER_SKIN = 1.12
# A relaxed upper lip hangs over the upper teeth: of the lips' gap (face heights) the
# teeth take 55 % less UPPER_HIDE, i.e. none until the lips part by ~1.9 % beyond the
# 1.2 % the mesh reads on closed lips (``rest_mouth.CLOSED_GAP``), and not past the
# canines (|across| < UPPER_TEETH_SIDE) unless the person shows her teeth (a broad
# smile shows them to the corners). Before, a small opening showed a full row, corner
# to corner, as a grille; the fixture speakers show no teeth until well open.
UPPER_HIDE = 0.017
UPPER_TEETH_SIDE = 0.72
LOWER_TEETH_SIDE = 0.5  # lower teeth on wide vowels: the middle ones only
# A person who shows her teeth: from opening WIDE_ROW_FROM on her lower row narrows to
# the middle WIDE_ROW_SIDE of the mouth by 0.4 later.
WIDE_ROW_FROM, WIDE_ROW_SIDE = 0.5, 0.55
THROAT_DEPTH = 0.15  # the throat's darkening half-way down the opening (see mouth_look)
THROAT_LIGHT = 0.32  # the throat's mean lightness, times the cheeks'
BETWEEN_ROWS_DARK = 0.45  # how much darker the throat is behind two rows of teeth
# ... while the rows are near each other: the darkening fades out as the lips' gap
# grows from ROWS_NEAR to ROWS_NEAR + ROWS_APART (face heights). At a wide opening the
# light gets in (a smiling astronaut's wide mouth was a near-black hole, 19 % of it).
ROWS_NEAR, ROWS_APART = 0.045, 0.035
# The tongue fills the lower part of an open mouth: it shows from opening TONGUE_FROM,
# fully at TONGUE_FULL, its top at TONGUE_LOW of the gap above the lower lip, rising to
# TONGUE_HIGH of it when wide (the fixture speakers' open mouths are tongue from about
# half-way down; ours were a dark throat with a sliver of tongue at the lip).
TONGUE_FROM, TONGUE_FULL = 0.1, 0.5
TONGUE_LOW, TONGUE_HIGH = 0.35, 0.55
# Behind a row of lower teeth that shows (``teeth_show``) the tongue is seen only once
# the mouth opens further, from TONGUE_FROM + TONGUE_BEHIND_TEETH x teeth_show (a tongue
# between en_woman's rows at small openings smoothed her inside: inner edges 0.73x ->
# 0.63x the real ones').
TONGUE_BEHIND_TEETH = 0.5
# Light reaches inside a mouth only through the opening: under a dim light (the
# photo's white, the eye whites or the teeth's lightness, under WHITE_FULL) the inside
# falls into shadow faster than the face: the tongue's light is scaled from
# INSIDE_FLOOR at a white of WHITE_DIM to 1 at WHITE_FULL (grey levels). The eye whites
# measure the light, not the skin tone (a dark-skinned face under good light keeps a
# lit tongue). Fitted on two clips: man_talking_7s (white ~114) shows a mouth 36 %
# near-black, the child (144) 14 % with a pink tongue; scaling by white / 190 made the
# child's tongue brown (L* EMD 13.5).
WHITE_DIM, WHITE_FULL = 90.0, 150.0
INSIDE_FLOOR = 0.3


@dataclass(frozen=True)
class MouthLook:
    """What the photo says about light and colour near the mouth (RGB, 0-255)."""

    teeth: np.ndarray
    throat: np.ndarray
    tongue: np.ndarray
    light_lr: float  # -1 lit from the image's left .. +1 from its right
    blur_sigma: float  # px at this image size
    grain: float  # std of the photo's fine noise, grey levels
    inside_light: float = 1.0  # the inside's light under the photo's (see WHITE_FULL)
    teeth_show: float = 0.0  # how much the photo showed the teeth (``own_teeth.teeth_show``)


def _sample(image: np.ndarray, pts: np.ndarray, r: int) -> np.ndarray:
    h, w = image.shape[:2]
    out = []
    for x, y in np.round(pts).astype(int):
        x, y = int(np.clip(x, r, w - r - 1)), int(np.clip(y, r, h - r - 1))
        out.append(image[y - r : y + r + 1, x - r : x + r + 1].reshape(-1, 3))
    return np.vstack(out).astype(np.float64)


def _sclera(image: np.ndarray, mesh: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """Colour of the eye whites: the light, low-chroma pixels inside the eye contours;
    a neutral at the skin's brightness when the eyes are too small to tell."""
    mask = np.zeros(image.shape[:2], np.uint8)
    for eye in (fm.RIGHT_EYE, fm.LEFT_EYE):
        cv2.fillPoly(mask, [np.round(mesh[list(eye), :2]).astype(np.int32)], 1)
    px = image[mask.astype(bool)].astype(np.float64)
    if len(px) < 12:
        return np.full(3, float(skin.mean()) * 1.05)
    chroma = px.max(axis=1) - px.min(axis=1)
    light = px.mean(axis=1)
    score = light - 1.5 * chroma
    best = px[score >= np.percentile(score, 95)]
    return np.asarray(best.mean(axis=0))


def _edge_sigma(image: np.ndarray, mesh: np.ndarray) -> float:
    """How soft the photo is at the lips: the spread (px) of the lip/skin step."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3) / 8
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3) / 8
    g = np.hypot(gx, gy)
    pts = mesh[list(fm.LIPS_OUTER), :2]
    x0, y0 = np.maximum(np.floor(pts.min(axis=0)).astype(int) - 3, 0)
    x1, y1 = np.ceil(pts.max(axis=0)).astype(int) + 4
    roi_g, roi = g[y0:y1, x0:x1], grey[y0:y1, x0:x1]
    if roi.size < 50:
        return 1.0
    # For a blurred step of height H, the peak gradient is H / (sigma sqrt(2 pi)).
    step = float(np.percentile(roi, 95) - np.percentile(roi, 5))
    peak = float(np.percentile(roi_g, 99))
    return float(np.clip(step / max(peak, 1e-3) / 2.5066 * 0.5, 0.4, 3.0))


def _grain(image: np.ndarray, mesh: np.ndarray, height: float) -> float:
    """Std of the fine noise on the cheeks (their shading removed)."""
    r = max(2, int(0.03 * height))
    patch = _sample(image, mesh[[fm.CHEEK_APPLE_RIGHT, fm.CHEEK_APPLE_LEFT], :2], r).reshape(
        2, 2 * r + 1, 2 * r + 1, 3
    )
    grey = patch.mean(axis=3).astype(np.float32)
    fine = [g - cv2.GaussianBlur(g, (0, 0), 1.5) for g in grey]
    return float(np.clip(np.median([float(np.std(f)) for f in fine]), 0.3, 6.0))


def mouth_look(image: np.ndarray, mesh: np.ndarray, height: float) -> MouthLook:
    """Measure teeth/throat/tongue colours, light side, softness and grain once."""
    skin_l = _sample(image, mesh[[fm.CHEEK_APPLE_RIGHT, fm.CHEEK_INNER_RIGHT], :2], 2).mean(axis=0)
    skin_r = _sample(image, mesh[[fm.CHEEK_APPLE_LEFT, fm.CHEEK_INNER_LEFT], :2], 2).mean(axis=0)
    skin = (skin_l + skin_r) / 2
    lips = _sample(
        image,
        np.vstack(
            [
                (mesh[list(fm.LIPS_OUTER_UPPER), :2] + mesh[list(fm.LIPS_INNER_UPPER), :2]) / 2,
                (mesh[list(fm.LIPS_OUTER_LOWER), :2] + mesh[list(fm.LIPS_INNER_LOWER), :2]) / 2,
            ]
        ),
        1,
    )
    lip = np.median(lips, axis=0)
    white = _sclera(image, mesh, skin)
    # Teeth take the sclera's white balance (its hue, within +-10 %) and are at least
    # a little lighter than the skin (the sclera is often in the lids' shadow), warmer
    # than it (dentine shows through).
    balance = np.clip(white / max(float(white.mean()), 1.0), 0.9, 1.1)
    light_of_white = max(float(white.mean()), TEETH_OVER_SKIN * float(skin.mean()))
    teeth = np.clip(light_of_white * balance * np.array([1.0, 0.98, 0.93]), 0, 250)
    # The throat has the lips' hue, deepened, at a lightness set by the light on the
    # face (a dark lipstick must not make it black): its mean is THROAT_LIGHT x the
    # cheeks', darkest (1 - THROAT_DEPTH) x that half-way down. At 0.3 deep a dim
    # frame's open mouth (child_talking_9s) was 32-39 % near-black once the teeth hide
    # in slightly open mouths; the real child's is 14 %.
    deep = _deepened(lip)
    inside = inside_light(light_of_white)
    throat = deep * THROAT_LIGHT * float(skin.mean())
    # the tongue: as light as the mouth's wet surfaces, redder (a pink, not a grey)
    wet = mucosa(lip, skin)
    tongue = 0.85 * (0.5 * wet + 0.5 * deep * float(wet.mean())) * inside
    lr = float(np.clip((skin_r.mean() - skin_l.mean()) / max(skin.mean(), 1.0) * 4, -1, 1))
    return MouthLook(
        teeth=teeth.astype(F32),
        throat=throat.astype(F32),
        tongue=tongue.astype(F32),
        light_lr=lr,
        blur_sigma=_edge_sigma(image, mesh),
        grain=_grain(image, mesh, height),
        inside_light=inside,
    )


def inside_light(white: float) -> float:
    """How lit the inside of the mouth is, times what the face's light alone gives:
    1 under a light that makes white WHITE_FULL or more, less under a dim one."""
    return float(np.clip((white - WHITE_DIM) / (WHITE_FULL - WHITE_DIM), INSIDE_FLOOR, 1.0))


def mucosa(lip: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """The colour of the mouth's wet inner surfaces (inner lips, tongue top): lighter
    and pinker than the lips' outside. In the fixture clips the lit inside of the open
    mouth reaches 1.3-1.5x the lips' lightness with less chroma (the man's lips 119,45,42
    and his lit inside 170,90,91; the child's 130,84,82 and 167,131,132); the tongue as
    a darker shade of the lip was a grey-brown."""
    out: np.ndarray = np.clip(0.6 * 1.3 * lip + 0.4 * skin, 0, 245)
    return out


def _deepened(lip: np.ndarray) -> np.ndarray:
    """The lips' hue with 1.5x its chroma, mean 1: the back of a real mouth is a deeper
    red than the lips (the fixture clips' darkest inner quarter, e.g. 66,26,26 inside a
    child's pale 130,84,82 lips)."""
    grey = float(lip.mean())
    out: np.ndarray = np.clip(grey + 1.5 * (lip - grey), 0.15 * grey, None) / max(grey, 1.0)
    return out / float(out.mean())


def _tooth_edges(
    across: np.ndarray, angles: tuple[float, ...] = TOOTH_ANGLES
) -> tuple[np.ndarray, np.ndarray]:
    """Per column (``across`` = -1..1 across the mouth): distance to the nearest tooth
    edge in arch radians, and where in its tooth the column is (0 centre, 1 edge)."""
    theta = np.arcsin(_clip(across / 1.08, -1.0, 1.0))
    edges = np.array(angles[1:], np.float64)
    edges = np.concatenate([-edges[::-1], [0.0], edges])
    d = np.abs(theta[:, None] - edges[None, :])
    k = np.argmin(d, axis=1)
    near = d[np.arange(len(theta)), k]
    # half width of the tooth this column is in
    idx = _clip(np.searchsorted(edges, theta), 1, len(edges) - 1)
    half = (edges[idx] - edges[idx - 1]) / 2
    centre = (edges[idx] + edges[idx - 1]) / 2
    pos = _clip(np.abs(theta - centre) / np.maximum(half, 1e-3), 0, 1)
    return near.astype(F32), pos.astype(F32)


def _over(weights: list[np.ndarray], alpha: np.ndarray, shade: np.ndarray) -> None:
    """Composite one layer (coverage ``alpha``, lightness ``shade``) over the layers in
    ``weights`` (each a per-pixel weight of its colour), in place: the colour of a pixel
    is sum(weight_i * colour_i) at the end."""
    keep = 1.0 - alpha
    for w in weights:
        np.multiply(w, keep, out=w)
    weights.append(alpha * shade)


def _clip(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``np.clip`` of a new array (the same values) without its wrapper's overhead:
    a frame's mouth makes ~20 such calls on arrays of a few thousand pixels, where
    the wrapper cost as much as the work."""
    out: np.ndarray = np.minimum(np.maximum(x, lo), hi)
    return out


def _unit(v: float) -> float:
    """A number clipped to [0, 1] (``np.clip`` on a Python float costs ~5 us)."""
    return min(max(float(v), 0.0), 1.0)


def _clip01(x: np.ndarray) -> np.ndarray:
    np.maximum(x, 0.0, out=x)
    np.minimum(x, 1.0, out=x)
    return x


def paint_interior(
    region: np.ndarray,
    poly: np.ndarray,
    n_up: int,
    opening: float,
    look: MouthLook,
    height: float,
    grain: np.ndarray | None = None,
    own: tuple[np.ndarray, np.ndarray] | None = None,
    unseen_px: float = 0.0,
) -> None:
    """Draw the open mouth's inside within ``poly`` (region px; the first ``n_up``
    points are the upper inner lip left to right, the rest the lower one right to
    left), in place.

    Layers back to front: throat, tongue, upper teeth, lower teeth, inner lip surface.
    Each is a coverage and a lightness per pixel, built from per-column profiles
    (lip lines, arch position, tooth edges) and the distance below the upper lip or
    above the lower one; the colours are mixed in one product at the end. ``own``
    (the person's own teeth: a float32 RGBA texture and, per texture column, the
    height in px it had in the photo, see ``own_teeth``) replaces the synthetic upper
    teeth, hanging from the upper lip.
    """
    pts = np.asarray(poly, np.float64)
    pad = 3
    lo_xy = np.maximum(np.floor(pts.min(axis=0)).astype(int) - pad, 0)
    hi_xy = np.minimum(
        np.ceil(pts.max(axis=0)).astype(int) + pad + 1, [region.shape[1], region.shape[0]]
    )
    bw, bh = hi_xy - lo_xy
    if bw < 4 or bh < 3:
        return
    local = pts - lo_xy
    mask = np.zeros((bh, bw), np.uint8)
    cv2.fillPoly(mask, [np.round(local * 8).astype(np.int32)], 255, cv2.LINE_AA, shift=3)
    if not mask.any():
        return
    up_xy, lo_pts = local[:n_up], local[n_up:][::-1]
    xs = np.arange(bw, dtype=np.float64)
    top = np.interp(xs, up_xy[:, 0], up_xy[:, 1]).astype(F32)
    bottom = np.interp(xs, lo_pts[:, 0], lo_pts[:, 1]).astype(F32)
    gap = np.maximum(bottom - top, F32(1e-3))
    yy = np.arange(bh, dtype=F32)[:, None]
    ft = yy - top  # px below the upper lip
    fb = bottom - yy  # px above the lower lip
    cx = (local[:, 0].min() + local[:, 0].max()) / 2
    half = max((local[:, 0].max() - local[:, 0].min()) / 2, 1.0)
    across = _clip((xs - cx) / half, -1, 1).astype(F32)
    depth = across * across  # 0 front .. 1 at the corners
    light = F32(1.0) + F32(0.12 * look.light_lr) * across
    # throat: darkest half-way down, deeper towards the corners
    rel = _clip01(ft / gap)
    throat = F32(1.0) - F32(THROAT_DEPTH) * np.sin(F32(np.pi) * rel) * (F32(0.7) + F32(0.3) * depth)
    # A person who shows her teeth opens wide at the corners too: past the teeth the
    # corners are deep shadow (the dark corridors beside a broad smile's teeth).
    show = F32(look.teeth_show)
    throat *= light * (
        F32(1.0) - F32(CORRIDOR_DARK) * show * _clip01((np.abs(across) - 0.55) / 0.4)
    )
    # Little light gets in between two rows of teeth: the back of the mouth is darker
    # there (en_woman's lit red between her rows read as a gum line).
    near_rows = show * rows_near(gap, height)
    throat *= F32(1.0) - F32(BETWEEN_ROWS_DARK) * near_rows
    weights: list[np.ndarray] = [throat]
    colours = [look.throat]
    tongue = _tongue(opening * look.inside_light, gap, fb, xs - cx, half, look.teeth_show)
    if tongue is not None:
        # between two rows of teeth near each other the tongue is in their shadow
        _over(weights, tongue[0] * (F32(1.0) - near_rows), tongue[1] * light)
        colours.append(look.tongue)
    # upper teeth: separate teeth on an arch, a soft shadow under the lip
    near_edge, pos = _tooth_edges(across)
    edge = np.exp(-((near_edge / F32(0.02)) ** 2))
    tall = F32(0.04 * height) * (F32(1.0) + F32(0.15) * F32(look.teeth_show))
    hide = F32(UPPER_HIDE * height) * (F32(1.0) - show)
    seen_gap = np.maximum(gap - F32(max(unseen_px, 0.0)), F32(0))
    teeth_h = np.maximum(np.minimum(tall * (1 - F32(0.4) * depth), seen_gap * F32(0.55) - hide), 0)
    t_len = teeth_h * (F32(1.0) - F32(0.12) * np.exp(-((near_edge / F32(0.05)) ** 2)))
    cover = _clip01(t_len - ft + F32(0.5)) * np.minimum(teeth_h, F32(1.0))
    side = F32(UPPER_TEETH_SIDE) + (F32(0.9 - UPPER_TEETH_SIDE)) * show
    cover *= _clip((side - np.abs(across)) / (F32(0.18) - F32(0.06) * show), 0, 1)
    col_k = (F32(1.0) - F32(0.12) * pos**2) * (F32(1.0) - F32(0.35) * depth) * light
    # The line between neighbours is faint, a small dark notch at the biting edge.
    notch = _clip01(ft / np.maximum(teeth_h, F32(1)))
    notch *= notch
    shade = F32(1.0) - edge * (F32(0.08) + F32(0.2) * notch)
    shade *= F32(1.0) - F32(0.4) * np.exp(
        -np.maximum(ft, 0) / np.maximum(F32(0.2) * teeth_h, F32(0.6))
    )
    shade *= col_k
    _over(weights, cover, shade)
    colours.append(look.teeth)
    low = _lower_teeth(opening, look, height, gap, fb, across, light)
    if low is not None:
        _over(weights, low[0], low[1])
        colours.append(look.teeth)
    img = np.stack(weights, axis=-1) @ np.stack(colours).astype(F32)
    patch = region[lo_xy[1] : hi_xy[1], lo_xy[0] : hi_xy[0]]
    _inner_lips(img, patch, top, bottom, ft, fb, across, height, opening, look.teeth_show)
    # the photo's own softness and grain
    if look.blur_sigma > 0.45:
        img = cv2.GaussianBlur(img, (0, 0), look.blur_sigma * 0.8)
    if grain is not None:
        gy, gx = grain.shape
        if bh <= gy and bw <= gx:  # a tile repeated already (``grain_tile``'s ``repeat``)
            img += grain[:bh, :bw, None]
        else:
            img += grain[np.arange(bh) % gy][:, np.arange(bw) % gx][..., None]
    if own is not None:
        img = _own_teeth_over(img, own, across, ft)
    alpha = mask.astype(F32) * F32(_unit(opening * 6) / 255.0)
    interior = _clip(img, 0, 255).astype(np.uint8)
    patch[:] = cv2.blendLinear(patch, interior, 1 - alpha, alpha)


def rows_near(gap: np.ndarray, height: float) -> np.ndarray:
    """Per column, 1 where two rows of teeth are near each other (little light gets
    between them), fading to 0 as the lips part wider (see ROWS_NEAR)."""
    out: np.ndarray = _clip01(F32(1.0) - (gap - F32(ROWS_NEAR * height)) / F32(ROWS_APART * height))
    return out


def _tongue(
    opening: float,
    gap: np.ndarray,
    fb: np.ndarray,
    dx: np.ndarray,
    half: float,
    teeth_show: float = 0.0,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Coverage and lightness of the tongue, or None: it fills the lower part of the
    opening (its top rising from TONGUE_LOW to TONGUE_HIGH of the gap as the mouth
    opens), narrower than the mouth, lit from above (lightest along its top surface,
    in the lower lip's shadow towards the bottom); behind lower teeth that show, from
    a wider opening on."""
    start = TONGUE_FROM + TONGUE_BEHIND_TEETH * teeth_show
    on = _unit((opening - start) / (TONGUE_FULL - TONGUE_FROM))
    if on <= 0.0:
        return None
    t_h = gap * F32(TONGUE_LOW + (TONGUE_HIGH - TONGUE_LOW) * on)
    t_in = _clip01((t_h - fb) / np.maximum(gap * F32(0.08), F32(1)))
    t_in *= _clip(1 - (dx / (0.85 * half)) ** 2, 0, 1).astype(F32)
    t_in *= F32(on)
    shade = F32(1.0) - F32(0.3) * _clip01((t_h - fb) / np.maximum(gap * F32(0.5), F32(1)))
    return t_in, shade


def _inner_lips(
    img: np.ndarray,
    patch: np.ndarray,
    top: np.ndarray,
    bottom: np.ndarray,
    ft: np.ndarray,
    fb: np.ndarray,
    across: np.ndarray,
    height: float,
    opening: float,
    teeth_show: float,
) -> None:
    """Both lips' wet inner side, in place over ``img``: per column the colour of the
    moved lip just outside the opening (``patch``, the frame there), continued inwards
    and shading into the mouth. A band of one made-up colour read as an outline round
    the opening (a dark rim when darker than the lip, a light one when lighter); the
    lip's own colour at the edge has no edge. Over lower teeth that show, the lower
    lip's is a narrow soft shadow, not a band. In the corners of a wide-open mouth, or
    beside a broad smile's teeth, the lips meet over deep shadow, so there the surface
    fades into the throat; a slightly open mouth keeps lip colour to its corners (dark
    corners made a narrow opening a black slit with pointed ends)."""
    h = patch.shape[0]
    cols = np.arange(patch.shape[1])

    def edge_colour(rows: np.ndarray) -> np.ndarray:
        idx = _clip(np.round(rows).astype(int), 0, h - 1)
        px: np.ndarray = patch[idx, cols[None, :]].astype(F32).mean(axis=0)
        return px

    below = edge_colour(bottom[None, :] + np.array([[1.5], [2.5], [3.5]], F32))
    above = edge_colour(top[None, :] - np.array([[1.5], [2.5]], F32))
    band = F32(max(0.6, 0.006 * height))
    low_k = F32(0.8) * (F32(1.0) - F32(0.6) * F32(teeth_show))
    deep = 0.5 * teeth_show + 0.5 * _unit((opening - 0.2) / 0.5)
    in_corner = F32(1.0) - F32(deep) * _clip01((np.abs(across) - F32(0.7)) / F32(0.25))
    for near, k, colour in (
        (np.exp(-np.maximum(ft, 0) / band), F32(0.35), above),
        (np.exp(-np.maximum(fb, 0) / (F32(2.0) * band)), low_k, below),
    ):
        # the lip's colour at the edge, a little darker inwards
        a = (near * k * in_corner)[..., None]
        img *= F32(1.0) - a
        img += a * (F32(0.7) + F32(0.3) * near)[..., None] * colour[None, :, :]


def _lower_teeth(
    opening: float,
    look: MouthLook,
    height: float,
    gap: np.ndarray,
    fb: np.ndarray,
    across: np.ndarray,
    light: np.ndarray,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Coverage and lightness of the lower teeth rising from the lower lip, or None.

    Everyone shows a little of them on wide vowels (from opening 0.6); a person whose
    photo showed her teeth (``look.teeth_show``) shows them from small openings, up to
    LOWER_SHOW_H tall, as separate narrower teeth lit from above, a shadow line along
    their biting edge (where they meet the upper row when the gap is small)."""
    show = F32(look.teeth_show)
    depth = across * across
    wide_h = np.minimum(F32(0.02 * height) * (1 - F32(0.5) * depth), gap * F32(0.18))
    wide_h *= F32(_unit((opening - 0.6) / 0.3))
    wide_h *= _clip((F32(LOWER_TEETH_SIDE) - np.abs(across)) / F32(0.2), 0, 1)
    ramp = F32(_unit((opening - LOWER_FROM) / LOWER_RAMP))
    show_h = np.minimum(
        F32(LOWER_SHOW_H * height) * (1 - F32(0.45) * depth), gap * F32(LOWER_SHOW_SHARE)
    )
    l_h = np.maximum(wide_h, show_h * show * ramp)
    if float(l_h.max()) < 0.3:
        return None
    low = _clip01(l_h - fb + F32(0.5))
    # opened wide, the jaw drops the lower row behind the lip at the sides: only the
    # middle teeth show (a full row to the corners read as a grey rim, the lip thin)
    wide = _unit((opening - WIDE_ROW_FROM) / 0.4)
    side = F32(0.86) - F32(0.06) * show - F32((0.86 - WIDE_ROW_SIDE) * wide)
    low *= _clip((side - np.abs(across)) / F32(0.15), 0, 1)
    near_edge, pos = _tooth_edges(across, LOWER_TOOTH_ANGLES)
    edge = np.exp(-((near_edge / F32(0.018)) ** 2))
    # darker towards the corners and down towards the lip; the biting edge catches a
    # line of shadow from the upper row
    from_top = _clip01((l_h - fb) / np.maximum(l_h, F32(1)))
    base = F32(0.75) + F32(0.15) * show
    shade = (F32(1.0) - F32(0.1) * pos**2) * (F32(1.0) - F32(0.35) * depth) * light * base
    # the line between neighbours is faint, a small notch at the biting edge
    notch = (F32(1.0) - from_top) ** 2
    shade = shade * (F32(1.0) - F32(0.1) * from_top) * (1 - edge * (F32(0.04) + F32(0.15) * notch))
    shade *= F32(1.0) - F32(0.35) * np.exp(-(((l_h - fb) / F32(max(0.8, 0.004 * height))) ** 2))
    return low, shade


def _own_teeth_over(
    img: np.ndarray, own: tuple[np.ndarray, np.ndarray], across: np.ndarray, ft: np.ndarray
) -> np.ndarray:
    """Composite the person's own upper teeth: each row samples the texture at its
    distance below the upper lip, at the photo's scale; below what the photo showed,
    nothing."""
    tex, gaps_px = own
    th, tw = tex.shape[:2]
    col = (across + 1) * F32(0.5 * (tw - 1))
    gap_px = np.interp(col, np.arange(tw), gaps_px).astype(F32)
    near = ft / np.maximum(gap_px, F32(1.0))
    map_y = np.ascontiguousarray(_clip(near, 0, 1) * F32(th - 1), F32)
    map_x = np.ascontiguousarray(np.broadcast_to(col[None, :], map_y.shape), F32)
    smp = cv2.remap(tex, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    a = (smp[..., 3] * F32(1 / 255.0) * (near <= 1.0))[..., None]
    out: np.ndarray = img * (1 - a) + smp[..., :3] * a
    return out


def grain_tile(look: MouthLook, seed: int = 0, size: int = 64, repeat: int = 1) -> np.ndarray:
    """A fixed tile of the photo's grain (the same every frame, like the photo's own),
    ``repeat`` x ``repeat`` times over: the same values as indexing one tile modulo
    its size, which ``paint_interior`` then need not do each frame for a mouth
    smaller than the whole."""
    rng = np.random.default_rng(seed)
    white = rng.normal(0.0, 1.0, (size, size)).astype(F32)
    noise: np.ndarray = cv2.GaussianBlur(white, (0, 0), 0.6)
    tile = noise * F32(look.grain / max(float(noise.std()), 1e-6))
    return np.tile(tile, (repeat, repeat)) if repeat > 1 else tile
