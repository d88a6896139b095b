"""Studio media rules: layout, captions (cues, SRT, WebVTT, burn-in), matting
(stability through head motion, halo), and scenes joined exactly."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from avatarmedia.captions import (
    CaptionPainter,
    Word,
    build_cues,
    font_px,
    to_srt,
    to_vtt,
    with_punctuation,
)
from avatarmedia.matting import (
    REST,
    MattedAnimator,
    decontaminate,
    face_seed,
    halo_width,
    mask_iou,
    refine_alpha,
    trim_by_colour,
)
from avatarmedia.portrait import draw_portrait, load_image, photo_portrait, spec_from_description
from avatarmedia.pose import person_mask
from avatarmedia.render import make_animator
from avatarmedia.studio_layout import Box, check_dimension, fit_box, presenter_box
from avatarmedia.studio_render import (
    SAMPLE_RATE,
    composite,
    fade_edges,
    render_studio,
    scene_sound,
)
from avatarmedia.studio_spec import BackgroundSpec, SceneSpec, StudioSpec, VoiceSpec, hex_colour

# -- layout ------------------------------------------------------------------------


def test_a_normal_presenter_stands_on_the_bottom_edge_centred() -> None:
    box = presenter_box(1920, 1080, scale=1.0)
    assert (box.w, box.h) == (1080, 1080)
    assert box.y + box.h == 1080 and box.x + box.w / 2 == 960
    half = presenter_box(1920, 1080, scale=0.5, offset=(0.25, 0.0))
    assert half.h == 540 and half.y + half.h == 1080
    assert half.x + half.w / 2 == 960 + 480


def test_circle_is_centred_and_close_up_is_larger() -> None:
    circle = presenter_box(720, 1280, scale=0.5, style="circle")
    assert circle.x + circle.w / 2 == 360 and circle.y + circle.h / 2 == 640
    close = presenter_box(1280, 720, style="closeUp")
    assert close.h > 720
    assert close.visible(1280, 720) == (0, 0, 1280, 720) or close.w < 1280


def test_a_box_outside_the_frame_has_no_visible_part() -> None:
    box = presenter_box(640, 360, scale=0.5, offset=(1.0, 0.0))
    assert box.visible(640, 360) is None


@pytest.mark.parametrize(
    ("fit", "expected"),
    [
        ("cover", (0, -60, 640, 480)),  # 4:3 into 16:9: full width, cut top and bottom
        ("crop", (0, 0, 640, 480)),  # the same size, the top kept
        ("contain", (80, 0, 480, 360)),
        ("none", (160, 60, 320, 240)),
    ],
)
def test_background_fits(fit: str, expected: tuple[int, int, int, int]) -> None:
    box = fit_box(320, 240, 640, 360, fit)
    assert (box.x, box.y, box.w, box.h) == expected


def test_dimension_rules() -> None:
    assert check_dimension(1920, 1080, "avatar") is None
    assert check_dimension(720, 1280, "avatar") is None
    assert check_dimension(3840, 2160, "avatar_pro") is None
    assert "dimension.width" in (check_dimension(3840, 2160, "avatar") or "")
    assert "even" in (check_dimension(721, 1280, "avatar") or "")
    assert "dimension.width" in (check_dimension(254, 200, "avatar") or "")
    assert hex_colour("#fff") == (255, 255, 255) and hex_colour("12") is None


# -- captions ----------------------------------------------------------------------


def words_of(text: str, start: float = 0.2, each: float = 0.3) -> list[Word]:
    out = []
    t = start
    for token in text.split():
        out.append(Word(token, t, t + each - 0.05))
        t += each
    return out


def test_cues_break_at_sentences_and_fit_two_lines() -> None:
    text = "Welcome to the studio. " + " ".join(["presenters"] * 40) + " done."
    cues = build_cues(words_of(text), 640, 360)
    assert cues[0].text == "Welcome to the studio."
    assert all(len(c.lines) <= 2 for c in cues)
    assert sum(len(line) for c in cues for line in c.lines) == len(text.split())
    starts = [c.start for c in cues]
    assert starts == sorted(starts)
    assert all(a.end <= b.start + 1e-9 for a, b in itertools.pairwise(cues))


def test_a_long_pause_starts_a_new_cue_and_no_cue_outlives_its_scene() -> None:
    words = [Word("one", 0.0, 0.3), Word("two", 0.35, 0.6), Word("three", 1.5, 1.8)]
    cues = build_cues(words, 1280, 720, until=2.0)
    assert [c.text for c in cues] == ["one two", "three"]
    assert cues[0].end == 1.4  # held 0.8 s after its last word
    assert cues[1].end == 2.0


def test_srt_and_vtt_formats_and_times() -> None:
    cues = build_cues([Word("Hi", 0.0, 0.5), Word("there.", 3661.5, 3662.25)], 640, 360)
    srt, vtt = to_srt(cues), to_vtt(cues)
    assert srt.startswith("1\n00:00:00,000 --> 00:00:01,300\nHi\n\n2\n01:01:01,500 --> ")
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.300\nHi\n\n01:01:01.500 --> ")
    stamp = re.compile(r"^\d\d:\d\d:\d\d[,.]\d{3} --> \d\d:\d\d:\d\d[,.]\d{3}$", re.M)
    assert len(stamp.findall(srt)) == 2 and len(stamp.findall(vtt)) == 2


def test_captions_spell_the_source_text_timed_by_the_engine() -> None:
    words = [Word("Hello", 0, 1), Word("world", 1, 2), Word("three", 2, 3)]
    spelled = with_punctuation(words, "Hello, world! 3")
    assert [w.text for w in spelled] == ["Hello,", "world!", "3"]
    assert (spelled[2].start, spelled[2].end) == (2, 3)
    # a stray engine word at the end (espeak's timeline has them) is dropped
    stray = [*words[:2], Word("again", 2, 2.5), Word("world", 2.6, 2.7)]
    assert [w.text for w in with_punctuation(stray, "Hello, world! again")] == [
        "Hello,",
        "world!",
        "again",
    ]
    # a number read out as two words: the token takes both words' time
    read = [Word("it", 0, 1), Word("twenty", 1, 2), Word("one", 2, 3), Word("ok", 3, 4)]
    timed = with_punctuation(read, "it 21 ok")
    assert [w.text for w in timed] == ["it", "21", "ok"] and timed[1].end == 3
    # a word the engine skipped shares the gap between its neighbours
    gap = with_punctuation([Word("a", 0, 1), Word("c", 3, 4)], "a b c")
    assert [(w.text, w.start, w.end) for w in gap] == [("a", 0, 1), ("b", 1, 3), ("c", 3, 4)]


def test_burned_captions_appear_word_by_word_inside_the_safe_area() -> None:
    width, height = 1280, 720
    cues = build_cues(words_of("One two three four."), width, height)
    painter = CaptionPainter(cues, width, height)
    blank = np.full((height, width, 3), 200, np.uint8)
    early, late, after = blank.copy(), blank.copy(), blank.copy()
    painter.paint(early, 0.25)
    painter.paint(late, 1.3)
    painter.paint(after, 30.0)
    changed = np.nonzero((late != 200).any(axis=2))
    assert changed[0].max() < height * 0.93 and changed[1].min() > width * 0.05
    # the box is the same size early and late (it does not grow), the ink grows
    assert ((early != 200).any(axis=2) == (late != 200).any(axis=2)).mean() > 0.99
    assert (late > 240).sum() > 2 * (early > 240).sum()
    assert (after == 200).all()
    assert font_px(1920, 1080) == 54 and font_px(720, 1280) == 36


# -- matting -----------------------------------------------------------------------

FACES = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "faces"


@pytest.fixture(scope="module")
def matted() -> MattedAnimator:
    portrait = draw_portrait(spec_from_description("a woman with long dark hair"), 512)
    return MattedAnimator(make_animator(portrait, (384, 384)))


def test_the_matte_follows_the_head_and_holds_away_from_it(matted: MattedAnimator) -> None:
    _, rest = matted.frame(dict(REST))
    _, moved = matted.frame(dict(REST, dx=0.05, roll_deg=3.0))
    head = matted._head.roi
    assert mask_iou(rest, moved, head) == 1.0  # outside the head region: identical
    assert 0.9 < mask_iou(rest, moved, None) < 1.0  # the head moved, and so did its matte
    person = rest >= 0.5
    assert 0.15 < person.mean() < 0.8
    assert person[-1, rest.shape[1] // 2]  # the shoulders reach the bottom edge
    assert not person[0, 0] and not person[0, -1]


def test_a_frames_matte_is_the_held_one_moved_whatever_frame_came_before(
    matted: MattedAnimator,
) -> None:
    # One buffer holds the moved matte and only the head region is rewritten: a
    # frame's matte must not keep anything of the frame before it.
    right, left = dict(REST, dx=0.05, roll_deg=3.0), dict(REST, dx=-0.06, dy=0.03, roll_deg=-4.0)
    first = matted.frame(right)[1].copy()
    other = matted.frame(left)[1].copy()
    again = matted.frame(right)[1]
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    x0, y0, x1, y1 = matted._head.roi
    outside = np.ones(first.shape, bool)
    outside[y0:y1, x0:x1] = False
    assert np.array_equal(again[outside], matted.alpha[outside])
    assert matted.frame(dict(REST))[1] is matted.alpha  # at rest: the held matte itself


def test_a_frames_matte_equals_the_held_one_resampled_whole_small_motion_or_large(
    matted: MattedAnimator,
) -> None:
    # Only the matte's edge band is resampled when the frame moves no pixel further
    # than a layout's reach; beyond the largest reach all of the head region is. In
    # either case, after either kind of frame, it must be the whole held matte moved.
    import cv2

    head = matted._head
    x0, y0, x1, y1 = head.roi
    big = dict(REST, dx=0.3, dy=-0.1, roll_deg=8.0)  # beyond every reach
    for values in (dict(REST, dx=0.01), big, dict(REST, dx=-0.02, roll_deg=1.0), big, big):
        _, alpha = matted.frame(values)
        whole = cv2.remap(
            matted.alpha, head.map_x, head.map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        assert np.abs(alpha[y0:y1, x0:x1] - whole).max() < 1e-5, values
    assert matted._layout is None  # the big move took the whole-region path


def test_the_blend_of_held_runs_equals_blending_every_pixel(matted: MattedAnimator) -> None:
    # Runs that are surely presenter are copied and surely backdrop skipped: the
    # same bytes as blending every pixel of the region.
    rgb, alpha = matted.frame(dict(REST, dx=0.02, dy=0.01, roll_deg=1.5))
    runs = matted.runs(matted._head.roi)
    assert runs is not None and {k for *_, k in runs} == {0, 1, 2}
    box = Box(4, 2, rgb.shape[1], rgb.shape[0])
    under = np.random.default_rng(1).integers(0, 255, (400, 400, 3), np.uint8)
    plain, fast = under.copy(), under.copy()
    composite(plain, rgb, alpha, box, matted._head.roi)
    composite(fast, rgb, alpha, box, matted._head.roi, runs=runs)
    assert np.array_equal(plain, fast)


def test_no_halo_over_a_bright_or_a_dark_background(matted: MattedAnimator) -> None:
    rgb, alpha = matted.frame(dict(REST))
    for colour in ((255, 255, 255), (10, 10, 10)):
        a = alpha[..., None]
        comp = (rgb * a + np.array(colour) * (1 - a)).astype(np.uint8)
        assert halo_width(comp, alpha, colour) <= 3.0


def _ragged_edge() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Dark hair (a disk) over a red backdrop, a white collar patch at its edge; the
    matte a smooth disk 3 px wider than the hair, as a segmentation model gives it:
    (picture, alpha, backdrop estimate, presenter estimate)."""
    yy, xx = np.mgrid[0:160, 0:160]
    r = np.hypot(yy - 80, xx - 80)
    hair, backdrop, collar = (40, 30, 25), (190, 30, 35), (235, 235, 230)
    picture = np.empty((160, 160, 3), np.uint8)
    picture[:] = backdrop
    picture[r < 50] = hair
    alpha = np.clip(53.5 - r, 0, 1).astype(np.float32)
    patch = (r < 54) & (yy > 120) & (np.abs(xx - 80) < 12)
    a = alpha[patch][:, None]
    picture[patch] = (a * collar + (1 - a) * np.array(backdrop) + 0.5).astype(np.uint8)
    background = np.zeros((160, 160, 3), np.float32) + np.array(backdrop, np.float32)
    foreground = np.zeros((160, 160, 3), np.float32) + np.array(hair, np.float32)
    foreground[yy > 110] = (127, 130, 145)  # the local mean of a navy suit and a white shirt
    return picture, alpha, background, foreground


