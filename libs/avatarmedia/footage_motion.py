"""The motion hint (the API's ``video_prompt``) for footage avatars.

A footage avatar moves as the person moved in their clip; the hint still counts:

* calmer words ("calm", "still", "relaxed", "subtle", "serious") damp the person's own
  head motion: each loop frame is moved by the similarity taking its stable landmarks
  part of the way towards the loop's mean position (``steady``: the share of the
  motion taken out, from the style's head sway against the tier's default);
* livelier words ("energetic", "nodding", "expressive"...) add the photo engine's
  planned nods, sway and tilt on top of the person's own motion (only the part above
  the tier's default: the person already moves by themselves);
* "smiling" / "friendly" make the mouth selection prefer wider samples and
  ``mouth_gain`` scales the mouth track (``footage_mouth.select_samples``).

Frames are moved as a whole (the head, the body and the background together, as a
camera that follows the head would), a few pixels at most, edges replicated.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from avatarmedia import face as fm
from avatarmedia.animate import MotionStyle, motion_style, plan_motion
from avatarmedia.footage import Footage
from avatarmedia.head import head_transform
from avatarmedia.tracks import MouthTrack

FloatArray = npt.NDArray[np.float32]
MAX_STEADY = 0.85


@dataclass(frozen=True)
class FootageStyle:
    """What a hint asks of a footage avatar (see the module docstring)."""

    steady: float = 0.0  # share of the person's own head motion taken out
    extra: float = 0.0  # share of the planned motion added on top
    smile: float = 0.0  # extra width asked of the mouth (0..1)
    mouth_gain: float = 1.0
    applied: tuple[str, ...] = ()

    @property
    def moves(self) -> bool:
        return self.steady > 0.0 or self.extra > 0.0


def _ratio(style: MotionStyle, base: MotionStyle, name: str) -> float:
    return float(getattr(style, name)) / max(float(getattr(base, name)), 1e-6)


def footage_style(tier: str, hint: str) -> FootageStyle:
    """The hint's words as footage changes (tier defaults change nothing)."""
    style, base = motion_style(tier, hint), motion_style(tier, "")
    if not style.applied:
        return FootageStyle()
    sway = _ratio(style, base, "head_shift")
    lively = max(_ratio(style, base, "nod"), sway, _ratio(style, base, "head_roll_deg"))
    return FootageStyle(
        steady=float(np.clip(1.0 - sway, 0.0, MAX_STEADY)) if sway < 1.0 else 0.0,
        extra=1.0 - 1.0 / lively if lively > 1.0 else 0.0,
        smile=float(np.clip(style.smile - base.smile, 0.0, 1.0)),
        mouth_gain=style.mouth_gain,
        applied=style.applied,
    )


def loop_steadying(footage: Footage, steady: float, scale: npt.ArrayLike) -> list[np.ndarray]:
    """Per loop frame, the 2x3 similarity (output pixels) taking its stable landmarks
    ``steady`` of the way to the loop's mean position."""
    k = np.asarray(scale, np.float32)
    pts = footage.loop_meshes[:, list(fm.STABLE)] * k
    mean = pts.mean(axis=0)
    out = []
    for p in pts:
        target = ((1.0 - steady) * p + steady * mean).astype(np.float32)
        m, _ = cv2.estimateAffinePartial2D(p.astype(np.float32), target)
        out.append(m if m is not None else np.array([[1.0, 0, 0], [0, 1.0, 0]]))
    return out


class FootageMotion:
    """Moves each finished footage frame as the hint asks (identity without a hint)."""

    def __init__(
        self,
        footage: Footage,
        track: MouthTrack,
        style: FootageStyle,
        tier: str,
        hint: str,
        size: tuple[int, int],
        seed: int = 0,
    ) -> None:
        self.size = size
        scale = np.array(
            [size[0] / footage.loop_size[0], size[1] / footage.loop_size[1]], np.float32
        )
        self.steadying = loop_steadying(footage, style.steady, scale) if style.steady else None
        self.plan = plan_motion(track, tier, hint, seed=seed) if style.extra else None
        self.extra = style.extra
        mesh = footage.loop_meshes[0] * scale
        chin = mesh[fm.CHIN]
        self.face_height = float(np.linalg.norm(mesh[fm.FOREHEAD] - chin))
        self.pivot = (float(chin[0]), float(chin[1] + 0.3 * self.face_height))

    def matrix(self, t: int, loop_frame: int) -> np.ndarray | None:
        """The 2x3 move of output frame ``t`` (showing ``loop_frame``), None when none."""
        m = np.eye(3)
        if self.steadying is not None:
            m[:2] = self.steadying[loop_frame]
        if self.plan is not None:
            k, fh = self.extra, self.face_height
            h = head_transform(
                self.pivot,
                float(self.plan.dx[t]) * fh * k,
                float(self.plan.dy[t]) * fh * k,
                float(self.plan.roll_deg[t]) * k,
            )
            m = np.vstack([h, [0, 0, 1]]) @ m
        if np.abs(m - np.eye(3)).max() < 1e-4:
            return None
        return m[:2]

    def apply(self, frame: np.ndarray, t: int, loop_frame: int) -> np.ndarray:
        m = self.matrix(t, loop_frame)
        if m is None:
            return frame
        out: np.ndarray = cv2.warpAffine(
            frame, m, self.size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        return out
