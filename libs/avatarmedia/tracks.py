"""Per-frame mouth and expression tracks: the hand-off from speech to animation.

A track is sampled at the video frame rate. Both the phoneme-driven path (text ->
visemes) and the audio-only path (bring-your-own audio) produce one, so the
animator never needs to know where the speech came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]


@dataclass
class MouthTrack:
    """Mouth shape per frame, every value in [0, 1].

    ``opening``: jaw/lip gap (0 closed, 1 widest). ``width``: lip corner spread
    (0 narrow/rounded, 0.5 neutral, 1 wide/smile). ``rounding``: lip protrusion
    (0 none, 1 "oo"). ``emphasis``: stressed-syllable energy, drives brows and nods.
    ``visemes``: the viseme name per frame when known (phoneme path), else empty.
    """

    fps: float
    opening: FloatArray
    width: FloatArray
    rounding: FloatArray
    emphasis: FloatArray
    visemes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = len(self.opening)
        for name in ("width", "rounding", "emphasis"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"MouthTrack.{name} has {len(getattr(self, name))} frames, "
                                 f"opening has {n}")
        if self.visemes and len(self.visemes) != n:
            raise ValueError("MouthTrack.visemes must be empty or one per frame")

    @property
    def n_frames(self) -> int:
        return len(self.opening)

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.fps
