"""Face detection and mesh on the fixture faces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from avatarmedia import face
from avatarmedia.errors import FaceNotFrontalError, FaceTooSmallError, NoFaceError
from avatarmedia.portrait import load_image

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO.parent / "shared" / "fixtures"
FRONTAL = ["man_black_frontal_obama.jpg", "man_elderly_frontal_smiling.jpg",
           "woman_asian_frontal_2840px.jpg", "woman_white_frontal_astronaut.png",
           "woman_lowres_226px_smiling.png", "woman_dark_skin_painted.png",
           "stylized_3d_boy.jpg"]


@pytest.mark.parametrize("name", FRONTAL)
def test_frontal_fixture_faces_are_found_with_a_mesh_on_the_face(name: str) -> None:
    img = load_image(FIXTURES / "faces" / name)
    f = face.find_face(img)
    assert f.size >= 90
    x, y, w, h = f.box
    inside = ((f.mesh[:, 0] > x - 0.3 * w) & (f.mesh[:, 0] < x + 1.3 * w)
              & (f.mesh[:, 1] > y - 0.5 * h) & (f.mesh[:, 1] < y + 1.3 * h))
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
    small = img[::3, ::3].copy()
    with pytest.raises((FaceTooSmallError, NoFaceError)) as info:
        face.find_face(np.ascontiguousarray(small), min_size=90)
    if isinstance(info.value, FaceTooSmallError):
        assert "90 pixels" in str(info.value)


def test_profile_face_is_refused_as_not_frontal() -> None:
    img = load_image(FIXTURES / "faces" / "nonfrontal_profile_painting.jpg")
    with pytest.raises(FaceNotFrontalError, match="turned"):
        face.find_face(img)