def test_backdrop_left_inside_a_too_wide_matte_takes_the_presenters_colour() -> None:
    # The painted portrait's frizzy hair: red backdrop between the curls at alpha ~1
    # showed as a red fringe over any new colour; un-mixing by the matte (F = B + (I -
    # B) / a) leaves a pixel at alpha 1 as it is.
    picture, alpha, background, foreground = _ragged_edge()
    clean = decontaminate(picture, alpha, background, foreground, band=6.0)
    ring = (alpha > 0.5) & (picture[..., 0] == 190) & (np.arange(160)[:, None] < 110)
    assert ring.sum() > 100  # red pixels inside the matte, to be cleaned
    red = clean[..., 0].astype(int) - clean[..., 1:].mean(axis=2)
    assert red[ring].max() < 25  # hair-coloured now (the backdrop's red: 157)
    assert np.array_equal(clean[alpha == 0], picture[alpha == 0])  # outside: as it was
    deep = np.hypot(*(np.mgrid[0:160, 0:160] - 80)) < 40
    assert np.array_equal(clean[deep], picture[deep])  # well inside: as it was


def test_edge_colours_that_are_no_mix_of_presenter_and_backdrop_are_unmixed_by_the_matte() -> None:
    # A white collar at the edge is neither the local mean of suit and shirt nor the
    # backdrop: pushing it along backdrop -> presenter painted it purple. Its edge
    # pixels (collar and backdrop mixed by the matte) come back to the collar.
    picture, alpha, background, foreground = _ragged_edge()
    clean = decontaminate(picture, alpha, background, foreground, band=6.0)
    yy, xx = np.mgrid[0:160, 0:160]
    collar = (yy > 120) & (np.abs(xx - 80) < 12) & (alpha > 0.3)
    assert (alpha[collar] < 0.98).sum() >= 10  # partial pixels, to be un-mixed
    edge = clean[collar].astype(int)
    assert edge.min() >= 215  # white: neither purple nor dark
    assert np.abs(edge[:, 0] - edge[:, 1:].mean(axis=1)).max() <= 15  # and no red left


