"""Photo avatars: lips, jaw, eyelids and brows move by a warp built from the face mesh.

Everything that does not change per frame is computed once (``PhotoRig``): face
coordinates (u along the eye line, v down the face) for every pixel of the face
region, and one backward-displacement field per control (mouth opening, lip width,
smile, each blink, brows), cropped to where it moves anything. A frame is a weighted
sum of those fields, moved with the head and added to the head region's maps
(``head.HeadRegion``), so face and head motion are one resampling (one ``cv2.remap``
per slab of the region, sharp on the face); then the synthesised inner mouth
(cavity, upper teeth, tongue) is painted inside the moved inner-lip contour. Pixels
outside the head region are never touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import cv2
import numpy as np
import numpy.typing as npt

from avatarmedia import face as fm
from avatarmedia.head import head_region, smoothstep
from avatarmedia.inner_mouth import grain_tile, mouth_look, paint_interior
from avatarmedia.own_teeth import MouthSeen, OwnTeeth
from avatarmedia.rest_mouth import CLOSED_GAP, visible_corners

F32 = np.float32
FloatArray = npt.NDArray[np.float32]

# Lower-lip drop and upper-lip lift at opening 1, fractions of the face height. Against
# the mouth corners the fixture speakers' upper lip takes 20-30 % of a wide opening
# (ours took 13 % and sat 2-4 % IOD low in their wide frames): a quarter here.
OPEN_DROP = 0.09
OPEN_LIFT = 0.03
# A photo with the mouth open shows how wide this person opens it (at least): opening 1
# then parts the lips at least that far (the photo's lip gap less the closed lips' own,
# ``rest_mouth.CLOSED_GAP``), up to MAX_RANGE_GAIN times the usual.
MAX_RANGE_GAIN = 1.6
WIDTH_SPREAD = 0.14  # corner spread at width 1 (fraction of half mouth width)
ROUND_PULL = 0.22  # corner pull-in at rounding 1
SMILE_LIFT = 0.018  # corner lift at smile 1, fraction of face height
# At small openings the lips part over the middle SMALL_SPAN of the mouth (the
# corners stay together, as a real mouth's do when it first opens), widening to the
# corner-to-corner lens by opening WIDE_FROM.
SMALL_SPAN = 0.7
WIDE_FROM = 0.5
BROW_LIFT = 0.028  # brow lift at brow 1, fraction of face height
# How far the lips part as they are SEEN (the inner-lip gap mid-mouth that the face mesh
# finds on the rendered frame, in inter-ocular distances, IOD), per unit of track
# opening, the same on every face: the fixture speakers' 90th percentile is 0.17-0.22
# IOD (their peaks 0.28-0.32; opening 1 at 0.28 was wrong too often where the audio
# explains their mouths poorly: lip distance and mouth-crop SSIM worse). The warp's own
# gap is not what is seen: a thin dark slit between lips reads as nearly closed (warp
# opening 0.2 parted a child's lips 0.064 IOD and was seen as 0.033, the closed mouth
# 0.023), so each rig measures once what its openings look like (``calibrate``) and
# drives the warp by the inverse.
SEEN_IOD = 0.2
# The warp openings ``calibrate`` measures; past 1 the lips part further than the
# fields' nominal range (a face whose slit reads small needs it), up to 1.5 (at 1.8 a
# smiling face's lower lip stretched thin round a black shout).
CALIBRATION_GRID = (0.0, 0.15, 0.3, 0.45, 0.6, 0.8, 1.0, 1.25, 1.5)
MESH_SURE = 0.5  # the mesh's presence score needed to trust its lips (as reenact's)


def seen_lip_gap(frame: np.ndarray, near: np.ndarray) -> float | None:
    """The inner-lip gap mid-mouth in IOD as the face mesh sees it on ``frame`` (the
    face near mesh ``near``), None when the mesh is unsure."""
    mesh, presence = fm.track_mesh(frame, near)
    if presence < MESH_SURE:
        return None
    iod = fm.landmark_distance(mesh, fm.LEFT_EYE_OUTER, fm.RIGHT_EYE_OUTER)
    return fm.landmark_distance(mesh, fm.UPPER_LIP_CENTER, fm.LOWER_LIP_CENTER) / max(iod, 1e-6)


def _profile_mix(opening: float) -> float:
    """How much of the wide (corner to corner) lip profile an opening uses: none when
    barely open, all from WIDE_FROM on."""
    x = min(max(opening / WIDE_FROM, 0.0), 1.0)
    return x * x * (3.0 - 2.0 * x)


@dataclass
class _Frame:
    origin: np.ndarray  # mouth centre (x, y)
    ex: np.ndarray  # unit vector along the eye line
    ey: np.ndarray  # unit vector down the face

    def to_uv(self, pts: np.ndarray) -> np.ndarray:
        d = pts[..., :2] - self.origin
        uv: np.ndarray = np.stack([d @ self.ex, d @ self.ey], axis=-1)
        return uv

    def to_xy(self, uv: np.ndarray) -> np.ndarray:
        xy: np.ndarray = self.origin + uv[..., :1] * self.ex + uv[..., 1:2] * self.ey
        return xy


def _face_frame(mesh: np.ndarray) -> _Frame:
    eye = mesh[fm.LEFT_EYE_OUTER, :2] - mesh[fm.RIGHT_EYE_OUTER, :2]
    ex = eye / max(float(np.linalg.norm(eye)), 1e-6)
    ey = np.array([-ex[1], ex[0]])
    origin = (mesh[fm.UPPER_LIP_CENTER, :2] + mesh[fm.LOWER_LIP_CENTER, :2]) / 2
    return _Frame(origin.astype(np.float64), ex.astype(np.float64), ey.astype(np.float64))


def _interp_curve(us: np.ndarray, vs: np.ndarray, u: np.ndarray) -> np.ndarray:
    order = np.argsort(us)
    return np.asarray(np.interp(u, us[order], vs[order]))


def _mouth_line(uv: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    up = uv[list(fm.LIPS_INNER_UPPER)]
    lo = uv[list(fm.LIPS_INNER_LOWER)]
    return up[:, 0], up[:, 1], lo[:, 0], lo[:, 1]


def range_gain(seen: MouthSeen | None) -> float:
    """How much wider than usual this person's mouth opens, from the photo's own lip gap
    (1 when the photo does not say: closed or slightly open lips)."""
    if seen is None:
        return 1.0
    usual = OPEN_DROP + OPEN_LIFT
    return float(np.clip((seen.gap - CLOSED_GAP) / usual, 1.0, MAX_RANGE_GAIN))


class PhotoRig:
    """Precomputed warp fields for one portrait at one output size."""

    def __init__(
        self,
        image: np.ndarray,
        mesh: np.ndarray,
        own_teeth: OwnTeeth | None = None,
        seen: MouthSeen | None = None,
    ) -> None:
        self.image = np.ascontiguousarray(image)
        self.mesh = mesh.astype(np.float64)
        h_img, w_img = image.shape[:2]
        m = self.mesh
        fr = _face_frame(m)
        self.frame = fr
        uv = fr.to_uv(m)
        self.uv = uv
        height = fm.landmark_distance(m, fm.FOREHEAD, fm.CHIN)
        self.height = height
        uu, vu, ul, vl = _mouth_line(uv)
        hw = float(uu.max() - uu.min()) / 2
        self.hw = hw
        oval = m[list(fm.FACE_OVAL), :2]
        pad = 0.12 * height
        x0 = int(max(0, oval[:, 0].min() - pad))
        x1 = int(min(w_img, oval[:, 0].max() + pad))
        y0 = int(max(0, oval[:, 1].min() - pad))
        y1 = int(min(h_img, m[fm.CHIN, 1] + 0.3 * height))
        self.roi = (x0, y0, x1, y1)
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float64)
        puv = fr.to_uv(np.stack([xs, ys], axis=-1))
        u, v = puv[..., 0], puv[..., 1]
        self.v = v.astype(F32)
        c = (_interp_curve(uu, vu, u) + _interp_curve(ul, vl, u)) / 2
        self.c = c.astype(F32)
        # Taper everything to zero at the region's edge.
        rh, rw = u.shape
        ty = smoothstep(np.minimum(np.arange(rh), rh - 1 - np.arange(rh)) / max(4, rh * 0.06))
        tx = smoothstep(np.minimum(np.arange(rw), rw - 1 - np.arange(rw)) / max(4, rw * 0.06))
        taper = ty[:, None] * tx[None, :]

        nose_v = float(uv[fm.NOSE_BASE, 1])
        chin_v = float(uv[fm.CHIN, 1])
        jaw_hw = fm.landmark_distance(m, fm.JAW_RIGHT, fm.JAW_LEFT) / 2
        # --- opening: lower lip and jaw drop, upper lip lifts a little (v offsets).
        # The lips part by a profile that is 0 at the visible corners (they stay
        # pinned, the opening is lens-shaped); below the lower lip the whole jaw drops,
        # fading across the jaw's width and below the chin. At the lip line outside
        # the corners both sides move by ~0, so only the mouth itself tears open.
        e0, e1 = visible_corners(uv)
        self.corners = (e0, e1)
        wx = 1.0 - smoothstep((np.abs(u) - jaw_hw * 0.55) / (jaw_hw * 0.55))
        beyond = np.clip(np.maximum(e0 - u, u - e1), 0, None)
        t = 1.0 + 1.5 * beyond
        s = smoothstep((v - c) / t + 0.5)
        f_up = np.exp(-(((c - v) / max(0.8 * (0 - nose_v), 1.0)) ** 2))
        lip_bottom = float(uv[fm.LOWER_LIP_BOTTOM, 1])
        to_jaw = smoothstep((v - lip_bottom) / max(0.5 * (chin_v - lip_bottom), 1.0))
        # Beside the mouth the skin stretches over the whole way from the lip line to
        # the chin (over the short way to the lower lip it streaked at wide openings).
        beside = smoothstep((v - c) / np.maximum(chin_v - c, 1.0))
        f_dn = np.where(
            v < chin_v,
            1.0 - 0.15 * np.clip((v - c) / max(chin_v, 1), 0, 1),
            0.85 * (1.0 - smoothstep((v - chin_v) / (0.22 * height))),
        )
        self.range_gain = range_gain(seen)
        drop = OPEN_DROP * height * self.range_gain
        lift = OPEN_LIFT * height * self.range_gain

        def opening_field(prof: np.ndarray) -> np.ndarray:
            dn = f_dn * (prof * (1 - to_jaw) + wx * (prof * to_jaw + (1 - prof) * beside))
            out: np.ndarray = (((1 - s) * lift * f_up * prof - s * drop * dn) * taper).astype(F32)
            return out

        # Two openings blended by how open the mouth is (``_profile_mix``): the lips
        # part over the middle of the mouth first, from corner to corner only when wide.
        self.f_open = opening_field(self.lip_profile(u))
        self.f_open_small = opening_field(self.lip_profile(u, SMALL_SPAN))
        self.below = (s > 0.5) & (np.abs(u) < hw * 1.05)
        self.above = (s <= 0.5) & (np.abs(u) < hw * 1.05)
        # --- width / rounding: corners spread or pull in (u offsets, backward)
        g = np.exp(-((u / (1.5 * hw)) ** 2) - (((v - c) / (0.9 * hw)) ** 2))
        self.f_width = (-(u / hw) * hw * g * taper).astype(F32)  # times spread amount
        # --- smile: corners lift (v offsets) and spread
        corner = np.exp(-(((np.abs(u) - hw) / (0.6 * hw)) ** 2) - (((v - c) / (0.7 * hw)) ** 2))
        self.f_smile_v = (SMILE_LIFT * height * corner * taper).astype(F32)
        # --- brows lift (v offsets)
        brow_field = np.zeros_like(u)
        for idx in (fm.RIGHT_BROW, fm.LEFT_BROW):
            b = uv[list(idx)]
            bc = b.mean(axis=0)
            bl = float(b[:, 0].max() - b[:, 0].min())
            brow_field += np.exp(
                -(((u - bc[0]) / (0.75 * bl)) ** 2)
                - (((v - bc[1] + 0.02 * height) / (0.09 * height)) ** 2)
            )
        self.f_brow = (BROW_LIFT * height * np.clip(brow_field, 0, 1) * taper).astype(F32)
        # --- blinks: upper lid content slides down over the eye (v offsets)
        blink_field = np.zeros_like(u)
        for top_i, bot_i, a_i, b_i in (
            (fm.RIGHT_EYE_TOP, fm.RIGHT_EYE_BOTTOM, fm.RIGHT_EYE_OUTER, fm.RIGHT_EYE_INNER),
            (fm.LEFT_EYE_TOP, fm.LEFT_EYE_BOTTOM, fm.LEFT_EYE_OUTER, fm.LEFT_EYE_INNER),
        ):
            top, bot = uv[top_i], uv[bot_i]
            ew = float(abs(uv[a_i, 0] - uv[b_i, 0]))
            eu = (uv[a_i, 0] + uv[b_i, 0]) / 2
            he = max(float(bot[1] - top[1]), 1.0)
            lid = 0.9 * he + 0.12 * ew
            start = top[1] - lid
            ramp = np.clip((v - start) / (bot[1] - start), 0, 1)
            after = 1.0 - smoothstep((v - bot[1]) / (0.5 * he + 1))
            prof = np.where(v <= bot[1], ramp, after)
            wxe = 1.0 - smoothstep((np.abs(u - eu) - 0.45 * ew) / (0.35 * ew))
            blink_field += -he * prof * wxe
        self.f_blink = (blink_field * taper).astype(F32)
        # Inner-lip points in face coordinates, for painting the mouth interior.
        # Extended to the visible corners, which stay where they are.
        ends = [np.array([[e, float(_interp_curve(uu, vu, np.array([e]))[0])]]) for e in (e0, e1)]
        self.inner_up = np.vstack([ends[0], uv[list(fm.LIPS_INNER_UPPER)], ends[1]])
        self.inner_lo = np.vstack([ends[0], uv[list(fm.LIPS_INNER_LOWER)], ends[1]])[::-1]
        self.look = mouth_look(self.image, m, height)
        # The synthetic teeth take the colour of the person's own where the photo
        # showed them (her kept teeth, else the teeth between her parted lips).
        if seen is not None:
            self.look = replace(self.look, teeth_show=seen.show)
            if seen.colour is not None:
                self.look = replace(self.look, teeth=seen.colour.astype(F32))
        if own_teeth is not None:
            self.look = replace(self.look, teeth=own_teeth.colour())
        self.grain = grain_tile(self.look, repeat=4)  # 256 px: wider than a mouth
        self.own_teeth = (
            None if own_teeth is None else (own_teeth.rgba.astype(F32), own_teeth.gaps * height)
        )
        self._prepare_boxes()
        self._seen: tuple[np.ndarray, np.ndarray] | None = None
        self.iod = fm.landmark_distance(m, fm.LEFT_EYE_OUTER, fm.RIGHT_EYE_OUTER)
        # The head moves as one region around the face, fading out across hair and neck.
        chin_y = float(m[fm.CHIN, 1])
        self.pivot = (float(m[fm.CHIN, 0]), chin_y + 0.35 * height)
        # Resample at least where the face fields move pixels, with room for the motion.
        boxes = [b for b in (self._mouth_box, self._eye_box) if b[2] > b[0]]
        margin = int(0.1 * height)
        keep = (
            (
                min(b[0] for b in boxes) - margin,
                min(b[1] for b in boxes) - margin,
                max(b[2] for b in boxes) + margin,
                max(b[3] for b in boxes) + margin,
            )
            if boxes
            else None
        )
        face_box = (
            float(oval[:, 0].min()),
            float(oval[:, 1].min()),
            float(oval[:, 0].max()),
            float(oval[:, 1].max()),
        )
        # Sharp where the face's fine detail is (eyes, brows, nose: down to the nose
        # base); the mouth and jaw are redrawn by the warp every frame anyway.
        self.head = head_region(
            (w_img, h_img), face_box, keep, sharp_bottom=float(m[fm.NOSE_BASE, 1]) + 0.05 * height
        )
        # Head motion (roll about the neck included), brows and blinks move a face pixel
        # by at most ~0.12 face heights (measured: avatar_pro "energetic, nodding, expressive").
        self.sharp = self.head.sharp_source(self.image, margin=int(0.4 * height) + 4)

    def _prepare_boxes(self) -> None:
        """Crop the fields to where they move anything (> 0.05 px), per control group.

        The mouth group (opening, width/rounding, smile) and the eye group (brows,
        blinks) are computed per frame only inside their boxes and only when active.
        """
        x0, y0 = self.roi[0], self.roi[1]
        fr = self.frame
        mouth_mag = np.abs(self.f_open) + 0.4 * np.abs(self.f_width) + np.abs(self.f_smile_v)
        eye_mag = np.abs(self.f_brow) + np.abs(self.f_blink)

        def box(mag: np.ndarray) -> tuple[slice, slice]:
            ys, xs = np.nonzero(mag > 0.05)
            if len(ys) == 0:
                return slice(0, 0), slice(0, 0)
            rh, rw = mag.shape
            return (
                slice(max(0, int(ys.min()) - 2), min(rh, int(ys.max()) + 3)),
                slice(max(0, int(xs.min()) - 2), min(rw, int(xs.max()) + 3)),
            )

        def crop(a: np.ndarray, sl: tuple[slice, slice]) -> np.ndarray:
            return np.ascontiguousarray(a[sl])

        ms = box(mouth_mag)
        self._mouth_box = (x0 + ms[1].start, y0 + ms[0].start, x0 + ms[1].stop, y0 + ms[0].stop)
        self._m_open, self._m_smile = crop(self.f_open, ms), crop(self.f_smile_v, ms)
        self._m_open_small = crop(self.f_open_small, ms)
        ex = fr.ex.astype(F32)
        ey = fr.ey.astype(F32)
        self._ex, self._ey = (float(ex[0]), float(ex[1])), (float(ey[0]), float(ey[1]))
        self._m_width = crop(self.f_width, ms)
        v = crop(self.v, ms)
        big = np.float32(1e9)
        # Inside the mouth gap sample the lips' inner edge, never the nose or chin:
        # v + dv is clamped to >= c below the lip line and <= c above it, i.e. dv to
        # [lo - v, hi - v].
        self._m_lo = crop(np.where(self.below, self.c, -big).astype(F32), ms) - v
        self._m_hi = crop(np.where(self.above, self.c, big).astype(F32), ms) - v
        es = box(eye_mag)
        self._eye_box = (x0 + es[1].start, y0 + es[0].start, x0 + es[1].stop, y0 + es[0].stop)
        self._e_brow, self._e_blink = crop(self.f_brow, es), crop(self.f_blink, es)

    def lip_profile(self, u: np.ndarray, span: float = 1.0) -> np.ndarray:
        """How far the lips part across the mouth (1 mid-mouth, 0 at ``span`` of the
        way to the corners, and beyond)."""
        e0, e1 = self.corners
        half = np.where(u < 0, -e0, e1) * span
        out: np.ndarray = np.clip(1.0 - (u / np.maximum(half, 1.0)) ** 2, 0.0, 1.0)
        return out

    def opening_profile(self, u: np.ndarray, opening: float) -> np.ndarray:
        """The lip profile at this opening: the blend of the small and the wide one."""
        w = _profile_mix(opening)
        out: np.ndarray = (1 - w) * self.lip_profile(u, SMALL_SPAN) + w * self.lip_profile(u)
        return out

    def calibrate(self, seen_gap: Callable[[np.ndarray], float | None]) -> None:
        """Measure how open each warp opening looks (``seen_gap``: a rendered frame ->
        its inner-lip gap in IOD, None if unseen) so that ``warp_opening`` can ask the
        warp for the gap that will be seen. Twice: the second time with the upper teeth
        as the first curve shows them (``_unseen_at``), which is how frames are drawn.
        Once per rig; a failed measurement leaves the warp uncalibrated (openings used
        as they are)."""
        grid = np.asarray(CALIBRATION_GRID, np.float64)
        for _ in range(2):
            unseen = [self._unseen_at(float(w)) for w in grid]
            seen = [
                seen_gap(self.render(float(w), calibrated=False, unseen_px=px))
                for w, px in zip(grid, unseen, strict=True)
            ]
            if any(g is None or not np.isfinite(g) for g in seen):
                return
            # Monotone, strictly increasing (a flat start would make the inverse ambiguous).
            curve = np.maximum.accumulate(np.asarray(seen, np.float64))
            curve += 1e-6 * np.arange(grid.size)
            if curve[-1] - curve[0] < 0.5 * SEEN_IOD * self.range_gain:
                self._seen = None
                return  # the mesh cannot follow this mouth: keep the warp's own scale
            self._seen = (curve, grid)

    def warp_opening(self, opening: float) -> float:
        """The warp opening that makes the lips look ``opening`` open: the closed mouth's
        seen gap plus SEEN_IOD (times the person's range) per unit; the warp as is when
        not calibrated."""
        if self._seen is None or opening <= 0.0:
            return opening
        curve, grid = self._seen
        wanted = curve[0] + SEEN_IOD * self.range_gain * opening
        return float(np.interp(wanted, curve, grid))

    def _unseen_at(self, warp: float) -> float:
        """How much (px) of the gap that the warp adds at ``warp`` is not seen open (0
        before calibration): the warp's own gap less the seen gap above the closed
        mouth's."""
        if self._seen is None or warp <= 0.0:
            return 0.0
        curve, grid = self._seen
        seen = (float(np.interp(warp, grid, curve)) - curve[0]) * self.iod
        parted = (OPEN_DROP + OPEN_LIFT) * self.height * self.range_gain * warp
        return float(max(0.0, parted - seen))

    # ------------------------------------------------------------------ per frame
    @staticmethod
    def spread_of(width: float, rounding: float, smile: float) -> float:
        return (width - 0.5) * 2 * WIDTH_SPREAD - rounding * ROUND_PULL + smile * 0.08

    def _mouth_displacement(
        self, opening: float, spread: float, smile: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Backward displacement (image px) of the mouth group inside its box."""
        w = _profile_mix(opening)
        dv = cv2.addWeighted(self._m_open, opening * w, self._m_open_small, opening * (1 - w), 0.0)
        if smile:
            dv = cv2.scaleAdd(self._m_smile, smile, dv)
        if opening > 0.003:
            np.maximum(dv, self._m_lo, out=dv)
            np.minimum(dv, self._m_hi, out=dv)
        (ex0, ex1), (ey0, ey1) = self._ex, self._ey
        dx = cv2.addWeighted(self._m_width, spread * ex0, dv, ey0, 0.0)
        dy = cv2.addWeighted(self._m_width, spread * ex1, dv, ey1, 0.0)
        return dx, dy

    def _eye_displacement(self, brow: float, blink: float) -> tuple[np.ndarray, np.ndarray]:
        dv = cv2.addWeighted(self._e_brow, brow, self._e_blink, blink, 0.0)
        return np.multiply(dv, F32(self._ey[0])), np.multiply(dv, F32(self._ey[1]))

    def mouth_polygon(self, opening: float, spread: float, smile: float) -> np.ndarray:
        """Forward positions (image px, before head motion) of the moved inner lip."""
        drop = OPEN_DROP * self.height * opening * self.range_gain
        lift = OPEN_LIFT * self.height * opening * self.range_gain
        up = self.inner_up.copy()
        lo = self.inner_lo.copy()
        hw = self.hw
        for pts in (up, lo):
            g = np.exp(-((pts[:, 0] / (1.5 * hw)) ** 2))
            pts[:, 0] += pts[:, 0] * g * spread
            corner = np.exp(-(((np.abs(pts[:, 0]) - hw) / (0.6 * hw)) ** 2))
            pts[:, 1] -= SMILE_LIFT * self.height * corner * smile
        up[:, 1] -= lift * self.opening_profile(self.inner_up[:, 0], opening)
        lo[:, 1] += drop * self.opening_profile(self.inner_lo[:, 0], opening)
        poly: np.ndarray = self.frame.to_xy(np.vstack([up, lo]))
        return poly

    def paint_mouth(
        self, region: np.ndarray, poly: np.ndarray, opening: float, unseen_px: float = 0.0
    ) -> None:
        """Draw the inside of the mouth within the moved inner-lip polygon (in place;
        ``poly`` in ``region``'s pixels), lit and coloured from the photo
        (``inner_mouth``)."""
        paint_interior(
            region,
            poly,
            len(self.inner_up),
            opening,
            self.look,
            self.height,
            self.grain,
            self.own_teeth,
            unseen_px,
        )

    def render(
        self,
        opening: float,
        width: float = 0.5,
        rounding: float = 0.0,
        smile: float = 0.0,
        brow: float = 0.0,
        blink: float = 0.0,
        motion: np.ndarray | None = None,
        calibrated: bool = True,
        unseen_px: float = 0.0,
    ) -> np.ndarray:
        """The portrait with the face moved and the head at affine ``motion``, RGB uint8.
        ``opening`` is as seen (``warp_opening``) once the rig is calibrated; with
        ``calibrated=False`` it is the warp's own, and ``unseen_px`` hides the teeth.

        One resampling per frame: the face's displacement fields (moved with the head)
        are added to the head region's maps, and one ``cv2.remap`` writes the region
        into a copy of the unmoved portrait; the inner mouth is painted after, at the
        moved lip contour.
        """
        if calibrated and self._seen is not None and opening > 0.0:
            opening = self.warp_opening(opening)
            unseen_px = self._unseen_at(opening)
        spread = self.spread_of(width, rounding, smile)
        head = self.head
        head.maps(motion)
        if opening > 0.003 or abs(spread) > 1e-4 or smile > 1e-4:
            dx, dy = self._mouth_displacement(opening, spread, smile)
            head.add_displacement(motion, self._mouth_box[:2], dx, dy)
        if brow > 1e-4 or blink > 1e-4:
            dx, dy = self._eye_displacement(brow, blink)
            head.add_displacement(motion, self._eye_box[:2], dx, dy)
        frame = self.image.copy()
        head.remap(self.image, frame, self.sharp)
        if opening > 0.01:
            poly = self.mouth_polygon(opening, spread, smile)
            if motion is not None:
                poly = poly @ motion[:, :2].T + motion[:, 2]
            self.paint_mouth(frame, poly, opening, unseen_px)
        return frame
