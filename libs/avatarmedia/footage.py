"""Footage avatars: a talking-head clip analysed once, so videos reuse the person's own
frames and only the mouth is re-made.

``analyse_clip`` decodes the clip once at a capped size, tracks the face mesh (every
frame, or every other one in long clips), and keeps:

* a **motion base**: a stretch of the clip chosen so that its last frame matches its
  first in head pose and appearance (preferring quiet, calm stretches), re-encoded as a
  small MP4 with the cut cross-faded in, so playing it in a loop shows no jump; plus the
  mesh of every loop frame, to place mouths on it;
* a **mouth bank**: the lower face of every usable frame, normalised through the mesh
  (a similarity from the frame's stable landmarks onto one reference face), with its
  mesh in that space and its shape measured (opening, width, roundness, teeth visible,
  lip thickness) and whether the clip's audio was speech at that instant.

A clip that is too short, has no usable frontal frames, or shows the face turned away
most of the time gives ``None`` and the reason: the avatar is then a still one, never a
failure. Everything is stored in one compressed npz (``Footage.to_bytes``).
"""

from __future__ import annotations

import io
import json
import logging
import math
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import numpy.typing as npt
from scipy.ndimage import maximum_filter1d

from avatarmedia import face as fm
from avatarmedia.encode import VideoEncoder, even
from avatarmedia.errors import MediaInputError, NoFaceError
from avatarmedia.footage_a2m import (
    MouthFit,
    MouthModel,
    fit_mouth_model,
    frame_features,
    guard_frames,
)
from avatarmedia.footage_audio import BANDS, band_energies

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]
ImageArray = npt.NDArray[np.uint8]

FORMAT_VERSION = 1
STORE_SIDE = 1280  # long side of the stored loop footage and of the mouth samples
ANALYSIS_SIDE = 480  # long side the face mesh is run at
MAX_MESHED_FRAMES = 600  # above this, every other (third...) frame is meshed
MIN_CLIP_S = 2.0
MIN_USABLE_S = 1.5
MIN_USABLE_SHARE = 0.5
MAX_BANK = 900
MIN_BANK = 20
LOOP_MIN_S = 2.0
LOOP_MAX_S = 10.0
LOOP_SEARCH_S = 24.0  # the loop is chosen in the clip's first seconds (decode cost)
CROSSFADE_FRAMES = 6
MAX_YAW = 28.0
MAX_PITCH = 28.0
EYE_SHUT = 0.7  # an eye under this share of its usual opening counts as shut
EYE_DIP = 0.8  # ...or under this share of its widest nearby (a blink is a quick dip)
DIP_REACH_S = 0.25
BLINK_REACH = 3  # frames around a loop's cut that must have both eyes open
# Around a ping-pong turn no blink for this long: one just before the turn is played
# again just after it, a double blink (seen on en_woman_talking_8s at 4 frames).
TURN_CLEAR_S = 0.6

FEATURES = ("opening", "width", "aspect", "teeth", "thickness")


@dataclass
class Footage:
    """A clip's motion base and mouth bank (see the module docstring)."""

    fps: float
    loop_video: bytes  # MP4 (H.264) of the loop frames
    loop_meshes: FloatArray  # (n_loop, 468, 2) in loop-video pixels
    loop_size: tuple[int, int]  # (w, h) of the loop video
    patch_size: tuple[int, int]  # (w, h) of a mouth sample
    bank_jpeg: bytes  # the samples' JPEGs, back to back
    bank_offsets: npt.NDArray[np.int64]  # (n + 1,) byte offsets into bank_jpeg
    bank_meshes: FloatArray  # (n, 468, 2) in sample pixels
    bank_features: FloatArray  # (n, len(FEATURES))
    bank_source: npt.NDArray[np.int32]  # clip frame index of each sample
    bank_speaking: npt.NDArray[np.bool_]
    # The clip's sound (``footage_audio.band_energies``); empty for a clip without audio.
    clip_audio: FloatArray = field(default_factory=lambda: np.zeros((0, BANDS), np.float32))
    info: dict[str, Any] = field(default_factory=dict)
    # The avatar's own audio-to-mouth model (``footage_a2m``); None: the generic track.
    mouth_model: MouthModel | None = None
    _patches: dict[int, ImageArray] = field(default_factory=dict, repr=False)

    @property
    def n_loop(self) -> int:
        return int(self.loop_meshes.shape[0])

    @property
    def n_bank(self) -> int:
        return int(self.bank_features.shape[0])

    def patch(self, i: int) -> ImageArray:
        """Mouth sample ``i`` (RGB), decoded on first use."""
        cached = self._patches.get(i)
        if cached is None:
            raw = np.frombuffer(
                self.bank_jpeg,
                np.uint8,
                int(self.bank_offsets[i + 1] - self.bank_offsets[i]),
                int(self.bank_offsets[i]),
            )
            bgr = cv2.imdecode(raw, cv2.IMREAD_COLOR)
            if bgr is None:
                raise MediaInputError("a mouth sample of the avatar's footage is damaged")
            cached = np.ascontiguousarray(bgr[:, :, ::-1], dtype=np.uint8)
            self._patches[i] = cached
        return cached

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            version=np.array(FORMAT_VERSION),
            fps=np.array(self.fps),
            loop_video=np.frombuffer(self.loop_video, np.uint8),
            loop_meshes=self.loop_meshes.astype(np.float32),
            loop_size=np.array(self.loop_size),
            patch_size=np.array(self.patch_size),
            bank_jpeg=np.frombuffer(self.bank_jpeg, np.uint8),
            bank_offsets=self.bank_offsets,
            bank_meshes=self.bank_meshes.astype(np.float16),
            bank_features=self.bank_features,
            bank_source=self.bank_source,
            bank_speaking=self.bank_speaking,
            clip_audio=self.clip_audio.astype(np.float16),
            info=np.frombuffer(json.dumps(self.info).encode(), np.uint8),
            **(self.mouth_model.to_arrays() if self.mouth_model is not None else {}),
        )
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Footage:
        try:
            z = np.load(io.BytesIO(data), allow_pickle=False)
            if int(z["version"]) != FORMAT_VERSION:
                raise MediaInputError("the avatar's footage was stored by another version")
            return cls(
                fps=float(z["fps"]),
                loop_video=z["loop_video"].tobytes(),
                loop_meshes=z["loop_meshes"].astype(np.float32),
                loop_size=tuple(int(v) for v in z["loop_size"]),  # type: ignore[arg-type]
                patch_size=tuple(int(v) for v in z["patch_size"]),  # type: ignore[arg-type]
                bank_jpeg=z["bank_jpeg"].tobytes(),
                bank_offsets=z["bank_offsets"],
                bank_meshes=z["bank_meshes"].astype(np.float32),
                bank_features=z["bank_features"],
                bank_source=z["bank_source"],
                bank_speaking=z["bank_speaking"],
                clip_audio=(
                    z["clip_audio"].astype(np.float32)
                    if "clip_audio" in z
                    else np.zeros((0, BANDS), np.float32)
                ),
                info=json.loads(z["info"].tobytes().decode()),
                mouth_model=MouthModel.from_arrays(z),
            )
        except (OSError, ValueError, KeyError) as exc:
            raise MediaInputError(f"the avatar's footage cannot be read: {exc}") from exc


