"""Render a footage avatar's video: its own loop footage, a real mouth per frame.

The loop video is decoded in order (restarting at its end) straight at the output size,
each output frame takes the loop frame at its instant (nearest frame when the output
fps differs from the clip's), ``footage_mouth`` places the chosen mouth sample, and the
avatar's pose (framing, turn, tilt, mirror, background, grade) is applied to the
finished frame. Encoding runs on the encoder's thread as for still avatars.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import numpy.typing as npt

from avatarmedia import face as fm
from avatarmedia.encode import PRESETS, VideoEncoder, even, save_poster
from avatarmedia.errors import MediaInputError
from avatarmedia.footage import Footage
from avatarmedia.footage_motion import FootageMotion, footage_style
from avatarmedia.footage_mouth import MouthCompositor, select_samples
from avatarmedia.tracks import MouthTrack

ImageArray = npt.NDArray[np.uint8]
FloatArray = npt.NDArray[np.float32]
CACHE_BYTES = 600 * 1024 * 1024
POSE_KEYS = ("framing", "mirror", "grade", "background", "background_blur", "yaw_deg", "roll_deg")


def footage_size(footage: Footage, resolution: int) -> tuple[int, int]:
    """Output size: the clip's framing with its long side at ``resolution``."""
    w, h = footage.loop_size
    k = resolution / max(w, h)
    return even(w * k), even(h * k)


class LoopReader:
    """Loop frames in order at one size, decoding again from the start after the end.

    When the whole loop fits in ``CACHE_BYTES`` at this size, the first pass keeps
    every frame and later passes decode nothing (a script usually plays the loop
    several times).
    """

    def __init__(self, video: bytes, size: tuple[int, int], n: int) -> None:
        self.video, self.size, self.n = video, size, n
        self._frames: Iterator[ImageArray] | None = None
        self._index = -1
        self._frame: ImageArray | None = None
        self._cache: dict[int, ImageArray] | None = (
            {} if n * size[0] * size[1] * 3 <= CACHE_BYTES else None
        )

    def _decode(self) -> Iterator[ImageArray]:
        try:
            container: Any = av.open(io.BytesIO(self.video))
        except av.error.FFmpegError as exc:
            raise MediaInputError(f"the avatar's footage cannot be decoded: {exc}") from exc
        with container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                yield frame.to_ndarray(format="rgb24", width=self.size[0], height=self.size[1])

    def get(self, index: int) -> ImageArray:
        """Loop frame ``index`` (a new array each call)."""
        if self._cache is not None and index in self._cache:
            return self._cache[index].copy()
        if self._frames is None or index < self._index:
            self._frames, self._index = self._decode(), -1
        while self._index < index:
            nxt = next(self._frames, None)
            if nxt is None:
                if self._frame is None:
                    raise MediaInputError("the avatar's footage has no frames")
                break
            self._frame, self._index = nxt, self._index + 1
            if self._cache is not None:
                self._cache[self._index] = nxt
        assert self._frame is not None
        return self._frame.copy()


def loop_index(t: int, out_fps: float, clip_fps: float, n_loop: int) -> int:
    """The loop frame shown at output frame ``t`` (nearest instant, wrapping)."""
    return round(t * clip_fps / out_fps) % n_loop


# -- poses ----------------------------------------------------------------------------


def pose_ops(pose: dict[str, Any] | None) -> dict[str, Any]:
    """The operations a pose portrait recorded as applied, ready to apply per frame."""
    if not pose or not pose.get("prompt"):
        return {}
    from avatarmedia.pose import parse_prompt

    ops = parse_prompt(str(pose["prompt"]))
    skipped = pose.get("not_applied") or {}
    return {k: v for k, v in ops.items() if k in POSE_KEYS and k in pose and k not in skipped}


