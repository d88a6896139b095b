"""The rest mouth of a photo avatar: an open or toothy mouth closed once, at portrait time.

A photo taken mid-word or in a broad smile shows teeth; the animator opens the mouth
from its rest state, so that state must be closed lips. ``close_mouth`` moves the
upper lip down and the lower lip and jaw up until the inner lip contours meet: a
backward warp in face coordinates (u along the eye line, v down the face) whose
offsets are smooth everywhere and reach zero inside the warped box (above the nose
base, below the chin, beyond the jaw), so there is no box edge, seam or patch. The
only discontinuity is the tear along the meeting line inside the mouth, where the
two inner lip edges now touch; it is anti-aliased and given the faint shadow real
closed lips have. Lips keep their own texture: they are moved, never painted.

``rest_mouth`` closes once and refits the mesh to the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from avatarmedia import face as fm
from avatarmedia.head import smoothstep

# The mesh measures closed lips as a small gap (0.7-1.8 % of the face height on the
# fixtures and clip frames): that much is lip, not mouth opening, and is kept.
CLOSED_GAP = 0.012
OPEN_GAP = 0.015  # below this nothing is closed
UPPER_SHARE = 0.3  # share of the gap the upper lip travels; the jaw does the rest
SOFT_SHARE = 0.35  # below the lips the gap is smoothed across this share of the mouth
# ... from this lip gap (face heights) on, fully from SOFT_FULL_GAP: a jaw dropped open.
# A toothy smile parts the lips by up to ~0.11 with the jaw in place (obama 0.106,
# astronaut 0.070) and closes as before: softening it moved obama's chin enough to cost
# bench_video's identity SSIM (0.904 -> 0.894).
SOFT_FROM_GAP = 0.11
SOFT_FULL_GAP = 0.15
TEETH_BAND = 0.006  # half-height of the band teeth_share looks at, face heights
TEETH_RUN = 0.06  # shortest run along that band that counts as teeth, mouth widths
EDGE_DE_MIN = 8.0  # delta E: what differs from the upper lip by less is lip


@dataclass(frozen=True)
class _Axes:
    origin: np.ndarray
    ex: np.ndarray
    ey: np.ndarray

    def to_uv(self, xy: np.ndarray) -> np.ndarray:
        d = xy[..., :2] - self.origin
        return np.stack([d @ self.ex, d @ self.ey], axis=-1)

    def to_xy(self, uv: np.ndarray) -> np.ndarray:
        out: np.ndarray = self.origin + uv[..., :1] * self.ex + uv[..., 1:2] * self.ey
        return out


def _axes(mesh: np.ndarray) -> _Axes:
    eye = mesh[fm.LEFT_EYE_OUTER, :2] - mesh[fm.RIGHT_EYE_OUTER, :2]
    ex = eye / max(float(np.linalg.norm(eye)), 1e-6)
    return _Axes(
        (mesh[fm.UPPER_LIP_CENTER, :2] + mesh[fm.LOWER_LIP_CENTER, :2]) / 2,
        ex,
        np.array([-ex[1], ex[0]]),
    )


def face_height(mesh: np.ndarray) -> float:
    return fm.landmark_distance(mesh, fm.FOREHEAD, fm.CHIN)


def _curve(pts: np.ndarray, u: np.ndarray) -> np.ndarray:
    order = np.argsort(pts[:, 0])
    return np.asarray(np.interp(u, pts[order, 0], pts[order, 1]))


def lip_gap(mesh: np.ndarray) -> float:
    """Largest inner-lip gap along the mouth, as a fraction of the face height."""
    uv = _axes(mesh).to_uv(mesh.astype(np.float64))
    up, lo = uv[list(fm.LIPS_INNER_UPPER)], uv[list(fm.LIPS_INNER_LOWER)]
    grid = np.linspace(up[:, 0].min(), up[:, 0].max(), 48)
    return float(np.max(_curve(lo, grid) - _curve(up, grid))) / max(face_height(mesh), 1.0)


def visible_corners(uv: np.ndarray) -> tuple[float, float]:
    """u of the mouth's visible corners: half-way from the mesh's inner lip corners
    (which sit inside them) to its outer ones."""
    c0, c1 = float(uv[fm.MOUTH_INNER_RIGHT, 0]), float(uv[fm.MOUTH_INNER_LEFT, 0])
    o0, o1 = float(uv[fm.MOUTH_RIGHT, 0]), float(uv[fm.MOUTH_LEFT, 0])
    return (min(c0, c1) + min(o0, o1, c0, c1)) / 2, (max(c0, c1) + max(o0, o1, c0, c1)) / 2


def _interior(
    image: np.ndarray, mesh: np.ndarray, ax: _Axes, u: np.ndarray, v: np.ndarray
) -> np.ndarray:
    """True where the samples at face coordinates (u, v) show the inside of the mouth."""
    dark, teeth = interior_parts(image, mesh, ax, u, v)
    out: np.ndarray = dark | teeth
    return out


def interior_parts(
    image: np.ndarray, mesh: np.ndarray, ax: _Axes, u: np.ndarray, v: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Where the samples at face coordinates (u, v) show cavity, and where teeth.

    Teeth are lighter and far less red than the person's own lips, the cavity darker.
    """
    smp, (lip_l, lip_c, skin_l, skin_c) = _lab_samples(image, mesh, ax, u, v)
    chroma = np.hypot(smp[..., 1], smp[..., 2])
    dark = smp[..., 0] < min(lip_l, skin_l) - 20.0
    teeth = (
        (smp[..., 0] > lip_l + 5.0)
        & (chroma < 0.6 * lip_c)
        & ((chroma < 0.75 * skin_c) | (smp[..., 0] > skin_l + 3.0))
    )
    return dark, teeth


