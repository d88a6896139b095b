"""The rest mouth of photo avatars: open and toothy photos get closed lips, seamlessly."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from avatarmedia import face as fm
from avatarmedia import rest_mouth as rm
from avatarmedia.portrait import load_image, photo_portrait

FIXTURES = Path(__file__).resolve().parents[4] / "shared" / "fixtures"


def _mouth_window(mesh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Face coordinates (u, v) of a window around the lips: the whole mouth width,
    from the top of the upper lip to the bottom of the lower one."""
    ax = rm._axes(mesh)
    uv = ax.to_uv(mesh.astype(np.float64))
    us = np.linspace(uv[61, 0], uv[291, 0], 60)
    vs = np.linspace(uv[0, 1], uv[17, 1], 40)
    return np.meshgrid(us, vs)


def _teeth_share(image: np.ndarray, mesh: np.ndarray) -> float:
    u, v = _mouth_window(mesh)
    return float(rm._interior(image, mesh.astype(np.float64), rm._axes(mesh), u, v).mean())


@pytest.fixture(scope="module")
def toothy() -> tuple[np.ndarray, np.ndarray]:
    """A broad toothy smile, aligned and cropped as a portrait, before any closing."""
    keep = rm.OPEN_GAP
    rm.OPEN_GAP = 1.0  # nothing counts as open: the portrait keeps its own mouth
    try:
        p = photo_portrait(load_image(FIXTURES / "faces" / "man_black_frontal_obama.jpg"), 512)
    finally:
        rm.OPEN_GAP = keep
    assert p.mesh is not None
    return p.image, p.mesh


def test_rest_mouth_is_closed_on_a_toothy_portrait(toothy: tuple) -> None:
    image, mesh = toothy
    assert rm.lip_gap(mesh) > 0.05 and _teeth_share(image, mesh) > 0.08
    closed, new_mesh = rm.rest_mouth(image, mesh, lambda im: fm.find_face(im).mesh)
    assert rm.lip_gap(new_mesh) < 0.03
    assert _teeth_share(closed, new_mesh) < 0.3 * _teeth_share(image, mesh)


def test_closing_warp_is_continuous_outside_the_mouth(toothy: tuple) -> None:
    """No seam, box edge or patch: outside the lips the backward map is continuous
    (neighbouring pixels move by amounts less than a pixel apart: a stretch, never a
    step) and it is the identity on the border of the warped box."""
    image, mesh = toothy
    warp = rm.closing_warp(image, mesh)
    assert warp is not None
    x0, y0, x1, y1 = warp.box
    grid = np.stack(np.meshgrid(np.arange(x0, x1), np.arange(y0, y1)), axis=-1)
    disp = warp.blended() - grid
    jump = np.maximum(
        np.abs(np.diff(disp, axis=0))[:, :-1].max(axis=-1),
        np.abs(np.diff(disp, axis=1))[:-1].max(axis=-1),
    )
    lips = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(lips, [np.round(mesh[list(fm.LIPS_OUTER), :2]).astype(np.int32)], 1)
    lips = cv2.dilate(lips, np.ones((5, 5), np.uint8))[y0 : y1 - 1, x0 : x1 - 1].astype(bool)
    assert jump[lips].max() > 2.0  # the tear between the lips is there
    assert jump[~lips].max() < 1.0  # nothing else jumps (it stretches at most)
    border = np.concatenate([disp[0], disp[-1], disp[:, 0], disp[:, -1]])
    assert np.abs(border).max() < 0.25


