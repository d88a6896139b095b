"""The automatic consent check: can this clip be a person's consent, and does the face
in it look like the avatar's source?

Two kinds of finding, kept apart on purpose (docs/consent.md):

- **problems**, strong evidence that the clip cannot be consent at all: no face in any
  sampled frame, several people in most of it, a face never turned to the camera, no
  sound or under a second of voiced audio. An operator may let these reject at once
  (``AVATARMESH_AVATAR_REVIEW_MODE=automatic``).
- **notes**, weak evidence for the human reviewer: the face-mesh geometry distance
  between the consent face and the source's face. No face-recognition model can be
  installed offline; this geometry separates same-person from different-person pairs
  with ROC AUC 0.776 on the fixtures (``tests/bench/bench_face_identity.py``), which is
  not enough to approve or reject anyone, so it never decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from avatarmedia.audio import load_audio
from avatarmedia.errors import MediaInputError
from avatarmedia.face import (
    LEFT_EYE_INNER,
    LEFT_EYE_OUTER,
    MAX_PITCH_DEG,
    MAX_YAW_DEG,
    RIGHT_EYE_INNER,
    RIGHT_EYE_OUTER,
    detect_faces,
    find_face,
)
from avatarmedia.footage import decode_frames

SAMPLE_FRAMES = 8
ANALYSIS_SIDE = 640
MIN_FACE_PX = 60
# A second face counts as a person in the clip when it is at least this share of the
# largest face's size (a small face on a poster behind does not).
SECOND_FACE_SHARE = 0.4
MIN_SPEECH_S = 1.0
SPEECH_SR = 16000
SPEECH_FRAME_S = 0.03
# bench_face_identity.py's best balanced-accuracy threshold (0.757 at AUC 0.776).
IDENTITY_THRESHOLD = 0.080
# Rigid landmarks of the 468-point mesh (brows, eyes, nose, jaw line, forehead); the
# mouth is left out because speech moves it.
RIGID = (
    *(70, 63, 105, 66, 107, 336, 296, 334, 293, 300),
    *(33, 133, 159, 145, 362, 263, 386, 374),
    *(168, 6, 197, 195, 5, 4, 1, 98, 327, 129, 358),
    *(234, 93, 132, 58, 172, 136, 150, 149, 176, 148, 152),
    *(377, 400, 378, 379, 365, 397, 288, 361, 323, 454),
    *(10, 338, 297, 332, 284, 109, 67, 103, 54, 21),
)
RIGHT_EYE_CORNERS = [RIGHT_EYE_OUTER, RIGHT_EYE_INNER]
LEFT_EYE_CORNERS = [LEFT_EYE_INNER, LEFT_EYE_OUTER]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ConsentFindings:
    frames: int
    frames_one_face: int
    frames_frontal: int
    frames_several_faces: int
    speech_seconds: float
    identity_distance: float | None
    problems: tuple[str, ...]
    notes: tuple[str, ...]


def identity_descriptor(mesh: np.ndarray) -> FloatArray:
    """The rigid landmarks aligned by the eye centres (similarity transform), scaled by
    the eye distance: what stays when expression and head position change."""
    pts = np.asarray(mesh, dtype=np.float64)[:, :2]
    right, left = pts[RIGHT_EYE_CORNERS].mean(axis=0), pts[LEFT_EYE_CORNERS].mean(axis=0)
    centre, axis = (right + left) / 2, left - right
    scale = float(np.linalg.norm(axis)) or 1.0
    cos, sin = axis / scale
    rot = np.array([[cos, sin], [-sin, cos]])
    return np.asarray(((pts[list(RIGID)] - centre) @ rot.T / scale).reshape(-1))


def identity_distance(a: FloatArray, b: FloatArray) -> float:
    """RMS difference of two descriptors (0: the same geometry)."""
    return float(np.sqrt(np.mean((a - b) ** 2)))


def face_descriptor(image: np.ndarray) -> FloatArray | None:
    """The descriptor of an image's largest face (None without one)."""
    try:
        face = find_face(_small(image), min_size=MIN_FACE_PX, require_frontal=False)
    except MediaInputError:
        return None
    return identity_descriptor(face.mesh)