@dataclass
class Analysis:
    """What ``analyse_clip`` returns: footage (or None), why, and a portrait frame."""

    footage: Footage | None
    reason: str
    portrait_frame: ImageArray | None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def motion(self) -> str:
        return "footage" if self.footage is not None else "still"


# -- geometry ------------------------------------------------------------------


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 2x3 similarity (rotation, uniform scale, shift) best mapping src onto dst."""
    m, _ = cv2.estimateAffinePartial2D(
        src.astype(np.float32), dst.astype(np.float32), method=cv2.LMEDS
    )
    if m is None:
        raise MediaInputError("the face landmarks are degenerate")
    return m.astype(np.float64)


def apply(m: np.ndarray, pts: np.ndarray) -> FloatArray:
    out: FloatArray = (pts[:, :2] @ m[:, :2].T + m[:, 2]).astype(np.float32)
    return out


def interocular(mesh: np.ndarray) -> float:
    return fm.landmark_distance(mesh, fm.RIGHT_EYE_OUTER, fm.LEFT_EYE_OUTER)


def _polygon_mask(shape: tuple[int, int], pts: np.ndarray) -> npt.NDArray[np.bool_]:
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
    return mask.astype(bool)


def mouth_features(mesh: np.ndarray, patch: ImageArray | None = None) -> FloatArray:
    """Shape of a mouth: opening, width, aspect, teeth share, lip thickness.

    Lengths are in inter-ocular distances, so every sample and target compare in the
    same units. ``teeth`` is the share of the inner-lip area that is bright and grey
    (needs the sample's pixels; 0 without them).
    """
    iod = max(interocular(mesh), 1.0)
    gap = fm.landmark_distance(mesh, fm.UPPER_LIP_CENTER, fm.LOWER_LIP_CENTER) / iod
    width = fm.landmark_distance(mesh, fm.MOUTH_RIGHT, fm.MOUTH_LEFT) / iod
    outer = fm.landmark_distance(mesh, fm.UPPER_LIP_TOP, fm.LOWER_LIP_BOTTOM) / iod
    aspect = outer / max(width, 1e-3)
    thickness = max(0.0, outer - gap)
    teeth = 0.0
    if patch is not None and gap > 0.02:
        inner = _polygon_mask(patch.shape[:2], mesh[list(fm.LIPS_INNER), :2])
        if inner.sum() >= 6:
            hsv = cv2.cvtColor(patch, cv2.COLOR_RGB2HSV)[inner].astype(np.float32)
            lips_v = float(np.median(cv2.cvtColor(patch, cv2.COLOR_RGB2HSV)[..., 2]))
            bright = (hsv[:, 2] > 0.8 * lips_v) & (hsv[:, 1] < 90)
            teeth = float(bright.mean())
    return np.array([gap, width, aspect, teeth, thickness], np.float32)


# -- decoding ------------------------------------------------------------------


def _store_size(w: int, h: int) -> tuple[int, int]:
    k = min(1.0, STORE_SIDE / max(w, h))
    return even(w * k), even(h * k)


def _open_video(path: Path) -> tuple[Any, Any]:
    try:
        container: Any = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise MediaInputError(f"cannot read the clip: {exc}") from exc
    if not container.streams.video:
        container.close()
        raise MediaInputError("the clip has no video stream")
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    return container, stream


def decode_frames(path: Path, size: tuple[int, int] | None = None, stop: int | None = None) -> Any:
    """Yield (index, RGB frame) of the clip, scaled to ``size`` by the decoder."""
    container, stream = _open_video(path)
    try:
        for i, frame in enumerate(container.decode(stream)):
            if stop is not None and i >= stop:
                return
            w, h = size or (frame.width, frame.height)
            yield i, frame.to_ndarray(format="rgb24", width=w, height=h)
    except av.error.FFmpegError as exc:
        raise MediaInputError(f"cannot decode the clip: {exc}") from exc
    finally:
        container.close()


# -- per-frame tracking ----------------------------------------------------------


@dataclass
class _Track:
    meshes: dict[int, FloatArray] = field(default_factory=dict)  # (468, 3), store pixels
    presence: dict[int, float] = field(default_factory=dict)
    thumbs: list[FloatArray] = field(default_factory=list)
    n_frames: int = 0
    size: tuple[int, int] = (0, 0)


class MeshTracker:
    """Face mesh through a video: tracked from the previous mesh, re-detected when lost."""

    def __init__(self, scale: float) -> None:
        self.scale = scale  # analysis pixels -> caller's pixels
        self.prev: FloatArray | None = None

    def __call__(self, small: ImageArray) -> tuple[FloatArray | None, float]:
        mesh: FloatArray | None = None
        presence = 0.0
        if self.prev is not None:
            mesh, presence = fm.track_mesh(small, self.prev)
        if mesh is None or presence < 0.5:
            try:
                f = fm.find_face(small, min_size=24, require_frontal=False)
                mesh, presence = f.mesh, f.presence
            except NoFaceError:
                mesh, presence = None, 0.0
        self.prev = mesh if presence >= 0.5 else None
        if mesh is None:
            return None, 0.0
        out = mesh.copy()
        out[:, :3] *= self.scale
        return out, presence


def _analysis_image(frame: ImageArray) -> tuple[ImageArray, float]:
    h, w = frame.shape[:2]
    k = min(1.0, ANALYSIS_SIDE / max(w, h))
    if k >= 1.0:
        return frame, 1.0
    small = np.asarray(
        cv2.resize(frame, (even(w * k), even(h * k)), interpolation=cv2.INTER_AREA), np.uint8
    )
    return small, w / small.shape[1]


def usable(mesh: np.ndarray | None, presence: float) -> bool:
    """A frame whose mouth can be sampled and replaced: face found, near frontal."""
    if mesh is None or presence < 0.5:
        return False
    yaw, pitch, _ = fm.head_pose(mesh)
    return abs(yaw) <= MAX_YAW and abs(pitch) <= MAX_PITCH


# -- the mouth bank ----------------------------------------------------------------


@dataclass
class _Canon:
    """The shared space mouth samples live in: a reference face and the patch box."""

    ref: FloatArray  # (len(fm.STABLE), 2) reference stable points, sample pixels
    offset: np.ndarray  # shift from reference face space to the patch
    size: tuple[int, int]

    @classmethod
    def from_mesh(cls, mesh: np.ndarray) -> _Canon:
        """Level the reference face and box its lower half (cheek to cheek, nose to neck)."""
        p = mesh[:, :2].astype(np.float64)
        eye = p[fm.LEFT_EYE_OUTER] - p[fm.RIGHT_EYE_OUTER]
        angle = math.atan2(eye[1], eye[0])
        c, s = math.cos(-angle), math.sin(-angle)
        rot = (p - p[fm.NOSE_TIP]) @ np.array([[c, s], [-s, c]])
        height = float(np.linalg.norm(p[fm.FOREHEAD] - p[fm.CHIN]))
        x0 = rot[list(fm.FACE_SIDE_RIGHT), 0].min() - 0.04 * height
        x1 = rot[list(fm.FACE_SIDE_LEFT), 0].max() + 0.04 * height
        y0 = rot[[fm.NOSE_BRIDGE_LOW, fm.NOSE_ABOVE_TIP], 1].min()
        y1 = rot[fm.CHIN, 1] + 0.22 * height
        offset = np.array([-x0, -y0])
        size = (even(x1 - x0), even(y1 - y0))
        return cls(ref=(rot[list(fm.STABLE)] + offset).astype(np.float32), offset=offset, size=size)

    def to_patch(self, mesh: np.ndarray) -> np.ndarray:
        """The 2x3 similarity taking a frame's pixels into this patch space."""
        return similarity(mesh[list(fm.STABLE), :2], self.ref)


@dataclass
class _Bank:
    jpegs: list[bytes] = field(default_factory=list)
    meshes: list[FloatArray] = field(default_factory=list)
    features: list[FloatArray] = field(default_factory=list)
    source: list[int] = field(default_factory=list)

    def add(self, canon: _Canon, frame: ImageArray, mesh: FloatArray, index: int) -> None:
        m = canon.to_patch(mesh)
        patch = np.asarray(
            cv2.warpAffine(
                frame, m, canon.size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
            ),
            np.uint8,
        )
        local = apply(m, mesh)
        ok, enc = cv2.imencode(
            ".jpg", np.ascontiguousarray(patch[:, :, ::-1]), [cv2.IMWRITE_JPEG_QUALITY, 93]
        )
        if not ok:
            return
        self.jpegs.append(enc.tobytes())
        self.meshes.append(local)
        self.features.append(mouth_features(local, patch))
        self.source.append(index)


# -- speech in the clip --------------------------------------------------------------


@dataclass
class ClipSound:
    """What the clip's audio says per clip frame, at the frame's own instant."""

    speaking: npt.NDArray[np.bool_]
    energies: FloatArray  # ``footage_audio.band_energies`` of the audio as recorded
    offset_s: float = 0.0  # the audio trails the video by this much (applied)
    sync_confidence: float = float("nan")  # ``avsync``'s confidence in it
    samples: FloatArray | None = None  # the audio as recorded (16 kHz mono), if any
    sample_rate: int = 0


def mouth_motion(
    meshes: dict[int, FloatArray], n: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per clip frame: the inner-lip gap / inter-ocular distance and the lip speed (mean
    movement of the 40 canonical lip points from the previous frame, IOD units), as
    ``avsync.mouth_series`` measures them; unmeshed frames interpolated."""
    from avatarmedia.reenact import LIP_POINTS, canonical_transform

    idx = np.array(sorted(meshes))
    gaps, lips = [], []
    for i in idx:
        mesh = meshes[int(i)]
        to_canon, iod = canonical_transform(mesh)
        gap = fm.landmark_distance(mesh, fm.UPPER_LIP_CENTER, fm.LOWER_LIP_CENTER)
        gaps.append(gap / max(iod, 1e-6))
        pts = mesh[list(LIP_POINTS), :2].astype(np.float64)
        lips.append(pts @ to_canon[:, :2].T + to_canon[:, 2])
    frames = np.arange(n)
    opening: npt.NDArray[np.float64] = np.interp(frames, idx, gaps)
    moved = np.linalg.norm(np.diff(np.stack(lips), axis=0), axis=2).mean(axis=1)
    step = np.maximum(np.diff(idx), 1)
    speed: npt.NDArray[np.float64] = (
        np.interp(frames, idx[1:], moved / step) if len(idx) > 1 else np.zeros(n)
    )
    return opening, speed


def clip_sound(path: Path, fps: float, n: int, meshes: dict[int, FloatArray]) -> ClipSound:
    """Per clip frame: was the person speaking (audio over its own speech gate)? And the
    clip's band energies (``footage_audio``) and its own audio/video offset
    (``avsync.estimate_av_offset`` from the tracked mouth, applied only when its
    confidence is enough), so each frame is labelled with the sound of its own instant.

    A clip without audio counts as silent throughout, with no energies (the bank is then
    indexed by shape alone).
    """
    from avatarmedia.audio import load_audio
    from avatarmedia.avsync import estimate_av_offset
    from avatarmedia.metrics import loudness_envelope

    none = np.zeros((0, BANDS), np.float32)
    try:
        samples, sr = load_audio(path, target_sr=16000)
    except MediaInputError:
        return ClipSound(np.zeros(n, bool), none)
    db = loudness_envelope(samples, sr, fps, n)
    top = float(np.percentile(db, 95))
    floor = float(np.percentile(db, 10))
    if top - floor < 12.0:
        return ClipSound(np.zeros(n, bool), none)
    opening, speed = mouth_motion(meshes, n)
    est = estimate_av_offset(opening, speed, samples, sr, fps)
    offset = est.applied_s
    # The level heard at each frame's own instant (the sound recorded offset later).
    db = np.interp(np.arange(n) + offset * fps, np.arange(n), db)
    speaking: npt.NDArray[np.bool_] = db > floor + 0.35 * (top - floor)
    return ClipSound(
        speaking, band_energies(samples, sr), offset, est.confidence, np.asarray(samples), sr
    )


def _learn_mouth(
    sound: ClipSound, track: _Track, ok_frames: dict[int, bool], fps: float, n: int
) -> MouthFit | None:
    """The clip's own audio-to-mouth model (``footage_a2m``): the shapes of every
    usable meshed frame from the sound at the frame's own instant; None without audio."""
    if sound.samples is None or sound.energies.shape[0] == 0:
        return None
    idx = [i for i in sorted(track.meshes) if ok_frames.get(i)]
    if not idx:
        return None
    x = frame_features(sound.samples, sound.sample_rate, fps, n, sound.offset_s)[idx]
    y = np.stack([mouth_features(track.meshes[i][:, :2])[:3] for i in idx]).astype(np.float64)
    stride = max(1, round(n / max(len(track.meshes), 1)))
    return fit_mouth_model(x, y, guard_frames(fps / stride))


# -- the motion base ------------------------------------------------------------------


def pose_of(mesh: np.ndarray) -> tuple[float, ...]:
    """Head pose from 2D landmarks only: roll (degrees), turn and nod (nose tip offset
    from the cheeks' and eyes' midpoints), centre and size; lengths in % of the
    inter-ocular distance. Smoother through a track than the 3D estimate."""
    p = mesh[:, :2].astype(np.float64)
    eye = p[fm.LEFT_EYE_OUTER] - p[fm.RIGHT_EYE_OUTER]
    iod = max(float(np.hypot(*eye)), 1.0)
    roll = math.degrees(math.atan2(eye[1], eye[0]))
    c, s = eye / iod
    rot = np.array([[c, s], [-s, c]])
    nose = rot @ (p[fm.NOSE_TIP] - (p[fm.CHEEK_RIGHT] + p[fm.CHEEK_LEFT]) / 2)
    nod = rot @ (p[fm.NOSE_TIP] - (p[fm.RIGHT_EYE_OUTER] + p[fm.LEFT_EYE_OUTER]) / 2)
    centre = p[list(fm.STABLE)].mean(axis=0)
    return roll, 100 * nose[0] / iod, 100 * nod[1] / iod, centre[0], centre[1], iod


def pose_vectors(meshes: dict[int, FloatArray], n: int) -> FloatArray:
    """(n, 6) head poses (``pose_of``; centre and size in % of the clip's median
    inter-ocular distance), lightly smoothed; frames without a mesh are interpolated."""
    idx = np.array(sorted(meshes))
    arr = np.array([pose_of(meshes[int(i)]) for i in idx], np.float64)
    iod = float(np.median(arr[:, 5]))
    arr[:, 3:6] *= 100.0 / max(iod, 1.0)
    out = np.stack([np.interp(np.arange(n), idx, arr[:, k]) for k in range(6)], axis=1)
    smooth = cv2.GaussianBlur(out, (1, 5), 0, sigmaY=1.0, borderType=cv2.BORDER_REPLICATE)
    result: FloatArray = np.asarray(smooth, np.float32)
    return result


def pose_jump(a: np.ndarray, b: np.ndarray) -> float:
    """One number for how far two head poses are apart (degrees ~ % of inter-ocular)."""
    return float(np.linalg.norm(a - b))


def eye_openness(meshes: dict[int, FloatArray], n: int) -> FloatArray:
    """(n, 2) lid gap / inter-ocular distance of each eye per clip frame (unmeshed
    frames interpolated)."""
    idx = np.array(sorted(meshes))
    lids = np.array(
        [
            [
                fm.landmark_distance(meshes[int(i)], fm.RIGHT_EYE_TOP, fm.RIGHT_EYE_BOTTOM),
                fm.landmark_distance(meshes[int(i)], fm.LEFT_EYE_TOP, fm.LEFT_EYE_BOTTOM),
            ]
            for i in idx
        ]
    ) / np.array([[max(interocular(meshes[int(i)]), 1.0)] for i in idx])
    out: FloatArray = np.stack(
        [np.interp(np.arange(n), idx, lids[:, k]) for k in range(2)], axis=1
    ).astype(np.float32)
    return out


def eyes_shut(openness: FloatArray, fps: float = 25.0) -> npt.NDArray[np.bool_]:
    """Per clip frame: is either eye less than ``EYE_SHUT`` of its own usual opening,
    or a dip under ``EYE_DIP`` of its widest within ``DIP_REACH_S`` (a blink, a squint,
    a wink)? Loops must not cut or turn beside one: a ping-pong turn just after a
    blink plays it again backwards (a double blink), and a cross-faded cut shows two
    pairs of lids. The dip test is there because the mesh's lids follow a real blink
    only part of the way (on en_woman_talking_8s a full blink reads 0.78 of the usual
    opening, and looking down reads the same, so a fixed threshold misses one or flags
    both)."""
    usual = np.median(openness, axis=0)
    reach = max(1, round(DIP_REACH_S * fps))
    widest = maximum_filter1d(openness, size=2 * reach + 1, axis=0, mode="nearest")
    low = (openness < EYE_SHUT * usual) | (openness < EYE_DIP * widest)
    shut: npt.NDArray[np.bool_] = low.any(axis=1)
    return shut


def blink_bottoms(openness: FloatArray, shut: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """The most closed frame of each run of shut frames. A ping-pong may turn there:
    the lids close, and the same frames played backwards open them again, which is one
    whole blink (turning anywhere else near a blink plays a double or a half blink)."""
    out = np.zeros(len(shut), bool)
    level = openness.min(axis=1)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], shut.astype(np.int8), [0]])))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        out[start + int(np.argmin(level[start:stop]))] = True
    return out


