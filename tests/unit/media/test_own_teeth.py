"""Where the photo shows the person's own teeth, the open mouth uses them."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from avatarmedia import face as fm
from avatarmedia import rest_mouth as rm
from avatarmedia.animate_photo import PhotoRig
from avatarmedia.own_teeth import OwnTeeth, own_teeth
from avatarmedia.portrait import Portrait, load_image, photo_portrait
from avatarmedia.render import PhotoAnimator

FIXTURES = Path(__file__).resolve().parents[4] / "shared" / "fixtures"


@pytest.fixture(scope="module")
def toothy() -> Portrait:
    return photo_portrait(load_image(FIXTURES / "faces" / "man_black_frontal_obama.jpg"), 512)


def test_a_toothy_photo_keeps_its_teeth_through_storage(toothy: Portrait) -> None:
    assert toothy.rig is not None and "own_teeth" in toothy.rig
    again = Portrait.from_bytes(toothy.to_bytes())
    assert again.rig is not None
    a = OwnTeeth.from_json(toothy.rig["own_teeth"])
    b = OwnTeeth.from_json(again.rig["own_teeth"])
    assert np.array_equal(a.rgba, b.rgba) and np.allclose(a.gaps, b.gaps)
    assert (a.rgba[..., 3] > 128).mean() > 0.1 and 0.02 < a.gap < 0.15


def test_a_closed_mouth_photo_has_no_teeth_to_keep() -> None:
    p = photo_portrait(load_image(FIXTURES / "faces" / "woman_asian_frontal_2840px.jpg"), 512)
    assert p.rig is not None and "own_teeth" not in p.rig
    assert p.rig["teeth_show"] == 0.0 and "teeth_colour" not in p.rig


def _upper_band(rig: PhotoRig, opening: float) -> np.ndarray:
    """RGB of the rendered band just under the upper lip, mid-mouth."""
    frame = rig.render(opening, calibrated=False)
    poly = rig.mouth_polygon(opening, 0.0, 0.0)
    n_up = len(rig.inner_up)
    up = poly[:n_up]
    mid = up[np.abs(up[:, 0] - up[:, 0].mean()) < 0.25 * np.ptp(up[:, 0])]
    px = [
        frame[round(float(y)) + d, round(float(x))]
        for x, y in mid
        for d in range(2, max(3, int(0.02 * rig.height)))
    ]
    return np.asarray(px, np.float64)


def test_the_open_mouth_shows_the_persons_teeth(toothy: Portrait) -> None:
    """Rendered with the kept teeth, the band under the upper lip has their colour and
    texture; the synthetic teeth of the same face differ from them."""
    assert toothy.rig is not None and toothy.mesh is not None
    own = OwnTeeth.from_json(toothy.rig["own_teeth"])
    animator = PhotoAnimator(toothy, (512, 512))
    with_own = _upper_band(animator.rig, 0.7)
    synthetic = _upper_band(PhotoRig(animator.rig.image, animator.rig.mesh), 0.7)
    kept = own.rgba[own.rgba[..., 3] > 128][:, :3].astype(np.float64)

    def lab(rgb: np.ndarray) -> np.ndarray:
        return (
            cv2.cvtColor((rgb.reshape(1, -1, 3) / 255).astype(np.float32), cv2.COLOR_RGB2LAB)
            .reshape(-1, 3)
            .mean(axis=0)
        )

    assert np.linalg.norm(lab(with_own) - lab(kept)) < 10
    assert np.linalg.norm(lab(with_own) - lab(kept)) < np.linalg.norm(lab(synthetic) - lab(kept))


def test_own_teeth_need_teeth_not_just_an_open_mouth() -> None:
    """The same open smile with its teeth darkened to a cavity is left to the synthetic
    interior."""
    keep = rm.OPEN_GAP
    rm.OPEN_GAP = 1.0  # keep the portrait's own open mouth
    try:
        p = photo_portrait(load_image(FIXTURES / "faces" / "man_black_frontal_obama.jpg"), 512)
    finally:
        rm.OPEN_GAP = keep
    assert p.mesh is not None and own_teeth(p.image, p.mesh) is not None
    mesh = p.mesh.astype(np.float64)
    ax = rm._axes(mesh)
    ys, xs = np.mgrid[0:512, 0:512].astype(np.float64)
    uv = ax.to_uv(np.stack([xs, ys], axis=-1))
    _, teeth = rm.interior_parts(p.image, mesh, ax, uv[..., 0], uv[..., 1])
    lips = np.zeros((512, 512), np.uint8)
    cv2.fillPoly(lips, [np.round(mesh[list(fm.LIPS_OUTER), :2]).astype(np.int32)], 1)
    dark = p.image.copy()
    dark[teeth & lips.astype(bool)] = (40, 22, 22)
    assert own_teeth(dark, p.mesh) is None


def test_a_photo_with_the_mouth_wide_open_sets_how_wide_the_avatar_opens_it() -> None:
    """child_talking_9s at 6.6 s, mid-shout (lip gap 16 % of the face height): she opens
    her mouth wider than our usual full opening (12 %), so the avatar made from that
    frame parts its lips at least as far at opening 1 as the photo did (before: 12 %
    whatever the photo showed). Her closed first frame says nothing: the usual range."""
    from avatarmedia import face as fm
    from avatarmedia.encode import read_video
    from avatarmedia.render import PhotoAnimator
    from avatarmedia.rest_mouth import CLOSED_GAP, lip_gap

    frames, _ = read_video(FIXTURES / "clips" / "child_talking_9s.mp4")
    parted = {}
    for i in (0, 165):
        p = photo_portrait(frames[i], 512)
        rig = PhotoAnimator(p, (512, 512)).rig
        poly = rig.mouth_polygon(1.0, 0.0, 0.0)
        n_up = len(rig.inner_up)
        mid_up = poly[:n_up][np.argmin(np.abs(poly[:n_up, 0] - rig.mesh[fm.UPPER_LIP_CENTER, 0]))]
        mid_lo = poly[n_up:][np.argmin(np.abs(poly[n_up:, 0] - rig.mesh[fm.LOWER_LIP_CENTER, 0]))]
        parted[i] = (float(mid_lo[1] - mid_up[1]) / rig.height, rig.range_gain)
    photo_gap = lip_gap(fm.find_face(frames[165]).mesh)
    assert parted[0][1] == 1.0 and parted[165][1] > 1.15
    assert parted[165][0] >= photo_gap - CLOSED_GAP
    assert parted[0][0] < photo_gap - CLOSED_GAP