def _bright_pocket_portrait() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A presenter (face, neck, dark suit, white collar) before a cream wall with
    white crystals, and a matte that also takes in a pocket of that wall beside the
    neck, between jaw and collar (the two-person photo's chandelier): the picture,
    that matte and the presenter's true mask."""
    yy, xx = np.mgrid[0:200, 0:200]
    picture = np.empty((200, 200, 3), np.uint8)
    picture[:] = (215, 195, 160)
    crystals = (yy % 12 < 3) & (xx % 12 < 3)
    picture[crystals] = (230, 238, 252)
    face = ((xx - 100) / 45.0) ** 2 + ((yy - 70) / 55.0) ** 2 <= 1
    neck = (np.abs(xx - 100) < 25) & (yy >= 100) & (yy < 160)
    suit = (yy >= 160) & (np.abs(xx - 100) < 70)
    collar = suit & (yy < 175) & (np.abs(xx - 100) < 15)
    person = face | neck | suit
    picture[face | neck] = (150, 100, 75)
    picture[suit] = (40, 45, 60)
    picture[collar] = (240, 240, 245)
    pocket = (xx >= 125) & (xx < 136) & (yy >= 115) & (yy < 150)
    alpha = cv2.GaussianBlur((person | pocket).astype(np.float32), (0, 0), 1.0)
    return picture, alpha, person


def test_a_bright_backdrop_pocket_beside_the_neck_goes_and_the_skin_stays() -> None:
    picture, alpha, person = _bright_pocket_portrait()
    box = (55, 100, 145, 158)
    trimmed = trim_by_colour(picture, alpha, 8.0, box)
    yy, xx = np.mgrid[0:200, 0:200]
    pocket = (xx >= 128) & (xx < 134) & (yy >= 118) & (yy < 147)
    assert alpha[pocket].min() > 0.9  # the matte took the wall in
    assert trimmed[pocket].max() < 0.1  # now transparent
    skin = cv2.erode(person.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0  # 3 px: the edge
    assert trimmed[skin].min() > 0.99  # no skin cut, the collar kept
    x0, y0, x1, y1 = box
    outside = np.ones(alpha.shape, bool)
    outside[y0 - 4 : y1 + 4, x0 - 4 : x1 + 4] = False
    assert np.array_equal(trimmed[outside], alpha[outside])  # the face above: as it was


def test_halo_width_sees_a_rim() -> None:
    yy, xx = np.mgrid[0:120, 0:120]
    r = np.hypot(yy - 60, xx - 60)
    alpha = (r < 30).astype(np.float32)
    comp = np.full((120, 120, 3), 255, np.uint8)
    comp[r < 35] = 90  # a 5 px rim of an old grey background
    comp[r < 30] = 0
    assert 4.0 <= halo_width(comp, alpha, (255, 255, 255)) <= 6.0  # +-1 px: whole-pixel rings
    clean = np.full((120, 120, 3), 255, np.uint8)
    clean[r < 30] = 0
    assert halo_width(clean, alpha, (255, 255, 255)) == 0.0


def _photo_matte(name: str, side: int) -> tuple[np.ndarray, np.ndarray]:
    """A fixture face's rest picture (as the photo has it) and its matte."""
    portrait = photo_portrait(load_image((FACES / name).read_bytes()), 256)
    animator = make_animator(portrait, (side, side))
    picture = animator.frame(dict(REST))  # before matting un-mixes the edge
    return picture, MattedAnimator(animator).alpha


def test_a_backdrop_the_model_takes_for_person_is_cut_away_by_its_colour() -> None:
    # The painted portrait's red backdrop beside her neck: MediaPipe calls it
    # person (0.5-1.0); the colour cut removed it (12.7 % of the matte was
    # backdrop red before, 1.7 % after: her lips and the rim of her hair).
    picture, alpha = _photo_matte("woman_dark_skin_painted.png", 192)
    r, g, b = (picture[..., c].astype(np.int32) for c in range(3))
    backdrop_red = (r > 100) & (r > 1.8 * g) & (r > 1.8 * b)
    assert backdrop_red.mean() > 0.3  # the backdrop is there to be cut
    assert backdrop_red[alpha >= 0.5].mean() < 0.05


def test_the_colour_cut_keeps_grey_hair_in_front_of_a_pale_window() -> None:
    # Grey hair and a grey-blue window are a close call by colour (GrabCut alone
    # gave the top of the head to the backdrop: 4 % of the person); only plain
    # backdrop is cut, so the matte is the model's within 1 %.
    picture, alpha = _photo_matte("man_black_frontal_obama.jpg", 192)
    model_only = refine_alpha(picture, person_mask(picture))
    person, before = alpha >= 0.5, model_only >= 0.5
    assert abs(int(person.sum()) - int(before.sum())) < 0.01 * before.sum()
    top = int(np.argmax(before.any(axis=1)))
    assert person[top : top + 6].sum() >= 0.9 * before[top : top + 6].sum()


def test_only_the_parts_attached_to_the_presenters_face_are_kept() -> None:
    # A neighbour's collar at the crop's edge, as large as a hand and detached
    # from the presenter, was kept by the "a tenth of the largest part" rule.
    size, face_h = 160, 50.0
    yy, xx = np.mgrid[0:size, 0:size]
    picture = np.empty((size, size, 3), np.uint8)
    picture[:] = (120, 140, 170)
    face = np.hypot(xx - 80, (yy - 70) / 1.25) < 24
    torso = (np.abs(xx - 80) < 32) & (yy > 100)
    neck = (np.abs(xx - 80) < 10) & (yy > 85)
    neighbour = (xx < 24) & (yy > 112)
    picture[torso | neck] = (30, 32, 48)
    picture[face] = (200, 150, 120)
    picture[neighbour] = (235, 235, 235)
    coarse = (face | torso | neck | neighbour).astype(np.float32)
    seed = face_seed((size, size), (80.0, 70 + 0.78 * face_h), face_h)
    alpha = refine_alpha(picture, coarse, seed)
    assert alpha[140:, :16].max() < 0.05  # the neighbour is gone
    assert alpha[70, 80] > 0.95 and alpha[150, 80] > 0.95  # face and torso stay


# -- scenes and sound --------------------------------------------------------------


def test_scene_edges_fade_and_silence_lasts_exactly() -> None:
    sound = scene_sound(VoiceSpec(type="silence", duration=1.5), 30, {})
    assert sound.n_frames == 45 and len(sound.samples) == 45 * SAMPLE_RATE // 30
    loud = np.ones(SAMPLE_RATE, np.float32)
    faded = fade_edges(loud)
    assert faded[0] == 0.0 and faded[-1] == 0.0 and faded[SAMPLE_RATE // 2] == 1.0
    assert np.abs(np.diff(faded)).max() < 0.02  # a 5 ms ramp, no step: no click


def test_a_video_is_the_sum_of_its_scenes_with_no_black_frame(tmp_path: Path) -> None:
    colours = ("#ff0000", "#00ff00", "#0000ff")
    spec = StudioSpec(
        width=256,
        height=144,
        fps=25,
        tier="avatar",
        scenes=tuple(
            SceneSpec(
                voice=VoiceSpec(type="silence", duration=d),
                background=BackgroundSpec(type="color", value=c),
            )
            for c, d in zip(colours, (1.0, 1.2, 1.0), strict=True)
        ),
    )
    result = render_studio(spec, {}, tmp_path)
    assert result.scene_seconds == [1.0, 1.2, 1.0] and result.n_frames == 80
    from avatarmedia.encode import probe, read_video

    frames, _ = read_video(result.video_path)
    assert len(frames) == 80
    assert min(int(f.max()) for f in frames) > 200  # never a black frame
    assert frames[24][..., 0].mean() > 200 and frames[25][..., 1].mean() > 200
    assert frames[55][..., 2].mean() > 200
    info = probe(result.video_path)
    assert abs(info["audio_duration_s"] - 3.2) < 0.05
    assert result.srt_path is None  # no text scene, no caption files


def test_frames_drawn_from_the_still_part_equal_a_full_composite(matted_portrait: bytes) -> None:
    # Each frame re-blends only the presenter's moving part over a still made once,
    # with the caption painted once per state: it must equal drawing everything
    # afresh (close up: the moving head is under the caption). The still once kept
    # the first frame's head inside the moving part, and a head that moved showed a
    # ghost of it (up to 224 levels off).
    from avatarmedia.captions import CaptionPainter
    from avatarmedia.studio_render import (
        Background,
        SceneSound,
        _Captions,
        _presenter,
        _scene_frames,
    )
    from avatarmedia.studio_spec import CharacterSpec
    from avatarmedia.tracks import MouthTrack

    n, fps, width, height = 50, 25, 320, 180
    t = np.arange(n, dtype=np.float32) / fps
    talk = (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)).astype(np.float32)
    track = MouthTrack(fps, talk, np.full(n, 0.5, np.float32), np.zeros(n, np.float32), talk)
    words = [Word(w, 0.1 + 0.3 * k, 0.35 + 0.3 * k) for k, w in enumerate("one two three".split())]
    sound = SceneSound(np.zeros(n * SAMPLE_RATE // fps, np.float32), track, words, n, True)
    scene = SceneSpec(
        voice=VoiceSpec(type="text", text="one two three"),
        character=CharacterSpec(portrait_key="p", matting=True, style="closeUp"),
        background=BackgroundSpec(type="color", value="#2040c0"),
    )
    spec = StudioSpec(width, height, fps, "avatar_pro", (scene,), caption=True)
    painter = CaptionPainter(build_cues(words, width, height), width, height)
    assets = {"p": matted_portrait}
    bg = Background(scene.background, width, height, fps, n, assets, Path("."))
    assert bg.static is not None
    captions = _Captions(painter, fps, 0, {})
    presenter = _presenter(scene, width, height, assets, {})
    frames = _scene_frames(scene, sound, spec, 0, assets, Path("."), {}, captions, presenter)
    first_alpha = None
    moved = 0.0
    shown: list[np.ndarray] = []
    kinds: set[int] = set()
    current = None
    for i, (picture, layer) in enumerate(frames):
        assert layer is not None
        rgb, alpha, box = layer  # good until the next frame
        if first_alpha is None:
            first_alpha = alpha.copy()
        moved = max(moved, float(np.abs(alpha - first_alpha).max()))
        fresh = bg.static.copy()
        composite(fresh, rgb, alpha, box)
        painter.paint(fresh, i / fps)
        # what the encoder makes of it: the parts over the previous frame
        if picture.under is None:
            current = picture.parts[0][0].copy()
        else:
            assert i > 0 and current is not None  # parts only after a whole frame
            for part, (x, y) in picture.parts:
                assert x % 2 == 0 and y % 2 == 0 and part.shape[0] % 2 == part.shape[1] % 2 == 0
                current[y : y + part.shape[0], x : x + part.shape[1]] = part
        assert np.abs(current.astype(int) - fresh).max() <= 1, f"frame {i}"
        assert np.array_equal(picture.whole(), current), f"frame {i}"
        shown.append(current.copy())
        kinds.add(len(picture.parts) if picture.under is not None else 0)
    assert kinds == {0, 1, 2}  # whole frames, the head alone, the head and a caption change
    assert moved > 0.3  # the head did move
    assert (shown[20] != shown[0]).any()  # and the caption changed


def test_the_alpha_output_is_the_presenter_alone_on_a_transparent_frame(
    tmp_path: Path, matted_portrait: bytes
) -> None:
    import av

    from avatarmedia.studio_spec import CharacterSpec

    spec = StudioSpec(
        width=320,
        height=180,
        fps=25,
        tier="avatar",
        alpha=True,
        scenes=(
            SceneSpec(
                voice=VoiceSpec(type="silence", duration=1.0),
                character=CharacterSpec(portrait_key="p", matting=True),
                background=BackgroundSpec(type="color", value="#ff0000"),
            ),
        ),
    )
    result = render_studio(spec, {"p": matted_portrait}, tmp_path)
    assert result.alpha_path is not None
    with av.open(str(result.alpha_path)) as container:
        stream = container.streams.video[0]
        decoder = av.CodecContext.create("libvpx-vp9", "r")  # libvpx decodes the alpha plane
        frames = []
        for packet in container.demux(stream):
            for frame in decoder.decode(packet):
                frames.append(frame.to_ndarray(format="rgba"))
        assert container.streams.audio[0].codec_context.name == "opus"
    assert len(frames) == 25
    alpha = frames[10][..., 3]
    assert alpha[2, 2] < 10 and alpha[-2, 160] > 240  # corner clear, presenter solid
    assert (frames[10][..., 0][alpha > 240] < 250).mean() > 0.9  # no red background in it


@pytest.fixture(scope="module")
def matted_portrait() -> bytes:
    return draw_portrait(spec_from_description("a man with short hair"), 256).to_bytes()
