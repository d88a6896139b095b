"""The inside of a photo avatar's open mouth: lit and coloured from the photo."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from avatarmedia.animate_photo import PhotoRig
from avatarmedia.portrait import load_image, photo_portrait

FIXTURES = Path(__file__).resolve().parents[4] / "shared" / "fixtures"
NEAR_BLACK_L = 15.0  # CIE L*, as in reenact.near_black_share


def _open_mouth(
    image: np.ndarray, mesh: np.ndarray, opening: float = 0.8
) -> tuple[np.ndarray, np.ndarray]:
    """The rendered frame's inner-mouth pixels (inside the moved inner-lip polygon, one
    pixel in from its edge) in CIELAB, and the same pixels' RGB."""
    rig = PhotoRig(image, mesh)
    frame = rig.render(opening, calibrated=False)
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(rig.mouth_polygon(opening, 0.0, 0.0)).astype(np.int32)], 1)
    mask = cv2.erode(mask, np.ones((3, 3), np.uint8)).astype(bool)
    lab = cv2.cvtColor(frame.astype(np.float32) / 255, cv2.COLOR_RGB2LAB)
    return lab[mask], frame[mask].astype(np.float64)


@pytest.fixture(scope="module")
def portrait() -> tuple[np.ndarray, np.ndarray]:
    p = photo_portrait(load_image(FIXTURES / "faces" / "woman_white_frontal_astronaut.png"), 512)
    assert p.mesh is not None
    return p.image, p.mesh


def test_open_mouth_is_dark_but_not_black(portrait: tuple) -> None:
    """Real speakers' open mouths are 3-36 % near-black (the fixture clips); a black box
    is nearly all of it."""
    lab, _ = _open_mouth(*portrait)
    near_black = float((lab[:, 0] < NEAR_BLACK_L).mean())
    assert near_black < 0.25
    assert float(np.percentile(lab[:, 0], 10)) < 45  # there is a dark throat, though


def test_open_mouth_shows_lit_teeth_and_shading(portrait: tuple) -> None:
    """Upper teeth are the lightest thing in the mouth; the inside is textured (teeth,
    gaps, tongue, throat), not a flat band."""
    lab, _ = _open_mouth(*portrait)
    assert float(np.percentile(lab[:, 0], 95)) > 70
    assert float(lab[:, 0].std()) > 12


def test_teeth_follow_the_photos_white_balance(portrait: tuple) -> None:
    """The same face under a bluer light gets bluer teeth (the sclera sets the white)."""
    image, mesh = portrait
    cool = np.clip(image.astype(np.float32) * np.array([0.85, 0.95, 1.12]), 0, 255)
    _, warm_rgb = _open_mouth(image, mesh)
    _, cool_rgb = _open_mouth(cool.astype(np.uint8), mesh)

    def blue_over_red(rgb: np.ndarray) -> float:
        light = rgb[rgb.mean(axis=1) > np.percentile(rgb.mean(axis=1), 80)]
        return float(light[:, 2].mean() / light[:, 0].mean())

    assert blue_over_red(cool_rgb) > blue_over_red(warm_rgb) * 1.15


def _lower_band_lightness(rig: PhotoRig, opening: float) -> float:
    """Median L* of the rendered band just above the moved lower inner lip, mid-mouth
    (where lower teeth show, or else the tongue and throat)."""
    frame = rig.render(opening, calibrated=False)
    poly = rig.mouth_polygon(opening, 0.0, 0.0)
    lower = poly[len(rig.inner_up) :]
    mid = lower[np.abs(lower[:, 0] - lower[:, 0].mean()) < 0.2 * np.ptp(lower[:, 0])]
    lab = cv2.cvtColor(frame.astype(np.float32) / 255, cv2.COLOR_RGB2LAB)
    px = [
        lab[round(float(y)) - d, round(float(x)), 0]
        for x, y in mid
        for d in range(2, max(3, int(0.015 * rig.height)))
    ]
    return float(np.median(px))


def test_a_person_who_shows_her_teeth_shows_both_rows() -> None:
    """en_woman_talking_8s's first frame: mid-word, her upper teeth show between parted
    lips. She talks over both rows of teeth, so our open mouth shows lower teeth rising
    from the lower lip (before: one row of upper teeth over a dark red throat, EMD 23 L*
    from hers); the man's first frame (closed lips) keeps the throat there."""
    from avatarmedia.encode import read_video
    from avatarmedia.render import PhotoAnimator

    lightness = {}
    for clip in ("en_woman_talking_8s", "man_talking_7s"):
        frames, _ = read_video(FIXTURES / "clips" / f"{clip}.mp4")
        rig = PhotoAnimator(photo_portrait(frames[0], 512), (512, 512)).rig
        lightness[clip] = (rig.look.teeth_show, _lower_band_lightness(rig, 0.5))
    show, woman = lightness["en_woman_talking_8s"]
    none, man = lightness["man_talking_7s"]
    assert show > 0.5 and none == 0.0
    assert woman > 40.0 > man  # teeth (61 L*) against a throat (12)