def test_opening_warp_has_no_seam_outside_the_mouth() -> None:
    """The animator's opening field (at its widest, at 1080 px) only tears between the
    lips: elsewhere neighbouring pixels move less than 1.5 px apart (a stretch of the
    jaw and cheeks, never a step), so no patch or seam shows on the chin or cheeks."""
    from avatarmedia.render import PhotoAnimator

    p = photo_portrait(load_image(FIXTURES / "faces" / "man_elderly_frontal_smiling.jpg"), 1024)
    rig = PhotoAnimator(p, (1080, 1080)).rig
    x0, y0, x1, y1 = rig.roi
    f = rig.f_open
    jump = np.maximum(np.abs(np.diff(f, axis=0))[:, :-1], np.abs(np.diff(f, axis=1))[:-1])
    lips = np.zeros((1080, 1080), np.uint8)
    cv2.fillPoly(lips, [np.round(rig.mesh[list(fm.LIPS_OUTER), :2]).astype(np.int32)], 1)
    lips = cv2.dilate(lips, np.ones((5, 5), np.uint8))[y0 : y1 - 1, x0 : x1 - 1].astype(bool)
    assert jump[lips].max() > 10.0  # the lips do part
    assert jump[~lips].max() < 1.5


def test_closing_a_wide_open_mouth_moves_the_chin_as_one_piece() -> None:
    """A child mid-shout (lip gap 16 % of the face height): the lens-shaped gap used to be
    carried down to the chin as a column, so the skin under the mouth corners sheared
    by 2.3 px per pixel (two vertical edges from the corners to the chin). Outside the
    lips the vertical displacement now changes by at most ~1 px per pixel sideways."""
    from avatarmedia.encode import read_video

    frames, _ = read_video(FIXTURES / "clips" / "child_talking_9s.mp4")
    image = frames[165]
    mesh = fm.find_face(image).mesh
    assert rm.lip_gap(mesh) > 0.12
    warp = rm.closing_warp(image, mesh)
    assert warp is not None
    x0, y0, x1, y1 = warp.box
    down = warp.blended()[..., 1] - np.arange(y0, y1)[:, None]
    shear = np.abs(np.diff(down, axis=1))[:-1]
    lips = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(lips, [np.round(mesh[list(fm.LIPS_OUTER), :2]).astype(np.int32)], 1)
    lips = cv2.dilate(lips, np.ones((5, 5), np.uint8))[y0 : y1 - 1, x0 : x1 - 2].astype(bool)
    assert shear[:, :-1][~lips].max() < 1.2


def test_closing_a_wide_open_mouth_keeps_the_lower_lip_thickness() -> None:
    """The child mid-shout again: mid-mouth the lower lip rises as one piece. It used to
    give way to the gap smoothed across the mouth inside the lip, so its top rose more
    than its bottom and the closed lower lip was 1.3x as thick as the photo's (a thick,
    pale inner lower lip); now the output rows that show it are as many as its rows in
    the photo."""
    from avatarmedia.encode import read_video

    frames, _ = read_video(FIXTURES / "clips" / "child_talking_9s.mp4")
    image = frames[165]
    mesh = fm.find_face(image).mesh.astype(np.float64)
    warp = rm.closing_warp(image, mesh)
    assert warp is not None
    col = round(float(mesh[fm.LOWER_LIP_CENTER, 0])) - warp.box[0]
    src_y = warp.lower[:, col, 1]
    below = warp.w_lower[:, col] > 0.5
    top, bottom = mesh[fm.LOWER_LIP_CENTER, 1], mesh[fm.LOWER_LIP_BOTTOM, 1]
    shown = int(np.sum(below & (src_y >= top) & (src_y <= bottom)))
    assert 0.9 * (bottom - top) <= shown <= 1.1 * (bottom - top) + 1


def test_rest_mouth_shows_no_teeth_between_the_closed_lips() -> None:
    """A broad smile showing teeth (en_woman_talking_8s's first frame): the closed rest
    mouth keeps no line of her teeth between the lips. The detector finds her teeth
    only where they are brightest; the rows where the upper lip blends into them are
    inside too (the old meeting line there left a grey line, share 0.13)."""
    cap = cv2.VideoCapture(str(FIXTURES / "clips" / "en_woman_talking_8s.mp4"))
    ok, bgr = cap.read()
    cap.release()
    assert ok
    p = photo_portrait(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    assert p.mesh is not None
    assert rm.teeth_share(p.image, p.mesh) <= 0.02


def test_teeth_share_sees_the_teeth_of_an_open_smile(toothy: tuple) -> None:
    image, mesh = toothy
    assert rm.teeth_share(image, mesh) > 0.2