@dataclass
class PoseFrames:
    """Applies a pose's operations to every frame with one fixed camera transform."""

    ops: dict[str, Any]
    size: tuple[int, int]
    mesh: FloatArray  # a typical loop mesh at the output size (the framing's anchor)
    _matrix: np.ndarray | None = None
    _masks: dict[int, FloatArray] = field(default_factory=dict)

    _cover: FloatArray | None = None

    def __post_init__(self) -> None:
        self._matrix = self._camera()
        self._cover = self._coverage()

    def _camera(self) -> np.ndarray | None:
        w, h = self.size
        m = np.eye(3)
        mesh = self.mesh
        chin = mesh[fm.CHIN]
        height = float(np.linalg.norm(mesh[fm.FOREHEAD] - chin))
        changed = False
        if "yaw_deg" in self.ops:
            k = np.sin(np.radians(self.ops["yaw_deg"])) * 0.12
            src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
            dst = np.array(
                [
                    [w * max(0, k), h * max(0, -k) * 0.5],
                    [w - w * max(0, -k), h * max(0, k) * 0.5],
                    [w - w * max(0, -k), h - h * max(0, k) * 0.5],
                    [w * max(0, k), h - h * max(0, -k) * 0.5],
                ],
                np.float32,
            )
            m = cv2.getPerspectiveTransform(src, dst) @ m
            changed = True
        if "roll_deg" in self.ops:
            pivot = (float(chin[0]), float(chin[1] + 0.3 * height))
            r = np.vstack([cv2.getRotationMatrix2D(pivot, -self.ops["roll_deg"], 1.0), [0, 0, 1]])
            m = r @ m
            changed = True
        framing = self.ops.get("framing")
        if framing in ("close-up", "wide"):
            zoom = 1.35 if framing == "close-up" else 0.75
            centre = np.array([mesh[fm.NOSE_TIP, 0], (mesh[fm.FOREHEAD, 1] + chin[1]) / 2])
            anchor = np.array([w / 2, h * 0.45 - zoom * centre[1]])
            if framing == "wide":
                # The clip's bottom edge stays the frame's bottom edge (the body goes
                # on below it, as in the clip); only the top and sides are uncovered.
                anchor[1] = h * (1.0 - zoom)
            z = np.array([[zoom, 0, anchor[0] - zoom * centre[0]], [0, zoom, anchor[1]], [0, 0, 1]])
            m = z @ m
            changed = True
        return m if changed else None

    def _coverage(self) -> FloatArray | None:
        """Where the moved frame has pixels (1) and where it uncovered nothing (0),
        feathered over a few pixels; None when it covers the whole frame."""
        if self._matrix is None:
            return None
        w, h = self.size
        ones = np.full((h, w), 255, np.uint8)
        cov = cv2.warpPerspective(ones, self._matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
        if int(cov.min()) >= 250:
            return None
        # A wide feather inside the clip's edge: the clip fades into the fill.
        feather = max(2, round(0.025 * min(w, h)))
        cov = cv2.erode(cov, np.ones((2 * feather + 1, 2 * feather + 1), np.uint8))
        soft = cv2.GaussianBlur(cov.astype(np.float32) / 255.0, (0, 0), feather / 1.5)
        out: FloatArray = np.asarray(soft, np.float32)[..., None]
        return out

    def _person(self, frame: ImageArray, key: int) -> FloatArray:
        mask = self._masks.get(key)
        if mask is None:
            from avatarmedia.pose import person_mask

            mask = person_mask(frame)
            self._masks[key] = mask
        return mask

    def apply(self, frame: ImageArray, key: int) -> ImageArray:
        """The posed frame; ``key`` identifies the source loop frame (mask cache)."""
        out = frame
        if self._matrix is not None:
            # Replicated edges, not reflected ones: a zoomed-out frame must not show a
            # mirrored copy of the person beside them.
            w, h = self.size
            moved = np.asarray(
                cv2.warpPerspective(
                    out,
                    self._matrix,
                    (w, h),
                    flags=cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_REPLICATE,
                ),
                np.uint8,
            )
            if self._cover is not None:
                # What the move uncovered shows the moved clip's edges carried on and
                # heavily blurred (a soft continuation of the background, no smeared
                # edge row, no mirrored copy of the person).
                moved = np.asarray(
                    moved * self._cover + blurred_fill(moved) * (1.0 - self._cover), np.uint8
                )
            out = moved
        if "background" in self.ops or self.ops.get("background_blur"):
            # After the camera move, so the new background also fills what it uncovered.
            out = self._background(out, key)
        if self.ops.get("mirror"):
            out = np.ascontiguousarray(out[:, ::-1])
        if self.ops.get("grade"):
            from avatarmedia.pose import apply_grade

            out = apply_grade(out, self.ops["grade"])
        return out

    def _background(self, frame: ImageArray, key: int) -> ImageArray:
        from avatarmedia.pose import behind_person

        out: ImageArray = behind_person(
            frame,
            self._person(frame, key),
            self.ops.get("background"),
            bool(self.ops.get("background_blur")),
        )
        return out


def blurred_fill(frame: ImageArray) -> FloatArray:
    """The frame heavily blurred (at 1/8 size, then scaled back): the fill for the
    parts of a zoomed-out or turned frame that the clip does not cover."""
    h, w = frame.shape[:2]
    small = cv2.resize(frame, (max(1, w // 8), max(1, h // 8)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), 2.0)
    out: FloatArray = np.asarray(
        cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), np.float32
    )
    return out


# -- the render ------------------------------------------------------------------------


@dataclass
class FootageRender:
    """What ``render_footage`` hands back to ``render.render_video``."""

    n_frames: int
    size: tuple[int, int]
    timings: dict[str, float]
    samples: npt.NDArray[np.int32]
    loop_frames: npt.NDArray[np.int32]


def footage_frames(
    footage: Footage,
    track: MouthTrack,
    size: tuple[int, int],
    fps: float,
    pose: dict[str, Any] | None = None,
    compositor: MouthCompositor | None = None,
    audio: tuple[FloatArray, int] | None = None,
    hint: str = "",
    tier: str = "avatar",
) -> Iterator[tuple[int, int, int, ImageArray]]:
    """Yield (output index, loop index, sample, RGB frame) for every frame of ``track``
    (``audio``: the drive audio, to match samples by sound; see ``select_samples``;
    ``hint``: the motion hint, see ``footage_motion``)."""
    style = footage_style(tier, hint)
    chosen = select_samples(
        footage, track, fps, audio, smile=style.smile, mouth_gain=style.mouth_gain
    )
    reader = LoopReader(footage.loop_video, size, footage.n_loop)
    scale = np.array([size[0] / footage.loop_size[0], size[1] / footage.loop_size[1]], np.float32)
    comp = compositor or MouthCompositor(footage)
    ops = pose_ops(pose)
    posed = PoseFrames(ops, size, footage.loop_meshes[0] * scale) if ops else None
    moved = FootageMotion(footage, track, style, tier, hint, size) if style.moves else None
    for t in range(track.n_frames):
        j = loop_index(t, fps, footage.fps, footage.n_loop)
        frame = reader.get(j)
        comp.place(frame, footage.loop_meshes[j] * scale, int(chosen[t]))
        if moved is not None:
            frame = moved.apply(frame, t, j)
        if posed is not None:
            frame = posed.apply(frame, j)
        yield t, j, int(chosen[t]), frame


def render_footage(
    footage: Footage,
    track: MouthTrack,
    samples: FloatArray,
    sample_rate: int,
    out_path: Path,
    *,
    tier: str,
    resolution: int,
    fps: int,
    pose: dict[str, Any] | None = None,
    progress: Callable[[float], None] | None = None,
    hint: str = "",
) -> FootageRender:
    """Encode the footage video to ``out_path`` and a poster beside it."""
    t0 = time.perf_counter()
    size = footage_size(footage, resolution)
    n = track.n_frames
    enc = VideoEncoder(
        out_path, size[0], size[1], fps, preset=PRESETS[tier], crf=23 if tier == "avatar" else 21
    )
    enc.add_audio(sample_rate, samples)
    poster: ImageArray | None = None
    last: ImageArray | None = None
    step = max(1, n // 40)
    used = np.zeros(n, np.int32)
    loops = np.zeros(n, np.int32)
    cv_threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        for t, j, s, frame in footage_frames(
            footage, track, size, fps, pose, audio=(samples, sample_rate), hint=hint, tier=tier
        ):
            enc.write(frame)
            used[t], loops[t], last = s, j, frame
            if poster is None and t >= min(n - 1, fps // 2) and track.opening[t] < 0.05:
                poster = frame
            if progress is not None and t % step == 0:
                progress(0.95 * t / n)
    finally:
        cv2.setNumThreads(cv_threads)
        t_frames = time.perf_counter() - t0
        enc.close()
    chosen = poster if poster is not None else last
    if chosen is not None:
        save_poster(chosen, Path(out_path).with_suffix(".jpg"))
    return FootageRender(
        n_frames=n,
        size=size,
        samples=used,
        loop_frames=loops,
        timings={"frames_s": t_frames, "total_s": time.perf_counter() - t0},
    )
