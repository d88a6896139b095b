"""Face detection (BlazeFace short range) and the 468-point face mesh, run by LiteRT.

Both models come from the ``mediapipe==0.10.21`` wheel (see ``models.py``). The
detector sees the whole image letterboxed to 128x128 and, when that finds nothing in
a large image, overlapping tiles small enough that a minimum-size face is visible to
it (``detect_faces``); the mesh model sees a 192x192
crop around the face, rotated so the eye line is level, and is run twice (the second
time on a crop refined from the first mesh), as MediaPipe's tracking graph does.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from avatarmedia.errors import FaceNotFrontalError, FaceTooSmallError, MediaInputError, NoFaceError
from avatarmedia.models import model_path

FloatArray = npt.NDArray[np.float32]
ImageArray = npt.NDArray[np.uint8]

DETECT_SIZE = 128
MESH_SIZE = 192
SCORE_THRESHOLD = 0.7
# The detector finds faces down to about this fraction of its input side (26 px of 128).
TILE_FACE_FRACTION = 0.2
MAX_YAW_DEG = 32.0
MAX_PITCH_DEG = 35.0

# Mesh landmark indices used across the engine.
LIPS_OUTER = (
    61,
    146,
    91,
    181,
    84,
    17,
    314,
    405,
    321,
    375,
    291,
    409,
    270,
    269,
    267,
    0,
    37,
    39,
    40,
    185,
)
LIPS_INNER_UPPER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIPS_INNER_LOWER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
LIPS_OUTER_UPPER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIPS_OUTER_LOWER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
FACE_OVAL = (
    10,
    338,
    297,
    332,
    284,
    251,
    389,
    356,
    454,
    323,
    361,
    288,
    397,
    365,
    379,
    378,
    400,
    377,
    152,
    148,
    176,
    149,
    150,
    136,
    172,
    58,
    132,
    93,
    234,
    127,
    162,
    21,
    54,
    103,
    67,
    109,
)
RIGHT_EYE = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
LEFT_EYE = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
RIGHT_BROW = (70, 63, 105, 66, 107, 55, 65, 52, 53, 46)
LEFT_BROW = (300, 293, 334, 296, 336, 285, 295, 282, 283, 276)
# Single landmarks. "Right" and "left" are the subject's (the image's left and right).
UPPER_LIP_CENTER, LOWER_LIP_CENTER = 13, 14  # the inner lip line at the middle
UPPER_LIP_TOP, LOWER_LIP_BOTTOM = 0, 17  # the outer lip line at the middle
MOUTH_RIGHT, MOUTH_LEFT = 61, 291  # the mouth corners
FOREHEAD, CHIN, NOSE_TIP, NOSE_BASE = 10, 152, 1, 2
CHEEK_RIGHT, CHEEK_LEFT = 234, 454
RIGHT_EYE_OUTER, RIGHT_EYE_INNER = 33, 133  # the eye corners
LEFT_EYE_OUTER, LEFT_EYE_INNER = 263, 362
RIGHT_EYE_TOP, RIGHT_EYE_BOTTOM = 159, 145  # the eyelids at the middle
LEFT_EYE_TOP, LEFT_EYE_BOTTOM = 386, 374
JAW_RIGHT, JAW_LEFT = 172, 397  # the jaw's corners below the ears
MOUTH_INNER_RIGHT, MOUTH_INNER_LEFT = 78, 308  # the inner lip line's corners
CHEEK_APPLE_RIGHT, CHEEK_APPLE_LEFT = 50, 280  # mid-cheek, below the eyes: plain skin
CHEEK_INNER_RIGHT, CHEEK_INNER_LEFT = 101, 330  # the cheek beside the nose
NOSE_BRIDGE_LOW, NOSE_ABOVE_TIP = 195, 5  # the nose's ridge: lower bridge, above the tip
# The face outline at cheek height, from the cheek down towards the jaw.
FACE_SIDE_RIGHT = (CHEEK_RIGHT, 93, 132)
FACE_SIDE_LEFT = (CHEEK_LEFT, 323, 361)
# The inner lip line as one ring: the upper line corner to corner, then the lower back.
LIPS_INNER = LIPS_INNER_UPPER + LIPS_INNER_LOWER[-2:0:-1]
# Landmarks that do not move with the jaw or lips: eye corners, nose, upper cheeks (the
# footage code fits one face onto another with them).
STABLE = (
    33,
    133,
    362,
    263,
    168,
    6,
    197,
    195,
    5,
    4,
    1,
    98,
    327,
    234,
    454,
    93,
    323,
    116,
    345,
    50,
    280,
)
# The jaw line from below one ear, through the chin, to below the other.
JAW_LINE = (58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288)
# Across the skin between the nose and the upper lip, nostril wing to nostril wing.
UNDER_NOSE = (207, 98, 97, 2, 326, 327, 427)
# The chin's outline: the chin point and the three landmarks either side of it.
CHIN_OUTLINE = (152, 148, 176, 149, 377, 400, 378)
# The nostrils' openings and rims (right then left).
NOSTRILS = (79, 238, 241, 242, 20, 60, 99, 309, 458, 461, 462, 250, 290, 328)
# The lower nose's tip, wings and base, around the nostrils.
NOSE_OUTLINE = (1, 4, 45, 275, 48, 278, 64, 294, 240, 460, 98, 327, 97, 326, 2, 94, 19, 75, 305)
# The lower nose: nothing of a mouth sample may show here (a sample's nostrils a pixel
# off the frame's ghost as a doubled, greyed band).
LOWER_NOSE = NOSE_OUTLINE + NOSTRILS
# The upper lip's outer and inner lines without the mouth corners: it hangs from the
# skull, so warping the frame's jaw to a sample's must leave it where it is.
UPPER_LIP = LIPS_OUTER_UPPER[1:-1] + LIPS_INNER_UPPER[1:-1]
# The jaw's rear, below the ears: it hardly moves when the mouth opens.
JAW_REAR = (132, 361, 58, 288)
# Where a mouth sample is bent onto the frame exactly: everything of the face that does
# not move with the mouth (``STABLE``, the lower nose's outline, the jaw's rear). Not the
# nostril rims: a few pixels apart, with a turned head they ask the bend to fold
# sharply between them; the nostrils shown are the frame's own (the blend keeps off them).
BEND_ANCHORS = tuple(dict.fromkeys(STABLE + NOSE_OUTLINE + JAW_REAR))


@dataclass
class FaceBox:
    """A detection: box (x, y, w, h) in image pixels, score, six keypoints (x, y)."""

    box: tuple[float, float, float, float]
    score: float
    keypoints: FloatArray  # (6, 2): right eye, left eye, nose, mouth, right ear, left ear


@dataclass
class Face:
    """The face the animator works with: detection box plus the 468-point mesh."""

    box: tuple[float, float, float, float]
    score: float
    mesh: FloatArray  # (468, 3) in image pixels (z in the same pixel scale)
    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    presence: float

    @property
    def size(self) -> float:
        """Face size in pixels: the larger side of the detection box."""
        return float(max(self.box[2], self.box[3]))

    @property
    def height(self) -> float:
        """Forehead-to-chin distance in pixels."""
        return landmark_distance(self.mesh, FOREHEAD, CHIN)

    def mouth_opening(self) -> float:
        """Inner-lip gap as a fraction of the face height (``mouth_opening``)."""
        return mouth_opening(self.mesh)

    def eye_opening(self) -> float:
        """Mean eyelid gap of both eyes as a fraction of eye width."""
        m = self.mesh

        def dist(a: int, b: int) -> float:
            return landmark_distance(m, a, b)

        r = dist(RIGHT_EYE_TOP, RIGHT_EYE_BOTTOM) / max(dist(RIGHT_EYE_OUTER, RIGHT_EYE_INNER), 1.0)
        lf = dist(LEFT_EYE_TOP, LEFT_EYE_BOTTOM) / max(dist(LEFT_EYE_OUTER, LEFT_EYE_INNER), 1.0)
        return float((r + lf) / 2)


def landmark_distance(mesh: np.ndarray, a: int, b: int) -> float:
    """Distance in the image plane (x, y; never z) between landmarks ``a`` and ``b``."""
    return float(np.linalg.norm(mesh[a, :2] - mesh[b, :2]))


def mouth_opening(mesh: np.ndarray) -> float:
    """Inner-lip gap (the middle of the inner lip line) as a fraction of the
    forehead-to-chin height: 0 closed, about 0.1 wide open."""
    gap = landmark_distance(mesh, UPPER_LIP_CENTER, LOWER_LIP_CENTER)
    height = landmark_distance(mesh, FOREHEAD, CHIN)
    return gap / max(height, 1.0)


_local = threading.local()


def _interpreter(name: str) -> Any:
    cache: dict[str, Any] | None = getattr(_local, "interpreters", None)
    if cache is None:
        cache = {}
        _local.interpreters = cache
    if name not in cache:
        from ai_edge_litert.interpreter import Interpreter

        it = Interpreter(model_path=str(model_path(name)), num_threads=1)
        it.allocate_tensors()
        cache[name] = it
    return cache[name]


def _anchors() -> FloatArray:
    cached: FloatArray | None = getattr(_anchors, "cached", None)
    if cached is not None:
        return cached
    rows: list[tuple[float, float]] = []
    for stride, per_cell in ((8, 2), (16, 6)):
        n = DETECT_SIZE // stride
        for y in range(n):
            for x in range(n):
                for _ in range(per_cell):
                    rows.append(((x + 0.5) / n, (y + 0.5) / n))
    out = np.array(rows, dtype=np.float32)
    _anchors.cached = out  # type: ignore[attr-defined]
    return out


def _as_rgb(image: np.ndarray) -> ImageArray:
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or image.size == 0:
        raise MediaInputError("the image is empty or not a pixel array")
    img = image
    if img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    elif img.shape[2] == 4:
        img = np.ascontiguousarray(img[:, :, :3])
    return img


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ax2, ay2, bx2, by2 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0.0, min(ax2, bx2) - max(a[0], b[0]))
    ih = max(0.0, min(ay2, by2) - max(a[1], b[1]))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def _detect_square(img: ImageArray, threshold: float) -> list[FaceBox]:
    """BlazeFace on the image letterboxed to 128x128: every box over the threshold."""
    h, w = img.shape[:2]
    side = max(h, w)
    pad_x, pad_y = (side - w) / 2, (side - h) / 2
    square = cv2.copyMakeBorder(
        img,
        int(pad_y),
        side - h - int(pad_y),
        int(pad_x),
        side - w - int(pad_x),
        cv2.BORDER_CONSTANT,
        value=(0, 0, 0),
    )
    small = cv2.resize(square, (DETECT_SIZE, DETECT_SIZE), interpolation=cv2.INTER_AREA)
    x = (small.astype(np.float32) / 127.5 - 1.0)[None]
    it = _interpreter("face_detection_short_range.tflite")
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    outs = {d["name"]: it.get_tensor(d["index"]) for d in it.get_output_details()}
    reg = outs["regressors"][0]
    logits = np.clip(outs["classificators"][0, :, 0], -60, 60)
    scores = 1.0 / (1.0 + np.exp(-logits))
    anchors = _anchors()
    keep = np.nonzero(scores >= threshold)[0]
    cands: list[FaceBox] = []
    for i in keep[np.argsort(-scores[keep])]:
        r = reg[i] / DETECT_SIZE
        cx, cy = r[0] + anchors[i, 0], r[1] + anchors[i, 1]
        bw, bh = r[2], r[3]
        kps = r[4:16].reshape(6, 2) + anchors[i]
        box = ((cx - bw / 2) * side - pad_x, (cy - bh / 2) * side - pad_y, bw * side, bh * side)
        kp = (kps * side - np.array([pad_x, pad_y])).astype(np.float32)
        cands.append(FaceBox(tuple(float(v) for v in box), float(scores[i]), kp))  # type: ignore[arg-type]
    return cands


def _tile_starts(length: int, tile: int) -> list[int]:
    """Tile origins along one axis: half-tile steps, the last tile flush with the end."""
    if length <= tile:
        return [0]
    step = tile // 2
    starts = list(range(0, length - tile, step))
    return [*starts, length - tile]


def _tiled_candidates(img: ImageArray, tile: int, threshold: float) -> list[FaceBox]:
    """Detections over half-overlapping square tiles, mapped back to image pixels.

    A box cut by a tile edge inside the image is dropped: with half-tile steps, any face
    up to half a tile wide lies whole inside some other tile, which reports it.
    """
    h, w = img.shape[:2]
    margin = 0.02 * tile
    out: list[FaceBox] = []
    for y0 in _tile_starts(h, tile):
        for x0 in _tile_starts(w, tile):
            x1, y1 = min(w, x0 + tile), min(h, y0 + tile)
            for c in _detect_square(img[y0:y1, x0:x1], threshold):
                bx, by, bw, bh = c.box
                if (
                    (x0 > 0 and bx < margin)
                    or (y0 > 0 and by < margin)
                    or (x1 < w and bx + bw > (x1 - x0) - margin)
                    or (y1 < h and by + bh > (y1 - y0) - margin)
                ):
                    continue
                kp = (c.keypoints + np.array([x0, y0], np.float32)).astype(np.float32)
                out.append(FaceBox((bx + x0, by + y0, bw, bh), c.score, kp))
    return out


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over the smaller box (catches a box nested in another)."""
    iw = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    small = min(a[2] * a[3], b[2] * b[3])
    return iw * ih / small if small > 0 else 0.0