@pytest.fixture(scope="module")
def closed_mouthed() -> PhotoRig:
    """man_talking_7s's first frame: closed lips, no teeth shown (teeth_show 0)."""
    from avatarmedia.encode import read_video
    from avatarmedia.render import PhotoAnimator

    frames, _ = read_video(FIXTURES / "clips" / "man_talking_7s.mp4")
    rig = PhotoAnimator(photo_portrait(frames[0], 512), (512, 512)).rig
    assert rig.look.teeth_show == 0.0
    return rig


def _interior(rig: PhotoRig, opening: float) -> tuple[np.ndarray, np.ndarray]:
    """L* of the rendered open mouth's pixels (one pixel in from the moved inner lip)
    and each pixel's place across the mouth (-1 .. 1, corner to corner)."""
    frame = rig.render(opening, calibrated=False)
    poly = rig.mouth_polygon(opening, 0.0, 0.0)
    mask = np.zeros(frame.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 1)
    mask = cv2.erode(mask, np.ones((3, 3), np.uint8)).astype(bool)
    lab = cv2.cvtColor(frame.astype(np.float32) / 255, cv2.COLOR_RGB2LAB)
    ys, xs = np.nonzero(mask)
    x0, x1 = float(poly[:, 0].min()), float(poly[:, 0].max())
    return lab[ys, xs, 0], (xs - (x0 + x1) / 2) / ((x1 - x0) / 2)


def test_a_slightly_open_mouth_shows_no_row_of_teeth(closed_mouthed: PhotoRig) -> None:
    """A relaxed upper lip hangs over the teeth: the fixture speakers' slightly parted
    lips show a dark gap, no teeth (before: a full row corner to corner at any opening,
    a grille). Opened wide, the middle teeth show, not past the canines."""
    teeth_l = 38.0  # his teeth (in his dim frame) are L* 40-50, throat and lips under 35
    light, _ = _interior(closed_mouthed, 0.2)
    assert float((light > teeth_l).mean()) < 0.03
    light, across = _interior(closed_mouthed, 0.9)
    assert float((light[np.abs(across) < 0.4] > teeth_l).mean()) > 0.1
    assert float((light[np.abs(across) > 0.85] > teeth_l).mean()) < 0.03


def test_the_inside_of_the_lower_lip_continues_the_lip(closed_mouthed: PhotoRig) -> None:
    """Just inside the opening the lower lip's wet side has the lip's own colour, so the
    opening has no outline (before: a band of the lip colour x 0.62, a dark rim)."""
    rig, opening = closed_mouthed, 0.6
    frame = cv2.cvtColor(
        rig.render(opening, calibrated=False).astype(np.float32) / 255, cv2.COLOR_RGB2LAB
    )
    lower = rig.mouth_polygon(opening, 0.0, 0.0)[len(rig.inner_up) :]
    mid = lower[np.abs(lower[:, 0] - lower[:, 0].mean()) < 0.25 * np.ptp(lower[:, 0])]

    def ring(dy: float) -> np.ndarray:
        return np.array([frame[round(float(y + dy)), round(float(x))] for x, y in mid])

    inside, outside = ring(-1.0).mean(axis=0), ring(3.0).mean(axis=0)
    assert float(np.linalg.norm(inside - outside)) < 12.0


def test_a_dim_photos_open_mouth_is_dark_not_black() -> None:
    """child_talking_9s's dim first frame: her real open mouth is 14 % near-black; ours,
    where no teeth cover the throat (openings that look 0.06-0.15 IOD), stays under
    25 % (the throat 30 % darker half-way down made it 32-39 %)."""
    from avatarmedia.encode import read_video
    from avatarmedia.render import PhotoAnimator

    frames, _ = read_video(FIXTURES / "clips" / "child_talking_9s.mp4")
    rig = PhotoAnimator(photo_portrait(frames[0], 512), (512, 512)).rig
    for opening in (0.3, 0.5, 0.75):
        frame = rig.render(opening)
        poly = rig.mouth_polygon(rig.warp_opening(opening), 0.0, 0.0)
        mask = np.zeros(frame.shape[:2], np.uint8)
        cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 1)
        mask = cv2.erode(mask, np.ones((3, 3), np.uint8)).astype(bool)
        light = cv2.cvtColor(frame.astype(np.float32) / 255, cv2.COLOR_RGB2LAB)[mask][:, 0]
        assert float((light < NEAR_BLACK_L).mean()) < 0.25, opening
