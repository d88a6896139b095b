"""Motion planning shared by photo and drawn avatars: what moves, frame by frame.

The mouth comes from the ``MouthTrack``; everything else (blinks, idle head motion,
nods and brow raises on stressed syllables, a smile) is planned here from the tier
and the motion hint (the API's ``video_prompt``), deterministically for a seed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from avatarmedia.tracks import MouthTrack, anticipated

FloatArray = npt.NDArray[np.float32]


@dataclass
class MotionStyle:
    """How much everything moves. Head amplitudes are fractions of the face height."""

    head_shift: float = 0.012  # idle sway, fraction of face height
    head_roll_deg: float = 0.8  # idle tilt
    nod: float = 0.010  # downward nod on emphasis, fraction of face height
    brow: float = 0.5  # brow raise on emphasis, 0..1
    blink_per_min: float = 16.0
    smile: float = 0.0  # constant smile 0..1
    sway_hz: float = 0.18  # idle motion tempo
    mouth_gain: float = 1.0  # scales the mouth opening
    applied: tuple[str, ...] = ()  # the hint words that changed something


HINT_WORDS: dict[str, dict[str, float]] = {
    "calm": {"head_shift": 0.5, "head_roll_deg": 0.5, "nod": 0.5, "brow": 0.6, "sway_hz": 0.7},
    "relaxed": {"head_shift": 0.6, "nod": 0.6, "sway_hz": 0.7},
    "still": {"head_shift": 0.25, "head_roll_deg": 0.25, "nod": 0.3},
    "serious": {"brow": 0.5, "smile": 0.0, "head_shift": 0.7},
    "energetic": {
        "head_shift": 1.7,
        "head_roll_deg": 1.6,
        "nod": 1.8,
        "brow": 1.5,
        "sway_hz": 1.6,
        "mouth_gain": 1.1,
    },
    "excited": {"head_shift": 1.6, "nod": 1.6, "brow": 1.6, "sway_hz": 1.5, "mouth_gain": 1.1},
    "lively": {"head_shift": 1.4, "nod": 1.4, "brow": 1.3, "sway_hz": 1.3},
    "nodding": {"nod": 2.5},
    "nod": {"nod": 2.5},
    "smiling": {"smile": 1.0},
    "smile": {"smile": 1.0},
    "happy": {"smile": 1.0, "brow": 1.2},
    "friendly": {"smile": 0.6},
    "warm": {"smile": 0.6},
    "expressive": {"brow": 1.8, "nod": 1.4, "head_roll_deg": 1.3},
    "subtle": {"head_shift": 0.6, "brow": 0.6, "nod": 0.6},
}


def motion_style(tier: str, hint: str = "") -> MotionStyle:
    """Tier defaults adjusted by the words of the motion hint."""
    style = MotionStyle()
    if tier == "avatar_pro":
        style = MotionStyle(
            head_shift=0.018,
            head_roll_deg=1.3,
            nod=0.016,
            brow=0.9,
            blink_per_min=18.0,
            sway_hz=0.22,
            smile=0.15,
        )
    words = re.findall(r"[a-z]+", hint.lower())
    applied: list[str] = []
    for word in words:
        change = HINT_WORDS.get(word)
        if not change:
            continue
        applied.append(word)
        for key, factor in change.items():
            if key == "smile":
                style.smile = max(style.smile, factor) if factor else 0.0
            else:
                setattr(style, key, getattr(style, key) * factor)
    style.applied = tuple(applied)
    return style


@dataclass
class MotionPlan:
    """Per-frame values (all arrays of n_frames)."""

    opening: FloatArray
    width: FloatArray
    rounding: FloatArray
    brow: FloatArray  # 0..1 raise
    blink: FloatArray  # 0 open .. 1 closed
    smile: FloatArray  # 0..1
    dx: FloatArray  # head shift, fraction of face height
    dy: FloatArray
    roll_deg: FloatArray

    @property
    def n_frames(self) -> int:
        return len(self.opening)

    def frame(self, i: int) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)[i]) for f in fields(self)}


def _smooth(x: np.ndarray, n: int) -> np.ndarray:
    if n <= 1:
        return x
    k = np.hanning(n + 2)[1:-1]
    k /= k.sum()
    return np.convolve(np.pad(x, (n, n), mode="edge"), k, mode="same")[n:-n]


def _noise(rng: np.random.Generator, n: int, fps: float, hz: float) -> np.ndarray:
    """Smooth band-limited noise in about [-1, 1]: a few random sinusoids."""
    t = np.arange(n) / fps
    out = np.zeros(n)
    for k in range(3):
        f = hz * (0.6 + 0.5 * k) * rng.uniform(0.8, 1.25)
        out += np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)) / (1 + k)
    return out / 1.8


def blink_curve(n: int, fps: float, per_min: float, rng: np.random.Generator) -> np.ndarray:
    """Natural blinks: 0.15-0.25 s each, 2-6 s apart (Poisson-ish), never in the first 0.5 s."""
    out = np.zeros(n)
    if per_min <= 0:
        return out
    mean_gap = 60.0 / per_min
    t = rng.uniform(0.5, mean_gap)
    while t * fps < n:
        dur = rng.uniform(0.15, 0.25)
        start = int(t * fps)
        length = max(3, round(dur * fps))
        shape = np.sin(np.linspace(0, np.pi, length + 2)[1:-1]) ** 0.6
        end = min(n, start + length)
        out[start:end] = np.maximum(out[start:end], shape[: end - start])
        t += max(1.2, rng.exponential(mean_gap - 1.2) + 1.2)
    return out


BROW_THRESHOLD = 0.5  # emphasis a syllable needs for a brow raise
BROW_GAP_S = 0.9  # at most one raise per this many seconds
BROW_RAISE_S = 0.45  # a raise's rise-and-fall


def brow_raises(emphasis: np.ndarray, fps: float) -> np.ndarray:
    """Brief brow raises on the most stressed syllables, 0..1 per frame.

    Speakers lift their brows on a few words, briefly; following the emphasis
    envelope itself would hold them up through whole phrases.
    """
    from scipy.signal import find_peaks

    peaks, props = find_peaks(
        emphasis, height=BROW_THRESHOLD, distance=max(1, int(BROW_GAP_S * fps))
    )
    out = np.zeros(len(emphasis))
    half = max(1, int(BROW_RAISE_S * fps / 2))
    pulse = np.hanning(2 * half + 1)
    for peak, height in zip(peaks, props["peak_heights"], strict=True):
        lo, hi = max(0, peak - half), min(len(out), peak + half + 1)
        seg = pulse[lo - (peak - half) : hi - (peak - half)] * height
        out[lo:hi] = np.maximum(out[lo:hi], seg)
    return out


# In running speech the jaw is set part-open and the syllables ride on that: on the
# fixture clips' real speakers, regressed on the audio track's opening, the inner-lip gap
# is already 0.08-0.10 IOD where the audio opening is 0 (mid-speech consonants), and it
# grows 0.07-0.11 IOD per unit of audio opening; our mouth closed fully between
# syllables and swung 0.13-0.18 IOD per unit. So while speaking (audio opening above
# SPEAKING_ABOVE, SPEAKING_HOLD_S either side) the opening is SPEAKING_SET plus the rest
# of the range times the track; in pauses the lips still close.
SPEAKING_SET = 0.2
SPEAKING_ABOVE = 0.05
SPEAKING_HOLD_S = 0.12


def speaking_set(opening: np.ndarray, fps: float) -> np.ndarray:
    """The opening with the speaking jaw set (see SPEAKING_SET)."""
    from scipy.ndimage import binary_dilation

    hold = max(1, round(SPEAKING_HOLD_S * fps))
    speaking = binary_dilation(opening > SPEAKING_ABOVE, iterations=hold).astype(np.float64)
    speaking = _smooth(speaking, 3)
    out: np.ndarray = np.clip(SPEAKING_SET * speaking + (1 - SPEAKING_SET) * opening, 0, 1)
    return out


def plan_motion(track: MouthTrack, tier: str, hint: str = "", seed: int = 0) -> MotionPlan:
    style = motion_style(tier, hint)
    track = anticipated(track)
    n, fps = track.n_frames, track.fps
    rng = np.random.default_rng(seed)
    opening = np.clip(np.asarray(track.opening, np.float64) * style.mouth_gain, 0, 1)
    emphasis = np.clip(np.asarray(track.emphasis, np.float64), 0, 1)
    # Emphasis events: smooth the stressed-syllable track and keep its peaks.
    emph = _smooth(emphasis, max(1, int(fps * 0.25)))
    speaking = _smooth((opening > 0.08).astype(np.float64), max(1, int(fps * 0.6)))
    brow = np.clip(brow_raises(emph, fps) * style.brow * 1.4, 0, 1)
    nod = _smooth(emph, max(1, int(fps * 0.3))) * style.nod
    dx = _noise(rng, n, fps, style.sway_hz) * style.head_shift
    dy = _noise(rng, n, fps, style.sway_hz * 0.8) * style.head_shift * 0.5 + nod
    roll = _noise(rng, n, fps, style.sway_hz * 0.7) * style.head_roll_deg
    # A little more motion while speaking than while listening.
    gain = 0.7 + 0.3 * speaking
    smile = np.full(n, style.smile) * (1.0 - 0.5 * np.clip(opening * 2, 0, 1))
    f32 = np.float32
    return MotionPlan(
        opening=opening.astype(f32),
        width=np.asarray(track.width, f32),
        rounding=np.asarray(track.rounding, f32),
        brow=brow.astype(f32),
        blink=blink_curve(n, fps, style.blink_per_min, rng).astype(f32),
        smile=smile.astype(f32),
        dx=(dx * gain).astype(f32),
        dy=(dy * gain).astype(f32),
        roll_deg=(roll * gain).astype(f32),
    )
