"""Drawn and photo portraits, and their storage round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from avatarmedia import face
from avatarmedia.errors import NoFaceError
from avatarmedia.portrait import (
    Portrait,
    best_frame,
    draw_portrait,
    load_image,
    photo_portrait,
    spec_from_description,
)

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO.parent / "shared" / "fixtures"


def test_description_words_become_the_spec() -> None:
    spec = spec_from_description(
        "A serious man with short gray hair, dark skin, navy suit, beige background", None, seed=3
    )
    assert spec.gender == "male" and spec.skin == "dark" and spec.hair == "gray short"
    assert spec.attire == "suit navy" and spec.expression == "serious"
    assert spec.background.endswith("beige")


@pytest.mark.parametrize("seed", range(6))
def test_business_attire_is_a_blazer_whatever_the_seed(seed: int) -> None:
    spec = spec_from_description("Professional presenter, business attire", "female", seed)
    assert spec.attire.startswith("blazer")


def test_drawn_portrait_is_deterministic_and_found_by_the_face_mesh() -> None:
    spec = spec_from_description("friendly woman, long brown hair, light skin", None, seed=7)
    a = draw_portrait(spec, size=512)
    b = draw_portrait(spec, size=512)
    assert np.array_equal(a.image, b.image)
    f = face.find_face(a.image)
    assert abs(f.yaw_deg) < 15 and f.mouth_opening() < 0.02
    other = draw_portrait(spec_from_description("friendly woman", "female", seed=8), size=512)
    assert not np.array_equal(a.image, other.image)


def test_portrait_round_trips_through_bytes_with_its_rig() -> None:
    p = draw_portrait(spec_from_description("man in a teal sweater", "male", seed=1), 256)
    q = Portrait.from_bytes(p.to_bytes())
    assert q.kind == "drawn" and q.spec == p.spec and q.rig == p.rig
    assert np.array_equal(q.image, p.image)


def test_photo_portrait_is_aligned_cropped_and_mouth_closed() -> None:
    img = load_image(FIXTURES / "faces" / "man_black_frontal_obama.jpg")
    before = face.find_face(img).mouth_opening()
    p = photo_portrait(img, size=512)
    assert p.image.shape == (512, 512, 3) and p.kind == "photo" and p.mesh is not None
    f = face.find_face(p.image)
    assert abs(f.roll_deg) < 3
    assert f.mouth_opening() < before * 0.5


def test_best_frame_of_a_clip_has_a_frontal_face() -> None:
    frame = best_frame(FIXTURES / "clips" / "man_talking_7s.mp4", max_candidates=12)
    f = face.find_face(frame)
    assert abs(f.yaw_deg) < 25


def test_clip_without_a_face_raises(tmp_path: Path) -> None:
    from avatarmedia.encode import encode_frames

    path = encode_frames([np.full((64, 64, 3), 90, np.uint8)] * 3, tmp_path / "x.mp4", 25)
    with pytest.raises(NoFaceError):
        best_frame(path)
