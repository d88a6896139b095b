"""Face detection and mesh on the fixture faces."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from avatarmedia import face
from avatarmedia.errors import FaceNotFrontalError, FaceTooSmallError, NoFaceError
from avatarmedia.portrait import load_image

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO.parent / "shared" / "fixtures"
FRONTAL = [
    "man_black_frontal_obama.jpg",
    "man_elderly_frontal_smiling.jpg",
    "woman_asian_frontal_2840px.jpg",
    "woman_white_frontal_astronaut.png",
    "woman_lowres_226px_smiling.png",
    "woman_dark_skin_painted.png",
    "stylized_3d_boy.jpg",
]


@pytest.mark.parametrize("name", FRONTAL)
def test_frontal_fixture_faces_are_found_with_a_mesh_on_the_face(name: str) -> None:
    img = load_image(FIXTURES / "faces" / name)
    f = face.find_face(img)
    assert f.size >= 90
    x, y, w, h = f.box
    inside = (
        (f.mesh[:, 0] > x - 0.3 * w)
        & (f.mesh[:, 0] < x + 1.3 * w)
        & (f.mesh[:, 1] > y - 0.5 * h)
        & (f.mesh[:, 1] < y + 1.3 * h)
    )
    assert inside.mean() > 0.95
    assert f.mesh[face.CHIN, 1] > f.mesh[face.NOSE_TIP, 1] > f.mesh[face.FOREHEAD, 1]


@pytest.mark.parametrize("name", ["object_coffee_cup.png", "animal_cat_chelsea.png"])
def test_image_without_a_face_raises_no_face_found(name: str) -> None:
    with pytest.raises(NoFaceError, match="no face found"):
        face.find_face(load_image(FIXTURES / "noface" / name))


def test_two_faces_gives_the_largest() -> None:
    img = load_image(FIXTURES / "faces" / "two_faces_obama_biden.jpg")
    boxes = face.detect_faces(img)
    assert len(boxes) == 2
    f = face.find_face(img)
    assert f.box == boxes[0].box
    assert boxes[0].box[2] * boxes[0].box[3] >= boxes[1].box[2] * boxes[1].box[3]


def test_face_below_the_minimum_is_refused_naming_the_minimum() -> None:
    img = load_image(FIXTURES / "faces" / "woman_white_frontal_astronaut.png")
    small = np.ascontiguousarray(img[::3, ::3])  # the ~94 px face becomes ~31 px
    with pytest.raises(FaceTooSmallError, match="at least 90 pixels"):
        face.find_face(small)


def _pasted(name: str, face_px: float, canvas: tuple[int, int]) -> tuple[np.ndarray, tuple]:
    """A fixture face scaled to about ``face_px`` and pasted into a large grey canvas."""
    img = load_image(FIXTURES / "faces" / name)
    x, y, w, h = face.find_face(img).box
    side = int(max(w, h) * 2.5)
    x0, y0 = max(0, int(x + w / 2 - side / 2)), max(0, int(y + h / 2 - side / 2))
    crop = img[y0 : y0 + side, x0 : x0 + side]
    k = face_px / max(w, h)
    crop = cv2.resize(crop, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    out = np.full((canvas[1], canvas[0], 3), 120, np.uint8)
    px, py = int(canvas[0] * 0.6), int(canvas[1] * 0.3)
    out[py : py + crop.shape[0], px : px + crop.shape[1]] = crop
    # Where the face centre lands in the canvas.
    centre = (px + (x + w / 2 - x0) * k, py + (y + h / 2 - y0) * k)
    return out, centre


@pytest.mark.parametrize(
    "name",
    [
        "man_black_frontal_obama.jpg",
        "woman_white_frontal_astronaut.png",
        "woman_lowres_226px_smiling.png",
    ],
)
@pytest.mark.parametrize("canvas", [(1600, 1600), (2400, 1350)])
def test_face_of_100_pixels_in_a_large_image_is_accepted(
    name: str, canvas: tuple[int, int]
) -> None:
    """A 100 px face is 8 px in the whole-image 128 px detector pass; tiles find it."""
    img, centre = _pasted(name, 100, canvas)
    f = face.find_face(img)
    assert f.size >= 90
    x, y, w, h = f.box
    assert abs(x + w / 2 - centre[0]) < 0.3 * w and abs(y + h / 2 - centre[1]) < 0.3 * h
    nose = f.mesh[face.NOSE_TIP, :2]
    assert abs(nose[0] - centre[0]) < 0.4 * w and abs(nose[1] - centre[1]) < 0.5 * h


def test_profile_face_is_refused_as_not_frontal() -> None:
    img = load_image(FIXTURES / "faces" / "nonfrontal_profile_painting.jpg")
    with pytest.raises(FaceNotFrontalError, match="turned"):
        face.find_face(img)