def _suppress(cands: list[FaceBox]) -> list[FaceBox]:
    """Non-maximum suppression by score; largest face first."""
    chosen: list[FaceBox] = []
    for c in sorted(cands, key=lambda f: -f.score):
        if all(_iou(c.box, k.box) < 0.3 and _overlap(c.box, k.box) < 0.6 for k in chosen):
            chosen.append(c)
    chosen.sort(key=lambda f: -f.box[2] * f.box[3])
    return chosen


def _refine(img: ImageArray, fb: FaceBox, threshold: float) -> FaceBox:
    """Re-detect a tile-pass face in a crop where it fills ~40 % of the side.

    A face found small in a tile gets a coarse box; seen at the scale a portrait is
    seen at, its box (and so the size checked against the minimum) matches what the
    whole-image pass would report for the same face in a smaller photo.
    """
    h, w = img.shape[:2]
    bx, by, bw, bh = fb.box
    side = int(max(bw, bh) * 2.5)
    x0 = round(bx + bw / 2 - side / 2)
    y0 = round(by + bh / 2 - side / 2)
    crop = np.zeros((side, side, 3), np.uint8)
    sx0, sy0, sx1, sy1 = max(0, x0), max(0, y0), min(w, x0 + side), min(h, y0 + side)
    if sx1 <= sx0 or sy1 <= sy0:
        return fb
    crop[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = img[sy0:sy1, sx0:sx1]
    best = max(_detect_square(crop, threshold), key=lambda c: c.score, default=None)
    if best is None:
        return fb
    cbx, cby, cbw, cbh = best.box
    box = (cbx + x0, cby + y0, cbw, cbh)
    if _iou(box, fb.box) < 0.3:
        return fb
    kp = (best.keypoints + np.array([x0, y0], np.float32)).astype(np.float32)
    return FaceBox(box, best.score, kp)


def detect_faces(
    image: np.ndarray, *, threshold: float = SCORE_THRESHOLD, min_size: float = 90.0
) -> list[FaceBox]:
    """Every face BlazeFace finds, largest first.

    The whole image is seen at 128x128, where a face under about a fifth of the long
    side is too small for the detector (a 100 px face in a 1600 px photo is 8 px).
    When that pass finds nothing, half-overlapping tiles are run at halving sizes until
    a ``min_size`` face is at least a fifth of a tile (about 26 px in the detector's
    input), stopping at the first tile size that finds a face (the largest ones); each
    such face is then re-detected at portrait scale for an accurate box.
    """
    img = _as_rgb(image)
    found = _suppress(_detect_square(img, threshold))
    tile = max(img.shape[:2])
    while not found and tile * TILE_FACE_FRACTION > min_size and tile // 2 >= DETECT_SIZE:
        tile //= 2
        found = _suppress(_tiled_candidates(img, tile, threshold))
        found = _suppress([_refine(img, f, threshold) for f in found])
    return found


def _run_mesh(
    img: ImageArray, center: tuple[float, float], size: float, angle: float
) -> tuple[FloatArray, float]:
    """Run the mesh model on a square crop (center, side, rotation in radians)."""
    cos, sin = math.cos(angle), math.sin(angle)
    s = size / MESH_SIZE
    # crop pixel (u, v) -> image point: center + R(angle) @ ((u, v) - 96) * s
    m = np.array([[cos * s, -sin * s, 0.0], [sin * s, cos * s, 0.0]], dtype=np.float64)
    m[:, 2] = np.array(center) - m[:, :2] @ np.array([MESH_SIZE / 2, MESH_SIZE / 2])
    crop = cv2.warpAffine(
        img,
        m,
        (MESH_SIZE, MESH_SIZE),
        flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    it = _interpreter("face_landmark.tflite")
    it.set_tensor(it.get_input_details()[0]["index"], (crop.astype(np.float32) / 255.0)[None])
    it.invoke()
    outs = it.get_output_details()
    pts = it.get_tensor(outs[0]["index"]).reshape(468, 3).astype(np.float64)
    presence = float(1.0 / (1.0 + np.exp(-float(it.get_tensor(outs[1]["index"]).ravel()[0]))))
    xy = pts[:, :2] @ m[:, :2].T + m[:, 2]
    z = pts[:, 2] * s
    return np.column_stack([xy, z]).astype(np.float32), presence


def _roi_from_mesh(mesh: FloatArray) -> tuple[tuple[float, float], float, float]:
    p = mesh[:, :2]
    eye_r, eye_l = p[RIGHT_EYE_OUTER], p[LEFT_EYE_OUTER]
    angle = math.atan2(float(eye_l[1] - eye_r[1]), float(eye_l[0] - eye_r[0]))
    c, s = math.cos(-angle), math.sin(-angle)
    center0 = p.mean(axis=0)
    rot = (p - center0) @ np.array([[c, s], [-s, c]])
    lo, hi = rot.min(axis=0), rot.max(axis=0)
    mid = (lo + hi) / 2
    cb, sb = math.cos(angle), math.sin(angle)
    center = center0 + np.array([mid[0] * cb - mid[1] * sb, mid[0] * sb + mid[1] * cb])
    size = float(max(hi - lo)) * 1.5
    return (float(center[0]), float(center[1])), size, angle


def face_mesh(
    image: np.ndarray,
    box: FaceBox | tuple[float, float, float, float],
    keypoints: np.ndarray | None = None,
) -> FloatArray:
    """The 468-point mesh (x, y, z in image pixels) of the face in ``box``."""
    return _mesh_with_presence(_as_rgb(image), box, keypoints)[0]


def _mesh_with_presence(
    img: ImageArray,
    box: FaceBox | tuple[float, float, float, float],
    keypoints: np.ndarray | None = None,
) -> tuple[FloatArray, float]:
    if isinstance(box, FaceBox):
        keypoints = box.keypoints
        box = box.box
    x, y, w, h = box
    angle = 0.0
    if keypoints is not None:
        er, el = keypoints[0], keypoints[1]
        angle = math.atan2(float(el[1] - er[1]), float(el[0] - er[0]))
    center = (x + w / 2, y + h / 2)
    mesh, presence = _run_mesh(img, center, max(w, h) * 1.5, angle)
    for _ in range(2):
        c, size, ang = _roi_from_mesh(mesh)
        mesh, presence = _run_mesh(img, c, size, ang)
    return mesh, presence


def head_pose(mesh: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees from the mesh geometry; 0,0,0 is frontal and level."""
    p = mesh.astype(np.float64)
    right, left = p[CHEEK_RIGHT], p[CHEEK_LEFT]
    across = left - right
    roll = math.degrees(math.atan2(across[1], across[0]))
    # Yaw: depth difference across the cheeks; also the nose offset between the cheeks.
    yaw_z = math.degrees(math.atan2(across[2], math.hypot(across[0], across[1])))
    d_r = np.linalg.norm(p[NOSE_TIP, :2] - right[:2])
    d_l = np.linalg.norm(p[NOSE_TIP, :2] - left[:2])
    yaw_nose = math.degrees(math.asin(float(np.clip((d_r - d_l) / (d_r + d_l), -1, 1)) * 1.0)) * 1.6
    yaw = yaw_z if abs(yaw_z) > abs(yaw_nose) else yaw_nose
    down = p[CHIN] - p[FOREHEAD]
    pitch = math.degrees(math.atan2(-down[2], math.hypot(down[0], down[1])))
    return float(yaw), float(pitch), float(roll)


def _to_face(img: ImageArray, fb: FaceBox) -> Face:
    mesh, presence = _mesh_with_presence(img, fb)
    yaw, pitch, roll = head_pose(mesh)
    return Face(
        box=fb.box,
        score=fb.score,
        mesh=mesh,
        yaw_deg=yaw,
        pitch_deg=pitch,
        roll_deg=roll,
        presence=presence,
    )


def find_face(image: np.ndarray, *, min_size: int = 90, require_frontal: bool = True) -> Face:
    """The largest face in an RGB image, with its mesh.

    Raises ``NoFaceError`` when there is none, ``FaceTooSmallError`` when the largest is
    under ``min_size`` pixels, ``FaceNotFrontalError`` when it is turned past about 30
    degrees (or the mesh cannot settle on it, e.g. a covered mouth).
    """
    img = _as_rgb(image)
    boxes = detect_faces(img, min_size=min_size)
    if not boxes:
        raise NoFaceError("no face found in the image")
    fb = boxes[0]
    size = max(fb.box[2], fb.box[3])
    if size < min_size:
        raise FaceTooSmallError(
            f"the face is {size:.0f} pixels wide; at least {min_size} pixels are needed"
        )
    face = _to_face(img, fb)
    if require_frontal:
        if abs(face.yaw_deg) > MAX_YAW_DEG or abs(face.pitch_deg) > MAX_PITCH_DEG:
            raise FaceNotFrontalError(
                f"the face is turned {face.yaw_deg:+.0f} degrees (yaw) / "
                f"{face.pitch_deg:+.0f} (pitch); at most {MAX_YAW_DEG:.0f} degrees can be "
                "animated, use a frontal photo"
            )
        if face.presence < 0.5:
            raise FaceNotFrontalError(
                "the face is partly covered or unclear; use a photo with the whole face visible"
            )
    return face


def track_mesh(image: np.ndarray, previous: np.ndarray) -> tuple[FloatArray, float]:
    """Mesh of a face in a video frame, starting from the previous frame's mesh."""
    img = _as_rgb(image)
    c, size, ang = _roi_from_mesh(previous)
    return _run_mesh(img, c, size, ang)
