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


def test_a_wide_smiling_mouth_shows_a_lit_tongue_not_a_black_hole() -> None:
    """The astronaut's smile (she shows her teeth) opened wide: upper teeth, a pink
    tongue in the lower part, dark only in between (before: a near-black hole between
    the rows, 19 % of her open frames near-black, the two rows' darkening applied
    however far apart they were)."""
    from avatarmedia.render import PhotoAnimator

    image = load_image(FIXTURES / "faces" / "woman_white_frontal_astronaut.png")
    rig = PhotoAnimator(photo_portrait(image, 512), (512, 512)).rig
    assert rig.look.teeth_show > 0.5
    frame = rig.render(1.0)
    poly = rig.mouth_polygon(rig.warp_opening(1.0), 0.0, 0.0)
    mask = np.zeros(frame.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 1)
    mask = cv2.erode(mask, np.ones((3, 3), np.uint8)).astype(bool)
    lab = cv2.cvtColor(frame.astype(np.float32) / 255, cv2.COLOR_RGB2LAB)
    assert float((lab[mask][:, 0] < NEAR_BLACK_L).mean()) < 0.08
    # the lower middle of the opening (above the lower teeth) is the tongue: lit, reddish
    upper, lower = poly[: len(rig.inner_up)], poly[len(rig.inner_up) :]
    cx = float(poly[:, 0].mean())
    top = float(upper[np.argmin(np.abs(upper[:, 0] - cx)), 1])
    bottom = float(lower[np.argmin(np.abs(lower[:, 0] - cx)), 1])
    y = round(top + 0.6 * (bottom - top))
    row = lab[y, round(cx) - 3 : round(cx) + 4]
    assert float(row[:, 0].mean()) > 35.0
    assert float(row[:, 1].mean()) > 8.0  # a*: pink, not grey


def test_the_tongue_fills_the_lower_part_lit_from_above() -> None:
    """The tongue rises with the opening, covers the lower part of the gap, is lighter
    along its top surface than down at the lower lip, and is not there when the lips
    barely part."""
    from avatarmedia.inner_mouth import _tongue

    gap = np.full(9, 40.0, np.float32)
    fb = np.linspace(0.0, 40.0, 41, dtype=np.float32)[:, None]  # px above the lower lip
    dx = np.zeros(9, np.float32)
    assert _tongue(0.05, gap, fb, dx, 30.0) is None
    wide = _tongue(1.0, gap, fb, dx, 30.0)
    half = _tongue(0.3, gap, fb, dx, 30.0)
    assert wide is not None and half is not None
    cover, shade = wide
    assert cover[2, 4] > 0.95 and cover[30, 4] < 0.05  # low in the mouth, not high
    assert cover[18, 4] > 0.95  # up to half the gap when wide
    assert float(half[0].sum()) < float(cover.sum())  # it rises as the mouth opens
    assert shade[18, 4] > shade[1, 4]  # its top surface catches the light


def test_the_tongue_shows_later_behind_lower_teeth_that_show() -> None:
    """A person who talks over her teeth shows the lower row first; the tongue behind
    it comes into view at a wider opening (a tongue between en_woman's near rows made
    her inside smoother than hers: inner edges 0.63x the real ones)."""
    from avatarmedia.inner_mouth import _tongue

    gap = np.full(5, 30.0, np.float32)
    fb = np.linspace(0.0, 30.0, 31, dtype=np.float32)[:, None]
    dx = np.zeros(5, np.float32)
    plain = _tongue(0.35, gap, fb, dx, 20.0, teeth_show=0.0)
    behind = _tongue(0.35, gap, fb, dx, 20.0, teeth_show=1.0)
    assert plain is not None
    assert behind is None or float(behind[0].sum()) < 0.5 * float(plain[0].sum())


def test_two_rows_of_teeth_darken_the_throat_only_while_near() -> None:
    """Little light gets between two rows of teeth close together; once the lips part
    wide it does (the smiling faces' wide mouths were near-black holes)."""
    from avatarmedia.inner_mouth import ROWS_APART, ROWS_NEAR, rows_near

    height = 200.0
    near = rows_near(np.array([0.03 * height], np.float32), height)
    wide = rows_near(np.array([(ROWS_NEAR + ROWS_APART + 0.01) * height], np.float32), height)
    assert float(near[0]) == 1.0 and float(wide[0]) == 0.0


def test_the_inside_follows_the_photos_light_not_the_skin_tone(
    closed_mouthed: PhotoRig,
) -> None:
    """The man's dim frame keeps a dark mouth as his real one is (36 % near-black): his
    tongue is in shadow (inside light 0.66 at 512). A dark-skinned face under good light
    (bright eye whites) keeps a lit one (0.94): the light is read from the white, not
    the skin."""
    from avatarmedia.inner_mouth import inside_light, mouth_look
    from avatarmedia.rest_mouth import face_height

    painted = photo_portrait(load_image(FIXTURES / "faces" / "woman_dark_skin_painted.png"), 512)
    assert painted.mesh is not None
    look = mouth_look(painted.image, painted.mesh, face_height(painted.mesh))
    assert closed_mouthed.look.inside_light < 0.8 < look.inside_light
    assert inside_light(250.0) == 1.0
    assert inside_light(60.0) < inside_light(120.0) < inside_light(145.0)


def test_a_wide_open_mouth_shows_only_the_middle_lower_teeth() -> None:
    """A person who talks over her teeth shows her lower row nearly to the corners at
    small openings; opened wide, the jaw takes the sides of the row behind the lip and
    only the middle teeth show (a full row read as a grey rim round a thin lower lip)."""
    from avatarmedia.inner_mouth import MouthLook, _lower_teeth

    look = MouthLook(
        teeth=np.full(3, 220.0, np.float32),
        throat=np.full(3, 40.0, np.float32),
        tongue=np.full(3, 150.0, np.float32),
        light_lr=0.0,
        blur_sigma=0.5,
        grain=1.0,
        teeth_show=1.0,
    )
    across = np.linspace(-1.0, 1.0, 41, dtype=np.float32)
    fb = np.linspace(0.0, 40.0, 41, dtype=np.float32)[:, None]
    light = np.ones(41, np.float32)

    def reach(opening: float) -> float:
        gap = np.full(41, 40.0, np.float32)
        out = _lower_teeth(opening, look, 300.0, gap, fb, across, light)
        assert out is not None
        cols = out[0][1] > 0.5  # just above the lower lip
        return float(np.abs(across[cols]).max())

    assert reach(0.3) > 0.65
    assert reach(1.0) < 0.55
