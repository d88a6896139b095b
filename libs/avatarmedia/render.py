"""The one call the worker makes: portrait + audio (+ mouth track) -> MP4 + poster.

Photo portraits move by the mesh warp of ``animate_photo``; drawn portraits are
redrawn per frame by ``animate_drawn``. Either way idle head motion moves only the
head region (``head``): the camera is still, shoulders and background do not move.
Frames are encoded on a background thread while the next ones render, so the two
cores are both busy.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from avatarmedia import face as fm
from avatarmedia.animate import MotionPlan, plan_motion, speaking_set
from avatarmedia.animate_photo import PhotoRig, seen_lip_gap
from avatarmedia.encode import PRESETS, VideoEncoder, even, frames_for_audio, save_poster
from avatarmedia.errors import MediaInputError
from avatarmedia.footage import Footage
from avatarmedia.head import motion_matrix
from avatarmedia.own_teeth import MouthSeen, OwnTeeth, mouth_seen, own_teeth
from avatarmedia.portrait import Portrait
from avatarmedia.rest_mouth import rest_mouth
from avatarmedia.tracks import MouthTrack

log = logging.getLogger(__name__)

TIERS = ("avatar", "avatar_pro")
RESOLUTIONS = {"avatar": (512, 720, 1080), "avatar_pro": (512, 720, 1080, 1536)}
FRAME_RATES = (24, 25, 30)
FloatArray = npt.NDArray[np.float32]


@dataclass
class RenderRequest:
    portrait: Portrait
    samples: FloatArray
    sample_rate: int
    mouth: MouthTrack | None = None
    tier: str = "avatar"
    resolution: int = 720
    fps: int = 25
    motion_hint: str = ""
    seed: int = 0
    # A footage avatar's clip analysis: frames and mouths come from it (the portrait
    # then only carries the pose to apply).
    footage: Footage | None = None


@dataclass
class RenderResult:
    video_path: Path
    poster_path: Path
    duration_s: float
    n_frames: int
    width: int
    height: int
    timings: dict[str, float] = field(default_factory=dict)
    motion: dict[str, Any] = field(default_factory=dict)


class FaceAnimator(Protocol):
    size: tuple[int, int]

    def frame(self, values: dict[str, float]) -> np.ndarray:
        """One finished frame (face moved, head at the frame's idle motion), RGB uint8."""
        ...


def loudness_mouth_track(
    samples: FloatArray, sample_rate: int, fps: float, n_frames: int | None = None
) -> MouthTrack:
    """Mouth opening from the loudness envelope (used when no speech track is given)."""
    x = np.asarray(samples, np.float64).reshape(-1)
    n = n_frames or frames_for_audio(len(x), sample_rate, fps)
    hop = sample_rate / fps
    win = int(hop * 1.5)
    centers = (np.arange(n) * hop + hop / 2).astype(int)
    sq = np.concatenate([[0.0], np.cumsum(x * x)])
    a = np.clip(centers - win // 2, 0, len(x))
    b = np.clip(centers + win // 2, 0, len(x))
    rms = np.sqrt((sq[b] - sq[a]) / np.maximum(b - a, 1))
    db = 20 * np.log10(rms + 1e-7)
    loud = np.percentile(db, 95)
    floor = max(np.percentile(db, 10), loud - 38.0)
    opening = np.clip((db - floor - 4.0) / max(loud - floor - 6.0, 1.0), 0, 1) ** 1.3
    k = np.array([0.25, 0.5, 0.25])
    opening = np.convolve(np.pad(opening, 1, mode="edge"), k, mode="valid")
    diff = np.clip(np.diff(opening, prepend=opening[0]), 0, None)
    emphasis = np.clip(diff * 3.0, 0, 1) * (opening > 0.5)
    f32 = np.float32
    return MouthTrack(
        fps=fps,
        opening=opening.astype(f32),
        width=np.full(n, 0.5, f32),
        rounding=np.zeros(n, f32),
        emphasis=emphasis.astype(f32),
    )


def audio_track(samples: FloatArray, sample_rate: int, fps: float, n_frames: int) -> MouthTrack:
    """The speech engine's audio-driven track when installed, else the loudness one."""
    try:
        from avatarmedia.mouth_audio import audio_mouth_track
    except ImportError:
        return loudness_mouth_track(samples, sample_rate, fps, n_frames)
    track: MouthTrack = audio_mouth_track(samples, sample_rate, fps, n_frames=n_frames)
    return track


def fit_track(track: MouthTrack, n: int) -> MouthTrack:
    """Pad (closed mouth) or trim a track to n frames."""
    if track.n_frames == n:
        return track

    def fit(a: np.ndarray, fill: float) -> np.ndarray:
        a = np.asarray(a, np.float32)[:n]
        return np.concatenate([a, np.full(n - len(a), fill, np.float32)])

    vis = (
        list(track.visemes[:n]) + ["sil"] * max(0, n - len(track.visemes)) if track.visemes else []
    )
    return MouthTrack(
        fps=track.fps,
        opening=fit(track.opening, 0),
        width=fit(track.width, 0.5),
        rounding=fit(track.rounding, 0),
        emphasis=fit(track.emphasis, 0),
        visemes=vis,
    )


def output_size(portrait: Portrait, resolution: int) -> tuple[int, int]:
    w, h = portrait.size
    k = resolution / max(w, h)
    return even(w * k), even(h * k)


class PhotoAnimator:
    """Mesh-warp animation of a photo portrait at the output size."""

    def __init__(self, portrait: Portrait, size: tuple[int, int]) -> None:
        w, h = size
        self.size = size
        interp = cv2.INTER_AREA if w < portrait.size[0] else cv2.INTER_CUBIC
        image = cv2.resize(portrait.image, (w, h), interpolation=interp)
        if portrait.mesh is not None:
            mesh = portrait.mesh.copy()
            mesh[:, :2] *= np.array([w / portrait.size[0], h / portrait.size[1]], np.float32)
            mesh[:, 2] *= w / portrait.size[0]
        else:
            mesh = fm.find_face(image, min_size=int(90 * min(1.0, w / portrait.size[0]))).mesh
        # A portrait made by photo_portrait is closed already and carries the person's
        # own teeth (nothing to do here); a raw image or a posed warp gets both now.
        # What the photo showed of the mouth (``own_teeth.mouth_seen``) likewise.
        rig = (portrait.rig or {}) if portrait.kind == "photo" else {}
        stored = rig.get("own_teeth")
        teeth = OwnTeeth.from_json(stored) if stored else own_teeth(image, mesh)
        seen = MouthSeen.from_json(rig) if "teeth_show" in rig else mouth_seen(image, mesh)
        image, mesh = rest_mouth(image, mesh, lambda img: fm.find_face(img, min_size=1).mesh)
        self.rig = PhotoRig(image, mesh, teeth, seen)
        # Openings as they will be seen, not as the warp parts the lips (``SEEN_IOD``).
        self.rig.calibrate(lambda frame: seen_lip_gap(frame, self.rig.mesh))
        self.face_height = self.rig.height
        self.pivot = self.rig.pivot

    def frame(self, values: dict[str, float]) -> np.ndarray:
        motion = motion_matrix(self.pivot, self.face_height, values)
        return self.rig.render(
            values["opening"],
            values["width"],
            values["rounding"],
            values["smile"],
            values["brow"],
            values["blink"],
            motion,
        )


def make_animator(portrait: Portrait, size: tuple[int, int]) -> FaceAnimator:
    if portrait.kind == "drawn" and portrait.spec is not None:
        from avatarmedia.animate_drawn import DrawnAnimator

        return DrawnAnimator(portrait, size)
    return PhotoAnimator(portrait, size)


def _validate(req: RenderRequest) -> None:
    if req.tier not in TIERS:
        raise MediaInputError(f"tier must be one of {', '.join(TIERS)}, got {req.tier!r}")
    if req.resolution not in RESOLUTIONS[req.tier]:
        allowed = ", ".join(str(r) for r in RESOLUTIONS[req.tier])
        raise MediaInputError(
            f"resolution {req.resolution} is not offered for tier {req.tier} (choose {allowed})"
        )
    if req.fps not in FRAME_RATES:
        raise MediaInputError(f"fps must be 24, 25 or 30, got {req.fps}")
    if req.sample_rate <= 0 or req.samples is None or len(req.samples) < req.sample_rate * 0.2:
        raise MediaInputError("the audio is empty or shorter than 0.2 s")
    if not np.all(np.isfinite(req.samples)):
        raise MediaInputError("the audio contains invalid samples")


def render_frames(animator: FaceAnimator, plan: MotionPlan) -> Any:
    """Yield (index, RGB frame) for every frame of the plan (a new array each time)."""
    for i in range(plan.n_frames):
        yield i, animator.frame(plan.frame(i))


def render_video(
    req: RenderRequest, out_path: Path, *, progress: Callable[[float], None] | None = None
) -> RenderResult:
    """Render the talking video to ``out_path`` (MP4) and a poster JPEG beside it."""
    _validate(req)
    t0 = time.perf_counter()
    samples = np.asarray(req.samples, np.float32).reshape(-1)
    n = frames_for_audio(len(samples), req.sample_rate, req.fps)
    track = (
        req.mouth if req.mouth is not None else audio_track(samples, req.sample_rate, req.fps, n)
    )
    track = fit_track(track, n)
    if req.footage is not None:
        return _render_footage(req, track, samples, out_path, progress, t0)
    size = output_size(req.portrait, req.resolution)
    animator = make_animator(req.portrait, size)
    plan = plan_motion(track, req.tier, req.motion_hint, seed=req.seed)
    if isinstance(animator, PhotoAnimator):  # a real jaw: set part-open while speaking
        plan.opening = speaking_set(plan.opening, req.fps).astype(np.float32)
    t_setup = time.perf_counter() - t0
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    poster_path = out_path.with_suffix(".jpg")
    enc = VideoEncoder(
        out_path,
        size[0],
        size[1],
        req.fps,
        preset=PRESETS[req.tier],
        crf=23 if req.tier == "avatar" else 21,
    )
    enc.add_audio(req.sample_rate, samples)
    poster: np.ndarray | None = None
    step = max(1, n // 40)
    # The encoder's threads have the other cores; OpenCV's own worker threads would only
    # contend with them (a frame's remaps are too small to gain from splitting).
    cv_threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        for i, frame in render_frames(animator, plan):
            enc.write(frame)
            if poster is None and (
                i >= min(n - 1, int(req.fps * 0.5))
                and plan.opening[i] < 0.05
                and plan.blink[i] < 0.05
            ):
                poster = frame
            if progress is not None and i % step == 0:
                progress(0.95 * i / n)
    finally:
        cv2.setNumThreads(cv_threads)
        t_frames = time.perf_counter() - t0 - t_setup
        enc.close()
    save_poster(poster if poster is not None else frame, poster_path)
    if progress is not None:
        progress(1.0)
    total = time.perf_counter() - t0
    return RenderResult(
        video_path=out_path,
        poster_path=poster_path,
        duration_s=n / req.fps,
        n_frames=n,
        width=size[0],
        height=size[1],
        timings={"setup_s": t_setup, "frames_s": t_frames, "total_s": total},
        motion={"tier": req.tier, "hint": req.motion_hint},
    )


def _render_footage(
    req: RenderRequest,
    track: MouthTrack,
    samples: FloatArray,
    out_path: Path,
    progress: Callable[[float], None] | None,
    t0: float,
) -> RenderResult:
    from avatarmedia.footage_render import render_footage

    assert req.footage is not None
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    done = render_footage(
        req.footage,
        track,
        samples,
        req.sample_rate,
        out_path,
        tier=req.tier,
        resolution=req.resolution,
        fps=req.fps,
        pose=req.portrait.pose,
        progress=progress,
        hint=req.motion_hint,
    )
    if progress is not None:
        progress(1.0)
    timings = dict(done.timings, total_s=time.perf_counter() - t0)
    return RenderResult(
        video_path=out_path,
        poster_path=out_path.with_suffix(".jpg"),
        duration_s=done.n_frames / req.fps,
        n_frames=done.n_frames,
        width=done.size[0],
        height=done.size[1],
        timings=timings,
        motion={"tier": req.tier, "motion": "footage", "hint": req.motion_hint},
    )
