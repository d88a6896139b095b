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
                raise ValueError(
                    f"MouthTrack.{name} has {len(getattr(self, name))} frames, opening has {n}"
                )
        if self.visemes and len(self.visemes) != n:
            raise ValueError("MouthTrack.visemes must be empty or one per frame")

    @property
    def n_frames(self) -> int:
        return len(self.opening)

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.fps


# Speakers shape a sound before it is heard. In running speech the lips and jaw reach
# a vowel's shape slightly before its acoustic peak (tens of ms); from rest, the mouth
# starts opening ~100-300 ms before the voice (Chandrasekaran et al. 2009, "The natural
# statistics of audiovisual speech", PLoS Comput Biol). Both are applied to every track,
# phoneme- or audio-driven; closures move earlier with everything else, so a lip
# closure still comes before its plosive.
ARTICULATION_LEAD_S = 0.04  # the whole track, shapes included, this much earlier
ONSET_LEAD_S = 0.15  # from rest, the mouth starts parting this much earlier
ONSET_SHARE = 0.45  # ... towards this share of the coming opening
REST_OPENING = 0.06  # below this the mouth counts as at rest
REST_BEFORE_S = 0.25  # ... for this long before an onset


def _shifted(values: npt.ArrayLike, frames: float) -> FloatArray:
    """``values`` sampled ``frames`` later (so shown earlier), the ends held."""
    a = np.asarray(values, np.float64)
    if a.size == 0 or frames == 0:
        return np.asarray(a, np.float32)
    t = np.arange(a.size) + frames
    out: FloatArray = np.interp(t, np.arange(a.size), a).astype(np.float32)
    return out


def _onset_anticipation(opening: FloatArray, fps: float) -> FloatArray:
    """Part the lips before speech that starts from rest: in a frame preceded by
    ``REST_BEFORE_S`` of rest, the mouth moves towards ``ONSET_SHARE`` of the opening
    coming within ``ONSET_LEAD_S``, more the nearer it is."""
    n = opening.size
    ahead = max(1, round(ONSET_LEAD_S * fps))
    before = max(1, round(REST_BEFORE_S * fps))
    rest = opening < REST_OPENING
    # Frames in a rest run that lasts long enough (or opens the video) may anticipate.
    long_rest = np.zeros(n, bool)
    i = 0
    while i < n:
        if not rest[i]:
            i += 1
            continue
        j = i
        while j < n and rest[j]:
            j += 1
        long_rest[i:j] = j - i >= before or i == 0
        i = j
    out = opening.copy()
    for j in range(1, ahead + 1):
        weight = np.float32(ONSET_SHARE * (1.0 - (j - 1) / ahead))
        future = np.concatenate([opening[j:], np.zeros(j, np.float32)])
        out = np.where(long_rest, np.maximum(out, weight * future), out)
    return out.astype(np.float32)


def anticipated(track: MouthTrack) -> MouthTrack:
    """The track as a person would move: the articulation lead and onset anticipation."""
    lead = ARTICULATION_LEAD_S * track.fps
    opening = _onset_anticipation(_shifted(track.opening, lead), track.fps)
    vis = list(track.visemes)
    if vis:
        k = round(lead)
        vis = vis[k:] + [vis[-1]] * k if k else vis
    return MouthTrack(
        fps=track.fps,
        opening=opening,
        width=_shifted(track.width, lead),
        rounding=_shifted(track.rounding, lead),
        emphasis=np.asarray(track.emphasis, np.float32),
        visemes=vis,
    )
