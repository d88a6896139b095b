"""Drawn avatars: the mouth, eyelids and brows are redrawn every frame from the rig.

The portrait is redrawn once at the output size without mouth and brows (the base);
a frame copies the base's face region and draws the mouth for the frame's shape
(opening, width, rounding, smile), the brows at their raise and the eyelids at their
blink, all anti-aliased, with the same head transform as the portrait. A posed
portrait's mirror and colour grade (kept in the rig by ``draw_base``) are applied to
every finished frame, so the video looks like the posed still. Idle head motion then
moves only the head region (``head.HeadRegion``, placed in the mirrored frame) with
one remap; shoulders and background stay still.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from avatarmedia.drawing import HeadTransform, draw_base, draw_brows, draw_eye_lids, draw_mouth
from avatarmedia.errors import MediaInputError
from avatarmedia.head import head_region, motion_matrix
from avatarmedia.portrait import Portrait
from avatarmedia.pose import apply_grade

# Strokes (glasses, outlines) have whole-pixel widths, so a drawing made small is not
# the portrait made small; below this size the base is drawn here and area-reduced.
BASE_DRAW_PX = 1024


def _base_at(portrait: Portrait, side: int) -> tuple[np.ndarray, dict[str, Any]]:
    """The base drawing at ``side`` px, looking like the stored portrait scaled down."""
    assert portrait.spec is not None and portrait.rig is not None
    if side >= BASE_DRAW_PX:
        return draw_base(portrait.spec, portrait.rig, side)
    big, rig = draw_base(portrait.spec, portrait.rig, BASE_DRAW_PX)
    k = side / BASE_DRAW_PX
    t = rig["transform"]
    # pixel centres map as (x + 0.5) * k - 0.5 under area reduction
    t["cx"], t["cy"] = (t["cx"] + 0.5) * k - 0.5, (t["cy"] + 0.5) * k - 0.5
    t["scale"] *= k
    rig["size"] = side
    return cv2.resize(big, (side, side), interpolation=cv2.INTER_AREA), rig


class DrawnAnimator:
    """Per-frame redraw of a drawn portrait at the output size."""

    def __init__(self, portrait: Portrait, size: tuple[int, int]) -> None:
        if portrait.spec is None or portrait.rig is None:
            raise MediaInputError("a drawn portrait needs its drawing spec and rig")
        w, h = size
        self.size = size
        side = max(w, h)
        base, rig = _base_at(portrait, side)
        if (w, h) != (side, side):
            y0, x0 = (side - h) // 2, (side - w) // 2
            base = base[y0 : y0 + h, x0 : x0 + w]
            rig["transform"]["cx"] -= x0
            rig["transform"]["cy"] -= y0
        self.base = base
        self.rig = rig
        self.tf = HeadTransform(**rig["transform"])
        s = self.tf.scale
        self.face_height = 2.8 * s
        self.mirror = bool(rig.get("mirror"))
        self.grade: dict[str, float] = dict(rig.get("grade") or {})
        # The frame is drawn unmirrored and flipped last, so the head-motion pivot
        # (applied to the finished frame) is flipped too.
        px = (w - 1) - self.tf.cx if self.mirror else self.tf.cx
        self.pivot = (px, self.tf.cy + 2.2 * s)
        self.rest_smile = float(rig.get("rest_smile", 0.0))
        # Region redrawn per frame: eyes/brows down to the chin.
        box = self.tf(np.array([[-1.05, -0.75], [1.05, -0.75], [1.05, 1.6], [-1.05, 1.6]]))
        self.roi = (
            max(0, int(box[:, 0].min()) - 4),
            max(0, int(box[:, 1].min()) - 4),
            min(w, int(box[:, 0].max()) + 4),
            min(h, int(box[:, 1].max()) + 4),
        )
        # The head region (in the finished, possibly mirrored frame) around the face
        # outline (forehead at y=-1.25, chin at y=1.55 head units).
        face = self.tf(np.array([[-1.0, -1.25], [1.0, -1.25], [1.0, 1.55], [-1.0, 1.55]]))
        fx0, fx1 = float(face[:, 0].min()), float(face[:, 0].max())
        if self.mirror:
            fx0, fx1 = (w - 1) - fx1, (w - 1) - fx0
        self.head = head_region(
            (w, h), (fx0, float(face[:, 1].min()), fx1, float(face[:, 1].max()))
        )

    def frame(self, values: dict[str, float]) -> np.ndarray:
        """One finished frame: features redrawn, then the head region moved."""
        face = self.face_frame(values)
        motion = motion_matrix(self.pivot, self.face_height, values)
        if motion is None:
            return face
        out = face.copy()
        self.head.maps(motion)
        self.head.remap(face, out)
        return out

    def face_frame(self, values: dict[str, float]) -> np.ndarray:
        """One frame: features redrawn on the base, then the pose's mirror and grade."""
        x0, y0, x1, y1 = self.roi
        frame = self.base.copy()
        patch = frame[y0:y1, x0:x1].astype(np.float32)
        tf = HeadTransform(
            self.tf.cx - x0, self.tf.cy - y0, self.tf.scale, self.tf.yaw_deg, self.tf.roll_deg
        )
        smile = max(self.rest_smile, values["smile"])
        draw_brows(patch, tf, self.rig, values["brow"])
        draw_eye_lids(patch, tf, self.rig, values["blink"])
        draw_mouth(
            patch, tf, self.rig, values["opening"], values["width"], values["rounding"], smile
        )
        frame[y0:y1, x0:x1] = np.clip(patch, 0, 255).astype(np.uint8)
        if self.mirror:
            frame = np.ascontiguousarray(frame[:, ::-1])
        if self.grade:
            frame = apply_grade(frame, self.grade)
        return frame