def _lab_samples(
    image: np.ndarray, mesh: np.ndarray, ax: _Axes, u: np.ndarray, v: np.ndarray
) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """L*a*b* samples at face coordinates (u, v), and the person's lip L* and chroma
    and cheek L* and chroma: the lips sampled half-way between their inner and outer
    contours (lip tissue however wide the mouth is), the cheeks at their apples."""
    mid = np.vstack(
        [
            (mesh[list(fm.LIPS_OUTER_UPPER), :2] + mesh[list(fm.LIPS_INNER_UPPER), :2]) / 2,
            (mesh[list(fm.LIPS_OUTER_LOWER), :2] + mesh[list(fm.LIPS_INNER_LOWER), :2]) / 2,
            mesh[[fm.CHEEK_APPLE_RIGHT, fm.CHEEK_APPLE_LEFT], :2],
        ]
    )
    lab = cv2.cvtColor(image.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    h, w = image.shape[:2]
    ix = np.clip(np.round(mid[:, 0]).astype(int), 0, w - 1)
    iy = np.clip(np.round(mid[:, 1]).astype(int), 0, h - 1)
    ref = lab[iy, ix]
    chroma_of = np.hypot(ref[:, 1], ref[:, 2])
    lip_l, lip_c = float(np.median(ref[:-2, 0])), float(np.median(chroma_of[:-2]))
    skin_l, skin_c = float(ref[-2:, 0].mean()), float(chroma_of[-2:].mean())
    xy = ax.to_xy(np.stack([u, v], axis=-1)).astype(np.float32)
    smp = cv2.remap(lab, xy[..., 0], xy[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return smp, (lip_l, lip_c, skin_l, skin_c)


def _gap_profile(
    image: np.ndarray, mesh: np.ndarray, ax: _Axes, height: float
) -> tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]:
    """The inside of the mouth per column u: its top edge and its height (px).

    From the mesh's inner lip contours, widened to where the photo itself shows
    teeth or cavity (the mesh often fits a toothy smile with too small a gap); where
    only the mesh says "open", its closed-lip share (``CLOSED_GAP``) is kept. The
    height is zero beyond the visible corners (half-way from the mesh's inner corners
    to the outer ones) and is spread smoothly past them, so nothing has a steep edge.
    """
    uv = ax.to_uv(mesh)
    up, lo = uv[list(fm.LIPS_INNER_UPPER)], uv[list(fm.LIPS_INNER_LOWER)]
    c0, c1 = float(up[:, 0].min()), float(up[:, 0].max())
    e0, e1 = visible_corners(uv)
    grid = np.linspace(e0, e1, 64)
    inner = np.where(grid < 0, grid * c0 / min(e0, -1e-6), grid * c1 / max(e1, 1e-6))
    top, bottom = _curve(up, inner), _curve(lo, inner)
    mesh_gap = np.clip(bottom - top - CLOSED_GAP * height, 0, None)
    # Scan each column from 2 % of the face height above the upper lip line to as far
    # below the lower one.
    span = 0.02 * height
    steps = np.linspace(0.0, 1.0, 48)
    vs = (top - span)[:, None] + (bottom - top + 2 * span)[:, None] * steps[None, :]
    found = _interior(image, mesh, ax, np.repeat(grid[:, None], len(steps), 1), vs)
    step = (bottom - top + 2 * span) / (len(steps) - 1)
    found &= (np.abs(inner) < 0.95 * np.where(inner < 0, -c0, c1))[:, None]
    any_in = found.any(axis=1)
    first_i = np.argmax(found, axis=1)
    first = np.where(any_in, vs[np.arange(64), first_i], top)
    # The detector finds the inside where it is plainly teeth or cavity; above that the
    # upper lip blends into it over a few rows (blur, the teeth's shadowed top), and a
    # meeting line there kept a thin line of teeth between the closed lips.
    ext = _edge_rows(image, mesh, ax, grid, vs, first_i) * step
    ext = np.where(any_in, np.minimum(ext, np.clip(first - top + span / 2, 0.0, None)), 0.0)
    # Smooth across columns: a column-by-column extension sheared the chin below it.
    ext = np.convolve(np.pad(ext, 4, mode="edge"), np.ones(9) / 9, mode="valid")
    first = first - ext
    img_gap = np.where(any_in, found.sum(axis=1) * step + ext, 0.0)
    use_img = img_gap > mesh_gap
    gap = np.maximum(mesh_gap, img_gap)
    mesh_top = top + 0.5 * (bottom - top - mesh_gap)
    # Where the mesh's gap is the larger, its lower edge stays, but the inside still
    # starts where the photo shows teeth if that is higher (the mesh's share of closed
    # lips, ``CLOSED_GAP``, is taken half from the upper lip, often from the teeth).
    higher = np.where((ext > 0) & ~use_img, np.clip(mesh_top - first, 0.0, None), 0.0)
    gap = gap + higher
    top = np.where(use_img, np.minimum(first, top), mesh_top - higher)
    top = np.convolve(np.pad(top, 4, mode="edge"), np.ones(9) / 9, mode="valid")
    gap[[0, -1]] = 0.0
    sigma = max(0.12 * (e1 - e0), 0.8 * float(gap.max()))
    fine = np.linspace(e0 - 3 * sigma, e1 + 3 * sigma, 160)
    dx = float(fine[1] - fine[0])
    k = np.exp(-0.5 * (np.arange(-60, 61) * dx / sigma) ** 2)
    k /= k.sum()
    raw = np.interp(fine, grid, gap, left=0.0, right=0.0)
    box = max(3, int(0.07 * (e1 - e0) / dx) * 2 + 1)  # columns differ by noise: no steps
    raw = np.convolve(np.pad(raw, box // 2), np.ones(box) / box, mode="valid")
    smooth_gap = np.maximum(raw, np.convolve(np.pad(raw, 60), k, mode="valid"))
    top_f = np.interp(fine, grid, top)

    def gap_of_u(u: np.ndarray, smooth: float = 0.0) -> np.ndarray:
        vals = smooth_gap
        if smooth > 0:
            kk = np.exp(-0.5 * (np.arange(-60, 61) * dx / smooth) ** 2)
            vals = np.convolve(np.pad(vals, 60), kk / kk.sum(), mode="valid")
        return np.asarray(np.interp(u, fine, vals, left=0.0, right=0.0))

    def top_of_u(u: np.ndarray) -> np.ndarray:
        return np.asarray(np.interp(u, fine, top_f))

    return gap_of_u, top_of_u


def _edge_rows(
    image: np.ndarray,
    mesh: np.ndarray,
    ax: _Axes,
    grid: np.ndarray,
    vs: np.ndarray,
    first_i: np.ndarray,
) -> np.ndarray:
    """Per column, how many scan rows just above the first inside row are lighter than
    the column's upper lip (sampled half-way between its outer and inner contours) and
    differ from it by more than a third of the way to that inside row's colour: the
    blurred border between lip and teeth, which belongs to the inside. (Above a cavity
    the darker rim is the lip's own shadow and stays.)"""
    uv = ax.to_uv(mesh)
    lip_v = (
        _curve(uv[list(fm.LIPS_OUTER_UPPER)], grid) + _curve(uv[list(fm.LIPS_INNER_UPPER)], grid)
    ) / 2
    u = np.repeat(grid[:, None], vs.shape[1] + 1, 1)
    v = np.concatenate([lip_v[:, None], vs], axis=1)
    smp, _ = _lab_samples(image, mesh, ax, u, v)
    lip, col = smp[:, :1], smp[:, 1:]
    far = np.linalg.norm(col - lip, axis=-1)
    cols = np.arange(len(grid))
    limit = np.maximum(EDGE_DE_MIN, far[cols, first_i] / 3.0)
    rows = np.arange(vs.shape[1])[None, :]
    lighter = col[..., 0] > lip[..., 0] + EDGE_DE_MIN  # teeth; a cavity's rim is shadow
    above = (rows < first_i[:, None]) & (far > limit[:, None]) & lighter
    # Count only the run that touches the first inside row.
    run = np.zeros(len(grid))
    for c in cols:
        k = first_i[c] - 1
        while k >= 0 and above[c, k]:
            k -= 1
        run[c] = first_i[c] - 1 - k
    return run


@dataclass(frozen=True)
class ClosingWarp:
    """The closing as backward maps over ``box`` (x0, y0, x1, y1): source x, y of each
    pixel above the lips' meeting line (``upper``) and below it (``lower``), the
    lower side's weight (1 px wide across the line) and the contact shadow."""

    box: tuple[int, int, int, int]
    upper: np.ndarray
    lower: np.ndarray
    w_lower: np.ndarray
    tear: np.ndarray
    shadow: np.ndarray

    def blended(self) -> np.ndarray:
        """The map outside the mouth (one map: the sides' maps blended); inside it the
        two sides are sampled separately and their pixels blended."""
        w = self.w_lower[..., None]
        out: np.ndarray = self.upper * (1 - w) + self.lower * w
        return out


def closing_warp(image: np.ndarray, mesh: np.ndarray) -> ClosingWarp | None:
    """The warp that closes the mouth; None when the mesh's lips already meet."""
    mesh = mesh.astype(np.float64)
    height = face_height(mesh)
    if lip_gap(mesh) < OPEN_GAP:
        return None
    ax = _axes(mesh)
    uv = ax.to_uv(mesh)
    up = uv[list(fm.LIPS_INNER_UPPER)]
    c0, c1 = float(up[:, 0].min()), float(up[:, 0].max())
    jaw_hw = fm.landmark_distance(mesh, fm.JAW_RIGHT, fm.JAW_LEFT) / 2
    nose_v, chin_v = float(uv[fm.NOSE_BASE, 1]), float(uv[fm.CHIN, 1])
    lip_top, lip_bottom = float(uv[fm.UPPER_LIP_TOP, 1]), float(uv[fm.LOWER_LIP_BOTTOM, 1])
    # The warped box: the fields below are ~0 on its border.
    pts = np.array(
        [
            ax.to_xy(np.array([su * 1.05 * jaw_hw, sv]))
            for su in (-1, 1)
            for sv in (nose_v - 0.02 * height, chin_v + 0.26 * height)
        ]
    )
    h_img, w_img = image.shape[:2]
    x0, y0 = np.maximum(np.floor(pts.min(axis=0)).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(pts.max(axis=0)).astype(int) + 1, [w_img, h_img])
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    puv = ax.to_uv(np.stack([xs, ys], axis=-1))
    u, v = puv[..., 0], puv[..., 1]
    gap_of_u, top_of_u = _gap_profile(image, mesh, ax, height)
    g = gap_of_u(u)
    # The upper lip moves as a whole (its share smoothed across the mouth), the lower
    # lip closes the rest, so the two inner edges meet on the line ``meet``.
    up_move = np.minimum(UPPER_SHARE * gap_of_u(u, smooth=0.25 * (c1 - c0)), g)
    meet = top_of_u(u) + up_move
    # Upper lip: slides down rigidly, the skin up to the nose base stretches.
    f_up = smoothstep((v - nose_v) / max(lip_top - nose_v, 1.0))
    src_up = v - up_move * f_up
    # Lower lip follows its own gap; further down the jaw rises by the mouth's typical
    # gap (smooth across the face), fading out below the chin.
    # On a wide-open source (a shout, mid-word) the lens-shaped gap is steep at the visible
    # corners, and carried down to the chin it cut a column with edges under the corners:
    # there, from the meeting line to the lower lip's bottom, it gives way to the same
    # gap smoothed across the mouth, so the skin below moves as one chin. A slightly
    # open mouth or a toothy smile (gap under SOFT_FROM_GAP) keeps its lip as it was.
    across_jaw = 1.0 - smoothstep((np.abs(u) - 0.45 * jaw_hw) / (0.5 * jaw_hw))
    soft = gap_of_u(u, smooth=SOFT_SHARE * (c1 - c0)) * across_jaw
    wide = float(
        np.clip((lip_gap(mesh) - SOFT_FROM_GAP) / (SOFT_FULL_GAP - SOFT_FROM_GAP), 0.0, 1.0)
    )
    # Where the smoothed gap is the larger (towards the corners) the lip gives way to it
    # from the meeting line down (it is compressed); where it is the smaller (mid-mouth)
    # only below the lower lip (its thickness per column, from the mesh): giving way
    # inside the lip stretched it (child mid-shout: 1.3x, a thick inner lower lip).
    lo_in, lo_out = uv[list(fm.LIPS_INNER_LOWER)], uv[list(fm.LIPS_OUTER_LOWER)]
    thick = np.clip(_curve(lo_out, u) - _curve(lo_in, u), 0.0, None)
    lip_h = max(lip_bottom - float(np.median(meet)), 1.0)
    into_lip = wide * smoothstep((v - meet) / lip_h)
    below_lip = wide * smoothstep((v - meet - thick) / (0.8 * lip_h))
    lip_gap_of_v = g + np.maximum(soft - g, 0.0) * into_lip + np.minimum(soft - g, 0.0) * below_lip
    jaw_gap = float(np.percentile(gap_of_u(np.linspace(c0, c1, 32)), 75)) * across_jaw
    to_jaw = smoothstep((v - lip_bottom) / max(0.5 * (chin_v - lip_bottom), 1.0))
    fade = 1.0 - smoothstep((v - chin_v) / (0.22 * height))
    lower = (lip_gap_of_v - up_move) * (1 - to_jaw) + (1 - UPPER_SHARE) * jaw_gap * to_jaw
    src_lo = v + lower * fade
    # Inside the mouth the sides meet along a 1 px line (the tear); beyond the visible
    # corners the line widens into a band where the two maps blend, so the cheeks
    # are compressed continuously instead of torn.
    e0, e1 = visible_corners(uv)
    beyond = np.clip(np.maximum(e0 - u, u - e1), 0, None)
    w_lo = smoothstep((v - meet) / (1.0 + 3.0 * beyond) + 0.5)
    tear = 1.0 - smoothstep(beyond / 3.0)
    maps = [
        ax.to_xy(np.stack([u, src_v], axis=-1)).astype(np.float32) for src_v in (src_up, src_lo)
    ]
    # Where closed lips touch there is a faint shadow line, strongest mid-mouth.
    inside = 1.0 - smoothstep((np.abs(u) - 0.6 * (c1 - c0) / 2) / (0.4 * (c1 - c0) / 2))
    line = np.exp(-(((v - meet) / max(1.0, 0.004 * height)) ** 2)) * inside * (g > 0.5)
    return ClosingWarp(
        (int(x0), int(y0), int(x1), int(y1)),
        maps[0],
        maps[1],
        w_lo.astype(np.float32),
        tear.astype(np.float32),
        (0.25 * line).astype(np.float32),
    )


def close_mouth(image: np.ndarray, mesh: np.ndarray) -> np.ndarray | None:
    """One closing pass; None when the mesh's lips already meet.

    Each side of the meeting line is sampled with its own map and the two are blended
    across one pixel, so the line where the lips now touch is anti-aliased.
    """
    warp = closing_warp(image, mesh)
    if warp is None:
        return None
    x0, y0, x1, y1 = warp.box
    up, lo, one = (
        cv2.remap(
            image, m[..., 0], m[..., 1], cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT101
        ).astype(np.float32)
        for m in (warp.upper, warp.lower, warp.blended())
    )
    w, tear = warp.w_lower[..., None], warp.tear[..., None]
    moved = (up * (1 - w) + lo * w) * tear + one * (1 - tear)
    moved *= (1.0 - warp.shadow)[..., None]
    out = image.copy()
    out[y0:y1, x0:x1] = np.clip(moved, 0, 255).round().astype(np.uint8)
    return out


def rest_mouth(
    image: np.ndarray, mesh: np.ndarray, remesh: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """The portrait with closed lips and its mesh (unchanged if already closed).

    ``remesh`` fits the face mesh to the closed image. One pass: the mesh measures
    closed lips as a small gap of its own, and closing that again would only thin
    the lips.
    """
    closed = close_mouth(image, mesh)
    if closed is None:
        return image, mesh
    return closed, remesh(closed)


def teeth_share(image: np.ndarray, mesh: np.ndarray) -> float:
    """Share of teeth (lighter than the person's lips by 8 L*, under half their chroma)
    along the lips' meeting line: the mid-line between the inner
    contours, +-``TEETH_BAND`` face heights, over the middle 90 % of the mouth. At rest
    it should be ~0: closed lips show no teeth. Only runs along the line of at least
    ``TEETH_RUN`` of the mouth's width count (a row of teeth; glossy highlights on the
    lips are as light and pale, but specks)."""
    mesh = mesh.astype(np.float64)
    ax = _axes(mesh)
    uv = ax.to_uv(mesh)
    up, lo = uv[list(fm.LIPS_INNER_UPPER)], uv[list(fm.LIPS_INNER_LOWER)]
    c0, c1 = float(up[:, 0].min()), float(up[:, 0].max())
    n_u = max(16, int(c1 - c0))  # ~1 sample per pixel
    u = np.linspace(0.9 * c0, 0.9 * c1, n_u)
    half = TEETH_BAND * face_height(mesh)
    mid = (_curve(up, u) + _curve(lo, u)) / 2
    vs = mid[None, :] + np.linspace(-half, half, max(3, int(2 * half) + 1))[:, None]
    smp, (lip_l, lip_c, _, _) = _lab_samples(image, mesh, ax, np.broadcast_to(u, vs.shape), vs)
    chroma = np.hypot(smp[..., 1], smp[..., 2])
    # Light and grey against the lips; no test against the cheeks as ``interior_parts``
    # has (the band holds no skin, and a thin line of teeth blended with the lips can be
    # as grey as pale skin: en_woman's first frame, chroma 14-18 for her cheeks' 14).
    teeth = (smp[..., 0] > lip_l + 8.0) & (chroma < 0.5 * lip_c)
    run = max(3, int(TEETH_RUN * n_u))
    kept = cv2.morphologyEx(
        teeth.reshape(vs.shape).astype(np.uint8), cv2.MORPH_OPEN, np.ones((1, run), np.uint8)
    )
    return float(kept.mean())