def _near(flags: npt.NDArray[np.bool_], i: int, reach: int) -> bool:
    """Any flag within ``reach`` frames of frame ``i``."""
    return bool(flags[max(0, i - reach) : i + reach + 1].any())


def choose_loop(
    poses: FloatArray,
    thumbs: FloatArray,
    ok: npt.NDArray[np.bool_],
    speaking: npt.NDArray[np.bool_],
    fps: float,
    shut: npt.NDArray[np.bool_] | None = None,
) -> tuple[int, int, float]:
    """The loop [a, b) whose end meets its start best: (a, b, cost).

    Cost: head-pose and picture difference between frames b and a (in units of the
    clip's own frame-to-frame 95th percentile), plus the share of speech and of fast
    head motion inside (quiet, calm stretches are preferred), minus a bonus for length
    (long loops repeat less visibly), plus a penalty for a cut beside a blink (``shut``:
    the cross-fade would show two pairs of lids). Blinks inside a forward loop are
    played as they happened and are welcome. Every frame inside must be usable.
    """
    n = len(poses)
    shut = shut if shut is not None else np.zeros(n, bool)
    steps = np.array([pose_jump(poses[i], poses[i + 1]) for i in range(n - 1)] or [1.0])
    p95 = max(float(np.percentile(steps, 95)), 0.3)
    tsteps = np.abs(np.diff(thumbs, axis=0)).mean(axis=(1, 2)) if n > 1 else np.ones(1)
    t95 = max(float(np.percentile(tsteps, 95)), 0.5)
    speed = np.concatenate([[0.0], steps]) / p95
    bad = np.concatenate([[0], np.cumsum(~ok)])
    talk = np.concatenate([[0.0], np.cumsum(speaking.astype(np.float64))])
    fast = np.concatenate([[0.0], np.cumsum(speed > 1.0)])
    lo = max(2, round(LOOP_MIN_S * fps))
    hi = min(n - 1, round(LOOP_MAX_S * fps))
    limit = min(n, round(LOOP_SEARCH_S * fps))
    best = (0, 0, math.inf)
    stride = max(1, round(fps / 12.5))
    k = min(CROSSFADE_FRAMES, n // 4)
    for a in range(k, limit - lo, stride):
        for b in range(a + lo, min(limit, a + hi + 1), stride):
            if bad[b + 1] - bad[a]:
                break
            length = b - a
            jump = sum(pose_jump(poses[a - d], poses[b - d]) for d in (0, k // 2, k)) / 3 / p95
            look = float(np.abs(thumbs[a] - thumbs[b]).mean()) / t95
            cost = (
                2.0 * jump
                + 0.5 * look
                + 0.4 * (talk[b] - talk[a]) / length
                + 0.3 * (fast[b] - fast[a]) / length
                + 2.0 * (_near(shut, a, BLINK_REACH) or _near(shut, b, BLINK_REACH))
                - 1.0 * length / (LOOP_MAX_S * fps)
            )
            if cost < best[2]:
                best = (a, b, cost)
    return best


def choose_pingpong(
    poses: FloatArray,
    ok: npt.NDArray[np.bool_],
    speaking: npt.NDArray[np.bool_],
    fps: float,
    shut: npt.NDArray[np.bool_] | None = None,
    bottoms: npt.NDArray[np.bool_] | None = None,
) -> tuple[int, int, float]:
    """A stretch [a, b) to play forward then backward: (a, b, cost).

    Used when no forward loop closes (the head drifts one way through the clip). The
    turns have no pose jump at all; they are put where the head is slowest and no blink
    is within ``TURN_CLEAR_S`` (or, when the clip leaves no such stretch, at a blink's
    most closed frame, ``blink_bottoms``: a whole blink), and quiet, calm stretches with
    few shut-eye frames are preferred (each is played twice, once backwards, which is
    what makes a wink stand out).
    """
    n = len(poses)
    shut = shut if shut is not None else np.zeros(n, bool)
    closed = np.concatenate([[0.0], np.cumsum(shut.astype(np.float64))])
    clear = max(1, round(TURN_CLEAR_S * fps))
    bottoms = bottoms if bottoms is not None else np.zeros(n, bool)

    def turn_cost(i: int) -> float:
        if not _near(shut, i, clear):
            return 0.0
        return 0.3 if bottoms[i] else 2.0

    steps = np.array([pose_jump(poses[i], poses[i + 1]) for i in range(n - 1)] or [1.0])
    p95 = max(float(np.percentile(steps, 95)), 0.3)
    speed = np.concatenate([[steps[0]], steps]) / p95
    bad = np.concatenate([[0], np.cumsum(~ok)])
    talk = np.concatenate([[0.0], np.cumsum(speaking.astype(np.float64))])
    lo = max(2, round(LOOP_MIN_S * fps / 2))
    hi = min(n - 1, round(LOOP_MAX_S * fps / 2))
    limit = min(n, round(LOOP_SEARCH_S * fps))
    best = (0, 0, math.inf)
    stride = max(1, round(fps / 12.5))
    for a in range(0, limit - lo, stride):
        for b in range(a + lo, min(limit, a + hi + 1), stride):
            if bad[b] - bad[a]:
                break
            length = b - a
            cost = (
                speed[a]
                + speed[b - 1]
                + 0.4 * (talk[b] - talk[a]) / length
                + 1.5 * (closed[b] - closed[a]) / length
                + max(turn_cost(a), turn_cost(b - 1))
                - 1.0 * length / (LOOP_MAX_S * fps / 2)
            )
            if cost < best[2]:
                best = (a, b, cost)
    return best


# -- the analysis -------------------------------------------------------------------


def _still(reason: str, frame: ImageArray | None, timings: dict[str, float]) -> Analysis:
    log.info("footage analysis: still avatar: %s", reason)
    return Analysis(None, reason, frame, timings)


def _thumb(frame: Any) -> FloatArray:
    """A 32x32 grey picture of a decoded frame (loop cut points compare these)."""
    grey = frame.to_ndarray(format="gray", width=128, height=128)
    out: FloatArray = np.asarray(
        cv2.resize(grey, (32, 32), interpolation=cv2.INTER_AREA), np.float32
    )
    return out


def _track_clip(path: Path, bank: list[_Bank], canon_box: list[_Canon]) -> _Track:
    """Pass 1: decode, mesh (with a stride in long clips), sample mouths, thumbnails.

    Only meshed frames are converted at the stored size; the others give a thumbnail
    while they can still start or end a loop (``LOOP_SEARCH_S``) and are otherwise
    only decoded (the codec needs them).
    """
    container, stream = _open_video(path)
    w, h = stream.codec_context.width, stream.codec_context.height
    fps = float(stream.average_rate or 25)
    expected = int(stream.frames or (float(container.duration or 0) / 1e6 * fps))
    track = _Track(size=_store_size(w, h))
    stride = max(1, math.ceil(expected / MAX_MESHED_FRAMES))
    limit = round(LOOP_SEARCH_S * fps) + 1
    tracker: MeshTracker | None = None
    try:
        for i, frame in enumerate(container.decode(stream)):
            track.n_frames = i + 1
            if i < limit:
                track.thumbs.append(_thumb(frame))
            if i % stride:
                continue
            full = frame.to_ndarray(format="rgb24", width=track.size[0], height=track.size[1])
            small, k = _analysis_image(full)
            tracker = tracker or MeshTracker(k)
            mesh, presence = tracker(small)
            if mesh is None:
                continue
            track.meshes[i] = mesh
            track.presence[i] = presence
            if not usable(mesh, presence):
                continue
            if not canon_box:
                canon_box.append(_Canon.from_mesh(mesh))
            bank[0].add(canon_box[0], full, mesh[:, :2], i)
    except av.error.FFmpegError as exc:
        raise MediaInputError(f"cannot decode the clip: {exc}") from exc
    finally:
        container.close()
    return track


def _portrait_pick(track: _Track, ok: dict[int, bool], a: int, b: int) -> int:
    """The loop frame (or any usable one) most frontal, eyes open, mouth closed."""

    def score(i: int) -> float:
        m = track.meshes[i]
        yaw, pitch, _ = fm.head_pose(m)
        m = m[:, :2]
        iod = max(interocular(m), 1.0)
        gap = fm.landmark_distance(m, fm.UPPER_LIP_CENTER, fm.LOWER_LIP_CENTER) / iod
        eyes = fm.landmark_distance(m, fm.RIGHT_EYE_TOP, fm.RIGHT_EYE_BOTTOM)
        eyes += fm.landmark_distance(m, fm.LEFT_EYE_TOP, fm.LEFT_EYE_BOTTOM)
        return eyes / iod - 2.0 * gap - 0.002 * (abs(yaw) + abs(pitch))

    pool = [i for i in track.meshes if ok.get(i) and a <= i < b] or [
        i for i in track.meshes if ok.get(i)
    ]
    return max(pool, key=score)


def analyse_clip(path: str | Path, *, learn_mouth: bool = False) -> Analysis:
    """Analyse a talking-head clip once; see the module docstring.

    ``learn_mouth``: also fit the clip's own audio-to-mouth model (``footage_a2m``)
    and store it when its cross-validated skill allows. Off by default: on the
    fixture clips (5-7 s of training speech) it did not beat the generic track
    (docs/avatars.md, "A per-avatar audio-to-mouth model").
    """
    path = Path(path)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    banks = [_Bank()]
    canon: list[_Canon] = []
    track = _track_clip(path, banks, canon)
    timings["track_s"] = time.perf_counter() - t0
    container, stream = _open_video(path)
    fps = float(stream.average_rate or 25)
    container.close()
    n = track.n_frames
    if n == 0:
        raise MediaInputError("the clip has no frames")
    if n / fps < MIN_CLIP_S:
        return _still(
            f"the clip lasts {n / fps:.1f} s; footage needs at least {MIN_CLIP_S:g} s",
            None,
            timings,
        )
    if not track.meshes:
        raise NoFaceError("no face found in the video")
    ok_frames = {i: usable(m, track.presence[i]) for i, m in track.meshes.items()}
    share = sum(ok_frames.values()) / len(track.meshes)
    bank = banks[0]
    stride = max(1, round(n / max(len(track.meshes), 1)))
    if share < MIN_USABLE_SHARE or not canon:
        return _still(
            f"the face is turned away or unclear in {100 * (1 - share):.0f} % of the clip",
            None,
            timings,
        )
    if len(bank.jpegs) < MIN_BANK or len(bank.jpegs) * stride / fps < MIN_USABLE_S:
        return _still("too few usable frontal frames for a mouth bank", None, timings)
    sound = clip_sound(path, fps, n, track.meshes)
    speaking = sound.speaking
    timings["audio_s"] = time.perf_counter() - t0 - sum(timings.values())
    fit = _learn_mouth(sound, track, ok_frames, fps, n) if learn_mouth else None
    if learn_mouth:
        timings["mouth_model_s"] = time.perf_counter() - t0 - sum(timings.values())
    poses = pose_vectors(track.meshes, n)
    ok = np.zeros(n, bool)
    idx = sorted(track.meshes)
    for j, i in enumerate(idx):
        nxt = idx[j + 1] if j + 1 < len(idx) else i + 1
        if ok_frames[i] and (j + 1 >= len(idx) or ok_frames[nxt]):
            ok[i:nxt] = True
    eyes = eye_openness(track.meshes, n)
    shut = eyes_shut(eyes, fps)
    a, b, cost = choose_loop(poses, np.stack(track.thumbs), ok, speaking, fps, shut)
    p95 = _p95_step(poses)
    mode = "loop"
    jump = pose_jump(poses[a], poses[b]) if b > a else math.inf
    if jump > p95:
        pa, pb, pcost = choose_pingpong(poses, ok, speaking, fps, shut, blink_bottoms(eyes, shut))
        if pb > pa:
            a, b, cost, mode = pa, pb, pcost, "pingpong"
    if b <= a:
        return _still(
            f"no stretch of the clip keeps the face usable for {LOOP_MIN_S:g} s", None, timings
        )
    pick = _portrait_pick(track, ok_frames, a, b)
    loop = build_loop(path, track.size, a, b, fps, keep=pick, pingpong=mode == "pingpong")
    timings["loop_s"] = time.perf_counter() - t0 - sum(timings.values())
    portrait_frame = loop.portrait
    keep = _thin(len(bank.jpegs))
    offsets = np.concatenate([[0], np.cumsum([len(bank.jpegs[i]) for i in keep])])
    footage = Footage(
        fps=fps,
        loop_video=loop.video,
        loop_meshes=loop.meshes,
        loop_size=track.size,
        patch_size=canon[0].size,
        bank_jpeg=b"".join(bank.jpegs[i] for i in keep),
        bank_offsets=offsets.astype(np.int64),
        bank_meshes=np.stack([bank.meshes[i] for i in keep]).astype(np.float32),
        bank_features=np.stack([bank.features[i] for i in keep]).astype(np.float32),
        bank_source=np.array([bank.source[i] for i in keep], np.int32),
        bank_speaking=np.array([bool(speaking[bank.source[i]]) for i in keep]),
        clip_audio=sound.energies,
        mouth_model=fit.model if fit is not None else None,
        info={
            "clip_frames": n,
            "clip_fps": fps,
            "loop": [a, b],
            "mode": mode,
            "loop_cost": round(float(cost), 3),
            "loop_shut_share": round(float(shut[a:b].mean()), 3),
            "usable_share": round(share, 3),
            "mesh_stride": stride,
            "av_offset_s": round(sound.offset_s, 3),
            "av_sync_confidence": (
                round(sound.sync_confidence, 3) if math.isfinite(sound.sync_confidence) else None
            ),
            "pose_p95": round(p95, 3),
            **({"mouth_model": fit.info()} if fit is not None else {}),
            "loop_jump": round(0.0 if mode == "pingpong" else pose_jump(poses[a], poses[b]), 3),
        },
    )
    timings["total_s"] = time.perf_counter() - t0
    footage.info["timings"] = {k: round(v, 3) for k, v in timings.items()}
    return Analysis(footage, "the clip's own frames and mouth samples", portrait_frame, timings)


def _p95_step(poses: FloatArray) -> float:
    steps = [pose_jump(poses[i], poses[i + 1]) for i in range(len(poses) - 1)]
    return float(np.percentile(steps, 95)) if steps else 0.0


def _thin(n: int) -> list[int]:
    """Indices kept when the bank holds more samples than ``MAX_BANK`` (evenly spread)."""
    if n <= MAX_BANK:
        return list(range(n))
    return sorted({round(i * (n - 1) / (MAX_BANK - 1)) for i in range(MAX_BANK)})


@dataclass
class _Loop:
    video: bytes
    meshes: FloatArray
    portrait: ImageArray | None


def build_loop(
    path: Path,
    size: tuple[int, int],
    a: int,
    b: int,
    fps: float,
    keep: int = -1,
    pingpong: bool = False,
) -> _Loop:
    """Pass 2: frames [a, b) re-encoded, the cut at b -> a cross-faded, meshed per frame.

    The last ``CROSSFADE_FRAMES`` of the loop fade into the frames just before ``a``
    (``choose_loop`` starts loops late enough to have them), so the frame after the
    loop's last is its natural successor. Frames stream through (only the fade's
    frames are held); frame ``keep`` is returned as the portrait. With ``pingpong``
    the stretch is stored forward then backward (no fade, no cut).
    """
    k = 0 if pingpong else min(CROSSFADE_FRAMES, a, (b - a) // 3)
    back: list[ImageArray] = []
    lead: dict[int, ImageArray] = {}
    meshes: list[FloatArray] = []
    portrait: ImageArray | None = None
    tracker: MeshTracker | None = None
    with tempfile.TemporaryDirectory(prefix="footage-") as tmp:
        target = Path(tmp) / "loop.mp4"
        enc = VideoEncoder(target, size[0], size[1], fps, preset="ultrafast", crf=17)
        for i, fr in decode_frames(path, size, stop=b):
            if a - k <= i < a:
                lead[i] = fr
            if i < a:
                continue
            if i == keep:
                portrait = fr
            if k and i >= b - k:
                w = (i - (b - k) + 1) / (k + 1)
                fr = cv2.addWeighted(fr, 1 - w, lead[a - (b - i)], w, 0)
            small, scale = _analysis_image(fr)
            tracker = tracker or MeshTracker(scale)
            mesh, _presence = tracker(small)
            if mesh is None and not meshes:
                raise NoFaceError("the face is lost in the chosen loop")
            meshes.append(mesh[:, :2].astype(np.float32) if mesh is not None else meshes[-1])
            enc.write(fr)
            if pingpong and a < i < b - 1:
                back.append(fr)
        if len(meshes) < b - a:
            raise MediaInputError("the clip ended before its analysed length")
        for j, fr in enumerate(back[::-1]):
            enc.write(fr)
            meshes.append(meshes[b - a - 2 - j])
        enc.close()
        video = target.read_bytes()
    return _Loop(video=video, meshes=np.stack(meshes), portrait=portrait)