def check_consent(clip: Path, source_face: FloatArray | None) -> ConsentFindings:
    """Sample the clip's frames and sound; compare its face with ``source_face`` (the
    source portrait's descriptor) when there is one. Raises ``MediaInputError`` only
    when the clip cannot be decoded at all."""
    frames = sampled_frames(clip, SAMPLE_FRAMES)
    one = frontal = several = 0
    descriptors: list[FloatArray] = []
    for frame in frames:
        faces = _people(frame)
        several += faces >= 2
        one += faces == 1
        if faces != 1:
            continue
        try:
            face = find_face(frame, min_size=MIN_FACE_PX, require_frontal=False)
        except MediaInputError:
            continue
        if abs(face.yaw_deg) <= MAX_YAW_DEG and abs(face.pitch_deg) <= MAX_PITCH_DEG:
            frontal += 1
            descriptors.append(identity_descriptor(face.mesh))
    speech = speech_seconds(clip)
    distance = None
    if source_face is not None and descriptors:
        distance = float(np.median([identity_distance(d, source_face) for d in descriptors]))
    found = (len(frames), one, frontal, several)
    return ConsentFindings(
        *found,
        speech_seconds=speech,
        identity_distance=distance,
        problems=problems(*found, speech),
        notes=notes(distance, source_face is not None),
    )


def problems(frames: int, one: int, frontal: int, several: int, speech: float) -> tuple[str, ...]:
    """Strong evidence the clip cannot be consent (each a sentence for the owner)."""
    found: list[str] = []
    if frames == 0 or (one == 0 and several == 0):
        found.append("no face is visible in the consent clip")
    elif several * 2 > frames:
        found.append("more than one person is visible in most of the consent clip")
    elif frontal == 0:
        found.append("the face in the consent clip never looks at the camera")
    if speech < MIN_SPEECH_S:
        found.append(
            f"no speech is heard in the consent clip ({speech:.1f} s of voice; "
            f"at least {MIN_SPEECH_S:.0f} s is needed)"
        )
    return tuple(found)


def notes(distance: float | None, compared: bool) -> tuple[str, ...]:
    """Weak evidence for the reviewer: never a reason to approve or reject by itself."""
    if not compared:
        return ("no source face to compare with (a drawn portrait): compare by eye",)
    if distance is None:
        return ("no frontal face in the consent clip to compare with the source",)
    verdict = "differs from" if distance > IDENTITY_THRESHOLD else "is consistent with"
    return (
        f"face geometry {verdict} the source's (distance {distance:.3f}, threshold "
        f"{IDENTITY_THRESHOLD:.3f}); this measure separates people with ROC AUC 0.776, "
        "so compare the faces by eye",
    )


def sampled_frames(clip: Path, count: int) -> list[np.ndarray]:
    """``count`` frames spread over the clip (its first frames when the length is not
    in the header), at most ``ANALYSIS_SIDE`` pixels on the long side."""
    total = _frame_count(clip)
    wanted = {int(i) for i in np.linspace(0, total - 1, count)} if total else set(range(count))
    out: list[np.ndarray] = []
    for i, frame in decode_frames(clip, stop=max(wanted) + 1):
        if i in wanted:
            out.append(_small(frame))
    return out


def speech_seconds(clip: Path) -> float:
    """Seconds of voiced sound: 30 ms frames louder than both 4x the clip's quiet floor
    (its 10th-percentile frame) and an absolute floor. Not speech recognition: a clip
    of music would pass; the reviewer listens."""
    try:
        samples, _sr = load_audio(clip, SPEECH_SR)
    except MediaInputError:
        return 0.0
    hop = int(SPEECH_SR * SPEECH_FRAME_S)
    n = len(samples) // hop
    if n == 0:
        return 0.0
    rms = np.sqrt(np.mean(samples[: n * hop].reshape(n, hop) ** 2, axis=1))
    floor = float(np.percentile(rms, 10))
    voiced = rms > max(4 * floor, 0.01)
    return round(float(voiced.sum()) * SPEECH_FRAME_S, 2)


def _people(frame: np.ndarray) -> int:
    boxes = detect_faces(frame, min_size=MIN_FACE_PX)
    if not boxes:
        return 0
    largest = max(max(b.box[2], b.box[3]) for b in boxes)
    return sum(max(b.box[2], b.box[3]) >= SECOND_FACE_SHARE * largest for b in boxes)


def _frame_count(clip: Path) -> int:
    import av

    try:
        with av.open(str(clip)) as container:
            if not container.streams.video:
                raise MediaInputError("the consent clip has no video stream")
            stream = container.streams.video[0]
            if stream.frames:
                return int(stream.frames)
            if stream.duration and stream.time_base and stream.average_rate:
                return int(float(stream.duration * stream.time_base * stream.average_rate))
    except av.error.FFmpegError as exc:
        raise MediaInputError(f"cannot read the consent clip: {exc}") from exc
    return 0


def _small(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    k = ANALYSIS_SIDE / max(h, w)
    if k >= 1:
        return image
    return cv2.resize(image, (int(w * k), int(h * k)), interpolation=cv2.INTER_AREA)
